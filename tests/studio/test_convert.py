"""convert.py without a server: round trips, offsets after emoji, every kind of reject."""

from __future__ import annotations

import json


from corpus.ontology import load_ontology
from corpus.records import Annotation, Argument, Entity, Event, OntologyRef, Trigger, text_sha256
from corpus.schemas import SCHEMA_VERSION, schema_errors
from corpus.records import to_dict
from corpus.studio.convert import annotations_from_task, merge_parts, results_for_span, results_from_annotation

ONT = load_ontology()
TEXT = "😀🇮🇶 قال كارتر إن قوات التحالف استهدفت قادة في الموصل."


def _span(s: str) -> tuple[int, int]:
    i = TEXT.index(s)
    return i, i + len(s)


def _ann() -> Annotation:
    ks, ke = _span("كارتر")
    qs, qe = _span("قوات التحالف")
    ts, te = _span("استهدفت")
    ms, me = _span("الموصل")
    return Annotation(
        schema_version=SCHEMA_VERSION, id="x", document_id="d1", text_sha256=text_sha256(TEXT),
        annotator="a@example.com", status="submitted", ontology=OntologyRef(**ONT.ref()),
        entities=[Entity(id="e1", type="PER", start=ks, end=ke, text="كارتر", level="NAM"),
                  Entity(id="e2", type="ORG", start=qs, end=qe, text="قوات التحالف", level="NOM"),
                  Entity(id="e3", type="GPE", start=ms, end=me, text="الموصل")],
        events=[Event(id="v1", type="Conflict.Attack", trigger=Trigger(start=ts, end=te, text="استهدفت"),
                      arguments=[Argument(role="Attacker", entity="e2"), Argument(role="Place", entity="e3")],
                      attributes={"Polarity": "POSITIVE"})],
    )


def _task(result, **extra):
    ann = {"id": 7, "completed_by": 3, "result": result, "was_cancelled": False, "ground_truth": False,
           "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:01:00Z", "lead_time": 12.5}
    ann.update(extra)
    return {"id": 5, "data": {"text": TEXT, "doc_id": "d1", "part": 0, "offset": 0,
                              "text_sha256": text_sha256(TEXT)}, "annotations": [ann]}


def test_round_trip_with_emoji_offsets():
    ann = _ann()
    items = results_from_annotation(ann)
    # offsets are code points: the emoji before the names count one position each (flag = 2)
    assert items[0]["value"]["start"] == TEXT.index("كارتر") == 8
    anns, rejects = annotations_from_task(_task(items), TEXT, ONT, project=2, users={3: "a@example.com"})
    assert rejects == []
    (got,) = anns
    assert got.entities == ann.entities
    assert got.events == ann.events
    assert got.annotator == "a@example.com" and got.status == "submitted" and got.lead_time == 12.5
    assert got.id == "ls-p2-t5-a7" and got.origin.task == 5 and got.origin.annotation == 7
    assert list(schema_errors("annotation", to_dict(got))) == []


def test_cancelled_and_unknown_user():
    anns, rejects = annotations_from_task(_task([], was_cancelled=True, completed_by=9), TEXT, ONT)
    assert rejects == [] and anns[0].status == "cancelled" and anns[0].annotator == "user-9"


def test_rejects_name_task_annotation_region_and_reason():
    items = results_from_annotation(_ann())
    bad = json.loads(json.dumps(items))
    bad[0]["value"]["labels"] = ["Person"]                       # unknown label -> e1 rejected
    bad[2]["value"]["start"] += 1                                # e2 offsets no longer match its text
    bad.append({"id": "zz", "from_name": "ner", "to_name": "text", "type": "labels",
                "value": {"start": 0, "end": 1, "text": TEXT[0], "labels": ["PER"]}})
    bad.append({"from_id": "v1", "to_id": "nowhere", "type": "relation", "labels": ["Target"]})
    anns, rejects = annotations_from_task(_task(bad), TEXT, ONT)
    reasons = {(r.region, r.reason.split(" ")[0]) for r in rejects}
    assert all(r.task == 5 and r.annotation == 7 and r.document_id == "d1" for r in rejects)
    assert ("e1", "unknown") in reasons
    assert ("e2", "bad") in reasons
    assert ("zz", "unknown") in reasons
    assert ("v1->nowhere", "relation") in reasons
    # the choices of rejected regions and the argument pointing to e2 are kept aside too
    assert any(r.region == "e1" and "missing region" in r.reason for r in rejects)
    assert any(r.region == "v1->e2" for r in rejects)
    (got,) = anns
    assert [e.id for e in got.entities] == ["e3"]
    assert got.events[0].arguments == [Argument(role="Place", entity="e3")]


def test_document_changed_since_push_is_rejected():
    anns, rejects = annotations_from_task(_task(results_from_annotation(_ann())), TEXT + " ", ONT)
    assert anns == [] and "text_sha256" in rejects[0].reason


def test_split_parts_are_shifted_and_merged():
    ann = _ann()
    cut = TEXT.index("استهدفت")
    p0, p1 = TEXT[:cut], TEXT[cut:]
    r0, s0 = results_for_span(ann, 0, cut)
    r1, s1 = results_for_span(ann, cut, len(TEXT))
    # the arguments crossing the cut cannot be shown in one task: they are reported
    assert "v1->e2" in s1
    sha = text_sha256(TEXT)
    tasks = [{"id": 10 + i, "data": {"text": t, "doc_id": "d1", "part": i, "offset": o, "text_sha256": sha},
              "annotations": [{"id": 20 + i, "completed_by": 1, "result": r}]}
             for i, (t, o, r) in enumerate([(p0, 0, r0), (p1, cut, r1)])]
    parts = [annotations_from_task(t, TEXT, ONT)[0][0] for t in tasks]
    merged = merge_parts(parts, record_id="m")
    assert [(e.start, e.end) for e in merged.entities] == [(e.start, e.end) for e in ann.entities]
    assert merged.events[0].trigger == ann.events[0].trigger


def test_kiji_file_defects_are_reported(shared_dir):
    path = shared_dir / "data" / "labelstudio-examples" / "kiji_predictions.json"
    tasks = json.loads(path.read_text())
    rejects = []
    for task in tasks:
        _, bad = annotations_from_task(task, task["data"]["text"], ONT, source="file", path=str(path),
                                       include_predictions=True)
        rejects += bad
    assert rejects and all(r.path == str(path) for r in rejects)
    # its labels are not in our ontology, and its group is called "entities"
    assert any("unknown label group" in r.reason for r in rejects)

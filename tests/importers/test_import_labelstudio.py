"""Label Studio import: the two real files in ../shared/data, and made-up exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.importers import import_corpus, label_config_labels
from corpus.ontology import load_ontology
from corpus.records import decode_annotation
from corpus.validate import validate_paths
from import_helpers import load_corpus, read_jsonl


def _records(folder: Path) -> list:
    return [decode_annotation(line) for p in sorted(folder.glob("*.jsonl"))
            for line in p.read_bytes().splitlines() if line.strip()]


def test_kiji_predictions_offsets_and_relations_are_reported(tmp_path, ls_dir):
    src = ls_dir / "kiji_predictions.json"
    task = json.loads(src.read_text(encoding="utf-8"))[0]
    r = import_corpus([src], tmp_path / "out", "labelstudio", language="en")
    docs, gold = load_corpus(tmp_path / "out")
    assert len(docs) == 1 and docs[0].text == task["data"]["text"] and gold == {}
    assert docs[0].source.format == "labelstudio" and docs[0].edits == []
    assert docs[0].sentences and docs[0].tokens
    preds = _records(tmp_path / "out" / "predictions")
    assert len(preds) == 1
    p = preds[0]
    assert p.status == "prediction" and p.origin.model_version == "coref-v1"
    assert [(e.id, e.type, e.text) for e in p.entities] == [
        ("ent-1", "Person", "John Smith"), ("ent-2", "Person", "Mary"),
        ("ent-3", "Pronoun", "He"), ("ent-4", "Pronoun", "her")]
    rejects = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    by_region = {x["region"]: x for x in rejects}
    assert set(by_region) == {"ent-5", "ent-3->ent-1", "ent-4->ent-2"}
    off = by_region["ent-5"]
    # the task has no id: it is named by its place in the file
    assert off["task"] == "$[0]" and off["path"].endswith("kiji_predictions.json")
    assert "bad offsets" in off["reason"] and "occurs at [62, 84)" in off["reason"]
    assert off["raw"]["value"]["start"] == 68  # kept as it was, not fixed
    assert "must link an event trigger and an entity" in by_region["ent-3->ent-1"]["reason"]
    assert r.predicted == {"Person": 2, "Pronoun": 2}


def test_kiji_labels_are_checked_against_its_labeling_config(tmp_path, ls_dir):
    config = ls_dir / "kiji_labeling_config.xml"
    assert "FIRSTNAME" in label_config_labels(config) and "Person" not in label_config_labels(config)
    r = import_corpus([ls_dir / "kiji_predictions.json"], tmp_path / "out", "labelstudio", language="en",
                      label_config=config)
    unknown = [i for i in r.rejects if "unknown entity label" in i.reason]
    assert [(i.region, i.value if i.value else i.reason.split("'")[1]) for i in unknown] == [
        ("ent-1", "Person"), ("ent-2", "Person"), ("ent-3", "Pronoun"), ("ent-4", "Pronoun"), ("ent-5", "Email")]
    assert "allowed: AGE, BUILDINGNUM" in unknown[0].reason
    # both defects of ent-5 are reported: its label and its offsets
    assert any(i.region == "ent-5" and i.reason.startswith("bad offsets") for i in r.rejects)
    assert r.predicted == {}


def test_label_studio_named_entity_example(tmp_path, ls_dir):
    src = ls_dir / "labelstudio_named_entity_example.json"
    task = json.loads(src.read_text(encoding="utf-8"))  # one task object, not a list
    r = import_corpus([src], tmp_path / "out", "labelstudio", language="en")
    docs, gold = load_corpus(tmp_path / "out")
    assert len(docs) == 1 and docs[0].text == task["data"]["text"]
    assert docs[0].id.endswith("-t1")
    ann = gold[docs[0].id]
    assert ann.status == "imported" and ann.origin.task == 1 and ann.origin.kind == "file"
    assert [(e.type, e.start, e.end, e.text) for e in ann.entities] == [("Date", 343, 354, "February 22")]
    assert r.mentions == {"Date": 1} and r.rejects == []
    assert r.sentences == len(docs[0].sentences) > 1
    corpus = json.loads((tmp_path / "out" / "corpus.json").read_text(encoding="utf-8"))
    assert corpus["license"] == "apache-2.0" and "HumanSignal" in corpus["citation"]
    assert list(validate_paths([tmp_path / "out" / "documents", tmp_path / "out" / "gold"],
                               ontology=tmp_path / "out" / "ontology.json")) == []


def _span(rid, start, end, text, label, group="entity"):
    return {"id": rid, "from_name": group, "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


TEXT = "قصفت طائرات التحالف مدينة الرقة أمس."


def _export(tmp_path: Path, tasks) -> Path:
    p = tmp_path / "export.json"
    p.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return p


def test_export_with_events_relations_and_several_annotators(tmp_path):
    result = [
        _span("t1", 0, 4, "قصفت", "Conflict.Attack", "trigger"),
        _span("e1", 5, 19, "طائرات التحالف", "ORG"),
        _span("e2", 26, 31, "الرقة", "GPE"),
        {"from_id": "t1", "to_id": "e1", "type": "relation", "direction": "right", "labels": ["Attacker"]},
        {"from_id": "t1", "to_id": "e2", "type": "relation", "direction": "right", "labels": ["Place"]},
    ]
    tasks = [
        {"id": 7, "data": {"text": TEXT, "doc_id": "doc-7"},
         "annotations": [{"id": 70, "completed_by": 1, "result": result}]},
        {"id": 8, "data": {"text": TEXT},
         "annotations": [{"id": 80, "completed_by": 1, "result": result[1:2]},
                         {"id": 81, "completed_by": 2, "result": result[2:3]},
                         {"id": 82, "completed_by": 3, "was_cancelled": True, "result": []}]},
    ]
    r = import_corpus([_export(tmp_path, tasks)], tmp_path / "out", "labelstudio", license="cc-by-4.0")
    docs, gold = load_corpus(tmp_path / "out")
    assert [d.id for d in docs][0] == "doc-7"
    ann = gold["doc-7"]
    assert [(ev.type, [(a.role, a.entity) for a in ev.arguments]) for ev in ann.events] == [
        ("Conflict.Attack", [("Attacker", "e1"), ("Place", "e2")])]
    # two annotators of one task: not gold, kept for adjudication, and said so
    assert set(gold) == {"doc-7"}
    several = _records(tmp_path / "out" / "annotations")
    assert sorted(a.annotator for a in several) == ["user-1", "user-2"]
    assert any("adjudicate" in w.reason and w.task == 8 for w in r.warnings)
    assert any("cancelled" in x.reason and x.task == 8 for x in r.rejects)
    onto = load_ontology(tmp_path / "out" / "ontology.json")
    assert onto.event_types == ["Conflict.Attack"] and set(onto.roles_of("Conflict.Attack")) == {"Attacker", "Place"}
    assert onto.fillers_of("Place") == ["GPE"]
    assert r.events == {"Conflict.Attack": 1}


def test_given_ontology_checks_labels_and_text_field(tmp_path):
    tasks = [{"id": 1, "data": {"title": "x", "body": TEXT},
              "annotations": [{"id": 1, "result": [_span("a", 26, 31, "الرقة", "GPE"), _span("b", 0, 4, "قصفت", "Bombing")]}]}]
    onto = Path(__file__).resolve().parents[2] / "schema" / "ontology" / "ace2005.json"
    r = import_corpus([_export(tmp_path, tasks)], tmp_path / "out", "labelstudio", license="cc-by-4.0",
                      ontology=onto, text_field="body")
    docs, gold = load_corpus(tmp_path / "out")
    assert docs[0].text == TEXT and docs[0].source.field == "data.body"
    assert docs[0].metadata.extra == {"labelstudio": {"title": "x"}}
    assert [e.type for e in gold[docs[0].id].entities] == ["GPE"]
    assert gold[docs[0].id].ontology.name == "ace2005"
    assert [(x.task, x.region) for x in r.rejects] == [(1, "b")] and "unknown entity label 'Bombing'" in r.rejects[0].reason


def test_a_task_without_text_is_rejected_and_others_go_through(tmp_path):
    tasks = [{"id": 1, "data": {"text": ""}}, {"id": 2, "data": {"text": TEXT}, "annotations": []}, "junk"]
    r = import_corpus([_export(tmp_path, tasks)], tmp_path / "out", "labelstudio", license="cc-by-4.0")
    assert r.documents == 1
    assert [(x.task, x.field) for x in r.rejects] == [(1, "data.text"), ("$[2]", None)]


def test_bad_json_names_the_file_and_line(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('[\n {"data": {"text": "a"}},\n {"data": \n', encoding="utf-8")
    r = import_corpus([p], tmp_path / "out", "labelstudio", license="cc-by-4.0")
    assert r.files_failed == 1 and r.documents == 0
    assert "bad.json:4" in r.rejects[0].reason and "not JSON" in r.rejects[0].reason


def test_json_lines_of_tasks(tmp_path):
    p = tmp_path / "tasks.jsonl"
    p.write_text("\n".join(json.dumps({"id": i, "data": {"text": f"نص {i}"}}, ensure_ascii=False) for i in (1, 2)),
                 encoding="utf-8")
    r = import_corpus([p], tmp_path / "out", "labelstudio", license="cc-by-4.0")
    assert r.documents == 2


@pytest.mark.parametrize("bad", ["<View>", "<View><Text name='t' value='$text'/></View>"])
def test_bad_label_config_is_an_error(tmp_path, bad):
    from corpus.errors import InputError

    p = tmp_path / "c.xml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match="c.xml"):
        label_config_labels(p)


def test_parts_of_a_split_document_are_rejected_with_a_hint(tmp_path):
    tasks = [{"id": 1, "data": {"text": "a.", "doc_id": "d1", "part": 0, "offset": 0}},
             {"id": 2, "data": {"text": "b.", "doc_id": "d1", "part": 1, "offset": 3}},
             {"id": 3, "data": {"text": "c.", "doc_id": "d2", "part": 0, "offset": 0}}]
    r = import_corpus([_export(tmp_path, tasks)], tmp_path / "out", "labelstudio", license="cc-by-4.0")
    assert r.documents == 1 and [x.task for x in r.rejects] == [1, 2]
    assert "corpus pull --from-file" in r.rejects[0].reason


def test_an_event_without_arguments_is_imported_and_valid(tmp_path):
    tasks = [{"id": 1, "data": {"text": TEXT},
              "annotations": [{"id": 1, "result": [_span("t1", 0, 4, "قصفت", "Attack", "trigger")]}]}]
    r = import_corpus([_export(tmp_path, tasks)], tmp_path / "out", "labelstudio", license="cc-by-4.0")
    assert r.rejects == [] and r.events == {"Attack": 1}
    line = next((tmp_path / "out" / "gold").glob("*.jsonl")).read_text(encoding="utf-8")
    assert '"entities":[],"events":[{' in line and '"arguments":[]' in line
    assert list(validate_paths([tmp_path / "out" / "documents", tmp_path / "out" / "gold"],
                               ontology=tmp_path / "out" / "ontology.json")) == []

"""corpus.adjudicate: majority, unanimous and ground truth on a hand-made three-annotator case."""

from __future__ import annotations

import json

import msgspec
import pytest
from click.testing import CliRunner

from corpus.adjudicate import adjudicate, write_outputs
from corpus.cli import main
from corpus.ingest import IngestOptions, document_from_text
from corpus.records import Annotation, Argument, Entity, Event, OntologyRef, Trigger, decode_annotation, encode
from corpus.schemas import SCHEMA_VERSION
from corpus.validate import validate_records

TEXT = "كارتر زار قوات التحالف في الموصل"  # tokens w0..w5


@pytest.fixture(scope="module")
def doc():
    return document_from_text(TEXT, doc_id="d1", options=IngestOptions(boilerplate=False))


def ent(doc, eid, etype, first, last=None, level=None):
    s, e = doc.tokens[first][0], doc.tokens[first if last is None else last][1]
    return Entity(id=eid, type=etype, start=s, end=e, text=doc.text[s:e], level=level)


def event(doc, eid, etype, tok, args=(), **attributes):
    s, e = doc.tokens[tok]
    return Event(id=eid, type=etype, trigger=Trigger(start=s, end=e, text=doc.text[s:e]),
                 arguments=[Argument(role=r, entity=x) for r, x in args], attributes=attributes or None)


def ann(doc, who, entities, events=(), **kw):
    return Annotation(schema_version=SCHEMA_VERSION, id=f"{doc.id}-{who}", document_id=doc.id,
                      text_sha256=doc.text_sha256, annotator=who, status="submitted",
                      ontology=OntologyRef(name="ace2005", version="1.0.0"), entities=list(entities),
                      events=list(events), **kw)


def three(doc, **camil_kw):
    amal = ann(doc, "amal", [ent(doc, "a1", "PER", 0, level="NAM"), ent(doc, "a2", "ORG", 2, 3), ent(doc, "a3", "GPE", 5)],
               [event(doc, "av", "Conflict.Attack", 1, [("Attacker", "a2"), ("Target", "a1")], Polarity="POSITIVE")])
    badr = ann(doc, "badr", [ent(doc, "b1", "PER", 0, level="NAM"), ent(doc, "b2", "ORG", 3), ent(doc, "b3", "GPE", 5)],
               [event(doc, "bv", "Conflict.Attack", 1, [("Attacker", "b2"), ("Target", "b1")], Polarity="POSITIVE"),
                event(doc, "bm", "Contact.Meet", 4)])
    camil = ann(doc, "camil", [ent(doc, "c1", "PER", 0, level="NOM"), ent(doc, "c2", "ORG", 2, 3), ent(doc, "c3", "LOC", 5)],
                [event(doc, "cv", "Conflict.Attack", 1, [("Attacker", "c2")], Polarity="NEGATIVE")], **camil_kw)
    return [amal, badr, camil]


def rows(result):
    return [(d.kind, d.start, d.label, d.said_by, d.resolution) for d in result.disagreements]


def test_majority(doc):
    (r,) = adjudicate(three(doc), policy="majority")
    g = r.gold
    assert (g.id, g.status, g.annotator, g.text_sha256) == ("d1:gold", "gold", "gold", doc.text_sha256)
    assert msgspec.to_builtins(g.provenance) == {"policy": "majority", "annotators": ["amal", "badr", "camil"],
                                                 "annotations": ["d1-amal", "d1-badr", "d1-camil"]}
    assert [(e.id, e.type, e.text, e.level, e.agreed_by) for e in g.entities] == [
        ("e1", "PER", "كارتر", "NAM", ["amal", "badr", "camil"]),
        ("e2", "ORG", "قوات التحالف", None, ["amal", "camil"]),
        ("e3", "GPE", "الموصل", None, ["amal", "badr"]),
    ]
    (ev,) = g.events
    assert (ev.id, ev.type, ev.trigger.text, ev.agreed_by, ev.attributes) == (
        "v1", "Conflict.Attack", "زار", ["amal", "badr", "camil"], {"Polarity": "POSITIVE"})
    assert [(a.role, a.entity, a.agreed_by) for a in ev.arguments] == [
        ("Attacker", "e2", ["amal", "camil"]), ("Target", "e1", ["amal", "badr"])]
    assert rows(r) == [
        ("level", 0, "PER level NAM", ["amal", "badr"], "kept"),
        ("level", 0, "PER level NOM", ["camil"], "dropped"),
        ("entity", 10, "ORG", ["amal", "camil"], "kept"),
        ("entity", 15, "ORG", ["badr"], "dropped"),
        ("entity", 26, "GPE", ["amal", "badr"], "kept"),
        ("entity", 26, "LOC", ["camil"], "dropped"),
        ("argument", 6, "Conflict.Attack Attacker: ORG 'قوات التحالف' [10, 22)", ["amal", "camil"], "kept"),
        ("argument", 6, "Conflict.Attack Attacker: ORG 'التحالف' [15, 22)", ["badr"], "dropped"),
        ("argument", 6, "Conflict.Attack Target: PER 'كارتر' [0, 5)", ["amal", "badr"], "kept"),
        ("attribute", 6, "Conflict.Attack Polarity=NEGATIVE", ["camil"], "dropped"),
        ("attribute", 6, "Conflict.Attack Polarity=POSITIVE", ["amal", "badr"], "kept"),
        ("event", 23, "Contact.Meet", ["badr"], "dropped"),
    ]
    assert r.disagreements[3].not_by == ["amal", "camil"] and r.disagreements[3].text == "التحالف"
    # gold and conflicts are valid annotations of the document
    assert list(validate_records([doc], [g, r.conflict])) == []


def test_conflicts_hold_the_disputed_items(doc):
    (r,) = adjudicate(three(doc), policy="majority")
    c = r.conflict
    assert (c.id, c.status, c.annotator, c.origin.kind, c.origin.model_version) == (
        "d1:conflicts-majority", "prediction", "adjudication", "adjudication", "conflicts-majority")
    # PER is agreed by all but is the filler of a disputed argument, so it comes along
    assert [(e.id, e.type, e.start, e.agreed_by) for e in c.entities] == [
        ("c1", "PER", 0, ["amal", "badr", "camil"]), ("c2", "ORG", 10, ["amal", "camil"]), ("c3", "ORG", 15, ["badr"]),
        ("c4", "GPE", 26, ["amal", "badr"]), ("c5", "LOC", 26, ["camil"])]
    assert [(e.type, [(a.role, a.entity, a.agreed_by) for a in e.arguments], e.agreed_by) for e in c.events] == [
        ("Conflict.Attack", [("Attacker", "c2", ["amal", "camil"]), ("Attacker", "c3", ["badr"]),
                             ("Target", "c1", ["amal", "badr"])], ["amal", "badr", "camil"]),
        ("Contact.Meet", [], ["badr"]),
    ]


def test_unanimous(doc):
    (r,) = adjudicate(three(doc), policy="unanimous")
    g = r.gold
    assert [(e.type, e.level) for e in g.entities] == [("PER", None)]
    assert [(e.type, e.arguments, e.attributes) for e in g.events] == [("Conflict.Attack", [], None)]
    assert g.provenance.policy == "unanimous"
    assert ("level", 0, "PER level NAM", ["amal", "badr"], "dropped") in rows(r)
    assert ("entity", 10, "ORG", ["amal", "camil"], "dropped") in rows(r)
    assert r.conflict.origin.model_version == "conflicts-unanimous"
    assert list(validate_records([doc], [g, r.conflict])) == []


def test_ties_with_two_annotators(doc):
    a = ann(doc, "amal", [ent(doc, "a1", "PER", 0), ent(doc, "a2", "GPE", 5)])
    b = ann(doc, "badr", [ent(doc, "b1", "PER", 0), ent(doc, "b2", "LOC", 5)])
    (r,) = adjudicate([a, b])
    assert [e.type for e in r.gold.entities] == ["PER"]
    assert rows(r) == [("entity", 26, "GPE", ["amal"], "tie"), ("entity", 26, "LOC", ["badr"], "tie")]


def test_ground_truth_wins(doc):
    (r,) = adjudicate(three(doc, ground_truth=True), policy="majority")
    g = r.gold
    assert g.provenance.policy == "ground-truth"
    assert [(e.type, e.start, e.level, e.agreed_by) for e in g.entities] == [
        ("PER", 0, "NOM", ["amal", "badr", "camil"]), ("ORG", 10, None, ["amal", "camil"]), ("LOC", 26, None, ["camil"])]
    (ev,) = g.events
    assert [(a.role, a.entity) for a in ev.arguments] == [("Attacker", "e2")]
    assert ev.attributes == {"Polarity": "NEGATIVE"}
    assert ("entity", 26, "GPE", ["amal", "badr"], "ground-truth dropped") in rows(r)
    assert ("entity", 26, "LOC", ["camil"], "ground-truth kept") in rows(r)
    assert r.conflict is None  # resolved: nothing to send back
    assert list(validate_records([doc], [g])) == []


def test_selection_and_stale(doc):
    amal, badr, camil = three(doc)
    cancelled = msgspec.structs.replace(
        amal, annotator="dina", id="x", status="cancelled", entities=[], events=[])
    stale = msgspec.structs.replace(badr, text_sha256="0" * 64)
    older = msgspec.structs.replace(amal, id="old", entities=[], events=[], updated_at="2020-01-01")
    newer = msgspec.structs.replace(amal, updated_at="2021-01-01")
    (r,) = adjudicate([older, newer, stale, camil, cancelled], documents=[doc])
    assert r.gold.provenance.annotators == ["amal", "camil"]
    assert r.gold.provenance.annotations == ["d1-amal", "d1-camil"]
    assert rows(r)[0] == ("stale", None, "text_sha256 000000000000…", ["badr"], "left out")
    # without documents, the text most annotations share counts
    (r2,) = adjudicate([amal, stale, camil])
    assert rows(r2)[0][0] == "stale"
    with pytest.raises(Exception, match="unknown policy 'most'; allowed: majority, unanimous"):
        list(adjudicate([amal], policy="most"))


def test_write_outputs_and_cli(doc, tmp_path):
    src = tmp_path / "annotations"
    src.mkdir()
    (src / "a.jsonl").write_bytes(b"".join(encode(a) + b"\n" for a in three(doc)))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/documents-00000.jsonl").write_bytes(encode(doc) + b"\n")
    args = ["adjudicate", str(src), "--documents", str(tmp_path / "docs"), "--out", str(tmp_path / "gold"),
            "--reports", str(tmp_path / "rep")]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith("1 gold annotations of 1 documents written to")
    assert "12 disagreements (6 dropped, 6 kept)" in r.stderr
    files = {p.name: p.read_bytes() for p in sorted((tmp_path / "gold").iterdir()) + sorted((tmp_path / "rep").iterdir())}
    assert sorted(files) == ["conflicts.jsonl", "disagreements.json", "disagreements.md", "gold-00000.jsonl"]
    gold = [decode_annotation(l) for l in files["gold-00000.jsonl"].splitlines()]
    assert [g.id for g in gold] == ["d1:gold"]
    md = files["disagreements.md"].decode()
    assert "| entity | [15, 22) | التحالف | ORG | badr | amal, camil | dropped |" in md
    assert len(json.loads(files["disagreements.json"])) == 12
    # the CLI checks its own output: corpus validate accepts gold and conflicts
    v = CliRunner().invoke(main, ["validate", str(tmp_path / "gold"), str(tmp_path / "rep/conflicts.jsonl"),
                                  "--documents", str(tmp_path / "docs")])
    assert v.exit_code == 0, v.output
    # re-running gives the same bytes
    assert CliRunner().invoke(main, args).exit_code == 0
    again = {p.name: p.read_bytes() for p in sorted((tmp_path / "gold").iterdir()) + sorted((tmp_path / "rep").iterdir())}
    assert again == files
    bad = CliRunner().invoke(main, ["adjudicate", str(src), "--out", str(src)])
    assert bad.exit_code == 2 and "is also an input" in bad.output
    h = CliRunner().invoke(main, ["adjudicate", "--help"])
    assert h.exit_code == 0 and "Example" in h.output


def test_no_disagreements(doc, tmp_path):
    a = ann(doc, "amal", [ent(doc, "a1", "PER", 0)])
    b = ann(doc, "badr", [ent(doc, "b1", "PER", 0)])
    s = write_outputs(adjudicate([a, b]), tmp_path / "g", tmp_path / "r", policy="majority")
    assert (s.gold, s.conflicts, sum(s.disagreements.values())) == (1, 0, 0)
    assert (tmp_path / "r/conflicts.jsonl").read_bytes() == b""
    assert "No disagreements." in (tmp_path / "r/disagreements.md").read_text()


def test_the_latest_annotation_is_found_by_time_not_by_string_order():
    from corpus.records import recency

    def at(stamp, aid):
        return Annotation(schema_version="1.0.0", id=aid, document_id="d", text_sha256="0" * 64, annotator="a",
                          status="submitted", ontology=OntologyRef(name="ace2005", version="1.0.0"), entities=[],
                          events=[], updated_at=stamp)

    # as strings "…10:00:00Z" sorts after "…10:00:00.5+00:00", though it is earlier
    early, late = at("2026-11-25T10:00:00Z", "x"), at("2026-11-25T10:00:00.500000+00:00", "y")
    assert max((early, late), key=recency) is late
    assert max((at(None, "z"), early), key=recency) is early

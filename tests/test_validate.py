"""corpus.validate: fixture cases with exact messages, CLI behaviour, re-anchoring."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import jsonschema
import msgspec
import pytest
from click.testing import CliRunner

from corpus.cli import main
from corpus.ingest import IngestOptions, document_from_text
from corpus.normalize import get_profile
from corpus.records import Annotation, Entity, Event, OntologyRef, Trigger, Argument, encode, decode_annotation
from corpus.schemas import SCHEMA_VERSION, load_schema
from corpus.validate import CODES, Problem, reanchor, validate_paths, validate_records

CASES_DIR = Path(__file__).parent / "data" / "validate"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.jsonl"))


def _expected(name: str) -> tuple[list[str], dict]:
    lines = (CASES_DIR / f"{name}.expected").read_text(encoding="utf-8").splitlines()
    options = {}
    if lines and lines[0].startswith("# options:"):
        options = {"strict_tokens": "--strict-tokens" in lines[0]}
        lines = lines[1:]
    return lines, options


@pytest.mark.parametrize("name", CASES)
def test_case_messages(name, monkeypatch):
    monkeypatch.chdir(CASES_DIR)  # sources are printed as given: "CASE.jsonl:LINE"
    expected, options = _expected(name)
    got = [str(p) for p in validate_paths([f"{name}.jsonl"], **options)]
    assert got == expected


def test_every_problem_code_has_a_case():
    seen = set()
    for name in CASES:
        for line in _expected(name)[0]:
            seen.add(line.split(": ", 2)[1].split(" ", 1)[1])
    # re-anchoring problems come from reanchor(), tested below; document-unreadable needs a
    # document line that changes between the two passes (tested below too)
    assert set(CODES) - seen == {"reanchor-text-changed", "reanchor-failed", "document-unreadable"}


def _records(name):
    for line in (CASES_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            pass


def test_schema_verdicts_agree_with_python_jsonschema():
    """The compiled jsonschema-rs validator and the reference implementation agree."""
    checked = 0
    for name in CASES:
        problems = list(validate_paths([CASES_DIR / f"{name}.jsonl"]))
        for n, rec in enumerate(_records(name), 1):
            kind = "annotation" if "document_id" in rec else "document" if "text" in rec else None
            if kind is None:
                continue
            ref = jsonschema.Draft202012Validator(load_schema(kind)).is_valid(rec)
            ours = not any(p.code == "schema" and p.source.endswith(f".jsonl:{n}") for p in problems)
            assert ours == ref, (name, n)
            checked += 1
    assert checked > 40


def test_records_and_paths_give_the_same_problems():
    lines = (CASES_DIR / "many-problems.jsonl").read_bytes().splitlines()
    from_records = list(validate_records([lines[0]], [lines[1]]))
    from_paths = list(validate_paths([CASES_DIR / "many-problems.jsonl"]))
    strip = lambda ps: [msgspec.structs.replace(p, source="") for p in ps]  # noqa: E731
    assert strip(from_records) == strip(from_paths)
    assert len(from_records) == 5
    assert from_records[0].source == "<annotations>#1"


# ---------------------------------------------------------------- real documents from ingest

TEXT = "قالَ كارترُ إنّ قوات التحالف استهدفت قادة التنظيم في الموصل.\n"


def _ann(doc, spans, annotator="amal", aid="a1", events=()):
    ents = []
    for i, (etype, s) in enumerate(spans, 1):
        start = doc.text.index(s)
        ents.append(Entity(id=f"e{i}", type=etype, start=start, end=start + len(s), text=s))
    return Annotation(schema_version=SCHEMA_VERSION, id=aid, document_id=doc.id, text_sha256=doc.text_sha256,
                      annotator=annotator, status="submitted", ontology=OntologyRef(name="ace2005", version="1.0.0"),
                      entities=ents, events=list(events))


def test_ingested_document_and_good_annotation_are_valid():
    doc = document_from_text(TEXT, doc_id="d1")
    t = doc.text
    trig = t.index("استهدفت")
    ev = Event(id="v1", type="Conflict.Attack", trigger=Trigger(start=trig, end=trig + 7, text="استهدفت"),
               arguments=[Argument(role="Attacker", entity="e2"), Argument(role="Place", entity="e3")])
    ann = _ann(doc, [("PER", "كارترُ"), ("ORG", "قوات التحالف"), ("GPE", "الموصل")], events=[ev])
    assert list(validate_records([doc], [ann])) == []


def test_default_ontology_comes_from_the_ontology_file(tmp_path):
    doc = document_from_text(TEXT, doc_id="d1")
    ann = _ann(doc, [("PERSON", "كارترُ")])
    onto = json.loads((Path(__file__).parent.parent / "schema/ontology/ace2005.json").read_text(encoding="utf-8"))
    onto["entity_types"].append({**onto["entity_types"][0], "name": "PERSON"})
    (tmp_path / "o.json").write_text(json.dumps(onto), encoding="utf-8")
    assert [p.code for p in validate_records([doc], [ann])] == ["unknown-entity-type"]
    assert list(validate_records([doc], [ann], tmp_path / "o.json")) == []


def _old_new():
    old = document_from_text(TEXT, doc_id="d1")
    new = document_from_text(TEXT, doc_id="d1", options=IngestOptions(profile=get_profile(harakat="remove")))
    assert old.text != new.text and old.source.sha256 == new.source.sha256
    return old, new


def test_stale_annotation_is_reported_and_reanchored():
    old, new = _old_new()
    ann = _ann(old, [("PER", "كارترُ"), ("ORG", "قوات التحالف"), ("GPE", "الموصل")])
    assert [p.code for p in validate_records([new], [ann])] == ["stale-text"]

    res = reanchor(ann, old, new)
    assert res.changed
    moved = res.annotation
    assert moved.text_sha256 == new.text_sha256
    assert [e.text for e in moved.entities] == ["كارتر", "قوات التحالف", "الموصل"]
    assert [(p.code, p.path) for p in res.problems] == [("reanchor-text-changed", "$.entities[0].text")]
    assert res.problems[0].message == "entity span [5, 11) moved to [4, 9) and its text became 'كارتر'"
    assert list(validate_records([new], [moved])) == []


def test_reanchor_refuses_documents_of_another_source():
    old, _ = _old_new()
    other = document_from_text(TEXT + "ملحق.", doc_id="d1")
    ann = _ann(old, [("PER", "كارترُ")])
    res = reanchor(ann, old, other)
    assert not res.changed and res.annotation is ann
    assert [p.code for p in res.problems] == ["reanchor-failed"]
    assert "different raw sources" in res.problems[0].message


def test_cli_reanchor_writes_to_out_and_leaves_inputs(tmp_path):
    old, new = _old_new()
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old/documents-00000.jsonl").write_bytes(encode(old) + b"\n")
    (tmp_path / "new/documents-00000.jsonl").write_bytes(encode(new) + b"\n")
    ann = _ann(old, [("PER", "كارترُ"), ("ORG", "قوات التحالف")])
    fresh = _ann(new, [("GPE", "الموصل")], annotator="badr", aid="a2")
    src = tmp_path / "annotations.jsonl"
    src.write_bytes(encode(ann) + b"\n" + encode(fresh) + b"\n")
    before = src.read_bytes()
    r = CliRunner().invoke(main, ["validate", str(src), "--documents", str(tmp_path / "new"), "--reanchor",
                                  "--previous-documents", str(tmp_path / "old"), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert src.read_bytes() == before
    out = [decode_annotation(l) for l in (tmp_path / "out/annotations.jsonl").read_bytes().splitlines()]
    assert [a.id for a in out] == ["a1", "a2"]
    assert out[1] == fresh
    assert out[0].text_sha256 == new.text_sha256
    r2 = CliRunner().invoke(main, ["validate", str(tmp_path / "out"), "--documents", str(tmp_path / "new")])
    assert r2.exit_code == 0, r2.output


# ---------------------------------------------------------------- files, streaming, CLI


def test_documents_found_in_lookup_folders_and_gzip(tmp_path):
    docs = [document_from_text(TEXT.replace("الموصل", city), doc_id=f"d{i}")
            for i, city in enumerate(["الموصل", "الرقة", "بغداد"])]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/a.jsonl").write_bytes(b"".join(encode(d) + b"\n" for d in docs[:2]))
    with gzip.open(tmp_path / "docs/b.jsonl.gz", "wb") as f:
        f.write(encode(docs[2]) + b"\n")
    anns = [_ann(d, [("GPE", c)], aid=f"a{i}") for i, (d, c) in enumerate(zip(docs, ["الموصل", "الرقة", "بغداد"]))]
    # interleaved so the reader goes back and forth between documents
    order = [anns[2], anns[0], anns[1], msgspec.structs.replace(anns[0], id="a9", annotator="badr")]
    (tmp_path / "ann.jsonl").write_bytes(b"".join(encode(a) + b"\n" for a in order))
    stats = {}
    assert list(validate_paths([tmp_path / "ann.jsonl"], documents=[tmp_path / "docs"], stats=stats)) == []
    assert stats == {"documents": 0, "annotations": 4, "files": 1}
    bad = msgspec.structs.replace(anns[1], id="a10", text_sha256=docs[0].text_sha256)
    (tmp_path / "ann.jsonl").write_bytes(encode(bad) + b"\n")
    assert [p.code for p in validate_paths([tmp_path / "ann.jsonl"], documents=[tmp_path / "docs"])] == ["stale-text"]


def test_lookup_shards_are_found_through_their_index_while_it_describes_them(tmp_path):
    import os

    from corpus.io import ShardWriter

    docs = [document_from_text(TEXT.replace("الموصل", city), doc_id=f"d{i}")
            for i, city in enumerate(["الموصل", "الرقة", "بغداد"])]
    with ShardWriter(tmp_path / "docs", "documents", index=True) as w:  # as ingest writes them
        for d in docs:
            w.write(d)
    anns = [_ann(d, [("GPE", c)], aid=f"a{i}") for i, (d, c) in enumerate(zip(docs, ["الموصل", "الرقة", "بغداد"]))]
    (tmp_path / "ann.jsonl").write_bytes(b"".join(encode(a) + b"\n" for a in anns))

    def codes():
        return [p.code for p in validate_paths([tmp_path / "ann.jsonl"], documents=[tmp_path / "docs"])]

    shard, idx = tmp_path / "docs/documents-00000.jsonl", tmp_path / "docs/documents-00000.idx"
    assert codes() == []
    kept = idx.read_bytes()
    idx.unlink()
    assert codes() == []  # without the index the shard is read line by line: the same answer
    # an index that lies (d0 and d1 swapped) but still matches the shard's size and time is
    # believed: that is what shows it is read
    lie = json.loads(kept)
    lie["offsets"][0], lie["offsets"][1] = lie["offsets"][1], lie["offsets"][0]
    idx.write_text(json.dumps(lie), encoding="utf-8")
    assert codes() != []
    st = shard.stat()
    os.utime(shard, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the shard changed since
    assert codes() == []


def test_duplicates_in_gzip_and_hash_collisions(tmp_path, monkeypatch):
    """Duplicate ids are found from a hash table after each pass; ids that only share a
    hash are not duplicates, and a lookup finds the right one of them."""
    import corpus.validate as v

    monkeypatch.setattr(v, "_h", lambda rid: 7)  # every id collides
    docs = [document_from_text(TEXT.replace("الموصل", c), doc_id=f"d{i}") for i, c in enumerate(["الموصل", "الرقة"])]
    with gzip.open(tmp_path / "docs.jsonl.gz", "wb") as f:
        f.write(b"".join(encode(d) + b"\n" for d in docs + [docs[0]]))
    (tmp_path / "more.jsonl").write_bytes(encode(docs[1]) + b"\n")
    anns = [_ann(docs[0], [("GPE", "الموصل")], aid="a1"), _ann(docs[1], [("GPE", "الرقة")], aid="a2"),
            _ann(docs[1], [("GPE", "الرقة")], aid="a1", annotator="badr")]
    (tmp_path / "ann.jsonl").write_bytes(b"".join(encode(a) + b"\n" for a in anns))
    got = [str(p).replace(str(tmp_path) + "/", "") for p in validate_paths([tmp_path])]
    assert got == [
        "docs.jsonl.gz:3: error duplicate-document: document 'd0', $.id = 'd0': document id 'd0' was seen before, at docs.jsonl.gz:1",
        "more.jsonl:1: error duplicate-document: document 'd1', $.id = 'd1': document id 'd1' was seen before, at docs.jsonl.gz:2",
        "ann.jsonl:3: error duplicate-annotation: document 'd1', annotator 'badr', $.id = 'a1': annotation id 'a1' was seen before, at ann.jsonl:1",
    ]


def test_jobs_give_the_same_problems_in_the_same_order(tmp_path, monkeypatch):
    """Forked workers over pieces of files: same problems, same order, same line numbers."""
    import corpus.validate as v

    monkeypatch.setattr(v, "_CHUNK_BYTES", 700)  # a few lines a piece
    docs = [document_from_text(TEXT.replace("الموصل", c), doc_id=f"d{i}") for i, c in enumerate(["الموصل", "الرقة", "بغداد"])]
    (tmp_path / "docs.jsonl").write_bytes(b"".join(encode(d) + b"\n" for d in docs))
    lines = []
    for i in range(40):
        d = docs[i % 3]
        a = _ann(d, [("GPE", d.text[d.text.index("في ") + 3:d.text.index(".")])], aid=f"a{i % 37}", annotator=f"u{i}")
        if i % 5 == 0:
            a = msgspec.structs.replace(a, entities=[msgspec.structs.replace(a.entities[0], type="CITY")])
        lines.append(encode(a) + b"\n" + (b"\n" if i % 7 == 0 else b""))
    (tmp_path / "ann.jsonl").write_bytes(b"".join(lines))
    (tmp_path / "more.jsonl").write_bytes(b"".join(lines[:5]))
    serial = [str(p) for p in validate_paths([tmp_path / "ann.jsonl", tmp_path / "more.jsonl"], documents=[tmp_path])]
    assert len(list(v._chunks(tmp_path / "ann.jsonl", 0, False))) > 5
    stats = {}
    parallel = [str(p) for p in validate_paths([tmp_path / "ann.jsonl", tmp_path / "more.jsonl"], documents=[tmp_path],
                                              jobs=2, stats=stats)]
    assert parallel == serial
    assert stats["annotations"] == 45
    codes = [line.split(": ")[1] for line in serial]
    assert codes.count("error unknown-entity-type") == 9 and codes.count("error duplicate-annotation") == 8
    assert serial[0].startswith(f"{tmp_path / 'ann.jsonl'}:1: error unknown-entity-type")
    # a{35} is line 36 plus the 5 blank lines after a0, a7, a14, a21, a28
    assert f"{tmp_path / 'ann.jsonl'}:41: error unknown-entity-type" in [line.split(": document")[0] for line in serial]


def test_unreadable_lookup_document_is_reported(tmp_path):
    """Lookup documents are only probed for their id when indexed; one that does not decode
    when read back names the file and byte offset."""
    doc = document_from_text(TEXT, doc_id="d1")
    broken = msgspec.json.decode(encode(doc))
    del broken["tokens"]
    (tmp_path / "docs.jsonl").write_bytes(msgspec.json.encode(broken) + b"\n")
    (tmp_path / "ann.jsonl").write_bytes(encode(_ann(doc, [("GPE", "الموصل")])) + b"\n")
    got = list(validate_paths([tmp_path / "ann.jsonl"], documents=[tmp_path / "docs.jsonl"]))
    assert [p.code for p in got] == ["document-unreadable"]
    assert got[0].message == (f"document 'd1' at {tmp_path / 'docs.jsonl'} (byte 0) cannot be read: "
                              "Object missing required field `tokens`")


def test_cli_exit_status_and_formats(monkeypatch):
    monkeypatch.chdir(CASES_DIR)
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "valid.jsonl"])
    assert ok.exit_code == 0 and ok.stdout == ""
    assert "0 errors, 0 warnings in 1 documents and 1 annotations" in ok.stderr
    warn = runner.invoke(main, ["validate", "token-boundary.jsonl"])
    assert warn.exit_code == 0 and warn.stdout.strip() == _expected("token-boundary")[0][0]
    strict = runner.invoke(main, ["validate", "token-boundary.jsonl", "--strict-tokens"])
    assert strict.exit_code == 1 and strict.stdout.startswith("token-boundary.jsonl:2: error token-boundary")
    bad = runner.invoke(main, ["validate", "many-problems.jsonl", "--format", "json", "-q"])
    assert bad.exit_code == 1 and bad.stderr == ""
    data = json.loads(bad.stdout)
    assert [str(msgspec.convert(d, Problem)) for d in data] == _expected("many-problems")[0]
    assert data[2] == {
        "severity": "error", "code": "unknown-role", "document": "doc-1", "annotator": "amal",
        "path": "$.events[0].arguments[0].role", "value": "'Atacker'", "source": "many-problems.jsonl:2",
        "message": "unknown role 'Atacker' for Conflict.Attack", "hint": "allowed: Attacker, Target, Instrument, Time, Place",
    }
    jl = runner.invoke(main, ["validate", "many-problems.jsonl", "--format", "jsonl", "-q"])
    assert [json.loads(l) for l in jl.stdout.splitlines()] == data
    empty = runner.invoke(main, ["validate", "valid.jsonl", "--format", "json", "-q"])
    assert json.loads(empty.stdout) == []


def test_cli_validates_folders_and_mixed_files(tmp_path):
    for name in ("valid", "role-not-allowed", "stale-text"):
        shutil.copy(CASES_DIR / f"{name}.jsonl", tmp_path / f"{name}.jsonl")
    r = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 1
    codes = [(line.split(":", 1)[0], line.split(": ", 2)[1]) for line in r.stdout.splitlines()]
    # files in sorted order; all documents first (pass 1), then annotations (pass 2);
    # doc-1 and ann-1 are in every file: duplicates are found at the end of each pass
    assert codes == [
        (str(tmp_path / "stale-text.jsonl"), "error duplicate-document"),
        (str(tmp_path / "valid.jsonl"), "error duplicate-document"),
        (str(tmp_path / "role-not-allowed.jsonl"), "error role-not-allowed"),
        (str(tmp_path / "stale-text.jsonl"), "error stale-text"),
        (str(tmp_path / "stale-text.jsonl"), "error duplicate-annotation"),
        (str(tmp_path / "valid.jsonl"), "error duplicate-annotation"),
    ]
    assert r.stdout.splitlines()[-1].endswith(f"annotation id 'ann-1' was seen before, at {tmp_path / 'role-not-allowed.jsonl'}:2")


def test_help_has_an_example():
    r = CliRunner().invoke(main, ["validate", "--help"])
    assert r.exit_code == 0 and "Example" in r.output and "--strict-tokens" in r.output


def test_reanchor_options_need_each_other():
    r = CliRunner().invoke(main, ["validate", str(CASES_DIR / "valid.jsonl"), "--reanchor"])
    assert r.exit_code == 2 and "--reanchor needs --previous-documents and --out" in r.output


def test_missing_empty_lists_are_schema_errors_and_encode_writes_them():
    """The schema requires entities, events and arguments even when empty; a line without
    them is an error, and encode (used by every writer of ours) writes them."""
    doc = document_from_text(TEXT, doc_id="d1")
    t = doc.text.index("استهدفت")
    ann = _ann(doc, [], events=[Event(id="v1", type="Conflict.Attack", arguments=[],
                                      trigger=Trigger(start=t, end=t + 7, text="استهدفت"))])
    line = encode(ann)
    obj = json.loads(line)
    assert obj["entities"] == [] and obj["events"][0]["arguments"] == []
    assert list(validate_records([doc], [line])) == []
    assert list(validate_records([doc], [ann])) == []
    del obj["events"][0]["arguments"]
    del obj["entities"]
    assert [(p.path, p.message) for p in validate_records([doc], [json.dumps(obj)])] == [
        ("$", 'does not match the annotation schema: "entities" is a required property'),
        ("$.events[0]", 'does not match the annotation schema: "arguments" is a required property'),
    ]


@pytest.mark.parametrize(("word", "start", "end", "ok"), [
    ("وقال", 1, 4, True),        # conjunction و
    ("للجماعة", 1, 7, True),      # preposition ل before the article
    ("والموصل", 3, 7, True),      # و + article
    ("مناقشاته", 0, 7, True),     # pronoun suffix ه
    ("قوات", 1, 4, False),        # not a clitic
    ("استهدفت", 0, 5, False),     # a verb cut before its last two letters
])
def test_clitic_cuts_are_not_token_problems(word, start, end, ok):
    from corpus.validate import _clitic_cut

    cut_start = start > 0 and _clitic_cut(word, "start", start, 0, len(word))
    cut_end = end < len(word) and _clitic_cut(word, "end", end, 0, len(word))
    assert ((start == 0 or cut_start) and (end == len(word) or cut_end)) is ok


# ---------------------------------------------------------------- fast paths agree with the slow ones


def _strict_mutations(obj: dict):
    """Variants of a valid annotation at the edges of the schema and of records.Annotation."""
    def m(path, value, delete=False):
        o = json.loads(json.dumps(obj))
        target = o
        for key in path[:-1]:
            target = target[key]
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return o
    yield obj
    yield m(["schema_version"], "1.0.1")
    yield m(["id"], "")
    yield m(["annotator"], "")
    yield m(["text_sha256"], obj["text_sha256"] + "\n")  # re's $ would let this through
    yield m(["text_sha256"], obj["text_sha256"].upper())
    yield m(["status"], "done")
    yield m(["ground_truth"], None)
    yield m(["ground_truth"], True)
    yield m(["created_at"], None)
    yield m(["lead_time"], -1)
    yield m(["lead_time"], 2)
    yield m(["lead_time"], None)
    yield m(["notes"], None)
    yield m(["origin"], None)
    yield m(["origin"], {})                                   # schema-valid, not an Annotation
    yield m(["origin"], {"kind": "labelstudio", "task": 7})
    yield m(["origin"], {"kind": "labelstudio", "task": 7.0})  # an integer to the schema only
    yield m(["origin"], {"kind": "elsewhere"})
    yield m(["provenance"], None)
    yield m(["provenance"], {"annotators": ["a"]})
    yield m(["provenance"], {"policy": "majority", "annotators": ["a"], "annotations": []})
    yield m(["ontology", "extra"], 1)
    yield m(["ontology"], None, delete=True)
    yield m(["extra_field"], True)
    yield m(["entities", 0, "start"], -1)
    yield m(["entities", 0, "start"], 1.0)
    yield m(["entities", 0, "start"], True)
    yield m(["entities", 0, "id"], "")
    yield m(["entities", 0, "type"], "")
    yield m(["entities", 0, "level"], None)
    yield m(["entities", 0, "level"], "NAM")
    yield m(["entities", 0, "level"], "XYZ")
    yield m(["entities", 0, "agreed_by"], None)
    yield m(["entities", 0, "agreed_by"], ["a", "b"])
    yield m(["entities", 0, "text"], None, delete=True)
    yield m(["events", 0, "attributes"], None)
    yield m(["events", 0, "attributes"], {"Tense": 1})
    yield m(["events", 0, "trigger", "end"], -3)
    yield m(["events", 0, "trigger", "extra"], 0)
    yield m(["events", 0, "arguments", 0, "role"], "")
    yield m(["events", 0, "arguments", 0, "agreed_by"], None)
    yield m(["events", 0, "arguments"], None)
    yield m(["events", 0, "agreed_by"], ["x"])


def _plain(value):
    """A record as builtins without what records.Annotation leaves out (its defaults)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()
                if v is not None and not (k == "ground_truth" and v is False)
                and not (k in ("annotators", "annotations") and v == [])}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_strict_structs_accept_only_what_schema_and_struct_accept():
    """A line the strict structs decode skips jsonschema and msgspec.convert, so each one
    they accept must pass both and give the same Annotation; what they refuse takes the
    slow path. The structs are in use for the current schema (a changed schema turns them
    off: update them and _STRICT_SCHEMA_SHA256 together)."""
    import jsonschema_rs
    from corpus.validate import _StrictAnnotation, _strict_decoder

    strict = _strict_decoder()
    assert strict is not None
    reference = jsonschema_rs.validator_for(load_schema("annotation"))
    doc = document_from_text(TEXT, doc_id="d1")
    t = doc.text.index("استهدفت")
    base = json.loads(encode(_ann(doc, [("PER", "كارترُ"), ("GPE", "الموصل")], events=[
        Event(id="v1", type="Conflict.Attack", trigger=Trigger(start=t, end=t + 7, text="استهدفت"),
              arguments=[Argument(role="Place", entity="e2")], attributes={"Tense": "PAST"})])))
    accepted = refused = 0
    for obj in _strict_mutations(base):
        line = json.dumps(obj, ensure_ascii=False).encode()
        try:
            fast = strict.decode(line)
        except msgspec.ValidationError:
            refused += 1
            continue
        accepted += 1
        assert reference.is_valid(obj), obj
        slow = msgspec.convert(obj, Annotation)
        assert isinstance(fast, _StrictAnnotation)
        assert _plain(msgspec.to_builtins(fast)) == _plain(msgspec.to_builtins(slow)), obj
    assert (accepted, refused) == (12, 32)


def test_strict_and_slow_paths_give_the_same_problems(tmp_path, monkeypatch):
    """The whole run with the strict structs turned off gives the same problems."""
    import corpus.validate as v

    cases = [CASES_DIR / f"{name}.jsonl" for name in CASES]
    fast = [str(p) for p in validate_paths(cases)]
    monkeypatch.setattr(v, "_strict_state", [None])
    assert [str(p) for p in validate_paths(cases)] == fast


def test_token_bounds_ignore_positions_outside_the_text():
    """Token positions below 0 or past the text mark nothing (numpy would count -1 from the
    end, and a position past the bitmap is an IndexError)."""
    from corpus.validate import _DocView

    text = "ab cd ef"
    for tokens in (b"[[0,2],[3,5],[6,8]]", b"[[0,2],[3,5],[6,8],[9,12]]", b"[[-1,2],[3,5],[6,9]]",
                   b"[[0, 2], [3, 5], [6, 80]]"):
        view = _DocView("d", text, msgspec.Raw(tokens))
        marks = {int(x) for x in view.flat if 0 <= x <= len(text)}
        assert view.bounds == bytes(1 if p in marks else 0 for p in range(len(text) + 1)), tokens
        same = _DocView("d", text, msgspec.json.decode(tokens))
        assert same.bounds == view.bounds and list(same.flat) == list(view.flat)


def test_lines_read_back_longer_than_the_first_read(tmp_path, monkeypatch):
    import corpus.validate as v

    monkeypatch.setattr(v, "_READ_GUESS", 16)
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"short\n" + b"x" * 100 + b"\n" + b"last line, no newline")
    files = v._Files([path])
    try:
        assert files.line_at(0) == b"short\n"
        assert files.line_at(6) == b"x" * 100 + b"\n"
        assert files.line_at(107) == b"last line, no newline"
    finally:
        files.close()


def test_a_number_no_float_holds_is_a_json_problem_not_a_crash(tmp_path):
    doc = document_from_text(TEXT, doc_id="d1")
    ann = json.loads(encode(_ann(doc, [("GPE", "الموصل")])))
    ann["lead_time"] = 1.0
    bad_doc = json.loads(encode(document_from_text(TEXT, doc_id="d2")))
    bad_doc["raw_length"] = 1.0
    lines = [json.dumps(ann).replace('"lead_time": 1.0', '"lead_time": 1e400'),
             json.dumps(bad_doc, ensure_ascii=False).replace('"raw_length": 1.0', '"raw_length": 1e400')]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = list(validate_paths([tmp_path / "mixed.jsonl"]))
    assert sorted((p.code, p.source) for p in problems if p.code == "json") == [
        ("json", f"{tmp_path / 'mixed.jsonl'}:1"), ("json", f"{tmp_path / 'mixed.jsonl'}:2")]

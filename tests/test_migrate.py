"""Migrations from the pre-release 0.9.0 shape to the current schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus import records
from corpus.cli import main
from corpus.errors import SchemaError
from corpus.migrate import migrate_record

DATA = Path(__file__).parent / "data" / "migrate"


def test_cli_migrates_older_fixtures_into_valid_current_records(tmp_path):
    result = CliRunner().invoke(main, ["migrate", str(DATA), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "annotation-0.9.0.jsonl: 1 records at schema_version 1.0.0" in result.output
    doc = records.decode_document((tmp_path / "document-0.9.0.jsonl").read_bytes())
    ann = records.decode_annotation((tmp_path / "annotation-0.9.0.jsonl").read_bytes())
    assert doc.schema_version == ann.schema_version == "1.0.0"
    assert doc.source.path == "seeds/old.txt" and doc.metadata.title == "خبر قديم"
    assert doc.edits[0] == (0, 1, 0, 0) and doc.removed[0].reason == "boilerplate"
    assert [doc.text[s:e] for s, e in doc.tokens][:2] == ["قال", "كارتر"]
    assert [(e.type, e.level) for e in ann.entities] == [("PER", "NAM"), ("ORG", "NOM"), ("GPE", None)]
    assert [(a.role, a.entity) for a in ann.events[0].arguments] == [("Attacker", "e2"), ("Place", "e3")]
    assert ann.status == "submitted" and ann.text_sha256 == doc.text_sha256
    # the inputs are untouched
    assert json.loads((DATA / "annotation-0.9.0.jsonl").read_text())["schema_version"] == "0.9.0"


def test_current_records_pass_through_unchanged():
    old = json.loads((DATA / "annotation-0.9.0.jsonl").read_text())
    new = migrate_record(old)
    assert migrate_record(json.loads(json.dumps(new))) == new


def test_unknown_version_names_the_known_ones():
    with pytest.raises(SchemaError, match=r"no migration for a document of schema_version '0.1.0'; known: 0.9.0, 1.0.0"):
        migrate_record({"schema_version": "0.1.0", "text": "x"})


def test_bad_records_are_named_kept_and_the_rest_goes_through(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good = (DATA / "annotation-0.9.0.jsonl").read_text(encoding="utf-8")
    (src / "bad.jsonl").write_text('{"schema_version": "0.9.0", "id": "a", "document_id": "d"}\n{"text": "x"\n' + good,
                                   encoding="utf-8")
    (src / "rejects.jsonl").write_text('{"not": "a record"}\n', encoding="utf-8")  # a report, not read
    result = CliRunner().invoke(main, ["migrate", str(src), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"rejected: {src / 'bad.jsonl'}:1: after migration to 1.0.0: $: ")
    assert lines[1].startswith(f"rejected: {src / 'bad.jsonl'}:2: malformed JSON")
    assert len((tmp_path / "out" / "bad.jsonl").read_text().splitlines()) == 1  # the good record went through
    rejects = [json.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert [r["source"] for r in rejects] == [f"{src / 'bad.jsonl'}:1", f"{src / 'bad.jsonl'}:2"]


def test_never_in_place(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_text((DATA / "annotation-0.9.0.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    before = (src / "a.jsonl").read_bytes()
    for out in (src, src / "sub"):
        result = CliRunner().invoke(main, ["migrate", str(src), "--out", str(out)])
        assert result.exit_code == 1
        assert f"the output folder is inside the input {src}: migrate never rewrites in place" in result.output
    result = CliRunner().invoke(main, ["migrate", str(src / "a.jsonl"), "--out", str(src)])
    assert result.exit_code == 1 and "the output would overwrite this input" in result.output
    assert (src / "a.jsonl").read_bytes() == before


def test_document_id_pattern_is_the_schemas():
    from corpus.records import DOC_ID
    from corpus.schemas import load_schema

    assert DOC_ID.pattern == load_schema("document")["properties"]["id"]["pattern"]

"""JSONL helpers: record files vs reports beside them, atomic writes, shards."""

from __future__ import annotations

import pytest

from corpus.errors import InputError
from corpus.io import ShardWriter, atomic_write, iter_jsonl, jsonl_files
from corpus.records import decode_document
from corpus.ingest import document_from_text


def test_folders_yield_records_not_reports(tmp_path):
    for name in ("documents-00000.jsonl", "rejects.jsonl", "duplicates.jsonl", ".hidden.jsonl", "sub/gold-00000.jsonl"):
        atomic_write(tmp_path / name, b"")
    assert [p.relative_to(tmp_path).as_posix() for p in jsonl_files([tmp_path])] == ["documents-00000.jsonl", "sub/gold-00000.jsonl"]
    # a report named directly is read: the caller asked for it
    assert list(jsonl_files([tmp_path / "rejects.jsonl"])) == [tmp_path / "rejects.jsonl"]


def test_missing_path_is_named(tmp_path):
    with pytest.raises(InputError, match=r"nope: no such file or directory"):
        list(jsonl_files([tmp_path / "nope"]))


def test_shards_are_sealed_by_size_and_bad_lines_named(tmp_path):
    docs = [document_from_text(f"نص رقم {i}.", doc_id=f"d{i}") for i in range(5)]
    with ShardWriter(tmp_path, "documents", shard_size=2) as w:
        for d in docs:
            w.write(d)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents-00000.jsonl", "documents-00001.jsonl", "documents-00002.jsonl"]
    assert [d.id for d, _, _ in iter_jsonl([tmp_path], decode_document)] == [f"d{i}" for i in range(5)]
    (tmp_path / "documents-00001.jsonl").write_text('{"id": 1}\n')
    with pytest.raises(InputError, match=r"documents-00001.jsonl:1: "):
        list(iter_jsonl([tmp_path], decode_document))


def test_a_failed_writer_leaves_no_shard(tmp_path):
    with pytest.raises(RuntimeError):
        with ShardWriter(tmp_path, "documents") as w:
            w.write(document_from_text("نص.", doc_id="x"))
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_the_usual_mode_not_mkstemps_0600(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.json", "{}")
        with ShardWriter(tmp_path, "documents") as w:
            w.write(document_from_text("نص.", doc_id="x"))
    finally:
        os.umask(mask)
    import corpus.io as io_mod

    expected = io_mod._MODE
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == expected
    assert (tmp_path / "documents-00000.jsonl").stat().st_mode & 0o777 == expected

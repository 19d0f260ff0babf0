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

    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        old = os.umask(umask)
        try:
            atomic_write(tmp_path / f"a{umask}.json", "{}")
            with ShardWriter(tmp_path / f"s{umask}", "documents") as w:
                w.write(document_from_text("نص.", doc_id="x"))
        finally:
            os.umask(old)
        assert (tmp_path / f"a{umask}.json").stat().st_mode & 0o777 == mode
        assert (tmp_path / f"s{umask}" / "documents-00000.jsonl").stat().st_mode & 0o777 == mode


def test_a_run_with_fewer_shards_replaces_the_earlier_ones_and_a_failed_one_changes_nothing(tmp_path):
    with ShardWriter(tmp_path, "documents", shard_size=1) as w:
        for i in range(3):
            w.write(document_from_text(f"نص {i}.", doc_id=f"d{i}"))
    with ShardWriter(tmp_path, "documents", shard_size=2) as w:
        w.write(document_from_text("جديد.", doc_id="n"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents-00000.jsonl"]
    before = (tmp_path / "documents-00000.jsonl").read_bytes()
    with pytest.raises(KeyboardInterrupt):
        with ShardWriter(tmp_path, "documents", shard_size=1) as w:
            for i in range(3):
                w.write(document_from_text(f"آخر {i}.", doc_id=f"x{i}"))
            raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents-00000.jsonl"]
    assert (tmp_path / "documents-00000.jsonl").read_bytes() == before


def test_shard_index_points_at_each_record_and_goes_stale_with_its_shard(tmp_path):
    import os

    from corpus.io import read_shard_index

    docs = [document_from_text(f"نص رقم {i}.", doc_id=f"d{i}") for i in range(5)]
    with ShardWriter(tmp_path, "documents", shard_size=2, index=True) as w:
        for d in docs[:4]:
            w.write(d)
        w.write_line(b'{"id":"d4"}', "d4")  # an encoded line with its key
    shards = sorted(tmp_path.glob("documents-*.jsonl"))
    assert [p.name for p in sorted(tmp_path.glob("documents-*.idx"))] == [p.with_suffix(".idx").name for p in shards]
    for shard in shards:
        idx = read_shard_index(shard)
        data = shard.read_bytes()
        for key, offset in zip(idx.keys, idx.offsets):
            line = data[offset:data.index(b"\n", offset)]
            assert (b'"id":"%s"' % key.encode()) in line
    assert read_shard_index(shards[0]).keys == ["d0", "d1"] and read_shard_index(shards[2]).keys == ["d4"]
    with open(shards[1], "ab") as f:  # the shard changed: its index no longer describes it
        f.write(b"\n")
    assert read_shard_index(shards[1]) is None
    st = shards[0].stat()
    os.utime(shards[0], ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert read_shard_index(shards[0]) is None
    # a later, smaller run leaves no index of a shard that is gone; an unindexed run none at all
    with ShardWriter(tmp_path, "documents", shard_size=2, index=True) as w:
        w.write(docs[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents-00000.idx", "documents-00000.jsonl"]
    with ShardWriter(tmp_path, "documents") as w:
        w.write(docs[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents-00000.jsonl"]
    with pytest.raises(ValueError, match="needs the key"):
        with ShardWriter(tmp_path / "k", "documents", index=True) as w:
            w.write_line(b"{}")


def test_record_files_in_hidden_folders_are_not_records(tmp_path):
    # a run killed before it cleaned up leaves its staging or spool folder behind
    (tmp_path / ".ingest-spool-x").mkdir()
    (tmp_path / ".ingest-spool-x" / "tmpab12.jsonl").write_text("{}\n")
    (tmp_path / "sub" / ".staging").mkdir(parents=True)
    (tmp_path / "sub" / ".staging" / "documents-00000.jsonl").write_text("{}\n")
    (tmp_path / "documents-00000.jsonl").write_text("{}\n")
    (tmp_path / "sub" / "more.jsonl").write_text("{}\n")
    assert [p.relative_to(tmp_path).as_posix() for p in jsonl_files([tmp_path])] == ["documents-00000.jsonl", "sub/more.jsonl"]

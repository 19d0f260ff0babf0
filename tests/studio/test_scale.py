"""Pull and push at scale, on the real server: exports by chunks of task ids, incremental
pulls (only the tasks updated since the last pull), deletions noticed, memory-light
document look-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.ontology import load_ontology
from corpus.records import decode_annotation
from corpus.studio.pull import DocumentTexts, _users, convert_tasks, export_project, pull_project, pull_tasks
from corpus.studio.push import TaskMap, push, server_tasks, split_document

pytestmark = pytest.mark.studio

ONT = load_ontology()


def _span(text: str, word: str, label: str = "GPE", rid: str = "r") -> dict:
    s = text.index(word)
    return {"id": rid, "from_name": "entity", "to_name": "text", "type": "labels",
            "value": {"start": s, "end": s + len(word), "text": word, "labels": [label]}}


@pytest.fixture()
def project(studio, ls, request):
    """Eight documents pushed (the first split into several tasks), six of them annotated."""
    title = f"scale {request.node.name}"[:50]
    long_text = " ".join(f"الجملة رقم {i} عن اجتماع الوزراء في باريس." for i in range(12))
    docs = [document_from_text(long_text, doc_id="s-long")]
    docs += [document_from_text(f"الخبر رقم {i}: اجتمع الوزير في بغداد مع نظيره.", doc_id=f"s{i}") for i in range(7)]
    rep = push(ls, docs, ONT, project_title=title, data_dir=studio.data_dir, max_task_chars=200, batch_size=3)
    assert rep.imported_tasks == len(split_document(docs[0], 200)) + 7
    tasks = {(t["data"]["doc_id"], t["data"]["part"]): t["id"] for t in server_tasks(ls, rep.project)}
    anns = {}
    for key in [("s-long", 0), ("s-long", 2), ("s0", 0), ("s1", 0), ("s2", 0), ("s3", 0)]:
        part_text = next(p.text for p in split_document(docs[0], 200) if p.index == key[1]) if key[0] == "s-long" \
            else next(d.text for d in docs if d.id == key[0])
        word = "باريس" if key[0] == "s-long" else "بغداد"
        anns[key] = ls.annotations.create(id=tasks[key], result=[_span(part_text, word)], lead_time=1.0)
    return rep.project, docs, tasks, anns


def _records(out: Path) -> dict[str, list]:
    return {f.name: [decode_annotation(line) for line in f.read_bytes().splitlines()] for f in sorted(out.glob("*.jsonl"))}


def test_chunked_export_gives_the_same_records_as_one_export(studio, ls, project, tmp_path):
    pid, docs, tasks, _ = project
    # chunks of 2 tasks: the split document (4 tasks) still goes in one export, whole
    chunked = pull_project(ls, pid, ONT, tmp_path / "chunked", data_dir=studio.data_dir, chunk_size=2)
    assert chunked.full and chunked.export_calls == 3  # [s-long], [s0, s1], [s2, s3]
    # one export of the whole project (annotated tasks only: the documents give the text)
    one = pull_tasks(export_project(ls, pid), ONT, tmp_path / "one", project=pid, users=_users(ls),
                     documents={d.id: d for d in docs})
    assert chunked.records == one.records == 5 and chunked.annotations == one.annotations == 6
    assert _records(tmp_path / "chunked") == _records(tmp_path / "one")
    long = _records(tmp_path / "chunked")["s-long.jsonl"][0]
    text = docs[0].text
    assert len(long.entities) == 2 and all(text[e.start:e.end] == "باريس" for e in long.entities)
    # all parts of every annotated document were exported: no document needed for the text
    assert chunked.tasks == len(split_document(docs[0], 200)) + 4


def test_incremental_pull_exports_only_the_changed_tasks(studio, ls, project, tmp_path):
    pid, docs, tasks, anns = project
    out = tmp_path / "out"
    first = pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert first.full and first.reason == "first pull into this folder" and len(first.written) == 5
    # the state: the server time of the newest task change, and per exported task its updated_at
    from corpus.studio.api import list_tasks
    from corpus.studio.pull import _State

    listed = {t["id"]: t["updated_at"] for t in list_tasks(ls, pid, "id,updated_at")}
    state = _State.load(studio.data_dir, pid, out)
    assert state.cursor == max(listed.values())
    assert {int(k): v[0] for k, v in state.tasks.items()} == {t: listed[t] for t in map(int, state.tasks)}
    assert len(state.tasks) == len(split_document(docs[0], 200)) + 4
    mtimes = {f: f.stat().st_mtime_ns for f in out.glob("*.jsonl")}

    again = pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert not again.full and again.changed_tasks == again.tasks == again.export_calls == 0

    # one new annotation on a document nobody had annotated, one edit: two tasks exported
    s5 = next(d for d in docs if d.id == "s5")
    ls.annotations.create(id=tasks[("s5", 0)], result=[_span(s5.text, "بغداد")], lead_time=2.0)
    s0 = next(d for d in docs if d.id == "s0")
    ls.annotations.update(id=anns[("s0", 0)].id, result=[_span(s0.text, "الوزير", "PER")])
    inc = pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert not inc.full and inc.changed_tasks == 2 and inc.tasks == 2 and inc.export_calls == 1
    assert sorted(p.name for p in inc.written) == ["s0.jsonl", "s5.jsonl"]
    assert {f for f in mtimes if f.stat().st_mtime_ns != mtimes[f]} == {out / "s0.jsonl"}
    (rec,) = _records(out)["s0.jsonl"]
    assert [(e.type, e.text) for e in rec.entities] == [("PER", "الوزير")]

    # a change in one part of the split document exports all its parts (to stitch them)
    part1 = split_document(docs[0], 200)[1]
    ls.annotations.create(id=tasks[("s-long", 1)], result=[_span(part1.text, "باريس")])
    inc = pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert inc.changed_tasks == 1 and inc.tasks == len(split_document(docs[0], 200))
    (rec,) = _records(out)["s-long.jsonl"]
    assert len(rec.entities) == 3 and all(docs[0].text[e.start:e.end] == "باريس" for e in rec.entities)

    # another folder has its own state: its first pull is full
    other = pull_project(ls, pid, ONT, tmp_path / "other", data_dir=studio.data_dir)
    assert other.full and len(other.written) == 6


def test_deleted_annotations_and_tasks_are_noticed(studio, ls, project, tmp_path):
    pid, docs, tasks, anns = project
    out = tmp_path / "out"
    pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert (out / "s1.jsonl").exists() and (out / "s2.jsonl").exists()
    # a second annotator on s3, then the first one's annotation deleted: s3 keeps one record
    user = ls.users.create(email="scale-second@example.com", username="scale-second")
    s3 = next(d for d in docs if d.id == "s3")
    ls.annotations.create(id=tasks[("s3", 0)], result=[_span(s3.text, "الوزير", "PER")], completed_by=user.id)
    pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert len(_records(out)["s3.jsonl"]) == 2

    ls.annotations.delete(id=anns[("s1", 0)].id)   # s1 has no annotation left
    ls.annotations.delete(id=anns[("s3", 0)].id)   # s3 keeps the second annotator's
    ls.tasks.delete(id=tasks[("s2", 0)])           # s2's task is gone altogether
    inc = pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert not inc.full and inc.deleted_tasks == 1
    assert inc.tasks == 2  # s1 and s3; s2 has no task left to export
    assert sorted(p.name for p in inc.removed) == ["s1.jsonl", "s2.jsonl"]
    assert not (out / "s1.jsonl").exists() and not (out / "s2.jsonl").exists()
    assert [r.annotator for r in _records(out)["s3.jsonl"]] == ["scale-second@example.com"]

    # a record of another origin in a document's file is never dropped with the pulled ones
    foreign = _records(out)["s0.jsonl"][0]
    import msgspec

    from corpus.records import encode
    keep = msgspec.structs.replace(foreign, id="imported-s0", origin=None, annotator="importer")
    (out / "s0.jsonl").write_bytes((out / "s0.jsonl").read_bytes() + encode(keep) + b"\n")
    ls.annotations.delete(id=anns[("s0", 0)].id)
    inc = pull_project(ls, pid, ONT, out, data_dir=studio.data_dir)
    assert [r.id for r in _records(out)["s0.jsonl"]] == ["imported-s0"] and not inc.removed

    # --full agrees with what the incremental pulls made
    full = pull_project(ls, pid, ONT, out, data_dir=studio.data_dir, full=True)
    assert full.full and not full.written and not full.removed


def test_lost_task_map_and_foreign_task(studio, ls, project, tmp_path):
    """Without the push's map (another machine, a lost file) the pull rebuilds it from the
    server; a task not made by corpus push is a reject, not a crash."""
    pid, docs, tasks, _ = project
    TaskMap.load(studio.data_dir, pid).path.unlink()
    res = ls.projects.import_tasks(pid, request=[{"data": {"text": "نص بلا معرف"}}], return_task_ids=True)
    (tid,) = res.task_ids
    ls.annotations.create(id=tid, result=[], lead_time=1.0)
    rep = pull_project(ls, pid, ONT, tmp_path / "out", data_dir=studio.data_dir)
    assert rep.records == 5 and [r.task for r in rep.rejects] == [tid]
    assert "no data.doc_id" in rep.rejects[0].reason
    n = len(split_document(docs[0], 200))
    assert TaskMap.load(studio.data_dir, pid).task_ids("s-long") == {p: tasks[("s-long", p)] for p in range(n)}


def test_document_texts_reads_only_what_is_asked(tmp_path):
    docs = [document_from_text(f"نص رقم {i}.", doc_id=f"d{i}") for i in range(5)]
    write_jsonl(tmp_path / "a" / "documents-00000.jsonl", docs[:3])
    write_jsonl(tmp_path / "a" / "documents-00001.jsonl", docs[3:])
    texts = DocumentTexts([tmp_path / "a", tmp_path / "missing"])
    assert texts.get("d4").text == docs[4].text and texts.get("d4").text_sha256 == docs[4].text_sha256
    assert texts.get("d0").text == docs[0].text and texts.get("nope") is None
    # a task whose part is missing from the export takes its text from the documents
    task = {"id": 1, "data": {"text": "نص", "doc_id": "d1", "part": 0, "parts": 2, "offset": 0,
                              "text_sha256": docs[1].text_sha256},
            "annotations": [{"id": 1, "completed_by": "x", "result": [
                {"id": "r", "from_name": "entity", "to_name": "text", "type": "labels",
                 "value": {"start": 0, "end": 2, "text": "نص", "labels": ["GPE"]}}]}]}
    conv = convert_tasks([task], ONT, documents=texts)
    assert conv.records["d1"][0].text_sha256 == docs[1].text_sha256 and not conv.unbound
    conv = convert_tasks([task], ONT, documents=DocumentTexts([]))
    assert conv.unbound == {"d1"} and conv.rejects

"""push / pull / status against a real Label Studio server (the session server of tests/conftest.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.cli import main
from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.ontology import load_ontology
from corpus.records import decode_annotation
from corpus.studio.push import TaskMap, find_project, server_tasks, split_document

pytestmark = pytest.mark.studio

ONT = load_ontology()
REPO = Path(__file__).resolve().parents[2]

# emoji (one and two code points) before the entities: offsets must still be Python indices
TEXT_A = ("😀🇮🇶 قال كارتر إن قوات التحالف استهدفت قادة في الموصل.\n\n"
          "وأكد العبادي ذلك في بغداد. ثم عاد الوزير إلى واشنطن.")


def _docs(tmp_path: Path, n_long_sentences: int = 12) -> tuple[Path, list]:
    long_text = " ".join(f"الجملة رقم {i} عن اجتماع الوزراء في باريس." for i in range(n_long_sentences))
    docs = [document_from_text(TEXT_A, doc_id="doc-a"), document_from_text(long_text, doc_id="doc-long")]
    folder = tmp_path / "documents"
    write_jsonl(folder / "documents-00000.jsonl", docs)
    return folder, docs


def _cli(studio, *args, project: str):
    runner = CliRunner()
    res = runner.invoke(main, [*args, "--data-dir", str(studio.data_dir), "--port", str(studio.port),
                               "--project", project], catch_exceptions=False)
    return res


def _region(rid, group, text, s, e, label):
    return {"id": rid, "from_name": group, "to_name": "text", "type": "labels",
            "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]}}


def _choice(rid, group, text, s, e, value):
    return {"id": rid, "from_name": group, "to_name": "text", "type": "choices",
            "value": {"start": s, "end": e, "text": text[s:e], "choices": [value]}}


def _at(text, s):
    i = text.index(s)
    return i, i + len(s)


def test_status_credentials_and_no_secrets_exposed(studio, ls):
    creds_path = studio.data_dir / "credentials.json"
    assert creds_path.stat().st_mode & 0o777 == 0o600
    creds = json.loads(creds_path.read_text())
    res = CliRunner().invoke(main, ["studio", "status", "--data-dir", str(studio.data_dir), "--port", str(studio.port),
                                    "--project", "no such project here"])
    assert res.exit_code == 0, res.output
    assert studio.url in res.output and "label-studio 1.23.2" in res.output
    assert "does not exist yet" in res.output
    # secrets: not in the output, not in the server log, not on the server's command line
    pid = json.loads((studio.data_dir / "server.json").read_text())["pid"]
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    log = (studio.data_dir / "server.log").read_text()
    for secret in (creds["password"], creds["token"]):
        assert secret not in res.output and secret not in log and secret not in cmdline
    assert "--internal-host\x00127.0.0.1" in cmdline


def test_push_pull_round_trip_two_annotators_cancelled_and_rejects(studio, ls, tmp_path):
    project = "round trip"
    docs_dir, docs = _docs(tmp_path)
    res = _cli(studio, "push", str(docs_dir), "--max-task-chars", "200", "--quiet", project=project)
    assert res.exit_code == 0, res.output
    p = find_project(ls, project)
    tasks = {(t["data"]["doc_id"], t["data"]["part"]): t["id"] for t in server_tasks(ls, p.id)}
    n_long = len(split_document(docs[1], 200))
    assert n_long > 1 and len(tasks) == 1 + n_long

    text = TEXT_A
    # annotator 1 (admin): entities, a trigger with an attribute, relations, one bad region
    ks, ke = _at(text, "كارتر")
    qs, qe = _at(text, "قوات التحالف")
    ts, te = _at(text, "استهدفت")
    ms, me = _at(text, "الموصل")
    assert ks == 8  # after "😀🇮🇶 قال "
    result = [
        _region("k", "entity", text, ks, ke, "PER"), _choice("k", "level", text, ks, ke, "NAM"),
        _region("q", "entity", text, qs, qe, "ORG"),
        _region("t", "trigger", text, ts, te, "Conflict.Attack"), _choice("t", "attr_Polarity", text, ts, te, "POSITIVE"),
        _region("m", "entity", text, ms, me, "GPE"),
        {"from_id": "t", "to_id": "q", "type": "relation", "direction": "right", "labels": ["Attacker"]},
        {"from_id": "t", "to_id": "m", "type": "relation", "direction": "right", "labels": ["Place"]},
        _region("bad", "entity", text, 0, 3, "Person"),                       # unknown label
        {"from_id": "t", "to_id": "ghost", "type": "relation", "labels": ["Target"]},  # missing region
    ]
    a1 = ls.annotations.create(id=tasks[("doc-a", 0)], result=result, lead_time=42.0)
    # annotator 2: another user on the same task, and a cancelled (skipped) annotation on another
    user2 = ls.users.create(email="second@example.com", username="second")
    bs, be = _at(text, "العبادي")
    ls.annotations.create(id=tasks[("doc-a", 0)], result=[_region("b", "entity", text, bs, be, "PER")],
                          completed_by=user2.id, lead_time=5.0)
    ls.annotations.create(id=tasks[("doc-long", 0)], result=[], was_cancelled=True, completed_by=user2.id)
    # a split document: regions in two parts come back in document offsets
    long_text = docs[1].text
    parts = split_document(docs[1], 200)
    r1 = []
    for part in parts[:2]:
        s = part.text.index("باريس")
        r1.append((part, s))
        ls.annotations.create(id=tasks[("doc-long", part.index)],
                              result=[_region(f"p{part.index}", "entity", part.text, s, s + 5, "GPE")])
    # a region whose offsets do not match its text (bad offsets)
    ls.annotations.create(id=tasks[("doc-long", 2)], result=[
        {"id": "off", "from_name": "entity", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 5, "text": "nope!", "labels": ["LOC"]}}])

    out = tmp_path / "annotations"
    rejects = tmp_path / "rejects.jsonl"
    res = _cli(studio, "pull", "--out", str(out), "--documents", str(docs_dir), "--rejects", str(rejects),
               project=project)
    assert res.exit_code == 1  # rejects exist
    assert f"task {tasks[('doc-a', 0)]}, annotation {a1.id}, region 'bad'" in res.stderr
    recs = [decode_annotation(line) for f in sorted(out.glob("*.jsonl")) for line in f.read_bytes().splitlines()]
    by = {(r.document_id, r.annotator): r for r in recs}
    assert set(by) == {("doc-a", "admin@corpus.local"), ("doc-a", "second@example.com"),
                       ("doc-long", "admin@corpus.local"), ("doc-long", "second@example.com")}
    a = by[("doc-a", "admin@corpus.local")]
    assert a.status == "submitted" and a.lead_time == 42.0 and a.text_sha256 == docs[0].text_sha256
    assert [(e.type, e.start, e.end, e.text, e.level) for e in a.entities] == [
        ("PER", ks, ke, "كارتر", "NAM"), ("ORG", qs, qe, "قوات التحالف", None), ("GPE", ms, me, "الموصل", None)]
    (ev,) = a.events
    assert (ev.type, ev.trigger.start, ev.trigger.text, ev.attributes) == ("Conflict.Attack", ts, "استهدفت",
                                                                          {"Polarity": "POSITIVE"})
    assert sorted((x.role, x.entity) for x in ev.arguments) == [("Attacker", "q"), ("Place", "m")]
    assert a.origin.task == tasks[("doc-a", 0)] and a.origin.annotation == a1.id and a.id == f"ls-p{p.id}-t{a.origin.task}-a{a1.id}"
    b = by[("doc-a", "second@example.com")]
    assert [e.text for e in b.entities] == ["العبادي"] and b.entities[0].start == bs
    long_admin = by[("doc-long", "admin@corpus.local")]
    assert [(e.start, e.end) for e in long_admin.entities] == [(p.offset + s, p.offset + s + 5) for p, s in r1]
    assert all(long_text[e.start:e.end] == "باريس" for e in long_admin.entities)
    # the skipped part makes no cancelled document: the admin's parts are submitted, the
    # second annotator skipped the only part they touched
    assert by[("doc-long", "second@example.com")].status == "cancelled"
    kept = [json.loads(line) for line in rejects.read_text().splitlines()]
    reasons = {(r.get("region"), r["reason"].split(":")[0]) for r in kept}
    assert ("bad", "unknown entity label 'Person'; allowed") in reasons
    assert ("t->ghost", "relation to a missing region 'ghost' (unknown id, or its region was rejected)") in reasons
    assert any(r.get("region") == "off" and r["reason"].startswith("bad offsets") for r in kept)
    assert all(r["task"] and r["annotation"] for r in kept)

    # incremental: nothing changed -> nothing exported, nothing rewritten
    mtimes = {f: f.stat().st_mtime_ns for f in out.glob("*.jsonl")}
    res = _cli(studio, "pull", "--out", str(out), "--documents", str(docs_dir), "--rejects", str(rejects),
               project=project)
    assert "incremental pull: 0 tasks changed" in res.output and "0 tasks, 0 annotations" in res.output
    assert "0 files written" in res.output and res.exit_code == 0
    assert {f for f in out.glob("*.jsonl") if f.stat().st_mtime_ns != mtimes[f]} == set()
    assert [json.loads(line) for line in rejects.read_text().splitlines()] == kept  # earlier rejects kept
    # a changed annotation exports only its document's task and rewrites only its file
    ls.annotations.update(id=a1.id, result=result[:2])
    res = _cli(studio, "pull", "--out", str(out), "--documents", str(docs_dir), "--rejects", str(rejects),
               project=project)
    assert "incremental pull: 1 tasks changed" in res.output and "1 tasks, 2 annotations" in res.output
    assert "1 files written, 0 unchanged" in res.output
    assert {f for f in out.glob("*.jsonl") if f.stat().st_mtime_ns != mtimes[f]} == {out / "doc-a.jsonl"}
    # the rejects of the re-exported task are replaced (its bad items are gone), the others kept
    now = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert now == [r for r in kept if r["task"] != tasks[("doc-a", 0)]] and len(now) < len(kept)
    # --full exports every annotated task again and finds nothing to rewrite
    res = _cli(studio, "pull", "--full", "--out", str(out), "--documents", str(docs_dir), "--rejects", str(rejects),
               project=project)
    assert "full pull (asked (--full))" in res.output and f"{len(tasks)} tasks" in res.output
    assert "0 files written, 2 unchanged" in res.output

    # status reads the tasks in chunks that never split a document: with chunks of one
    # task, the parts of doc-long still come together, and the figures are the same
    from corpus.studio.team import project_task_chunks, team_status

    chunks = list(project_task_chunks(ls, studio, p.id, chunk_size=1))
    by_doc = {}
    for i, c in enumerate(chunks):
        for t in c:
            by_doc.setdefault(t["data"]["doc_id"], set()).add(i)
    assert by_doc == {"doc-a": {0}, "doc-long": {1}} and len(chunks[1]) == n_long
    small = team_status(studio, ONT, project_title=project, documents=docs, chunk_size=1)
    whole = team_status(studio, ONT, project_title=project, documents=docs)
    assert small.as_dict() == whole.as_dict() and small.agreement["documents"] == 1

    # the same annotations from a JSON export file give the same records
    export = tmp_path / "export.json"
    export.write_bytes(b"".join(ls.projects.exports.download_sync(p.id, export_type="JSON")))
    out2 = tmp_path / "from-file"
    res = _cli(studio, "pull", "--from-file", str(export), "--out", str(out2), "--documents", str(docs_dir),
               "--rejects", str(tmp_path / "r2.jsonl"), project=project)
    assert sorted(f.name for f in out2.glob("*.jsonl")) == sorted(f.name for f in out.glob("*.jsonl"))
    import msgspec

    def _records(path):
        # the same records, except that those read from a file name it in origin.path
        return [msgspec.structs.replace(r, origin=msgspec.structs.replace(r.origin, path=None))
                for r in map(decode_annotation, path.read_bytes().splitlines())]

    for f in out.glob("*.jsonl"):
        assert _records(out2 / f.name) == _records(f)
        assert all(r.origin.path == str(export) for r in map(decode_annotation, (out2 / f.name).read_bytes().splitlines()))


def test_push_is_idempotent_and_adds_predictions_once(studio, ls, tmp_path):
    project = "idempotent push"
    docs_dir, docs = _docs(tmp_path)
    gaz = tmp_path / "names.tsv"
    gaz.write_text("# surface\ttype\tlevel\nكارتر\tPER\tNAM\nالموصل\tGPE\nباريس\tGPE\tNAM\n", encoding="utf-8")
    # an earlier release's annotation of doc-a, pushed as a prediction
    from corpus.studio.convert import annotations_from_task

    ks, ke = _at(TEXT_A, "كارتر")
    task = {"id": 1, "data": {"text": TEXT_A, "doc_id": "doc-a"},
            "annotations": [{"id": 1, "completed_by": "release-1.0", "result": [_region("k", "entity", TEXT_A, ks, ke, "PER")]}]}
    (ann,), _ = annotations_from_task(task, TEXT_A, ONT, source="file")
    preds = tmp_path / "release.jsonl"
    write_jsonl(preds, [ann])
    for _ in range(2):
        res = _cli(studio, "push", str(docs_dir), "--gazetteer", str(gaz), "--predictions", str(preds),
                   "--max-task-chars", "200", project=project)
        assert res.exit_code == 0, res.output
    assert "0 tasks imported" in res.output and "0 predictions added" in res.output
    p = find_project(ls, project)
    tasks = server_tasks(ls, p.id)
    keys = [(t["data"]["doc_id"], t["data"]["part"]) for t in tasks]
    assert len(keys) == len(set(keys)) == 1 + len(split_document(docs[1], 200))
    doc_a = next(t["id"] for t in tasks if t["data"]["doc_id"] == "doc-a")
    got = {(x.model_version, tuple(r["value"]["text"] for r in x.result if r["type"] == "labels"))
           for x in ls.predictions.list(task=doc_a)}
    gv = next(mv for mv, _ in got if mv.startswith("gazetteer:names.tsv:"))
    assert got == {(gv, ("كارتر", "الموصل")), ("imported:release-1.0", ("كارتر",))}
    # the same documents with a new one: only the new one is imported
    more = tmp_path / "more"
    write_jsonl(more / "d.jsonl", [*docs, document_from_text("خبر جديد عن بغداد.", doc_id="doc-new")])
    res = _cli(studio, "push", str(more), "--max-task-chars", "200", project=project)
    assert "1 tasks imported" in res.output
    # losing the local map is harmless: the server's tasks are read back
    TaskMap.load(studio.data_dir, p.id).path.unlink()
    res = _cli(studio, "push", str(more), "--max-task-chars", "200", project=project)
    assert "0 tasks imported" in res.output
    assert len(server_tasks(ls, p.id)) == len(keys) + 1


@pytest.mark.parametrize("stage", ["imported", "saved"])
def test_push_killed_half_way_resumes_without_duplicates(studio, ls, tmp_path, stage):
    """A push killed (SIGKILL) right after its 3rd batch reached the server (``imported``:
    before the task map was written; ``saved``: after), then run again: every document
    once. The push kills itself at that point (a test hook of corpus.studio.push), so the
    kill point does not depend on timing."""
    from corpus.studio.push import TEST_KILL_ENV

    project = f"killed push {stage}"
    docs = [document_from_text(f"الخبر رقم {i}: اجتمع الوزير في بغداد مع نظيره.", doc_id=f"n{i:03d}") for i in range(20)]
    folder = tmp_path / "docs"
    write_jsonl(folder / "documents-00000.jsonl", docs)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop(TEST_KILL_ENV, None)
    cmd = [sys.executable, "-m", "corpus", "push", str(folder), "--data-dir", str(studio.data_dir), "--port",
           str(studio.port), "--project", project, "--batch-size", "2", "--quiet"]

    def run(extra_env: dict) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(cmd, env={**env, **extra_env}, cwd=REPO, capture_output=True, text=True,
                                  timeout=300)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"corpus push did not finish within 300 s: {exc.stderr!r}")

    killed = run({TEST_KILL_ENV: f"{stage}:3"})
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    p = find_project(ls, project)
    assert sorted(t["data"]["doc_id"] for t in server_tasks(ls, p.id)) == [d.id for d in docs[:6]]
    mapped = TaskMap.load(studio.data_dir, p.id).docs
    assert sorted(mapped) == [d.id for d in docs[:4 if stage == "imported" else 6]]
    resumed = run({})
    assert resumed.returncode == 0, resumed.stderr
    ids = [t["data"]["doc_id"] for t in server_tasks(ls, p.id)]
    assert sorted(ids) == [d.id for d in docs]  # all there, each once
    assert sorted(TaskMap.load(studio.data_dir, p.id).docs) == [d.id for d in docs]


def test_clear_errors(studio, ls, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = _cli(studio, "push", str(empty), project="errors")
    assert res.exit_code == 1 and f"{empty}: no documents found" in res.stderr and "corpus ingest" in res.stderr
    res = _cli(studio, "pull", "--out", str(tmp_path / "o"), project="no such project")
    assert res.exit_code == 1 and "no project titled 'no such project'" in res.stderr and "corpus push" in res.stderr
    broken = tmp_path / "export.json"
    broken.write_text('[{"data": {"text": "x"}, ', encoding="utf-8")
    res = _cli(studio, "pull", "--from-file", str(broken), "--out", str(tmp_path / "o"), project="x")
    assert res.exit_code == 1 and f"{broken}:1: not JSON" in res.stderr
    notasks = tmp_path / "notasks.json"
    notasks.write_text('[{"id": 3}]', encoding="utf-8")
    res = _cli(studio, "pull", "--from-file", str(notasks), "--out", str(tmp_path / "o"), project="x")
    assert res.exit_code == 1 and "'$[0].data'" in res.stderr
    # a server that is not running: say how to start it
    res = CliRunner().invoke(main, ["pull", "--data-dir", str(studio.data_dir), "--port", "1", "--out",
                                    str(tmp_path / "o")])
    assert res.exit_code == 1 and "not running at http://127.0.0.1:1" in res.stderr and "corpus studio up" in res.stderr


def test_snapshot_export_gives_the_same_tasks(studio, ls, tmp_path):
    from corpus.studio.pull import export_project

    docs_dir, _ = _docs(tmp_path)
    res = _cli(studio, "push", str(docs_dir), "--quiet", project="snapshot export")
    assert res.exit_code == 0
    p = find_project(ls, "snapshot export")
    tid = server_tasks(ls, p.id)[0]["id"]
    ls.annotations.create(id=tid, result=[], lead_time=1.0)
    sync = export_project(ls, p.id, task_count=1)
    snap = export_project(ls, p.id, task_count=10**6)  # above the threshold: a snapshot
    assert [t["id"] for t in snap] == [t["id"] for t in sync] == [tid]
    assert snap[0]["annotations"][0]["id"] == sync[0]["annotations"][0]["id"]


def test_a_failed_start_leaves_no_server_behind(studio, ls, tmp_path):
    """A data dir whose admin has another token than its credentials file: the start
    fails on the token check, and the server it started is stopped, server.json gone."""
    import dataclasses
    import socket
    import sqlite3

    from corpus.errors import StudioError
    from corpus.studio import server

    data_dir = tmp_path / "ls"
    data_dir.mkdir(mode=0o700)
    # a consistent copy of the running server's database (its admin user and token)
    with sqlite3.connect(studio.data_dir / "label_studio.sqlite3") as src, \
            sqlite3.connect(data_dir / "label_studio.sqlite3") as dst:
        src.backup(dst)
    creds = json.loads((studio.data_dir / "credentials.json").read_text())
    creds["token"] = "0" * 40  # not the admin's
    fd = os.open(data_dir / "credentials.json", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(creds, f)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = dataclasses.replace(studio, data_dir=data_dir, port=port)
    with pytest.raises(StudioError, match="does not accept the token of") as err:
        # (the server answers /health within about 10 s of 2 cores; the token is then refused until the end)
        t0 = time.monotonic()
        server.start(settings, timeout=45)
    print(f"failed start took {time.monotonic() - t0:.1f} s")
    assert "the server was stopped" in str(err.value)
    assert not (data_dir / "server.json").exists()
    assert not server.health(settings.url, timeout=2)
    # no process of that data dir is left (the server and its workers)
    left = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(data_dir).encode() in (proc / "cmdline").read_bytes():
                left.append(proc.name)
        except OSError:
            pass
    assert left == []
    assert server.stop(settings) is False

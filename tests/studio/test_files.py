"""Files of the studio stage, without a server: export files read by `corpus pull
--from-file` (the reader shared with the importer), the rejects file of an incremental
pull, and the server state file (server.json) read by `corpus studio down`/`status`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.cli import main
from corpus.errors import InputError, StudioError
from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.records import decode_annotation
from corpus.studio import server
from corpus.studio.convert import Reject
from corpus.studio.pull import _write_rejects, read_export
from corpus.studio.taskfile import read_task_file

TEXT = "قال كارتر إن قوات التحالف استهدفت قادة في الموصل."


def _task(tid: int, doc_id: str, word: str, label: str = "PER") -> dict:
    doc = document_from_text(TEXT, doc_id=doc_id)
    s = TEXT.index(word)
    return {"id": tid, "project": 7, "data": {"text": TEXT, "doc_id": doc_id, "text_sha256": doc.text_sha256,
                                                "part": 0, "parts": 1, "offset": 0},
            "annotations": [{"id": tid * 10, "completed_by": 1, "result": [
                {"id": f"r{tid}", "from_name": "entity", "to_name": "text", "type": "labels",
                 "value": {"start": s, "end": s + len(word), "text": word, "labels": [label]}}]}]}


def _pull_from_file(tmp_path: Path, export: Path) -> tuple[object, Path, Path]:
    docs = tmp_path / "documents"
    write_jsonl(docs / "documents-00000.jsonl", [document_from_text(TEXT, doc_id=d) for d in ("d1", "d2", "d3")])
    out, rejects = tmp_path / "out", tmp_path / "rejects.jsonl"
    res = CliRunner().invoke(main, ["pull", "--from-file", str(export), "--out", str(out), "--documents", str(docs),
                                    "--rejects", str(rejects), "--data-dir", str(tmp_path / "no-server"),
                                    "--port", "1"])
    return res, out, rejects


def test_pull_from_file_rejects_a_malformed_task_and_converts_the_others(tmp_path):
    export = tmp_path / "export.json"
    tasks = [_task(1, "d1", "كارتر"), {"id": 2, "data": "not an object"}, "junk", _task(3, "d3", "الموصل", "GPE")]
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    res, out, rejects = _pull_from_file(tmp_path, export)
    assert res.exit_code == 1  # rejects exist
    assert f"{export}: task 2: $[1]: not a task with a 'data' object (field '$[1].data' is 'not an object')" in res.stderr
    assert f"{export}: $[2]: not a task with a 'data' object ('$[2]' is 'junk')" in res.stderr
    # the good tasks on either side went through
    got = {f.name: [decode_annotation(line) for line in f.read_bytes().splitlines()] for f in out.glob("*.jsonl")}
    assert sorted(got) == ["d1.jsonl", "d3.jsonl"]
    assert [e.text for e in got["d1.jsonl"][0].entities] == ["كارتر"]
    assert [(e.type, e.text) for e in got["d3.jsonl"][0].entities] == [("GPE", "الموصل")]
    kept = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [(r.get("task"), r["reason"][:5], r["item"]) for r in kept] == [
        (2, "$[1]:", {"id": 2, "data": "not an object"}), (None, "$[2]:", "junk")]


def test_pull_from_file_reads_json_lines_like_the_importer(tmp_path):
    """One reader for both: JSON lines of tasks, a byte order mark, the line of a bad task."""
    export = tmp_path / "export.jsonl"
    lines = [json.dumps(_task(1, "d1", "كارتر"), ensure_ascii=False), "",
             json.dumps(_task(2, "d2", "الموصل", "GPE"), ensure_ascii=False)]
    export.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8"))
    res, out, _ = _pull_from_file(tmp_path, export)
    assert res.exit_code == 0, res.output
    assert sorted(f.name for f in out.glob("*.jsonl")) == ["d1.jsonl", "d2.jsonl"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + "\n" + lines[2] + "\n{\"data\": \n", encoding="utf-8")
    res, _, _ = _pull_from_file(tmp_path, bad)
    assert res.exit_code == 1 and f"{bad}:3: not JSON" in res.stderr
    with pytest.raises(InputError, match=r"bad\.jsonl:3: not JSON"):
        read_task_file(bad)
    # the importer reads files with the same function
    from corpus.importers import labelstudio

    assert labelstudio.load_tasks is read_task_file

    latin = tmp_path / "latin1.json"
    latin.write_bytes(b'[{"data": {"text": "caf\xe9"}}]')
    with pytest.raises(InputError, match=r"latin1\.json: not UTF-8 text: byte b'\\xe9' at offset 23"):
        read_export(latin)


def test_incremental_rejects_file_keeps_lines_it_cannot_read(tmp_path):
    path = tmp_path / "rejects.jsonl"
    path.write_bytes(b'{"reason": "old", "task": 1}\n'
                     b'{"reason": "redone", "task": 2}\n'
                     b'a note someone wrote here\n'
                     b'{"reason": "truncated", "tas\n'
                     b'42\n')
    _write_rejects(path, [Reject(reason="new", task=2)], redone={2})
    assert path.read_bytes().splitlines() == [
        b'{"reason": "old", "task": 1}', b"a note someone wrote here", b'{"reason": "truncated", "tas', b"42",
        b'{"reason":"new","task":2}']


# --- server.json ----------------------------------------------------------------------

def _settings(tmp_path: Path) -> server.Settings:
    data_dir = tmp_path / "ls"
    data_dir.mkdir()
    return server.Settings(data_dir=data_dir, port=1)


@pytest.mark.parametrize("body, why", [
    ("{not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"url": "http://127.0.0.1:1"}', "field 'pid' is None"),
    ('{"pid": "12", "url": "http://127.0.0.1:1"}', "field 'pid' is '12'"),
    ('{"pid": 12}', "field 'url' is None"),
])
def test_malformed_server_state_is_a_clear_error(tmp_path, body, why):
    settings = _settings(tmp_path)
    state = settings.data_dir / "server.json"
    state.write_text(body, encoding="utf-8")
    for call in (server.running, server.stop):
        with pytest.raises(StudioError) as err:
            call(settings)
        assert str(err.value).startswith(f"{state}: not a server state file") and why in str(err.value)
    res = CliRunner().invoke(main, ["studio", "down", "--data-dir", str(settings.data_dir), "--port", "1"])
    assert res.exit_code == 1 and f"{state}: not a server state file" in res.output


def _settled(pid: int) -> None:
    """Wait until a process just started shows its command line (empty for a moment
    right after the start)."""
    import time

    deadline = time.monotonic() + 30
    while not server._cmdline(pid):
        assert time.monotonic() < deadline, f"process {pid} shows no command line after 30 s"
        time.sleep(0.01)


def test_stop_leaves_a_reused_pid_alone(tmp_path):
    """server.json names a pid that is now another program: not killed, reported as not
    running, the stale state cleared."""
    settings = _settings(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        _settled(other.pid)
        state = settings.data_dir / "server.json"
        state.write_text(json.dumps({"pid": other.pid, "url": "http://127.0.0.1:1", "port": 1,
                                     "data_dir": str(settings.data_dir)}), encoding="utf-8")
        assert server.running(settings) is None
        assert server.stop(settings) is False
        assert other.poll() is None, "stop killed a process that is not our Label Studio"
        assert not state.exists()
    finally:
        os.killpg(other.pid, signal.SIGKILL)
        other.wait(timeout=30)


def test_stop_checks_the_data_dir_of_a_label_studio(tmp_path):
    """A process that looks like `label-studio start` is ours only with our --data-dir."""
    settings = _settings(tmp_path)
    fake = tmp_path / "bin" / "label-studio"
    fake.parent.mkdir()
    fake.write_text("import time\ntime.sleep(120)\n")
    elsewhere = tmp_path / "elsewhere"
    proc = subprocess.Popen([sys.executable, str(fake), "start", "--data-dir", str(elsewhere)],
                            start_new_session=True)
    try:
        _settled(proc.pid)
        state = settings.data_dir / "server.json"
        state.write_text(json.dumps({"pid": proc.pid, "url": "http://127.0.0.1:1"}), encoding="utf-8")
        assert server.stop(settings) is False and proc.poll() is None and not state.exists()
        # the same process, from the data dir it names: ours, stopped
        theirs = server.Settings(data_dir=elsewhere, port=1)
        elsewhere.mkdir()
        (elsewhere / "server.json").write_text(json.dumps({"pid": proc.pid, "url": "http://127.0.0.1:1"}))
        assert server._cmdline(proc.pid)[1:] == [str(fake), "start", "--data-dir", str(elsewhere)]
        assert server.stop(theirs) is True
        proc.wait(timeout=30)  # (stop reaped it: its status is not ours to read)
        assert not server._pid_alive(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def test_a_hanging_install_step_or_version_probe_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    """A venv whose python hangs (a stuck NFS home, a broken interpreter): the version
    probe gives up after its timeout with an error naming the venv; an install step that
    hangs likewise names the step and the command to run by hand."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    hang = venv / "bin" / "python"
    hang.write_text("#!/bin/sh\nexec sleep 60\n")
    hang.chmod(0o755)
    (venv / "bin" / "label-studio").write_text("")
    monkeypatch.setattr(server, "PROBE_TIMEOUT", 1.0)
    with pytest.raises(StudioError, match=rf"{hang} did not say its label-studio version within 1 s: .*{venv}"):
        server.installed_version(venv)
    with pytest.raises(StudioError, match=r"pip install label-studio did not finish within 1 s \(stopped\).*"
                                          rf"by hand .*: {hang} -m pip"):
        server._run_step([str(hang), "-m", "pip"], subprocess.DEVNULL, 1.0, "pip install label-studio")

"""Label Studio on PostgreSQL, the option for teams, as a user runs it.

A private PostgreSQL cluster (Debian's server binaries, installed by `tools/dev.py test`)
is made in a temporary folder, with password authentication on 127.0.0.1. `corpus studio
up` then runs Label Studio's migrations against it, `corpus push` imports a document, an
annotation is made through the API and `corpus pull` brings it back; the tasks are then
read with SQL from PostgreSQL itself, and no SQLite database was made.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus import records
from corpus.cli import main
from corpus.ingest import document_from_text
from corpus.io import write_jsonl

pytestmark = [pytest.mark.studio, pytest.mark.slow]

RUN_TIMEOUT = 300  # seconds for one PostgreSQL command (initdb, pg_ctl, psql)
TEXT = "وقال كارتر ان قوات التحالف استهدفت 35 من قادة تنظيم «الدولة» في الموصل."


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql: "
                    "`python3 tools/dev.py test` installs Debian's postgresql")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A running cluster: {port, password, psql(sql) -> str}. PostgreSQL refuses to run
    as root, so as root its commands run as the `postgres` user."""
    import tempfile

    pg = _pg_bin()
    # not under pytest's tmp folders: those are private to root, and postgres must reach it
    home = Path(tempfile.mkdtemp(prefix="corpus-pg-"))
    data, sock = home / "data", home / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
        shutil.chown(sock, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    password = "pg-test-" + os.urandom(6).hex()
    pwfile = home / "pw"
    pwfile.write_text(password)
    if as_user:
        shutil.chown(pwfile, "postgres")

    def run(*cmd: str) -> str:
        try:
            # initdb and a start take seconds; minutes mean a hang (a lock, a port), not a slow disk
            r = subprocess.run([*as_user, *cmd], capture_output=True, text=True, cwd=home, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"{' '.join(cmd)} did not finish within {RUN_TIMEOUT} s and was stopped: "
                        f"{exc.stdout!r}\n{exc.stderr!r}")
        assert r.returncode == 0, f"{' '.join(cmd)}: {r.stdout}\n{r.stderr}"
        return r.stdout

    run(str(pg / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C.UTF-8")
    run(str(pg / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "start",
        "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1")

    def psql(sql: str, db: str = "postgres") -> str:
        return run(str(pg / "psql"), "-h", str(sock), "-p", str(port), "-U", "postgres", "-d", db,
                   "-v", "ON_ERROR_STOP=1", "-At", "-c", sql)

    psql(f"CREATE ROLE labelstudio LOGIN PASSWORD '{password}'")
    psql("CREATE DATABASE labelstudio OWNER labelstudio")
    try:
        yield {"port": port, "password": password, "psql": psql}
    finally:
        run(str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)


def test_label_studio_on_postgresql_round_trip(postgres, tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "documents").mkdir(parents=True)
    (project / "corpus.toml").write_text(
        "[corpus]\ndocuments = \"documents\"\nannotations = \"annotations\"\n"
        f"[studio]\nport = {_free_port()}\ndata_dir = \"labelstudio\"\nproject = \"postgres test\"\n"
        f"database = \"postgresql\"\n[studio.postgres]\nname = \"labelstudio\"\nuser = \"labelstudio\"\n"
        f"host = \"127.0.0.1\"\nport = {postgres['port']}\n",
        encoding="utf-8")
    doc = document_from_text(TEXT, doc_id="pg-1")
    write_jsonl(project / "documents" / "documents-00000.jsonl", [doc])
    monkeypatch.chdir(project)
    runner = CliRunner()

    # without the password the server is not started, and the message says where it goes
    monkeypatch.delenv("CORPUS_STUDIO_PG_PASSWORD", raising=False)
    refused = runner.invoke(main, ["studio", "up", "-q"])
    assert refused.exit_code == 1
    assert "needs the password in $CORPUS_STUDIO_PG_PASSWORD" in refused.output

    monkeypatch.setenv("CORPUS_STUDIO_PG_PASSWORD", postgres["password"])
    up = runner.invoke(main, ["studio", "up", "-q"])
    assert up.exit_code == 0, up.output
    try:
        assert postgres["password"] not in up.output
        pushed = runner.invoke(main, ["push", "-q"])
        assert pushed.exit_code == 0, pushed.output
        from corpus.studio import server

        settings = server.settings_from_config()
        ls = server.client(settings)
        [proj] = [p for p in ls.projects.list() if p.title == "postgres test"]
        [task] = list(ls.tasks.list(project=proj.id))
        start = TEXT.index("كارتر")
        ls.annotations.create(id=task.id, result=[{
            "id": "r1", "from_name": "entity", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": start + 5, "text": "كارتر", "labels": ["PER"]}}], lead_time=4.5)
        pulled = runner.invoke(main, ["pull", "-q"])
        assert pulled.exit_code == 0, pulled.output
        [ann] = [records.decode_annotation(line) for f in sorted((project / "annotations").glob("*.jsonl"))
                 for line in f.read_bytes().splitlines()]
        assert [(e.type, e.start, e.end, e.text) for e in ann.entities] == [("PER", start, start + 5, "كارتر")]
        assert ann.lead_time == 4.5 and ann.text_sha256 == doc.text_sha256
        # the data lives in PostgreSQL, not in a SQLite file in the data folder
        stored = json.loads(postgres["psql"]("SELECT data::text FROM task", db="labelstudio"))
        assert stored["doc_id"] == "pg-1"
        assert postgres["psql"]("SELECT count(*) FROM task_completion", db="labelstudio").strip() == "1"
        assert not list((project / "labelstudio").glob("*.sqlite3"))
    finally:
        down = runner.invoke(main, ["studio", "down"])
        assert down.exit_code == 0, down.output

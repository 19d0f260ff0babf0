"""A real Label Studio server for the studio tests.

The migrations run once into a template data dir cached under ~/.cache/corpus/ (about 25-50
s); each test session copies it and starts a server on a free port (about 3-5 s), which
stops at the end of the session. Label Studio itself comes from `corpus studio install`
(or $CORPUS_STUDIO_VENV).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from corpus.studio import server

TEMPLATE = Path(os.environ.get("CORPUS_STUDIO_TEMPLATE",
                               Path.home() / ".cache" / "corpus" / f"label-studio-template-{server.LABEL_STUDIO_VERSION}"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _template() -> Path:
    """A migrated, user-less data dir, made once (with a lock: xdist workers share it)."""
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATE.parent / f".{TEMPLATE.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (TEMPLATE / "label_studio.sqlite3").exists():
            venv = server.venv_path()
            if not server.is_installed(venv):
                pytest.fail(f"Label Studio {server.LABEL_STUDIO_VERSION} is not installed in {venv}: "
                            f"run `corpus studio install` first")
            tmp = TEMPLATE.with_name(TEMPLATE.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            settings = server.Settings(data_dir=tmp)
            r = subprocess.run([str(venv / "bin" / "label-studio"), "init", "--quiet", "--data-dir", str(tmp)],
                               env=server.server_env(settings), capture_output=True, text=True)
            if r.returncode:
                pytest.fail(f"label-studio init failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
            os.replace(tmp, TEMPLATE)
    return TEMPLATE


@pytest.fixture(scope="session")
def studio(tmp_path_factory) -> server.Settings:
    """Settings of a running server with a fresh copy of the template data dir."""
    data_dir = tmp_path_factory.mktemp("studio") / "labelstudio"
    shutil.copytree(_template(), data_dir)
    settings = server.Settings(data_dir=data_dir, port=_free_port(), project="corpus tests")
    server.start(settings)
    yield settings
    server.stop(settings)


@pytest.fixture(scope="session")
def ls(studio):
    return server.client(studio)

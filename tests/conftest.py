"""Fixtures shared by every test module: where the repository and ../shared are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CORPUS_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: CI lays it beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def seed_file() -> Path:
    return next((REPO / "seeds").glob("*.txt"))


# --- one real Label Studio server for the whole test session ---------------------------
# The migrations run once into a template data dir cached under ~/.cache/corpus/ (about
# 25-50 s); each test session copies it and starts a server on a free port (about 3-5 s),
# stopped at the end of the session. Every test folder (studio, importers, ...) asks for
# the `studio` / `ls` fixtures and shares that one server. Label Studio itself comes from
# `corpus studio install` (or $CORPUS_STUDIO_VENV).

INIT_TIMEOUT = 900  # seconds for `label-studio init`


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _studio_template() -> Path:
    """A migrated, user-less data dir, made once (with a lock: xdist workers share it)."""
    import fcntl
    import shutil
    import subprocess

    from corpus.studio import server

    template = Path(os.environ.get("CORPUS_STUDIO_TEMPLATE", Path.home() / ".cache" / "corpus"
                                   / f"label-studio-template-{server.LABEL_STUDIO_VERSION}"))
    template.parent.mkdir(parents=True, exist_ok=True)
    with open(template.parent / f".{template.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "label_studio.sqlite3").exists():
            venv = server.venv_path()
            if not server.is_installed(venv):
                pytest.fail(f"Label Studio {server.LABEL_STUDIO_VERSION} is not installed in {venv}: "
                            f"run `corpus studio install` first (or set CORPUS_STUDIO_VENV)")
            tmp = template.with_name(template.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            cmd = [str(venv / "bin" / "label-studio"), "init", "--quiet", "--data-dir", str(tmp)]
            try:
                # the migrations take 25-50 s on 2 cores; far longer means a hang, not a slow disk
                r = subprocess.run(cmd, env=server.server_env(server.Settings(data_dir=tmp)), capture_output=True,
                                   text=True, timeout=INIT_TIMEOUT)
            except subprocess.TimeoutExpired as exc:
                out = (exc.stdout or b"")[-2000:], (exc.stderr or b"")[-2000:]
                pytest.fail(f"label-studio init (the migrations into {tmp}) did not finish within "
                            f"{INIT_TIMEOUT} s and was stopped:\n{out[0]!r}\n{out[1]!r}")
            if r.returncode:
                pytest.fail(f"label-studio init failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
            os.replace(tmp, template)
    return template


@pytest.fixture(scope="session")
def studio(tmp_path_factory):
    """Settings (corpus.studio.server.Settings) of a running server with a fresh copy of
    the template data dir; projects are per test (each test uses its own title)."""
    import dataclasses
    import shutil

    from corpus.errors import StudioError
    from corpus.studio import server

    data_dir = tmp_path_factory.mktemp("studio") / "labelstudio"
    shutil.copytree(_studio_template(), data_dir)
    settings = server.Settings(data_dir=data_dir, port=_free_port(), project="corpus tests")
    try:
        server.start(settings)
    except StudioError as exc:
        # the free port (bound, then closed) was taken by another program before the
        # server bound it: once more on another port; any other failure is reported
        if "is in use" not in str(exc):
            raise
        settings = dataclasses.replace(settings, port=_free_port())
        server.start(settings)
    try:
        yield settings
    finally:
        server.stop(settings)


@pytest.fixture(scope="session")
def ls(studio):
    """A label-studio-sdk client of the session server, as its admin."""
    from corpus.studio import server

    return server.client(studio)

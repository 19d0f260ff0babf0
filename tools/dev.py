#!/usr/bin/env python3
"""Set up this repository on a fresh machine and run its two jobs.

    python3 tools/dev.py main   # set up, then build release 0.1.0 of the seed corpus
    python3 tools/dev.py test   # set up (system packages too), then run the whole test suite
    python3 tools/dev.py setup  # only the Python environment

Needs nothing but Python 3.11+. The toolkit goes into .venv with the exact versions of
requirements.lock; Label Studio gets its own virtual environment (created by
`corpus studio install`, outside the repository); the browser tests need Debian's
chromium, which `test` installs with apt-get when run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
RELEASE_VERSION = "0.1.0"


def run(*cmd: str | os.PathLike, check: bool = True, env: dict | None = None) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check, env=env).returncode


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        run(sys.executable, "-m", "venv", VENV)
    stamp = VENV / ".installed-lock"
    lock = (ROOT / "requirements.lock").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    if not stamp.exists() or stamp.read_bytes() != lock:
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(BIN / "python", "-m", "pip", "install", "--quiet", "-r", "requirements.lock")
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
        stamp.write_bytes(lock)


def system_packages() -> None:
    """Debian's chromium for the browser tests (never a browser downloaded by a test tool)
    and PostgreSQL's server binaries for the Label Studio-on-PostgreSQL test."""
    missing = []
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        missing += ["chromium", "fonts-dejavu-core"]
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        missing += ["postgresql"]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"The tests need Debian's {', '.join(missing)}: run `sudo apt-get install -y {' '.join(missing)}`, then again.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-q", env=env)
    run("apt-get", "install", "-y", "-q", "--no-install-recommends", *missing, env=env)


def main_job() -> None:
    setup()
    corpus = str(BIN / "corpus")
    run(corpus, "ingest", "seeds", "--out", "build/documents", "--quiet")
    run(corpus, "validate")
    release_dir = ROOT / "build" / "releases" / RELEASE_VERSION
    if release_dir.exists():
        # releases are never overwritten: check the existing one instead
        run(corpus, "verify", release_dir)
    else:
        run(corpus, "release", RELEASE_VERSION)
    run(BIN / "python", "-c", _SHOW_ROWS, release_dir)


_SHOW_ROWS = r"""
import os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
import datasets
datasets.disable_progress_bars()
rel = sys.argv[1]


def named(value, feature):
    # ClassLabel ids back to their names, through lists and structs
    if isinstance(feature, datasets.ClassLabel):
        return feature.int2str(value)
    if isinstance(feature, (datasets.Sequence, datasets.List)) and isinstance(value, list):
        return [named(v, feature.feature) for v in value]
    if isinstance(feature, dict) and isinstance(value, dict):
        return {k: named(v, feature[k]) for k, v in value.items()}
    if isinstance(feature, list) and isinstance(value, list):
        return [named(v, feature[0]) for v in value]
    if isinstance(value, str) and len(value) > 70:
        return value[:70] + "…"
    return value


for config in ("documents", "entities", "events", "ner"):
    ds = datasets.load_dataset(rel, config)
    print(f"\n== load_dataset({rel!r}, {config!r}): " + ", ".join(f"{s} {len(ds[s])} rows" for s in ds))
    split = next(s for s in ds if len(ds[s]))
    for row in ds[split].select(range(min(2, len(ds[split])))):
        shown = {k: named(v, ds[split].features[k]) for k, v in row.items() if k not in ("sentences", "tokens", "source", "normalization") or config == "ner"}
        if config == "ner":
            shown = {k: shown[k][:10] for k in ("tokens", "ner_tags")}
        print(shown)
"""


def test_job(pytest_args: list[str]) -> int:
    setup()
    system_packages()
    run(BIN / "corpus", "studio", "install")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    return run(BIN / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args, check=False, env=env)


if __name__ == "__main__":
    job = sys.argv[1] if len(sys.argv) > 1 else "help"
    if job == "setup":
        setup()
    elif job == "main":
        main_job()
    elif job == "test":
        sys.exit(test_job(sys.argv[2:]))
    else:
        sys.exit(__doc__)

"""The README's main job, step by step as tools/dev.py runs it, on the repository's own
seeds and committed gold: ingest, validate, release 0.1.0, then rows shown through
`datasets.load_dataset` with their label names."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from click.testing import CliRunner

from corpus.cli import main


def _dev(repo_root):
    spec = importlib.util.spec_from_file_location("dev", repo_root / "tools" / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    return dev


def test_seeds_and_committed_gold_give_a_loadable_release(repo_root, tmp_path, monkeypatch):
    dev = _dev(repo_root)
    monkeypatch.chdir(repo_root)
    runner = CliRunner()
    docs, rel = tmp_path / "documents", tmp_path / "releases"
    assert runner.invoke(main, ["ingest", "seeds", "--out", str(docs), "--quiet"]).exit_code == 0
    checked = runner.invoke(main, ["validate", "--documents", str(docs), str(docs), "annotations/annotators", "annotations/gold"])
    assert checked.exit_code == 0, checked.output
    assert "0 errors" in checked.stderr
    built = runner.invoke(main, ["release", dev.RELEASE_VERSION, "--documents", str(docs), "--gold", "annotations/gold",
                                 "--out", str(rel), "--date", "2026-11-25", "-q"])
    assert built.exit_code == 0, built.output
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    shown = subprocess.run([sys.executable, "-c", dev._SHOW_ROWS, str(rel / dev.RELEASE_VERSION)], capture_output=True,
                           text=True, env=env, timeout=300)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    for config, rows in (("documents", 1), ("entities", 113), ("events", 28), ("ner", 11)):
        assert f"'{config}'): train {rows} rows" in out
    assert "'type': 'Conflict.Attack'" in out and "'B-PER'" in out and "'outlet': 'القدس العربي'" in out

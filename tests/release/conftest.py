"""Fixtures of the release tests: the small corpus builders are in release_helpers.py;
the default ontology and an offline ``datasets`` with a private cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.ontology import load_ontology


@pytest.fixture
def ontology():
    return load_ontology()


@pytest.fixture
def hf_offline(tmp_path, monkeypatch):
    """datasets with no network and a private cache, as a user's offline machine."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    import datasets.config as dc

    monkeypatch.setattr(dc, "HF_DATASETS_OFFLINE", True, raising=False)
    monkeypatch.setattr(dc, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(dc, "HF_DATASETS_CACHE", Path(tmp_path / "hf-cache"), raising=False)
    return tmp_path / "hf-cache"




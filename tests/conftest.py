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

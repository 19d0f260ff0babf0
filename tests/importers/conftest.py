"""Fixtures of the importer tests: the real third-party files."""

from __future__ import annotations

from pathlib import Path

import pytest



@pytest.fixture(scope="session")
def newsfane(shared_dir) -> Path:
    return shared_dir / "data" / "newsfane-gold" / "NewsFANE_Gold_2014_170K.txt"


@pytest.fixture(scope="session")
def anercorp(shared_dir) -> Path:
    return shared_dir / "data" / "anercorp-camellab-test" / "ANERCorp_CamelLab_test.txt"


@pytest.fixture(scope="session")
def ls_dir(shared_dir) -> Path:
    return shared_dir / "data" / "labelstudio-examples"

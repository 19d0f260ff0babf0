"""The versioned JSON Schemas in schema/, compiled once, and schema checks with JSON paths."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import jsonschema_rs

from .errors import SchemaError

__all__ = ["SCHEMA_VERSION", "SCHEMA_NAMES", "schema_root", "load_schema", "validator", "schema_errors", "json_path"]

SCHEMA_VERSION = "1.0.0"
SCHEMA_NAMES = ("document", "annotation", "ontology", "manifest")


def schema_root() -> Path:
    """schema/ of a source checkout, or the copy installed inside the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "schema", here.parent / "schema"):
        if (candidate / SCHEMA_VERSION).is_dir():
            return candidate
    raise SchemaError(f"schema/{SCHEMA_VERSION} not found beside {here}")


@lru_cache(maxsize=None)
def load_schema(name: str, version: str = SCHEMA_VERSION) -> dict:
    path = schema_root() / version / f"{name}.schema.json"
    if not path.is_file():
        raise SchemaError(f"no schema {name!r} for version {version} ({path})")
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def validator(name: str, version: str = SCHEMA_VERSION):
    """A compiled validator (jsonschema-rs) for one schema; compiled once per process."""
    return jsonschema_rs.validator_for(load_schema(name, version))


def json_path(parts) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def schema_errors(name: str, record: Any, version: str = SCHEMA_VERSION) -> Iterator[tuple[str, str, Any]]:
    """Every schema violation of ``record`` as ``(json_path, message, bad_value)``."""
    v = validator(name, version)
    if v.is_valid(record):
        return
    for err in v.iter_errors(record):
        yield json_path(err.instance_path), err.message, err.instance

"""Schema migrations: a registry of version-to-version functions, applied in a chain.

Every record carries ``schema_version``. ``MIGRATIONS[(kind, version)]`` is a function
that takes a record of that version (a dict) and returns ``(new_version, record)``.
``migrate_record`` follows the chain up to ``SCHEMA_VERSION`` and checks the result
against the schema; ``corpus migrate`` does it for files, writing to another folder so
committed annotations are never rewritten in place silently.

Version 0.9.0 is the pre-release shape (kept as a fixture in tests/data/migrate): a
document's source fields stood at the top level and its spans were objects; an
annotation's entities had ``label`` and ``mention`` and events had ``args``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator

import msgspec

from .errors import InputError, SchemaError
from .io import atomic_write
from .schemas import SCHEMA_VERSION, schema_errors

__all__ = ["MIGRATIONS", "migration", "migrate_record", "record_kind", "migrate_files"]

Migration = Callable[[dict], tuple[str, dict]]
MIGRATIONS: dict[tuple[str, str], Migration] = {}


def migration(kind: str, from_version: str):
    def register(fn: Migration) -> Migration:
        MIGRATIONS[(kind, from_version)] = fn
        return fn

    return register


def record_kind(record: dict) -> str:
    """``document`` or ``annotation``, told apart by their required keys."""
    if "document_id" in record:
        return "annotation"
    if "text" in record:
        return "document"
    raise SchemaError("neither a document (no 'text') nor an annotation (no 'document_id')")


def migrate_record(record: dict, target: str = SCHEMA_VERSION) -> dict:
    kind = record_kind(record)
    version = record.get("schema_version")
    if version is None:
        raise SchemaError("no schema_version: cannot tell which migration applies")
    seen = set()
    while version != target:
        step = MIGRATIONS.get((kind, version))
        if step is None:
            known = sorted(v for k, v in MIGRATIONS if k == kind)
            raise SchemaError(f"no migration for a {kind} of schema_version {version!r}; known: {', '.join(known + [target])}")
        if version in seen:
            raise SchemaError(f"migration loop at {kind} {version}")
        seen.add(version)
        version, record = step(dict(record))
        record["schema_version"] = version
    problems = list(schema_errors(kind, record))
    if problems:
        path, message, _ = problems[0]
        raise SchemaError(f"after migration to {target}: {path}: {message}")
    return record


@migration("document", "0.9.0")
def _document_0_9_0(old: dict) -> tuple[str, dict]:
    new = {
        "schema_version": "1.0.0",
        "id": old["id"],
        "text": old["text"],
        "language": old.get("lang", "ar"),
        "source": {
            "path": old["path"], "sha256": old["sha256"], "encoding": old.get("encoding", "utf-8"),
            "format": old.get("format", "txt"),
        },
        "normalization": {"profile": old.get("normalizer", "arabic-news"), "version": "0.9.0"},
        "raw_length": old.get("raw_length", len(old["text"])),
        "edits": [[e["raw"][0], e["raw"][1], e["norm"][0], e["norm"][1]] for e in old.get("changes", [])],
        "removed": [{"start": s, "end": e, "reason": "boilerplate"} for s, e in old.get("boilerplate", [])],
        "sentences": [[s["start"], s["end"]] for s in old.get("sentences", [])],
        "tokens": [[t["start"], t["end"]] for t in old.get("tokens", [])],
    }
    if old.get("title"):
        new["metadata"] = {"title": old["title"]}
    return "1.0.0", new


@migration("annotation", "0.9.0")
def _annotation_0_9_0(old: dict) -> tuple[str, dict]:
    new = {k: v for k, v in old.items() if k not in ("entities", "events", "schema_version", "cancelled")}
    new["status"] = "cancelled" if old.get("cancelled") else old.get("status", "submitted")
    new["entities"] = [
        {"id": e["id"], "type": e["label"], "start": e["start"], "end": e["end"], "text": e["text"],
         **({"level": e["mention"]} if e.get("mention") else {})}
        for e in old.get("entities", [])
    ]
    new["events"] = [
        {"id": v["id"], "type": v["type"], "trigger": v["trigger"],
         "arguments": [{"role": a["role"], "entity": a["ref"]} for a in v.get("args", [])]}
        for v in old.get("events", [])
    ]
    return "1.0.0", new


def migrate_files(paths: Iterable[str | Path], out_dir: str | Path, root: str | Path | None = None) -> Iterator[tuple[Path, int]]:
    """Migrate JSONL files into ``out_dir`` (same relative names); yields (file, records)."""
    out = Path(out_dir)
    for path in paths:
        path = Path(path)
        files = sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]
        base = path if path.is_dir() else path.parent
        for f in files:
            lines = []
            for n, line in enumerate(f.read_bytes().splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    record = msgspec.json.decode(line)
                    lines.append(msgspec.json.encode(migrate_record(record)))
                except msgspec.DecodeError as exc:
                    raise InputError(f"{f}:{n}", f"malformed JSON: {exc}") from None
                except SchemaError as exc:
                    raise InputError(f"{f}:{n}", str(exc)) from None
            target = out / f.relative_to(base)
            atomic_write(target, b"".join(x + b"\n" for x in lines))
            yield target, len(lines)

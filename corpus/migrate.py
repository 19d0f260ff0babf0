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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import msgspec

from .errors import InputError, SchemaError
from .io import atomic_write, jsonl_files, jsonl_lines
from .schemas import SCHEMA_VERSION, schema_errors

__all__ = ["MIGRATIONS", "migration", "migrate_record", "record_kind", "migrate_files", "MigrateReport"]

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


@dataclass
class MigrateReport:
    files: list[tuple[Path, int]] = field(default_factory=list)  # (written file, records)
    rejects: list[dict] = field(default_factory=list)  # {"source": file:line, "reason": ...}


def migrate_files(paths: Iterable[str | Path], out_dir: str | Path) -> MigrateReport:
    """Migrate JSONL files (and folders of them) into ``out_dir``, keeping their names
    relative to the folder given. A record that cannot be migrated is kept in
    ``out_dir/rejects.jsonl`` with its file, line and reason; the rest goes through.
    ``out_dir`` may not be, or lie inside, an input: inputs are never rewritten."""
    out = Path(out_dir).resolve()
    report = MigrateReport()
    for given in paths:
        given = Path(given)
        base = given if given.is_dir() else given.parent
        if given.is_dir() and (out == given.resolve() or given.resolve() in out.parents):
            raise InputError(str(out_dir), f"the output folder is inside the input {given}: migrate never rewrites in place")
        for f in jsonl_files([given], "*.jsonl*"):
            target = out / f.relative_to(base)
            if target.resolve() == f.resolve():
                raise InputError(str(f), "the output would overwrite this input: migrate never rewrites in place")
            lines = []
            for n, line in jsonl_lines(f):
                try:
                    lines.append(msgspec.json.encode(migrate_record(msgspec.json.decode(line))))
                except msgspec.DecodeError as exc:
                    report.rejects.append({"source": f"{f}:{n}", "reason": f"malformed JSON: {exc}"})
                except SchemaError as exc:
                    report.rejects.append({"source": f"{f}:{n}", "reason": str(exc)})
            if target.suffix == ".gz":
                target = target.with_suffix("")
            atomic_write(target, b"".join(x + b"\n" for x in lines))
            report.files.append((target, len(lines)))
    atomic_write(out / "rejects.jsonl", b"".join(msgspec.json.encode(r) + b"\n" for r in report.rejects))
    return report

"""The release manifest (schema/1.0.0/manifest.schema.json): every file with its sha256 and
size, the inputs' digests, the split of every document, the counts; and ``verify_release``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ReleaseError
from ..io import atomic_write
from ..schemas import SCHEMA_VERSION, schema_errors

if TYPE_CHECKING:  # pragma: no cover
    from .build import ReleaseFacts

__all__ = ["MANIFEST", "write_manifest", "read_manifest", "verify_release", "VerifyReport", "file_sha256", "dumps",
           "iter_documents"]

MANIFEST = "manifest.json"
#: git plumbing a published copy may carry; not part of the release
_IGNORED = (".git", ".gitattributes")


def dumps(obj) -> str:
    """The one JSON style of every metadata file: stable, readable, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _release_files(folder: Path) -> list[str]:
    out = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if rel.parts[0] in _IGNORED or not p.is_file():
            continue
        if rel.as_posix() != MANIFEST:
            out.append(rel.as_posix())
    return sorted(out)


def _counts(facts: "ReleaseFacts") -> dict:
    splits = {s: dict(sorted(t.items())) for s, t in facts.totals.items() if t["documents"]}
    labels = {
        kind: {s: dict(sorted(c.items())) for s, c in per_split.items() if c}
        for kind, per_split in facts.labels.items()
    }
    return {
        "splits": splits,
        "labels": labels,
        "configs": {c: {s: e["rows"] for s, e in per.items()} for c, per in facts.files.items()},
        "ner_alignment": facts.ner_stats,
        "unannotated_documents": facts.unannotated,
        "near_duplicate_groups": facts.near_duplicate_groups,
    }


def write_manifest(folder: Path, facts: "ReleaseFacts", inputs: dict) -> dict:
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "name": facts.info.name,
        "version": facts.version,
        "previous_version": facts.previous_version,
        "license": facts.info.license,
        "ontology": facts.ontology.ref(),
        "normalization": {"profiles": dict(sorted(facts.normalization.items()))},
        "inputs": inputs,
        "splits": facts.splits,
        "counts": _counts(facts),
        "files": [
            {"path": rel, "sha256": file_sha256(folder / rel), "bytes": (folder / rel).stat().st_size}
            for rel in _release_files(folder)
        ],
    }
    errors = list(schema_errors("manifest", manifest))
    if errors:  # a bug of ours, not of the inputs: say exactly what
        raise ReleaseError("manifest does not match its schema: " + "; ".join(f"{p}: {m}" for p, m, _ in errors))
    atomic_write(folder / MANIFEST, dumps(manifest))
    return manifest


def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ReleaseError(f"{path}: missing; {folder} is not a release folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ReleaseError(f"{path}: not valid JSON: {exc}") from None
    errors = list(schema_errors("manifest", manifest))
    if errors:
        raise ReleaseError(f"{path}: not a valid manifest: " +
                           "; ".join(f"{p}: {m} (value {v!r})" for p, m, v in errors[:10]))
    return manifest


def iter_documents(folder: str | Path, manifest: dict | None = None):
    """Every document of a release, by id: ``{"id", "split", "group", "document", "text",
    "gold", "entities", "events"}`` (split None: ingested but without gold, not released).

    Read as a stream from the file the manifest names (``splits.file``, normally
    ``splits.jsonl``); a release written before that file existed kept the split and
    digests inline in the manifest (``splits.assignment``, ``inputs.per_document``)."""
    folder = Path(folder)
    manifest = manifest if manifest is not None else read_manifest(folder)
    splits = manifest.get("splits") or {}
    name = splits.get("file")
    if name:
        path = folder / name
        if not path.is_file():
            raise ReleaseError(f"{path}: missing; the manifest of {folder} names it as the split of every document")
        with open(path, "rb") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError as exc:
                        raise ReleaseError(f"{path}:{n}: not valid JSON: {exc}") from None
        return
    assignment = splits.get("assignment") or {}
    group_of = splits.get("groups") or {}
    per_doc = (manifest.get("inputs") or {}).get("per_document") or {}
    for doc_id in sorted(set(assignment) | set(per_doc)):
        p = per_doc.get(doc_id) or {}
        yield {"id": doc_id, "split": assignment.get(doc_id), "group": group_of.get(doc_id),
               "document": p.get("document"), "text": p.get("text"), "gold": p.get("gold"),
               "entities": p.get("entities"), "events": p.get("events")}


@dataclass
class VerifyReport:
    folder: Path
    version: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.extra)

    def lines(self) -> list[str]:
        out = [f"missing: {p}" for p in self.missing]
        out += [f"changed: {c['path']} (sha256 {c['actual']}, manifest says {c['expected']})" for c in self.changed]
        out += [f"extra: {p} (not in the manifest)" for p in self.extra]
        return out


def verify_release(folder: str | Path) -> VerifyReport:
    """Check every file of a release folder against its manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    report = VerifyReport(folder, manifest["version"])
    listed = set()
    for entry in manifest["files"]:
        rel = entry["path"]
        listed.add(rel)
        path = folder / rel
        if not path.is_file():
            report.missing.append(rel)
            continue
        report.checked += 1
        actual = file_sha256(path)
        if actual != entry["sha256"] or path.stat().st_size != entry["bytes"]:
            report.changed.append({"path": rel, "expected": entry["sha256"], "actual": actual})
    report.extra = [rel for rel in _release_files(folder) if rel not in listed]
    return report

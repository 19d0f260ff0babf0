"""What changed since the previous release, and the semantic-versioning rules it implies.

The previous release is read from its own folder: ``manifest.json``, ``splits.jsonl`` (the
split and digests of every document, streamed into the release's scratch database, where
the diff is a few SQL anti-joins, not dicts of every id) and ``features.json`` (the
Features of every config). Schema changes are
classified: removing or retyping a field, or renaming/reordering labels, is *breaking* and
needs a major release (a minor one while the major version is 0, as semver allows for
initial development); adding fields, configs or labels at the end is *additive* and needs
at least a minor release; data-only changes need any greater version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ReleaseError
from .manifest import iter_documents, read_manifest

if TYPE_CHECKING:  # pragma: no cover
    from .build import ReleaseFacts

__all__ = ["PreviousRelease", "Changes", "load_previous", "load_previous_documents", "compare", "render_changelog",
           "flatten_features", "FEATURES_FILE"]

FEATURES_FILE = "features.json"
_SHOW = 50


@dataclass
class PreviousRelease:
    path: Path
    version: str
    manifest: dict
    features: dict[str, list]
    changelog: str


def load_previous(folder: Path) -> PreviousRelease:
    folder = Path(folder)
    manifest = read_manifest(folder)
    features_path = folder / FEATURES_FILE
    try:
        features = json.loads(features_path.read_text(encoding="utf-8"))["configs"] if features_path.is_file() else {}
    except (ValueError, KeyError) as exc:
        raise ReleaseError(f"{features_path}: cannot read the previous release's features: {exc}") from None
    log = folder / "CHANGELOG.md"
    return PreviousRelease(
        path=folder,
        version=manifest["version"],
        manifest=manifest,
        features=features,
        changelog=log.read_text(encoding="utf-8") if log.is_file() else "",
    )


def load_previous_documents(prev: PreviousRelease, db) -> None:
    """The previous release's released documents into table ``prev`` of ``db``: id, split,
    text and gold digests, entity and event counts (what ``compare`` and the splits need)."""
    db.execute("CREATE TABLE prev (id TEXT PRIMARY KEY, split TEXT, text TEXT, gold TEXT, entities INT, events INT) "
               "WITHOUT ROWID")
    batch = []
    for d in iter_documents(prev.path, prev.manifest):
        if d.get("split") is None:
            continue
        batch.append((d["id"], d["split"], d.get("text"), d.get("gold"), d.get("entities"), d.get("events")))
        if len(batch) >= 5000:
            db.executemany("INSERT INTO prev VALUES (?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO prev VALUES (?, ?, ?, ?, ?, ?)", batch)


def flatten_features(items: list, prefix: str = "") -> dict[str, object]:
    """``{"arguments[].role": ("class_label", [...]), "start": "int64", ...}`` from a card-style list."""
    out: dict[str, object] = {}
    for item in items:
        path = f"{prefix}{item['name']}"
        out.update(_flatten_one(item, path))
    return out


def _flatten_one(item: dict, path: str) -> dict:
    if "dtype" in item:
        d = item["dtype"]
        if isinstance(d, dict) and "class_label" in d:
            names = d["class_label"]["names"]
            return {path: ("class_label", [names[k] for k in sorted(names, key=int)])}
        if isinstance(d, list):
            return flatten_features(d, path + ".")
        return {path: d}
    if "list" in item:
        inner = item["list"]
        if isinstance(inner, list):
            return {path + "[]": "list", **flatten_features(inner, path + "[].")}
        return _flatten_one({"name": "", **({"dtype": inner} if not isinstance(inner, dict) or "class_label" in inner
                                            else inner)}, path + "[]")
    if "struct" in item:
        return flatten_features(item["struct"], path + ".")
    return {path: json.dumps(item, sort_keys=True)}


@dataclass
class Changes:
    """What changed. The document lists hold the first ``_SHOW`` ids (what the changelog
    shows); ``totals`` has how many there are of each."""

    previous: str
    totals: dict[str, int] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    text_changed: list[str] = field(default_factory=list)
    gold_changed: list[tuple[str, dict, dict]] = field(default_factory=list)
    moved: list[dict] = field(default_factory=list)
    breaking: list[str] = field(default_factory=list)
    additive: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.added, self.removed, self.text_changed, self.gold_changed, self.moved,
                        self.breaking, self.additive, self.other))


def _schema_changes(old: dict[str, list], new: dict[str, list], ch: Changes) -> None:
    for config in sorted(set(old) | set(new)):
        if config not in new:
            ch.breaking.append(f"config `{config}` removed")
            continue
        if config not in old:
            ch.additive.append(f"config `{config}` added")
            continue
        a, b = flatten_features(old[config]), flatten_features(new[config])
        for path in sorted(set(a) | set(b)):
            if path not in b:
                ch.breaking.append(f"`{config}`: field `{path}` removed")
            elif path not in a:
                ch.additive.append(f"`{config}`: field `{path}` added")
            elif a[path] != b[path]:
                x, y = a[path], b[path]
                if isinstance(x, tuple) and isinstance(y, tuple):
                    xs, ys = list(x[1]), list(y[1])
                    if ys[:len(xs)] == xs:
                        ch.additive.append(f"`{config}`: `{path}` labels added: {', '.join(ys[len(xs):])}")
                    else:
                        gone = [n for n in xs if n not in ys]
                        what = f"labels removed: {', '.join(gone)}" if gone else "labels reordered (ids change)"
                        ch.breaking.append(f"`{config}`: `{path}` {what}")
                else:
                    ch.breaking.append(f"`{config}`: field `{path}` changed type from {x!r} to {y!r}")


def _sample(db, sql: str) -> tuple[int, list]:
    n, first = 0, []
    for row in db.execute(sql):
        n += 1
        if len(first) < _SHOW:
            first.append(row)
    return n, first


def compare(prev: PreviousRelease, facts: "ReleaseFacts", db, summary) -> Changes:
    """The changes from ``prev`` to the release being built (tables ``asg``, ``pd`` and
    ``prev`` of ``db``); raises if the version is too small."""
    from .build import parse_version
    from .features import features_yaml

    ch = Changes(prev.version)
    t = ch.totals
    t["added"], rows = _sample(db, "SELECT a.id FROM asg a WHERE NOT EXISTS (SELECT 1 FROM prev p WHERE p.id = a.id) "
                                   "ORDER BY a.id")
    ch.added = [r[0] for r in rows]
    t["removed"], rows = _sample(db, "SELECT p.id FROM prev p WHERE NOT EXISTS (SELECT 1 FROM asg a WHERE a.id = p.id) "
                                     "ORDER BY p.id")
    ch.removed = [r[0] for r in rows]
    t["text_changed"], rows = _sample(db, "SELECT p.id FROM prev p JOIN pd n ON n.id = p.id WHERE p.text IS NOT n.text "
                                          "ORDER BY p.id")
    ch.text_changed = [r[0] for r in rows]
    t["gold_changed"], rows = _sample(db, "SELECT p.id, p.entities, p.events, n.entities, n.events FROM prev p "
                                          "JOIN pd n ON n.id = p.id WHERE p.gold IS NOT n.gold ORDER BY p.id")
    ch.gold_changed = [(d, {"entities": a, "events": b}, {"entities": c, "events": e}) for d, a, b, c, e in rows]
    t["moved"] = summary.moved_total
    ch.moved = list(summary.moved[:_SHOW])
    m = prev.manifest
    old_schema = m.get("schema_version", "")
    if old_schema.split(".")[0] != facts.schema_version.split(".")[0]:
        ch.breaking.append(f"record schema {old_schema} -> {facts.schema_version}")
    elif old_schema != facts.schema_version:
        ch.additive.append(f"record schema {old_schema} -> {facts.schema_version}")
    if prev.features:
        _schema_changes(prev.features, {c: features_yaml(f) for c, f in facts.features.items()}, ch)
    if m.get("ontology") != facts.ontology.ref():
        ch.other.append(f"ontology {_ref(m.get('ontology'))} -> {_ref(facts.ontology.ref())}")
    old_norm = m.get("normalization", {}).get("profiles", {})
    if sorted(old_norm) != sorted(facts.normalization):
        ch.other.append(f"normalization {', '.join(sorted(old_norm)) or 'none'} -> {', '.join(sorted(facts.normalization))}")
    if m.get("license") != facts.info.license:
        ch.other.append(f"license {m.get('license')} -> {facts.info.license}")

    old, new = parse_version(prev.version), parse_version(facts.version)
    if ch.breaking:
        need_major = old[0] >= 1
        if (need_major and new[0] <= old[0]) or (not need_major and new[:2] <= old[:2]):
            raise ReleaseError(
                f"version {facts.version} is too small: breaking schema changes since {prev.version} need a "
                f"{'major' if need_major else 'minor (0.x)'} release: " + "; ".join(ch.breaking))
    elif ch.additive and new[:2] <= old[:2]:
        raise ReleaseError(f"version {facts.version} is too small: schema additions since {prev.version} need at "
                           f"least a minor release: " + "; ".join(ch.additive))
    return ch


def _ref(r) -> str:
    return f"{r.get('name')} {r.get('version')}" if isinstance(r, dict) else repr(r)


def _ids(ids: list[str], total: int) -> str:
    shown = ", ".join(f"`{d}`" for d in ids[:_SHOW])
    return shown + (f" … and {total - len(ids[:_SHOW])} more" if total > len(ids[:_SHOW]) else "")


def render_changelog(facts: "ReleaseFacts", prev: PreviousRelease | None) -> str:
    date = f" - {facts.date}" if facts.date else ""
    lines = ["# Changelog", "", f"Releases of {facts.info.pretty_name} (`{facts.info.name}`), newest first.", "",
             f"## [{facts.version}]{date}", ""]
    ch = facts.changes
    t = {k: sum(s[k] for s in facts.totals.values()) for k in ("documents", "sentences", "tokens", "entities", "events")}
    summary = (f"{t['documents']} documents, {t['sentences']} sentences, {t['tokens']} tokens, "
               f"{t['entities']} entity mentions, {t['events']} event mentions; schema {facts.schema_version}, "
               f"ontology {facts.ontology.name} {facts.ontology.version}.")
    if prev is None or ch is None:
        lines += ["First release.", "", f"- {summary}", ""]
    else:
        lines += [f"Changes since {prev.version}. Now: {summary}", ""]
        sections = [
            ("Schema: breaking changes", ch.breaking),
            ("Schema: additions", ch.additive),
            ("Other changes", ch.other),
        ]
        total = ch.totals.get
        if ch.added:
            lines += [f"### Documents added ({total('added', len(ch.added))})", "",
                      _ids(ch.added, total("added", len(ch.added))), ""]
        if ch.removed:
            lines += [f"### Documents removed ({total('removed', len(ch.removed))})", "",
                      _ids(ch.removed, total("removed", len(ch.removed))), ""]
        if ch.text_changed:
            n = total("text_changed", len(ch.text_changed))
            lines += [f"### Document text changed ({n})", "", _ids(ch.text_changed, n), ""]
        if ch.gold_changed:
            n = total("gold_changed", len(ch.gold_changed))
            lines += [f"### Annotations changed ({n} documents)", ""]
            for d, o, new in ch.gold_changed[:_SHOW]:
                lines.append(f"- `{d}`: entities {o['entities']} -> {new['entities']}, events {o['events']} -> {new['events']}")
            if n > len(ch.gold_changed[:_SHOW]):
                lines.append(f"- … and {n - len(ch.gold_changed[:_SHOW])} more")
            lines.append("")
        if ch.moved:
            n = total("moved", len(ch.moved))
            lines += [f"### Documents that changed split ({n})", ""]
            lines += [f"- `{m['id']}`: {m['from']} -> {m['to']} ({m['reason']})" for m in ch.moved[:_SHOW]]
            if n > len(ch.moved[:_SHOW]):
                lines.append(f"- … and {n - len(ch.moved[:_SHOW])} more")
            lines.append("")
        for title, items in sections:
            if items:
                lines += [f"### {title}", ""] + [f"- {x}" for x in items] + [""]
        if ch.empty:
            lines += ["No changes to documents, annotations or schema.", ""]
    if prev is not None and prev.changelog:
        old = prev.changelog.split("\n## ", 1)
        if len(old) == 2:
            lines += ["## " + old[1].rstrip("\n"), ""]
    return "\n".join(lines).rstrip("\n") + "\n"

"""``build_release``: documents + gold -> a self-contained, versioned release folder.

Two streaming passes over the documents: the first records where each document is (file
and byte offset), its near-duplicate link and digests; the second reads the released
documents back in (split, id) order and writes each config's Parquet files batch by batch.
Nothing holds every text in memory, and the output does not depend on input order.

The release is assembled in a hidden sibling folder and renamed into place at the end, so
a failed build leaves nothing behind and an existing version is never touched.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import msgspec

from ..errors import InputError, ReleaseError
from ..io import jsonl_files
from ..ontology import Ontology, load_ontology
from ..records import Annotation, Document, decode_annotation, decode_document, text_sha256
from ..schemas import SCHEMA_VERSION
from .features import CONFIGS, arrow_schema, config_features
from .inputs import CorpusInfo
from .manifest import MANIFEST
from .rows import ReleaseRows, annotation_digest, annotation_problems
from .splits import DEFAULT_RATIOS, DEFAULT_SEED, SPLITS, assign_splits

__all__ = ["build_release", "ReleaseResult", "ReleaseFacts", "parse_version", "release_date", "find_previous",
           "GOLD_STATUSES", "MANIFEST", "FIGURE"]

#: annotation statuses a release takes as gold (imported corpora come as "imported")
GOLD_STATUSES = ("gold", "imported")
FIGURE = "label_distribution.png"
_BATCH_ROWS = 2000
def record_files(folder: Path) -> list[Path]:
    return [p for p in jsonl_files([folder], "*.jsonl*") if p.name.endswith((".jsonl", ".jsonl.gz"))]
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$")


def parse_version(version: str) -> tuple:
    """A sortable key of a semantic version; a pre-release sorts before its release."""
    m = _VERSION.match(version or "")
    if not m:
        raise ReleaseError(f"version must be semantic, MAJOR.MINOR.PATCH (e.g. 0.1.0); got {version!r}")
    major, minor, patch, pre = m.groups()
    return (int(major), int(minor), int(patch), (1,) if pre is None else (0, pre))


def release_date(date: str | None = None) -> str | None:
    """The release date: given explicitly, or from SOURCE_DATE_EPOCH; never the wall clock,
    so that rebuilding gives the same bytes."""
    if date:
        try:
            return _dt.date.fromisoformat(date).isoformat()
        except ValueError:
            raise ReleaseError(f"--date must be YYYY-MM-DD; got {date!r}") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
        except ValueError:
            raise ReleaseError(f"SOURCE_DATE_EPOCH must be an integer (seconds); got {epoch!r}") from None
    return None


@dataclass
class _DocRef:
    path: Path
    offset: int
    line: int
    near_duplicate_of: str | None
    digest: str
    text_sha256: str


@dataclass
class ReleaseFacts:
    """Everything the card, datasheet, Croissant file and changelog say, taken from the data."""

    version: str
    date: str | None
    info: CorpusInfo
    ontology: Ontology
    features: dict
    #: config -> split -> {"rows", "num_bytes", "path"}
    files: dict[str, dict[str, dict]]
    #: split -> {"documents", "sentences", "tokens", "entities", "events", "arguments"}
    totals: dict[str, Counter]
    #: kind ("entities", "events", "levels", "roles") -> split -> Counter of label
    labels: dict[str, dict[str, Counter]]
    ner_stats: dict
    normalization: Counter
    languages: Counter
    formats: Counter
    outlets: Counter
    published: tuple[str, str] | None
    annotators: Counter
    policies: Counter
    unannotated: list[str]
    near_duplicate_groups: int
    splits: dict
    agreement: dict | None
    previous_version: str | None
    schema_version: str = SCHEMA_VERSION
    figure: str = FIGURE
    changes: object = None

    @property
    def configs(self) -> list[str]:
        return [c for c in CONFIGS if c in self.files]

    @property
    def documents(self) -> int:
        return sum(t["documents"] for t in self.totals.values())


@dataclass
class ReleaseResult:
    path: Path
    version: str
    manifest: dict
    facts: ReleaseFacts = field(repr=False)


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _index_documents(paths: Path) -> Iterator[tuple[Document, _DocRef]]:
    for path in record_files(paths):
        with _open(path) as f:
            offset, n = 0, 0
            for raw in iter(f.readline, b""):
                n += 1
                here, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                try:
                    doc = decode_document(raw)
                except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                    raise InputError(f"{path}:{n}", f"not a valid Document: {exc}") from None
                yield doc, _DocRef(path, here, n, doc.near_duplicate_of, text_sha256(raw.decode("utf-8").rstrip("\n")),
                                   doc.text_sha256)


def _read_document(ref: _DocRef, handles: dict) -> Document:
    f = handles.get(ref.path)
    if f is None:
        f = handles[ref.path] = _open(ref.path)
    f.seek(ref.offset)
    return decode_document(f.readline())


def find_previous(releases: Path | None, version: str) -> Path | None:
    """The highest released version below ``version`` in ``releases`` (a folder per version)."""
    if releases is None or not releases.is_dir():
        return None
    key = parse_version(version)
    best = None
    for d in releases.iterdir():
        if d.is_dir() and _VERSION.match(d.name) and (d / MANIFEST).is_file():
            k = parse_version(d.name)
            if k > key:
                raise ReleaseError(f"{releases}: version {d.name} is already released; a new release must be "
                                   f"greater than it, not {version} (or give --previous explicitly)")
            if k < key and (best is None or k > parse_version(best.name)):
                best = d
    return best


def build_release(
    version: str,
    *,
    documents: str | Path,
    gold: str | Path,
    out: str | Path,
    ontology: Ontology | None = None,
    info: CorpusInfo | None = None,
    previous: str | Path | None | bool = True,
    resplit: bool = False,
    seed: int = DEFAULT_SEED,
    ratios: tuple[float, ...] = DEFAULT_RATIOS,
    date: str | None = None,
    agreement: dict | None = None,
    log: Callable[[str], None] | None = None,
) -> ReleaseResult:
    """Build release ``version`` into ``out/version`` and return its manifest.

    ``previous``: True finds the highest earlier version beside it in ``out``; a path names a
    previous release folder; None/False builds without one (no changelog diff, fresh splits).
    """
    from . import changelog

    log = log or (lambda msg: None)
    parse_version(version)
    out = Path(out)
    target = out / version
    if target.exists():
        raise ReleaseError(f"{target}: release {version} already exists; a version is never overwritten, "
                           f"choose a new version number")
    ontology = ontology or load_ontology()
    info = info or CorpusInfo(name="corpus", pretty_name="corpus", license="other")
    date = release_date(date)
    if previous is True:
        prev_dir = find_previous(out, version)
    elif previous:
        prev_dir = Path(previous)
        if not (prev_dir / MANIFEST).is_file():
            raise ReleaseError(f"{prev_dir}: not a release folder (no {MANIFEST})")
    else:
        prev_dir = None
    prev = changelog.load_previous(prev_dir) if prev_dir else None
    if prev is not None and parse_version(prev.version) >= parse_version(version):
        raise ReleaseError(f"version {version} must be greater than the previous release {prev.version}")

    if not Path(documents).exists():
        raise ReleaseError(f"{documents}: no documents folder; make it first, e.g. `corpus ingest seeds --out {documents}`")
    # pass 1: where each document is, and its digests
    refs: dict[str, _DocRef] = {}
    for doc, ref in _index_documents(Path(documents)):
        if doc.id in refs:
            other = refs[doc.id]
            raise ReleaseError(f"{ref.path}:{ref.line}: document id {doc.id!r} also at {other.path}:{other.line}")
        refs[doc.id] = ref
    if not refs:
        raise ReleaseError(f"{documents}: no documents (run `corpus ingest` first)")
    gold_by_doc, where = _load_gold(Path(gold), refs)
    released = sorted(gold_by_doc)
    unannotated = sorted(set(refs) - set(gold_by_doc))
    log(f"{len(refs)} documents, {len(released)} with gold, {len(unannotated)} without")

    links = {d: refs[d].near_duplicate_of for d in released}
    plan = assign_splits(links, seed=seed, ratios=ratios, previous=prev.assignment if prev else None, resplit=resplit)

    features = config_features(ontology)
    schemas = {c: arrow_schema(f, config=c, version=version) for c, f in features.items()}
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".tmp", dir=out))
    try:
        facts = _write_data(tmp, version, date, info, ontology, features, schemas, refs, gold_by_doc, where,
                            released, unannotated, plan, agreement, prev, log)
        facts.changes = changelog.compare(prev, facts, refs, gold_by_doc, plan) if prev else None
        manifest = _write_metadata(tmp, facts, refs, gold_by_doc, plan, prev)
        try:
            os.rename(tmp, target)
        except OSError as exc:
            raise ReleaseError(f"{target}: cannot move the release into place: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"release {version} written to {target}")
    return ReleaseResult(target, version, manifest, facts)


def _load_gold(paths: Path, refs: dict[str, _DocRef]) -> tuple[dict[str, Annotation], dict[str, str]]:
    if not paths.exists():
        raise ReleaseError(f"{paths}: no gold annotations folder; make it with `corpus adjudicate` (or give --gold)")
    gold: dict[str, Annotation] = {}
    where: dict[str, str] = {}
    problems: list[str] = []
    for path in record_files(paths):
        with _open(path) as f:
            for n, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                here = f"{path}:{n}"
                try:
                    ann = decode_annotation(raw)
                except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                    problems.append(f"{here}: not a valid Annotation: {exc}")
                    continue
                if ann.status not in GOLD_STATUSES:
                    problems.append(f"{here}: annotation {ann.id!r} of document {ann.document_id!r}: $.status: "
                                    f"only {' or '.join(GOLD_STATUSES)} annotations are released (value {ann.status!r})")
                elif ann.document_id not in refs:
                    problems.append(f"{here}: annotation {ann.id!r}: $.document_id: no such document "
                                    f"(value {ann.document_id!r})")
                elif ann.document_id in gold:
                    problems.append(f"{here}: annotation {ann.id!r}: $.document_id: document {ann.document_id!r} "
                                    f"already has gold at {where[ann.document_id]}")
                else:
                    gold[ann.document_id] = ann
                    where[ann.document_id] = here
    if problems:
        raise ReleaseError(_problem_report(problems))
    if not gold:
        raise ReleaseError(f"{paths}: no gold annotations; a release holds adjudicated (gold) documents only")
    return gold, where


def _problem_report(problems: list[str], limit: int = 30) -> str:
    head = "\n  ".join(problems[:limit])
    more = f"\n  … and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s) in the release inputs; nothing was released:\n  {head}{more}"


def _write_data(tmp, version, date, info, ontology, features, schemas, refs, gold_by_doc, where, released,
                unannotated, plan, agreement, prev, log) -> ReleaseFacts:
    import pyarrow.parquet as pq

    files: dict[str, dict[str, dict]] = {}
    totals = {s: Counter() for s in SPLITS}
    labels = {k: {s: Counter() for s in SPLITS} for k in ("entities", "events", "levels", "roles")}
    facts_counters = {k: Counter() for k in ("normalization", "languages", "formats", "outlets", "annotators", "policies")}
    published: list[str] = []
    problems: list[str] = []
    ner_stats = None
    handles: dict = {}
    by_split = {s: [d for d in released if plan.assignment[d] == s] for s in SPLITS}
    try:
        for split in SPLITS:
            rows = ReleaseRows(features, ontology, schemas)
            writers: dict = {}

            def flush(final: bool = False) -> None:
                for config in features:
                    n = rows.rows(config)
                    if n == 0 or (not final and n < _BATCH_ROWS):
                        continue
                    rel = f"{config}/{split}-00000-of-00001.parquet"
                    if config not in writers:
                        (tmp / config).mkdir(exist_ok=True)
                        writers[config] = pq.ParquetWriter(
                            tmp / rel, schemas[config], compression="zstd", compression_level=9,
                            write_statistics=True, store_schema=True)
                        files.setdefault(config, {})[split] = {"rows": 0, "num_bytes": 0, "path": rel}
                    batch = rows.batch(config)
                    writers[config].write_batch(batch)
                    entry = files[config][split]
                    entry["rows"] += batch.num_rows
                    entry["num_bytes"] += batch.nbytes

            for doc_id in by_split[split]:
                doc = _read_document(refs[doc_id], handles)
                ann = gold_by_doc[doc_id]
                found = list(annotation_problems(doc, ann, ontology))
                if found:
                    problems += [f"{where[doc_id]}: document {doc_id!r}: annotation {ann.id!r}: {p}: {m} (value {v!r})"
                                 for p, m, v in found]
                    continue
                rows.add(doc, ann)
                t = totals[split]
                t["documents"] += 1
                t["sentences"] += len(doc.sentences)
                t["tokens"] += len(doc.tokens)
                t["characters"] += len(doc.text)
                t["entities"] += len(ann.entities)
                t["events"] += len(ann.events)
                t["arguments"] += sum(len(e.arguments) for e in ann.events)
                labels["entities"][split].update(e.type for e in ann.entities)
                labels["levels"][split].update(e.level or "none" for e in ann.entities)
                labels["events"][split].update(e.type for e in ann.events)
                labels["roles"][split].update(a.role for e in ann.events for a in e.arguments)
                facts_counters["normalization"][f"{doc.normalization.profile} {doc.normalization.version}"] += 1
                facts_counters["languages"][doc.language] += 1
                facts_counters["formats"][doc.source.format] += 1
                if doc.metadata.outlet:
                    facts_counters["outlets"][doc.metadata.outlet] += 1
                if doc.metadata.published:
                    published.append(doc.metadata.published)
                annotators = ann.provenance.annotators if ann.provenance and ann.provenance.annotators else [ann.annotator]
                facts_counters["annotators"].update(annotators)
                facts_counters["policies"][ann.provenance.policy if ann.provenance else ann.status] += 1
                flush()
            flush(final=True)
            for config, w in writers.items():
                w.close()
                entry = files[config][split]
                entry["bytes"] = (tmp / entry["path"]).stat().st_size
            stats = rows.stats.to_dict()
            if ner_stats is None:
                ner_stats = stats
            else:
                for k, v in stats.items():
                    if k == "examples":
                        for kind, ex in v.items():
                            ner_stats["examples"].setdefault(kind, [])
                            ner_stats["examples"][kind] = (ner_stats["examples"][kind] + ex)[:5]
                    else:
                        ner_stats[k] += v
            log(f"{split}: {totals[split]['documents']} documents")
    finally:
        for f in handles.values():
            f.close()
    if problems:
        raise ReleaseError(_problem_report(problems))
    files = {c: {s: files[c][s] for s in SPLITS if s in files[c]} for c in CONFIGS if c in files}
    return ReleaseFacts(
        version=version, date=date, info=info, ontology=ontology, features=features, files=files,
        totals=totals, labels=labels, ner_stats=ner_stats or {},
        normalization=facts_counters["normalization"], languages=facts_counters["languages"],
        formats=facts_counters["formats"], outlets=facts_counters["outlets"],
        published=(min(published), max(published)) if published else None,
        annotators=facts_counters["annotators"], policies=facts_counters["policies"],
        unannotated=unannotated,
        near_duplicate_groups=len(set(plan.group_of.values())),
        splits=plan.to_manifest(), agreement=agreement,
        previous_version=prev.version if prev else None,
    )


def _write_metadata(tmp: Path, facts: ReleaseFacts, refs, gold_by_doc, plan, prev) -> dict:
    from ..io import atomic_write
    from . import card, changelog, croissant, datasheet, figure, manifest

    from .changelog import FEATURES_FILE
    from .features import features_yaml
    from .manifest import dumps

    # every declared config, even one without rows this time, so the next release can diff schemas
    atomic_write(tmp / FEATURES_FILE, dumps({
        "schema_version": facts.schema_version, "ontology": facts.ontology.ref(),
        "configs": {c: features_yaml(f) for c, f in facts.features.items()},
    }))
    if facts.agreement:
        atomic_write(tmp / "agreement.json", json.dumps(facts.agreement, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    figure.write_label_figure(tmp / facts.figure, facts)
    atomic_write(tmp / "README.md", card.render_card(facts))
    atomic_write(tmp / "DATASHEET.md", datasheet.render_datasheet(facts))
    atomic_write(tmp / "CHANGELOG.md", changelog.render_changelog(facts, prev))
    atomic_write(tmp / "croissant.json", croissant.render_croissant(tmp, facts))
    per_doc = {
        d: {"document": refs[d].digest, "text": refs[d].text_sha256, "gold": annotation_digest(gold_by_doc[d]),
            "entities": len(gold_by_doc[d].entities), "events": len(gold_by_doc[d].events)}
        for d in sorted(gold_by_doc)
    }
    inputs = {
        "documents": {"count": len(refs), "released": len(gold_by_doc),
                      "sha256": _digest_lines(f"{d} {refs[d].digest}" for d in sorted(refs))},
        "gold": {"count": len(gold_by_doc),
                 "sha256": _digest_lines(f"{d} {per_doc[d]['gold']}" for d in sorted(per_doc))},
        "unannotated": facts.unannotated,
        "per_document": per_doc,
    }
    return manifest.write_manifest(tmp, facts, inputs)


def _digest_lines(lines) -> str:
    return text_sha256("\n".join(lines))


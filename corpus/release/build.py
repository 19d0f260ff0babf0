"""``build_release``: documents + gold -> a self-contained, versioned release folder.

Memory does not grow with the number of documents: everything kept per document (where it
is: file and byte offset; its near-duplicate link; digests; its split) lives in a SQLite
database in a scratch folder, not in Python dicts. The passes:

1. documents: a light decode (id, near_duplicate_of) and the sha256 of each line, into
   table ``docs``; gold: a light decode (id, document_id, status) into ``gold``. Missing
   documents and duplicate gold are found with SQL joins.
2. splits (``splits.plan_splits``): near-duplicate groups and the split of every released
   document, keeping the previous release's splits (table ``prev``, streamed from its
   ``splits.jsonl``).
3. data: released documents and their gold read back by offset in (split, id) order,
   decoded in full, checked, and written to each config's Parquet file batch by batch;
   only counters and label tallies stay in memory.
4. metadata: ``splits.jsonl`` (every document id with its split, group and digests,
   sorted, written as a stream and listed in the manifest with its sha256), the changelog
   diff (SQL anti-joins against ``prev``), card, datasheet, Croissant, figure, manifest.

The output does not depend on input order. Gzipped inputs are decompressed once into the
scratch folder, since seeking in a gzip stream re-reads it from the start.

The release is assembled in a hidden sibling folder and renamed into place at the end, so
a failed build leaves nothing behind and an existing version is never touched.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import heapq
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import msgspec

from ..errors import InputError, ReleaseError
from ..io import jsonl_files
from ..ontology import Ontology, load_ontology
from ..records import decode_annotation, decode_document
from ..schemas import SCHEMA_VERSION
from .features import CONFIGS, arrow_schema, config_features
from .inputs import CorpusInfo
from .manifest import MANIFEST
from .rows import ReleaseRows, annotation_digest, annotation_problems
from .splits import DEFAULT_RATIOS, DEFAULT_SEED, SPLITS, check_ratios, create_split_tables, plan_splits

__all__ = ["build_release", "ReleaseResult", "ReleaseFacts", "parse_version", "release_date", "find_previous",
           "GOLD_STATUSES", "MANIFEST", "FIGURE", "SPLITS_FILE"]

#: annotation statuses a release takes as gold (imported corpora come as "imported")
GOLD_STATUSES = ("gold", "imported")
FIGURE = "label_distribution.png"
#: every document id with its split, group and digests, one JSON object a line, by id
SPLITS_FILE = "splits.jsonl"
#: rows per batch (= per Parquet row group) by config. ``documents`` rows carry whole texts
#: and token offsets: 500 keep the column buffers (Python lists until the batch is built)
#: to some 40 MiB. (10,000-row entity/event batches, for fewer footer entries, raised the
#: peak by ~15 MiB at N = 5,000 and 20,000: the footers are the smaller cost.)
_BATCH_ROWS = {"documents": 500, "entities": 2000, "events": 2000, "ner": 2000}
#: zstd level of the Parquet files: Arrow's default (1), as the pyarrow ceiling of the
#: benchmark. Measured on the train split of the N = 5,000 benchmark corpus (3,877
#: documents config rows, 8.6 MB): level 9 made that file 9.7% smaller (7.8 MB) but took
#: ~5x the time to write (1.2 s vs 0.2 s; ~0.25 ms per document, about a fifth of the whole
#: release), level 3 1.6% smaller at about the same time. Every build pays the time; the
#: bytes saved are a tenth of a download that `datasets` caches once. Level 1 it is.
_ZSTD_LEVEL = None


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
    #: ingested documents without gold (listed in splits.jsonl with split null)
    unannotated: int
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


class _DocKey(msgspec.Struct):
    """What pass 1 needs of a Document; msgspec skips the rest (text, tokens) unparsed."""

    id: str
    near_duplicate_of: str | None = None


class _GoldKey(msgspec.Struct):
    id: str
    document_id: str
    status: str


class _Sources:
    """Input files by number. Lines are read back by byte offset; a gzipped file is
    decompressed once into the scratch folder, as seeking in gzip re-reads from the start."""

    def __init__(self, work: Path):
        self.work = work
        self.paths: list[Path] = []  # as given, for messages
        self._read: list[Path] = []  # what to open for reading by offset
        self._handles: dict[int, object] = {}

    def lines(self, path: Path) -> Iterator[tuple[int, int, int, bytes]]:
        """(file number, byte offset, line number, raw line) of every non-blank line."""
        idx = len(self.paths)
        self.paths.append(path)
        if path.suffix != ".gz":
            self._read.append(path)
            with open(path, "rb") as f:
                yield from self._scan(idx, f, None)
            return
        spool = self.work / f"spool-{idx:05d}.jsonl"
        self._read.append(spool)
        with gzip.open(path, "rb") as f, open(spool, "wb") as out:
            yield from self._scan(idx, f, out)

    @staticmethod
    def _scan(idx, f, copy):
        offset = 0
        for n, raw in enumerate(f, 1):
            here, offset = offset, offset + len(raw)
            if copy is not None:
                copy.write(raw)
            if raw.strip():
                yield idx, here, n, raw

    def read(self, idx: int, offset: int, size: int) -> bytes:
        """The line at ``offset``, ``size`` bytes long: one pread, no buffer to refill."""
        f = self._handles.get(idx)
        if f is None:
            f = self._handles[idx] = open(self._read[idx], "rb", buffering=0)
        return os.pread(f.fileno(), size, offset)

    def where(self, idx: int, line: int) -> str:
        return f"{self.paths[idx]}:{line}"

    def close(self) -> None:
        for f in self._handles.values():
            f.close()
        self._handles.clear()


class _Problems:
    """The first ``limit`` problems in input order (by a sequence number) and how many in all:
    a corpus with a million bad records must not hold a million messages."""

    def __init__(self, limit: int = 30):
        self.limit = limit
        self.total = 0
        self._heap: list[tuple[int, str]] = []  # max-heap by sequence (negated)

    def add(self, seq: int, message: str) -> None:
        self.total += 1
        item = (-seq, message)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def __bool__(self) -> bool:
        return self.total > 0

    def report(self) -> str:
        shown = [m for _, m in sorted(self._heap, reverse=True)]
        head = "\n  ".join(shown)
        more = f"\n  … and {self.total - len(shown)} more" if self.total > len(shown) else ""
        return f"{self.total} problem(s) in the release inputs; nothing was released:\n  {head}{more}"


def _open_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    # a scratch database: no journal, no fsync. Its page cache (and the sorter's memory) is
    # SQLite's default 2 MiB: 16 or 64 MiB bought no measurable speed at N = 100,000 and
    # filled up with N to their cap (+8 MiB peak RSS from N = 5,000 to 20,000 at 16 MiB)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -2048", "temp_store = FILE"):
        db.execute(f"PRAGMA {pragma}")
    return db


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
    ratios = check_ratios(ratios)
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
    if not Path(gold).exists():
        raise ReleaseError(f"{gold}: no gold annotations folder; make it with `corpus adjudicate` (or give --gold)")

    from .figure import FigureWorker

    # scratch (SQLite index, unpacked inputs) beside the release, not in a /tmp that may be
    # memory (tmpfs): at a million documents it is large
    Path(out).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".corpus-release-{version}-scratch-", dir=out))
    sources = _Sources(work)
    db = _open_db(work / "release.sqlite")
    tmp = None
    drawer = FigureWorker()  # imports matplotlib on the other core meanwhile
    try:
        n_docs = _index_documents(db, sources, Path(documents))
        if not n_docs:
            raise ReleaseError(f"{documents}: no documents (run `corpus ingest` first)")
        n_gold = _index_gold(db, sources, Path(gold))
        unannotated = _check_unannotated(db, sources)
        log(f"{n_docs} documents, {n_gold} with gold, {unannotated} without")

        if prev is not None:  # before the split tables: it makes the full ``prev`` table
            changelog.load_previous_documents(prev, db)
        create_split_tables(db)
        db.execute("INSERT INTO released SELECT g.doc, d.ndup FROM gold g JOIN docs d ON d.id = g.doc")
        summary = plan_splits(db, seed=seed, ratios=ratios, resplit=resplit)
        db.commit()

        features = config_features(ontology)
        schemas = {c: arrow_schema(f, config=c, version=version) for c, f in features.items()}
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".tmp", dir=out))
        facts = _write_data(tmp, db, sources, version, date, info, ontology, features, schemas, unannotated,
                            summary, agreement, prev, log)
        facts.changes = changelog.compare(prev, facts, db, summary) if prev else None
        manifest = _write_metadata(tmp, facts, db, n_docs, prev, drawer)
        # mkdtemp makes a private folder; a release is published: the usual folder mode
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)
        try:
            os.rename(tmp, target)
        except OSError as exc:
            raise ReleaseError(f"{target}: cannot move the release into place: {exc}") from None
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        drawer.close()
        sources.close()
        db.close()
        shutil.rmtree(work, ignore_errors=True)
    log(f"release {version} written to {target}")
    return ReleaseResult(target, version, manifest, facts)


def _index_documents(db: sqlite3.Connection, sources: _Sources, folder: Path) -> int:
    """Pass 1 over the documents into table ``docs``; a repeated id is an error naming both places."""
    db.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, f INT, off INT, n INT, line INT, ndup TEXT, digest TEXT) WITHOUT ROWID")
    decoder = msgspec.json.Decoder(_DocKey)
    batch: list[tuple] = []
    n = 0

    def flush():
        try:
            db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
        except sqlite3.IntegrityError:
            db.rollback()
            _raise_duplicate_document(db, sources, batch)
        batch.clear()

    for path in record_files(folder):
        for idx, off, line, raw in sources.lines(path):
            try:
                key = decoder.decode(raw)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise InputError(sources.where(idx, line), f"not a valid Document: {exc}") from None
            batch.append((key.id, idx, off, len(raw), line, key.near_duplicate_of, hashlib.sha256(raw.rstrip(b"\n")).hexdigest()))
            n += 1
            if len(batch) >= 5000:
                flush()
                db.commit()
    flush()
    db.commit()
    return n


def _raise_duplicate_document(db, sources: _Sources, batch: list[tuple]) -> None:
    """A batch hit an id seen before: find the first repeated one, say where both are."""
    seen: dict[str, tuple] = {}
    for row in batch:  # rows as inserted: (id, file, offset, size, line, ...)
        other = seen.get(row[0]) or db.execute("SELECT id, f, off, n, line FROM docs WHERE id = ?", (row[0],)).fetchone()
        if other is not None:
            raise ReleaseError(f"{sources.where(row[1], row[4])}: document id {row[0]!r} also at "
                               f"{sources.where(other[1], other[4])}")
        seen[row[0]] = row
    raise ReleaseError("duplicate document id in the inputs")  # pragma: no cover - the loop finds it


def _index_gold(db: sqlite3.Connection, sources: _Sources, folder: Path) -> int:
    """Gold annotations into table ``gold``: where each is; every problem (not an
    Annotation, not gold, no such document, a second gold for a document) is reported."""
    db.execute("CREATE TABLE gold (seq INTEGER PRIMARY KEY, doc TEXT, ann TEXT, f INT, off INT, n INT, line INT)")
    decoder = msgspec.json.Decoder(_GoldKey)
    problems = _Problems()
    batch: list[tuple] = []
    seq = 0
    for path in record_files(folder):
        for idx, off, line, raw in sources.lines(path):
            seq += 1
            here = sources.where(idx, line)
            try:
                key = decoder.decode(raw)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                problems.add(seq, f"{here}: not a valid Annotation: {exc}")
                continue
            if key.status not in GOLD_STATUSES:
                problems.add(seq, f"{here}: annotation {key.id!r} of document {key.document_id!r}: $.status: "
                                  f"only {' or '.join(GOLD_STATUSES)} annotations are released (value {key.status!r})")
                continue
            batch.append((seq, key.document_id, key.id, idx, off, len(raw), line))
            if len(batch) >= 5000:
                db.executemany("INSERT INTO gold VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
                batch.clear()
    db.executemany("INSERT INTO gold VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
    db.execute("CREATE INDEX gold_doc ON gold (doc, seq)")
    for seq, ann, doc, idx, line in db.execute(
            "SELECT seq, ann, doc, f, line FROM gold g WHERE NOT EXISTS (SELECT 1 FROM docs d WHERE d.id = g.doc)"):
        problems.add(seq, f"{sources.where(idx, line)}: annotation {ann!r}: $.document_id: no such document (value {doc!r})")
    for seq, ann, doc, idx, line, fidx, fline in db.execute(
            "SELECT g.seq, g.ann, g.doc, g.f, g.line, first.f, first.line FROM "
            "(SELECT doc, min(seq) AS m FROM gold GROUP BY doc HAVING count(*) > 1) x "
            "JOIN gold g ON g.doc = x.doc AND g.seq > x.m JOIN gold first ON first.seq = x.m "
            "WHERE EXISTS (SELECT 1 FROM docs d WHERE d.id = g.doc)"):
        problems.add(seq, f"{sources.where(idx, line)}: annotation {ann!r}: $.document_id: document {doc!r} "
                          f"already has gold at {sources.where(fidx, fline)}")
    if problems:
        raise ReleaseError(problems.report())
    n = db.execute("SELECT count(*) FROM gold").fetchone()[0]
    if not n:
        raise ReleaseError(f"{folder}: no gold annotations; a release holds adjudicated (gold) documents only")
    db.commit()
    return n


def _check_unannotated(db: sqlite3.Connection, sources: _Sources) -> int:
    """Documents without gold are not released, but are still checked to be Documents
    (pass 1 read only their id and link); returns how many there are."""
    n = 0
    for idx, off, size, line in db.execute("SELECT d.f, d.off, d.n, d.line FROM docs d WHERE NOT EXISTS "
                                     "(SELECT 1 FROM gold g WHERE g.doc = d.id) ORDER BY d.f, d.off"):
        n += 1
        try:
            decode_document(sources.read(idx, off, size))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise InputError(sources.where(idx, line), f"not a valid Document: {exc}") from None
    return n


#: columns whose min/max statistics are worthless and large: each row group's footer entry
#: would carry two whole article texts, and a writer keeps every footer entry until it
#: closes (about 1 MB a 77,000-document file; memory growing with N)
_NO_STATISTICS = {"documents": ("text",)}


def _statistics_columns(schema) -> list[str]:
    """Parquet column paths to keep statistics for: all but ``_NO_STATISTICS``."""
    import io

    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(schema.empty_table(), buf)
    config = json.loads((schema.metadata or {}).get(b"corpus", b"{}")).get("config")
    skip = set(_NO_STATISTICS.get(config, ()))
    paths = pq.ParquetFile(io.BytesIO(buf.getvalue())).schema
    return [paths.column(i).path for i in range(len(paths)) if paths.column(i).path.split(".")[0] not in skip]


_SPLIT_ORDER = "CASE a.split " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(SPLITS)) + " END"


def _write_data(tmp, db, sources, version, date, info, ontology, features, schemas, unannotated, summary, agreement,
                prev, log) -> ReleaseFacts:
    import pyarrow.parquet as pq

    files: dict[str, dict[str, dict]] = {}
    totals = {s: Counter() for s in SPLITS}
    labels = {k: {s: Counter() for s in SPLITS} for k in ("entities", "events", "levels", "roles")}
    facts_counters = {k: Counter() for k in ("normalization", "languages", "formats", "outlets", "annotators", "policies")}
    published: list[str] = []  # [earliest, latest]
    problems = _Problems()
    ner_stats = None
    db.execute("CREATE TABLE pd (id TEXT PRIMARY KEY, text TEXT, gold TEXT, entities INT, events INT) WITHOUT ROWID")
    per_doc: list[tuple] = []
    rows = writers = split = None
    level = {} if _ZSTD_LEVEL is None else {"compression_level": _ZSTD_LEVEL}
    stats_columns = {c: _statistics_columns(schemas[c]) for c in features}
    def flush(final: bool = False) -> None:
        for config in features:
            n = rows.rows(config)
            limit = _BATCH_ROWS.get(config, 2000)
            if n == 0 or (not final and n < limit):
                continue
            rel = f"{config}/{split}-00000-of-00001.parquet"
            if config not in writers:
                (tmp / config).mkdir(exist_ok=True)
                writers[config] = pq.ParquetWriter(tmp / rel, schemas[config], compression="zstd",
                                                   write_statistics=stats_columns[config], store_schema=True, **level)
                files.setdefault(config, {})[split] = {"rows": 0, "num_bytes": 0, "path": rel}
            batch = rows.batch(config)
            writers[config].write_batch(batch)
            entry = files[config][split]
            entry["rows"] += batch.num_rows
            entry["num_bytes"] += batch.nbytes

    def close_split() -> None:
        nonlocal ner_stats
        flush(final=True)
        for w in writers.values():
            w.close()
        for config in writers:
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

    query = db.execute(
        f"SELECT a.split, a.id, d.f, d.off, d.n, d.line, g.f, g.off, g.n, g.line FROM asg a JOIN docs d ON d.id = a.id "
        f"JOIN gold g ON g.doc = a.id ORDER BY {_SPLIT_ORDER}, a.id")
    seq = 0
    for s, doc_id, df, doff, dn, dline, gf, goff, gn, gline in query:
        seq += 1
        if s != split:
            if split is not None:
                close_split()
            split, rows, writers = s, ReleaseRows(features, ontology, schemas), {}
        gwhere = sources.where(gf, gline)
        try:
            doc = decode_document(sources.read(df, doff, dn))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise InputError(sources.where(df, dline), f"not a valid Document: {exc}") from None
        try:
            ann = decode_annotation(sources.read(gf, goff, gn))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            problems.add(seq, f"{gwhere}: not a valid Annotation: {exc}")
            continue
        found = list(annotation_problems(doc, ann, ontology))
        if found:
            for p, m, v in found:
                problems.add(seq, f"{gwhere}: document {doc_id!r}: annotation {ann.id!r}: {p}: {m} (value {v!r})")
            continue
        if problems:  # nothing will be released: only look for more problems
            continue
        per_doc.append((doc_id, doc.text_sha256, annotation_digest(ann), len(ann.entities), len(ann.events)))
        if len(per_doc) >= 5000:
            db.executemany("INSERT INTO pd VALUES (?, ?, ?, ?, ?)", per_doc)
            per_doc.clear()
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
        p = doc.metadata.published
        if p:
            if not published:
                published = [p, p]
            elif p < published[0]:
                published[0] = p
            elif p > published[1]:
                published[1] = p
        annotators = ann.provenance.annotators if ann.provenance and ann.provenance.annotators else [ann.annotator]
        facts_counters["annotators"].update(annotators)
        facts_counters["policies"][ann.provenance.policy if ann.provenance else ann.status] += 1
        flush()
    if problems:
        raise ReleaseError(problems.report())
    if split is not None:
        close_split()
    db.executemany("INSERT INTO pd VALUES (?, ?, ?, ?, ?)", per_doc)
    db.commit()
    files = {c: {s: files[c][s] for s in SPLITS if s in files[c]} for c in CONFIGS if c in files}
    return ReleaseFacts(
        version=version, date=date, info=info, ontology=ontology, features=features, files=files,
        totals=totals, labels=labels, ner_stats=ner_stats or {},
        normalization=facts_counters["normalization"], languages=facts_counters["languages"],
        formats=facts_counters["formats"], outlets=facts_counters["outlets"],
        published=tuple(published) if published else None,
        annotators=facts_counters["annotators"], policies=facts_counters["policies"],
        unannotated=unannotated,
        near_duplicate_groups=summary.groups,
        splits=summary.to_manifest(SPLITS_FILE), agreement=agreement,
        previous_version=prev.version if prev else None,
    )


def _write_metadata(tmp: Path, facts: ReleaseFacts, db: sqlite3.Connection, n_docs: int, prev, drawer) -> dict:
    from ..io import atomic_write
    from . import card, changelog, croissant, datasheet, manifest

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
    drawer.start(tmp / facts.figure, facts)  # drawn in the child while the rest is written
    atomic_write(tmp / "README.md", card.render_card(facts))
    atomic_write(tmp / "DATASHEET.md", datasheet.render_datasheet(facts))
    atomic_write(tmp / "CHANGELOG.md", changelog.render_changelog(facts, prev))
    atomic_write(tmp / "croissant.json", croissant.render_croissant(tmp, facts))
    docs_digest, gold_digest, released = _write_splits_file(tmp / SPLITS_FILE, db)
    drawer.wait()
    inputs = {
        "documents": {"count": n_docs, "released": released, "sha256": docs_digest},
        "gold": {"count": released, "sha256": gold_digest},
        "unannotated": facts.unannotated,
        "per_document": SPLITS_FILE,
    }
    return manifest.write_manifest(tmp, facts, inputs)


class _LineDigest:
    """sha256 of lines joined by newlines, fed one line at a time."""

    def __init__(self):
        self.h = hashlib.sha256()
        self.first = True

    def add(self, line: str) -> None:
        self.h.update((line if self.first else "\n" + line).encode("utf-8"))
        self.first = False

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def _write_splits_file(path: Path, db: sqlite3.Connection) -> tuple[str, str, int]:
    """Every document id, by id: split (null: no gold, not released), near-duplicate group,
    sha256 of its input line and of its text, the digest of its gold and its counts.
    Returns the digests of the documents and gold inputs, and the released count."""
    encode = msgspec.json.Encoder().encode
    docs, gold = _LineDigest(), _LineDigest()
    released = 0
    with open(path, "wb") as f:
        buf = []
        for doc_id, digest, split, grp, text, gdigest, ents, evs in db.execute(
                "SELECT d.id, d.digest, a.split, a.grp, p.text, p.gold, p.entities, p.events FROM docs d "
                "LEFT JOIN asg a ON a.id = d.id LEFT JOIN pd p ON p.id = d.id ORDER BY d.id"):
            docs.add(f"{doc_id} {digest}")
            if split is not None:
                released += 1
                gold.add(f"{doc_id} {gdigest}")
            buf.append(encode({"id": doc_id, "split": split, "group": grp, "document": digest, "text": text,
                               "gold": gdigest, "entities": ents, "events": evs}))
            if len(buf) >= 5000:
                f.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    return docs.hexdigest(), gold.hexdigest(), released

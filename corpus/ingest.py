"""Ingest: raw files to normalized Document records, streamed into JSONL shards.

The pipeline for one document (``document_from_raw``) is a pure function, so it runs the
same in this process or in a pool (``jobs``):

    decoded raw --html_to_text--> t0 --normalize--> t1 --boilerplate--> t2 --whitespace--> text

Each step records its edits; the composed edits map ``text`` back onto the decoded raw
source exactly (``corpus.to_raw``/``corpus.from_raw``), and every removed stretch of
boilerplate is kept as a raw span with its reason.

``ingest`` adds what needs the whole stream: exact duplicates (same id, or the same text
after normalization) are kept once and reported; near-duplicates (MinHash over word
5-grams, LSH with 8 bands of 8 rows: Jaccard 0.8 is flagged with probability 0.77,
0.5 with 0.03) are flagged with the id they resemble; rejects are written with their
reason; shards appear atomically. The dedup index stays in memory (~360 bytes a kept
document) up to ``IngestOptions.dedup_memory`` and moves to a scratch SQLite file past
it, so memory does not grow with the size of the archive (the reports of rejects and
duplicates are streamed to their files too).

With ``jobs`` > 1, worker processes (forked on Linux) read, build and encode chunks of
documents and spool the records to files; the parent deduplicates in input order and copies the kept records into
the shards (the output is the same as with one process, byte for byte).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from array import array
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, NamedTuple

import msgspec
import numpy as np

from . import _kernels
from .boilerplate import find_boilerplate
from .errors import CorpusError, InputError
from .io import ShardWriter, atomic_stream
from .normalize import Profile, clean_whitespace, get_profile
from .offsets import EditBuilder, OffsetMap, compose
from .readers import JsonlFields, RawDoc, ReadOptions, _inputs, read_path
from .records import DOC_ID, Document, Extraction, Metadata, Normalization, Removed, Source, decode_document, encode
from .schemas import SCHEMA_VERSION
from .segment import _bmp_tables, _code_points, _segment_cps

__all__ = ["IngestOptions", "IngestReport", "document_from_raw", "document_from_text", "ingest"]

EXTRACTION_VERSION = "1.0.0"


@dataclass(frozen=True)
class IngestOptions:
    profile: Profile = field(default_factory=get_profile)
    language: str = "ar"
    fields: JsonlFields = JsonlFields()
    boilerplate: bool = True
    near_duplicates: bool = True
    shard_size: int = 10_000
    dedup_memory: int | None = 256 << 20  # bytes of dedup index kept in memory; past it, on disk


def document_from_raw(raw: RawDoc, options: IngestOptions = IngestOptions()) -> Document:
    """Normalize, strip boilerplate and segment one raw document."""
    return _build(raw, options)[0]


def _build(raw: RawDoc, options: IngestOptions, *, raw_tokens: bool = False) -> tuple[Document, np.ndarray, np.ndarray, np.ndarray]:
    """The document, its code points and its token starts and ends (for the MinHash).

    With ``raw_tokens``, the document's tokens are their JSON already (``msgspec.Raw``),
    for a document that is only to be encoded."""
    removed: list[tuple[int, int, str]] = []
    meta: dict = dict(raw.metadata)
    if raw.format == "html":
        from .html import html_to_text, main_content_lines

        t0, e0, removed, html_meta = html_to_text(raw.raw)
        method = "html-tokenizer+trafilatura"
    else:
        t0, e0, html_meta = raw.raw, [], {}
        method = "text-rules"
    t1, e1 = options.profile(t0)
    e01 = compose(e0, e1)
    cuts: list[tuple[int, int, str]] = []
    if options.boilerplate:
        if raw.format == "html":
            lines, extra = main_content_lines(raw.raw, t1)
            cuts.extend(lines)
            for k, v in extra.items():
                html_meta.setdefault(k, v)
        found = find_boilerplate(t1)
        cuts.extend(found.removed)
        if found.outlet:
            meta.setdefault("outlet", found.outlet)
        if found.title:
            html_meta.setdefault("title", found.title)
    for k, v in html_meta.items():
        meta.setdefault(k, v)
    # delete the boilerplate lines of t1, then tidy the white space the cuts leave
    b = EditBuilder(t1)
    to_raw = OffsetMap(e01, len(raw.raw), len(t1))
    for s, e, reason in sorted(set(cuts)):
        if s < b.pos:
            continue
        b.replace(s, e, "")
        rs, re_ = to_raw.to_src(s, e)
        removed.append((rs, re_, reason))
    t2, e2 = b.finish()
    # the profile already tidied t1: only cuts can leave white space to tidy
    text, e3 = clean_whitespace(t2) if e2 else (t2, [])
    if not text:
        what = "no text after boilerplate removal" if removed else "document without text (empty or white space only)"
        raise InputError(_where(raw), what)
    edits = compose(e01, compose(e2, e3))
    cps = _code_points(text)
    sentences, starts, ends = _segment_cps(text, cps)
    if raw_tokens:
        tokens = msgspec.Raw(_kernels.spans_json(starts, ends).tobytes())
    else:
        tokens = np.stack([starts, ends], axis=1).tolist()
    doc_id = raw.doc_id if raw.doc_id is not None else raw.sha256[:16]
    if not DOC_ID.match(doc_id):
        raise InputError(_where(raw), "id is not usable as a document id (letters, digits and . _ : - only, at most 128)", field="id", value=doc_id)
    metadata = Metadata(
        title=meta.get("title"), url=meta.get("url"), published=meta.get("published"),
        author=meta.get("author"), outlet=meta.get("outlet"),
    )
    return Document(
        schema_version=SCHEMA_VERSION,
        id=doc_id,
        text=text,
        language=options.language,
        source=Source(
            path=raw.path, sha256=raw.sha256, encoding=raw.encoding, format=raw.format,
            url=meta.get("url"), compression=raw.compression, line=raw.line, field=raw.text_field,
        ),
        normalization=Normalization(**options.profile.describe()),
        extraction=Extraction(method=method, version=EXTRACTION_VERSION),
        raw_length=len(raw.raw),
        edits=edits,
        removed=[Removed(start=s, end=e, reason=r, text=raw.raw[s:e]) for s, e, r in sorted(removed)],
        sentences=sentences,
        tokens=tokens,
        metadata=metadata,
    ), cps, starts, ends


def document_from_text(
    text: str, *, path: str = "inline.txt", doc_id: str | None = None, metadata: dict | None = None,
    options: IngestOptions = IngestOptions(),
) -> Document:
    """A Document from a string, as ``ingest`` would make it from a UTF-8 .txt file."""
    data = text.encode("utf-8")
    raw = RawDoc(path=path, raw=text, sha256=hashlib.sha256(data).hexdigest(), encoding="utf-8", format="txt",
                 doc_id=doc_id, metadata=dict(metadata or {}))
    return document_from_raw(raw, options)


def _where(raw: RawDoc) -> str:
    return f"{raw.path}:{raw.line}" if raw.line else raw.path


class _File(NamedTuple):
    """A whole-file input (.txt, .html, gzipped or not), read where it is transformed."""

    where: str  # its path as the user named it (a folder argument prefixes its files)
    fmt: str | None
    compression: str | None


def _units(sources: Iterable[str | Path], options: IngestOptions) -> Iterator[_File | RawDoc | InputError]:
    """Units of work: whole files are read by the worker that builds them (so that reading
    and decoding run in parallel too); JSONL files are split into their lines here."""
    read_options = ReadOptions(fields=options.fields)
    for where, fmt, compression, named in _inputs(list(sources)):
        if named and not os.path.exists(where):
            yield InputError(where, "no such file or directory")
        elif fmt == "jsonl":
            yield from read_path(Path(where), where, read_options, known=(fmt, compression))
        else:
            yield _File(where, fmt, compression)


def _read_unit(unit: _File | RawDoc | InputError, read_options: ReadOptions) -> Iterator[RawDoc | InputError]:
    if isinstance(unit, _File):
        yield from read_path(Path(unit.where), unit.where, read_options, known=(unit.fmt, unit.compression))
    else:
        yield unit


class _Built(NamedTuple):
    """What a worker sends back: the encoded record and what dedup needs of it."""

    line: bytes | None  # the encoded record; None when it is in a chunk file (``src``)
    id: str
    path: str
    text_key: int
    id_key: int
    bands: bytes | None  # the 8 LSH band keys of its MinHash signature, uint64 (made in the worker)
    src: int = -1  # the open chunk file holding the record, and where: ``at``, ``size``
    at: int = 0  # (with its newline)
    size: int = 0


def _transform(unit: _File | RawDoc | InputError, options: IngestOptions) -> _Built | InputError:
    """Worker function: one unit read, built and encoded (bytes cross processes far
    cheaper than records)."""
    [item] = _read_unit(unit, ReadOptions(fields=options.fields))  # a whole file is one document
    if isinstance(item, InputError):
        return item
    try:
        doc, cps, starts, ends = _build(item, options, raw_tokens=True)
    except InputError as exc:
        return exc
    bands = None
    if options.near_duplicates:
        keys = np.empty(_kernels.BANDS, dtype=np.uint64)
        bands = keys.tobytes() if _kernels.band_keys(cps, starts, ends, keys) else None  # bytes pickle cheaper
    return _Built(encode(doc), doc.id, doc.source.path, _key64(doc.text.encode("utf-8", "surrogatepass")),
                  _key64(doc.id.encode("utf-8")), bands)


def _built(
    sources: Iterable[str | Path], options: IngestOptions, jobs: int, spool: Path, chunk_done: Callable[[], None],
) -> Iterator[_Built | InputError]:
    """Built records in input order. With ``jobs`` > 1, workers write their records to a
    file a chunk in the ``spool`` folder and send only where they are: a
    hundred megabytes of records then never cross a pipe, and the parent copies them to
    the shards in the kernel (``ShardWriter.write_copy``). A chunk file goes as soon as
    its records are consumed (``chunk_done`` runs first: the writer copies what it
    still holds of it), so the spool holds a few chunks at most."""
    items = _units(sources, options)
    if jobs <= 1:
        for item in items:
            yield _transform(item, options)
        return
    import collections
    import functools
    import itertools
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # At most `window` chunks are between reading and writing, so neither raw documents
    # nor results pile up in memory when one side is faster; chunks of documents are
    # one task each, so the parent pays a wake-up and a lock a chunk, not a document. A
    # worker that dies (killed, out of memory) breaks the executor: the run fails with
    # that error instead of waiting for a result that will not come.
    window = 4 * jobs
    _bmp_tables()  # built once here, not once a worker (forked workers inherit it)
    work = functools.partial(_transform_chunk, options=options, spool=str(spool))
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        pending: collections.deque = collections.deque()
        while True:
            while len(pending) < window and (chunk := list(itertools.islice(items, _CHUNK))):
                pending.append(pool.submit(work, chunk))
            if not pending:
                break
            try:
                chunk_file, results = pending.popleft().result()
            except BrokenProcessPool as exc:
                raise CorpusError(f"ingest: a worker process died ({exc}); out of memory? Try fewer --jobs") from None
            fd = os.open(chunk_file, os.O_RDONLY)
            try:
                for r in results:
                    yield r if isinstance(r, InputError) else r._replace(src=fd)
                chunk_done()
            finally:
                os.close(fd)
                os.unlink(chunk_file)


_CHUNK = 128  # documents a task


def _transform_chunk(units: list, options: IngestOptions, spool: str) -> tuple[str, list[_Built | InputError]]:
    """Worker function: a chunk of units built, their records written to one chunk file."""
    results = [_transform(unit, options) for unit in units]
    parts: list[bytes] = []
    pos = 0
    for i, r in enumerate(results):
        if isinstance(r, _Built):
            assert r.line is not None
            parts += (r.line, b"\n")
            results[i] = r._replace(line=None, at=pos, size=len(r.line) + 1)
            pos += len(r.line) + 1
    fd, path = tempfile.mkstemp(dir=spool, prefix=".chunk-", suffix=".tmp")  # never taken for a shard
    with os.fdopen(fd, "wb") as f:
        f.write(b"".join(parts))
    return path, results


# --- near-duplicates ------------------------------------------------------------------
# MinHash over word 5-grams, 64 values in 8 bands of 8 rows: corpus._kernels.band_keys


class _KeyTable:
    """64-bit key -> int32 value, open addressing in two flat numpy arrays, probed by
    compiled code (corpus._kernels).

    12 bytes a slot, at most 3/4 full (linear probing stays short there with a mixed
    key): 16-32 bytes a key, where a dict of Python ints costs over 100. Dedup indexes
    hold ~10 keys a document, so this is what keeps ingest of a million documents well
    under 1 GiB.
    """

    def __init__(self, capacity: int = 1 << 12):
        self._keys = np.zeros(capacity, dtype=np.uint64)
        self._vals = np.zeros(capacity, dtype=np.int32)
        self._used = 0
        self._one = np.empty(1, dtype=np.uint64)
        self._out = np.empty(64, dtype=np.int32)

    def setdefault_many(self, keys: np.ndarray, value: int) -> np.ndarray:
        """For each key, in order: the value stored for it, storing ``value`` first if it
        has none (a key repeated in ``keys`` gets ``value`` both times)."""
        while (self._used + len(keys)) * 4 > 3 * len(self._keys):  # at most 3/4 full
            self._grow()
        out = self._out[: len(keys)] if len(keys) <= len(self._out) else np.empty(len(keys), dtype=np.int32)
        self._used += _kernels.table_setdefault(self._keys, self._vals, keys, value, out)
        return out

    def setdefault(self, key: int, value: int) -> int:
        """The value stored for ``key``, storing ``value`` first if there is none."""
        self._one[0] = key & 0xFFFFFFFFFFFFFFFF
        return int(self.setdefault_many(self._one, value)[0])

    def get(self, key: int) -> int | None:
        """The value stored for ``key``, or None."""
        v = _kernels.table_get(self._keys, self._vals, np.uint64(key & 0xFFFFFFFFFFFFFFFF))
        return None if v < 0 else int(v)

    def full_after(self, n: int) -> bool:
        """Whether ``n`` more keys make the table double."""
        return (self._used + n) * 4 > 3 * len(self._keys)

    def nbytes_after(self, n: int) -> int:
        """Bytes of the table once ``n`` more keys are in (it doubles past 3/4 full)."""
        cap = len(self._keys)
        while (self._used + n) * 4 > 3 * cap:
            cap *= 2
        return 12 * cap

    def items(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The stored keys and values, a slice of the table at a time."""
        for lo in range(0, len(self._keys), 1 << 16):
            keys, vals = self._keys[lo : lo + (1 << 16)], self._vals[lo : lo + (1 << 16)]
            used = keys != 0
            yield keys[used], vals[used]

    def _grow(self) -> None:
        keys = np.zeros(2 * len(self._keys), dtype=np.uint64)
        vals = np.zeros(2 * len(self._keys), dtype=np.int32)
        _kernels.table_rehash(self._keys, self._vals, keys, vals)
        self._keys, self._vals = keys, vals


def _key64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class _Strings:
    """An append-only list of strings in one buffer: ~24 bytes a 16-character id, where a
    list of str objects costs ~75."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("Q")

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> str:
        start = self._ends[i - 1] if i else 0
        return self._data[start : self._ends[i]].decode("utf-8", "surrogatepass")

    def append(self, s: str) -> None:
        self._data += s.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))

    def nbytes(self) -> int:
        return len(self._data) + 8 * len(self._ends)


class _SeenIndex:
    """What ingest remembers of the documents it kept: ids, text hashes, LSH bands.

    In memory (compact tables, ~360 bytes a document) up to ``budget`` bytes; past it the
    whole index moves to a scratch SQLite database in ``scratch`` (its page cache bounded)
    and stays there, so ingest's memory stops growing with N. Both answer the same: a
    test runs the same input through both.
    """

    def __init__(self, budget: int | None = None, scratch: Path | None = None) -> None:
        self.ids = _Strings()
        self._by_id = _KeyTable()
        self._by_text = _KeyTable()
        self._bands = _KeyTable()
        self._budget = budget
        self._scratch = scratch
        self.disk: _DiskIndex | None = None

    def duplicate_of(self, id_key: int, text_key: int) -> tuple[str, str] | None:
        """The kept document this one duplicates (by the 64-bit hashes of its id and text),
        and how; nothing is recorded here."""
        if self.disk is not None:
            return self.disk.duplicate_of(id_key, text_key)
        first = self._by_id.get(id_key)
        if first is not None:
            return self.ids[first], "same id"
        first = self._by_text.get(text_key)
        if first is not None:
            return self.ids[first], "same text after normalization"
        return None

    def keep(self, doc_id: str, id_key: int, text_key: int, bands: bytes | None) -> str | None:
        """Record a kept document; the id of an earlier near-duplicate, if any."""
        if (self.disk is None and self._budget is not None and (self._grows() or not len(self.ids))
                and self._bytes_after_keep() > self._budget):
            self._spill()
        if self.disk is not None:
            return self.disk.keep(doc_id, id_key, text_key, bands)
        n = len(self.ids)
        self.ids.append(doc_id)
        self._by_id.setdefault(id_key, n)
        self._by_text.setdefault(text_key, n)
        if bands is None:
            return None
        firsts = self._bands.setdefault_many(np.frombuffer(bands, dtype=np.uint64), n)
        earlier = np.flatnonzero(firsts != n)
        return self.ids[firsts[earlier[0]]] if len(earlier) else None

    def _grows(self) -> bool:
        """Whether keeping one more document doubles a table (the index grows in steps)."""
        return self._bands.full_after(_kernels.BANDS) or self._by_id.full_after(1) or self._by_text.full_after(1)

    def _bytes_after_keep(self) -> int:
        return (self.ids.nbytes() + self._by_id.nbytes_after(1) + self._by_text.nbytes_after(1)
                + self._bands.nbytes_after(_kernels.BANDS))

    def _spill(self) -> None:
        assert self._scratch is not None, "a memory budget needs a scratch folder"
        fd, path = tempfile.mkstemp(prefix="dedup-", suffix=".sqlite", dir=self._scratch)
        os.close(fd)
        self.disk = _DiskIndex(Path(path), self.ids,
                               [(_ID, self._by_id), (_TEXT, self._by_text), (_BAND, self._bands)])
        self.ids = _Strings()
        self._by_id = self._by_text = self._bands = _KeyTable(capacity=1)

    def close(self) -> None:
        if self.disk is not None:
            self.disk.close()


_ID, _TEXT, _BAND = 0, 1, 2
_BANDS_FOUND = f"SELECT key, first FROM keys WHERE kind = {_BAND} AND key IN ({','.join('?' * _kernels.BANDS)})"


def _signed(key: int) -> int:
    """A 64-bit key as SQLite stores integers (signed), 0 read as 1 as the tables do."""
    key = (key & 0xFFFFFFFFFFFFFFFF) or 1
    return key - (1 << 64) if key >= 1 << 63 else key


class _DiskIndex:
    """The dedup index in SQLite: ``keys(kind, key) -> first document``, ``ids(n) -> id``."""

    def __init__(self, path: Path, ids: _Strings, tables: list[tuple[int, "_KeyTable"]]):
        import sqlite3

        self._db = db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")  # scratch: a crash loses nothing that matters
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages at most
        db.execute("CREATE TABLE ids(n INTEGER PRIMARY KEY, id TEXT NOT NULL)")
        db.execute("CREATE TABLE keys(kind INTEGER, key INTEGER, first INTEGER NOT NULL, PRIMARY KEY(kind, key)) WITHOUT ROWID")
        db.execute("BEGIN")
        db.executemany("INSERT INTO ids VALUES (?, ?)", ((n, ids[n]) for n in range(len(ids))))
        for kind, table in tables:
            for keys, vals in table.items():
                db.executemany("INSERT INTO keys VALUES (?, ?, ?)",
                               zip([kind] * len(keys), keys.view(np.int64).tolist(), vals.tolist()))
        self.count = self._flushed = len(ids)
        self._pending: list[tuple[int, str]] = []

    def _id(self, n: int) -> str:
        if n >= self._flushed:
            return self._pending[n - self._flushed][1]
        return self._db.execute("SELECT id FROM ids WHERE n = ?", (n,)).fetchone()[0]

    def duplicate_of(self, id_key: int, text_key: int) -> tuple[str, str] | None:
        rows = dict(self._db.execute("SELECT kind, first FROM keys WHERE (kind = 0 AND key = ?) OR (kind = 1 AND key = ?)",
                                     (_signed(id_key), _signed(text_key))))
        if _ID in rows:
            return self._id(rows[_ID]), "same id"
        if _TEXT in rows:
            return self._id(rows[_TEXT]), "same text after normalization"
        return None

    def keep(self, doc_id: str, id_key: int, text_key: int, bands: bytes | None) -> str | None:
        db, n = self._db, self.count
        self.count += 1
        self._pending.append((n, doc_id))
        rows = [(_ID, _signed(id_key), n), (_TEXT, _signed(text_key), n)]
        match = None
        if bands is not None:
            keys = [_signed(k) for k in np.frombuffer(bands, dtype=np.uint64).tolist()]
            found = dict(db.execute(_BANDS_FOUND, keys))
            # the first band (in band order) that an earlier document shares
            match = next((self._id(found[k]) for k in keys if k in found), None)
            rows += [(_BAND, k, n) for k in keys]
        db.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)", rows)
        if len(self._pending) >= 4096:  # ids go in batches; _id reads the batch not yet written
            db.executemany("INSERT INTO ids VALUES (?, ?)", self._pending)
            self._flushed, self._pending = self.count, []
            db.execute("COMMIT")
            db.execute("BEGIN")
        return match

    def close(self) -> None:
        self._db.close()


# --- the stage ------------------------------------------------------------------------


@dataclass
class IngestReport:
    documents: int = 0
    rejected: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    shards: list[str] = field(default_factory=list)
    rejects_path: str | None = None


def ingest(
    sources: Iterable[str | Path],
    out_dir: str | Path,
    options: IngestOptions = IngestOptions(),
    *,
    jobs: int = 1,
    progress: bool = True,
    stderr: IO[str] | None = None,
) -> IngestReport:
    """Ingest files and folders into ``out_dir``; see the module docstring."""
    stderr = stderr or sys.stderr
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = IngestReport()
    sources = list(sources)
    if not sources:
        raise CorpusError("nothing to ingest: give at least one file or folder")
    bar: _progress | None = None
    try:
        # shards appear together when the run ends, and the reports after them; the reports
        # are written as they come (a run may reject or find duplicates by the million)
        with atomic_stream(out / "rejects.jsonl") as rejects, atomic_stream(out / "duplicates.jsonl") as duplicates, \
                ShardWriter(out, "documents", options.shard_size, index=True) as writer, \
                tempfile.TemporaryDirectory(prefix=".ingest-spool-", dir=out) as spool, \
                contextlib.closing(_SeenIndex(options.dedup_memory, Path(spool))) as seen:
            for item in _built(sources, options, jobs, Path(spool), writer.flush_copies):
                if bar is None:  # started once the workers are: no thread of its own is forked
                    bar = _progress(progress)
                bar.advance()
                if isinstance(item, InputError):
                    report.rejected += 1
                    stderr.write(f"rejected: {item}\n")
                    rejects.write(msgspec.json.encode({"source": item.where, "reason": item.reason, "field": item.field,
                                                       "value": None if item.value is None else repr(item.value)[:200]}) + b"\n")
                    continue
                dup = seen.duplicate_of(item.id_key, item.text_key)
                if dup is not None:
                    first, kind = dup
                    report.duplicates += 1
                    stderr.write(f"duplicate: {item.path} ({item.id}) is {kind} as {first}; kept once\n")
                    duplicates.write(msgspec.json.encode({"id": item.id, "source": item.path, "duplicate_of": first,
                                                          "kind": kind}) + b"\n")
                    continue
                similar = seen.keep(item.id, item.id_key, item.text_key, item.bands)
                if similar is None:
                    if item.line is None:
                        writer.write_copy(item.src, item.at, item.size, item.id)
                    else:
                        writer.write_line(item.line, item.id)
                else:
                    report.near_duplicates += 1
                    line = item.line if item.line is not None else os.pread(item.src, item.size, item.at)[:-1]
                    writer.write(msgspec.structs.replace(decode_document(line), near_duplicate_of=similar))
                report.documents += 1
    finally:
        if bar is not None:
            bar.close()
    report.shards = [str(p) for p in writer.paths]
    report.rejects_path = str(out / "rejects.jsonl")
    return report


class _progress:
    """A rich progress counter on a terminal, nothing otherwise or when quiet."""

    def __init__(self, enabled: bool):
        self._p = None
        if enabled and sys.stderr.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._p = Progress(SpinnerColumn(), TextColumn("ingest: {task.completed} documents"), TimeElapsedColumn(), transient=True)
            self._p.start()
            self._task = self._p.add_task("ingest", total=None)

    def advance(self) -> None:
        if self._p is not None:
            self._p.advance(self._task)

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()

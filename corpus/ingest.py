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
reason; shards appear atomically.
"""

from __future__ import annotations

import hashlib
from array import array
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator, NamedTuple

import msgspec
import numpy as np

from .boilerplate import find_boilerplate
from .errors import CorpusError, InputError
from .io import ShardWriter, atomic_write
from .normalize import Profile, clean_whitespace, get_profile
from .offsets import EditBuilder, OffsetMap, compose
from .readers import JsonlFields, RawDoc, ReadOptions, find_inputs, format_of, read_path
from .records import DOC_ID, Document, Extraction, Metadata, Normalization, Removed, Source, decode_document, encode
from .schemas import SCHEMA_VERSION
from .segment import segment_arrays

__all__ = ["IngestOptions", "IngestReport", "document_from_raw", "document_from_text", "iter_documents", "ingest"]

EXTRACTION_VERSION = "1.0.0"


@dataclass(frozen=True)
class IngestOptions:
    profile: Profile = field(default_factory=get_profile)
    language: str = "ar"
    fields: JsonlFields = JsonlFields()
    boilerplate: bool = True
    near_duplicates: bool = True
    shard_size: int = 10_000


class _Rejected(Exception):
    def __init__(self, error: InputError):
        self.error = error


def document_from_raw(raw: RawDoc, options: IngestOptions = IngestOptions()) -> Document:
    """Normalize, strip boilerplate and segment one raw document."""
    return _build(raw, options)[0]


def _build(raw: RawDoc, options: IngestOptions) -> tuple[Document, np.ndarray]:
    """The document, and its token bounds as an array (for the MinHash)."""
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
    sentences, bounds = segment_arrays(text)
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
        tokens=bounds.tolist(),
        metadata=metadata,
    ), bounds


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


def iter_raw(sources: Iterable[str | Path], options: IngestOptions) -> Iterator[RawDoc | InputError]:
    """Raw documents (or the InputError of what cannot be read), in input order."""
    read_options = ReadOptions(fields=options.fields)
    for unit in _units(sources, options):
        yield from _read_unit(unit, read_options)


class _File(NamedTuple):
    """A whole-file input (.txt, .html, gzipped or not), read where it is transformed."""

    path: Path
    where: str


def _units(sources: Iterable[str | Path], options: IngestOptions) -> Iterator[_File | RawDoc | InputError]:
    """Units of work: whole files are read by the worker that builds them (so that reading
    and decoding run in parallel too); JSONL files are split into their lines here."""
    read_options = ReadOptions(fields=options.fields)
    for path in find_inputs(list(sources)):
        where = str(path)  # as the user named it (a folder argument prefixes its files)
        if not path.exists():
            yield InputError(where, "no such file or directory")
        elif format_of(path)[0] == "jsonl":
            yield from read_path(path, where, read_options)
        else:
            yield _File(path, where)


def _read_unit(unit: _File | RawDoc | InputError, read_options: ReadOptions) -> Iterator[RawDoc | InputError]:
    if isinstance(unit, _File):
        yield from read_path(unit.path, unit.where, read_options)
    else:
        yield unit


class _Built(NamedTuple):
    """What a worker sends back: the encoded record and what dedup needs of it."""

    line: bytes
    id: str
    path: str
    text_key: int
    bands: list[int] | None  # the LSH band keys of its MinHash signature (made in the worker)


def _transform(unit: _File | RawDoc | InputError, options: IngestOptions) -> _Built | InputError:
    """Worker function: one unit read, built and encoded (bytes cross processes far
    cheaper than records)."""
    [item] = _read_unit(unit, ReadOptions(fields=options.fields))  # a whole file is one document
    if isinstance(item, InputError):
        return item
    try:
        doc, bounds = _build(item, options)
    except InputError as exc:
        return exc
    sig = _minhash(doc.text, bounds) if options.near_duplicates else None
    bands = None if sig is None else _band_keys(sig).tolist()
    return _Built(encode(doc), doc.id, doc.source.path, _key64(doc.text.encode("utf-8")), bands)


def _built(sources: Iterable[str | Path], options: IngestOptions, jobs: int) -> Iterator[_Built | InputError]:
    items = _units(sources, options)
    if jobs <= 1:
        for item in items:
            yield _transform(item, options)
        return
    import functools
    import multiprocessing as mp

    import threading

    # Pool.imap reads its input in a thread as fast as it can and keeps every result that
    # is ready but not yet consumed: with no bound, a reader faster than the workers (or
    # workers faster than the writer) piles raw documents or results up in memory. A
    # semaphore keeps at most `window` documents between reading and writing.
    chunksize = 32
    window = threading.BoundedSemaphore(max(4 * chunksize * jobs, 256))

    def bounded(it: Iterator) -> Iterator:
        for item in it:
            window.acquire()  # never blocks the consumer: window > one pending chunk
            yield item

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ctx.Pool(jobs) as pool:
        for result in pool.imap(functools.partial(_transform, options=options), bounded(items), chunksize=chunksize):
            window.release()
            yield result


def iter_documents(
    sources: Iterable[str | Path], options: IngestOptions = IngestOptions(), jobs: int = 1
) -> Iterator[Document | InputError]:
    """Documents (or the InputError of what could not be read), in input order, before
    deduplication."""
    for item in _built(sources, options, jobs):
        yield item if isinstance(item, InputError) else decode_document(item.line)


# --- near-duplicates ------------------------------------------------------------------

_PERMS = 64
_BANDS = 8
_SHINGLE = 5


_P = np.uint64(0x100000001B3)
_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_powers = np.ones(1, dtype=np.uint64)
_inv_powers = np.ones(1, dtype=np.uint64)


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    global _powers, _inv_powers
    if len(_powers) <= n:
        size = max(n + 1, 2 * len(_powers))
        with np.errstate(over="ignore"):
            _powers = np.cumprod(np.concatenate([[np.uint64(1)], np.full(size - 1, _P, dtype=np.uint64)]), dtype=np.uint64)
            _inv_powers = np.cumprod(np.concatenate([[np.uint64(1)], np.full(size - 1, _P_INV, dtype=np.uint64)]), dtype=np.uint64)
    return _powers, _inv_powers


_EMPTY = np.uint64(2**64 - 1)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_STEP = np.uint64(0x632BE59BD9B4E019)


def _minhash(text: str, bounds: np.ndarray) -> np.ndarray | None:
    """A MinHash signature of 64 values over word 5-grams, by one-permutation hashing with
    densification (Shrivastava 2017): each shingle is hashed once and falls in one of 64
    bins, whose minimum is kept; an empty bin borrows from the next filled one. Token
    hashes are polynomial hashes of the code points, all at once from prefix sums."""
    n_tok = len(bounds)
    if n_tok < _SHINGLE:
        return None
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    pw, inv = _power_tables(len(cps))
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(cps) + 1, dtype=np.uint64)
        np.cumsum((cps + np.uint64(1)) * pw[: len(cps)], out=prefix[1:])
        h = (prefix[bounds[:, 1]] - prefix[bounds[:, 0]]) * inv[bounds[:, 0]]
        n = n_tok - _SHINGLE + 1
        sh = np.zeros(n, dtype=np.uint64)
        for k in range(_SHINGLE):
            sh = sh * np.uint64(1_000_003) + h[k : k + n]
        x = sh * _MIX
        x ^= x >> np.uint64(31)
        x *= _STEP
        bins = (x >> np.uint64(64 - 6)).astype(np.intp)
        sig = np.full(_PERMS, _EMPTY, dtype=np.uint64)
        np.minimum.at(sig, bins, x & np.uint64(2**58 - 1))
        filled = sig != _EMPTY
        if not filled.all():
            # densification: an empty bin takes the next filled bin's value (circularly),
            # shifted by the distance, so two documents agree there only if they agree there
            pos = np.where(np.concatenate([filled, filled]), np.arange(2 * _PERMS), 4 * _PERMS)
            nxt = np.minimum.accumulate(pos[::-1])[::-1][:_PERMS]
            dist = (nxt - np.arange(_PERMS)).astype(np.uint64)
            sig = np.where(filled, sig, sig[nxt % _PERMS] + dist * _STEP)
    return sig


class _KeyTable:
    """64-bit key -> int32 value, open addressing in two flat arrays.

    16 bytes a slot at most half full: about 32 bytes a key, where a dict of Python ints
    costs over 100. Dedup indexes hold ~10 keys a document, so this is what keeps ingest
    of a million documents under 1 GiB. ``array`` rather than numpy: probing reads single
    slots, and an array item is a Python int at a third of a numpy scalar's cost.
    """

    def __init__(self, capacity: int = 1 << 12):
        self._keys = array("Q", bytes(8 * capacity))
        self._vals = array("i", bytes(4 * capacity))
        self._mask = capacity - 1
        self._used = 0

    def _slot(self, key: int) -> tuple[int, int]:
        """``(slot, key)``: the slot holding ``key``, or the empty slot where it would go."""
        key = (key & 0xFFFFFFFFFFFFFFFF) or 1  # 0 marks an empty slot
        keys = self._keys
        mask = self._mask
        i = ((key * 0x9E3779B97F4A7C15) >> 7) & mask
        while keys[i] != 0 and keys[i] != key:
            i = (i + 1) & mask
        return i, key

    def setdefault(self, key: int, value: int) -> int:
        """The value stored for ``key``, storing ``value`` first if there is none."""
        i, key = self._slot(key)
        if self._keys[i] == key:
            return self._vals[i]
        self._keys[i] = key
        self._vals[i] = value
        self._used += 1
        if self._used * 2 > len(self._keys):
            self._grow()
        return value

    def get(self, key: int) -> int | None:
        """The value stored for ``key``, or None."""
        i, key = self._slot(key)
        return self._vals[i] if self._keys[i] == key else None

    def _grow(self) -> None:
        keys = np.frombuffer(self._keys, dtype=np.uint64)
        vals = np.frombuffer(self._vals, dtype=np.int32)
        used = np.flatnonzero(keys)
        old_keys, old_vals = keys[used], vals[used]
        self.__init__(len(keys) * 2)
        # re-insert a slice at a time: the Python ints of all keys at once cost ~80 bytes a
        # key (over 300 MB when the band table of a million documents grows), for a moment
        for lo in range(0, len(used), 1 << 16):
            for k, v in zip(old_keys[lo : lo + (1 << 16)].tolist(), old_vals[lo : lo + (1 << 16)].tolist()):
                self.setdefault(k, v)


_BAND_MIX = np.array([(0x9E3779B97F4A7C15 ^ (b * 0xD1B54A32D192ED03)) & 0xFFFFFFFFFFFFFFFF | 1 for b in range(64)], dtype=np.uint64)


def _band_keys(sig: np.ndarray) -> np.ndarray:
    """One 64-bit key a band: its rows mixed (multiply, xor-shift), the band number in the
    multipliers so equal rows in different bands do not collide."""
    rows = sig.reshape(_BANDS, _PERMS // _BANDS)
    with np.errstate(over="ignore"):
        x = rows * _BAND_MIX[: rows.shape[1]] + np.arange(_BANDS, dtype=np.uint64)[:, None] * np.uint64(0x2545F4914F6CDD1D)
        x ^= x >> np.uint64(29)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        key = np.bitwise_xor.reduce(x, axis=1)
        key ^= key >> np.uint64(32)
    return key


def _key64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class _SeenIndex:
    """What ingest remembers of the documents it kept: ids, text hashes, LSH bands."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._by_id = _KeyTable()
        self._by_text = _KeyTable()
        self._bands = _KeyTable()

    def duplicate_of(self, doc_id: str, text_key: int) -> tuple[str, str] | None:
        """The kept document this one duplicates, and how; nothing is recorded here."""
        first = self._by_id.get(_key64(doc_id.encode("utf-8")))
        if first is not None:
            return self.ids[first], "same id"
        first = self._by_text.get(text_key)
        if first is not None:
            return self.ids[first], "same text after normalization"
        return None

    def keep(self, doc_id: str, text_key: int, bands: list[int] | None) -> str | None:
        """Record a kept document; the id of an earlier near-duplicate, if any."""
        n = len(self.ids)
        self.ids.append(doc_id)
        self._by_id.setdefault(_key64(doc_id.encode("utf-8")), n)
        self._by_text.setdefault(text_key, n)
        if bands is None:
            return None
        match = None
        for key in bands:
            first = self._bands.setdefault(key, n)
            if first != n and match is None:
                match = self.ids[first]
        return match


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
    rejects: list[bytes] = []
    duplicates: list[bytes] = []
    seen = _SeenIndex()
    sources = list(sources)
    if not sources:
        raise CorpusError("nothing to ingest: give at least one file or folder")

    def reject(err: InputError) -> None:
        report.rejected += 1
        stderr.write(f"rejected: {err}\n")
        rejects.append(msgspec.json.encode({"source": err.where, "reason": err.reason, "field": err.field,
                                            "value": None if err.value is None else repr(err.value)[:200]}))

    bar = _progress(progress)
    try:
        # shards appear together when the run ends, and the reports after them
        with ShardWriter(out, "documents", options.shard_size) as writer:
            for item in _built(sources, options, jobs):
                bar.advance()
                if isinstance(item, InputError):
                    reject(item)
                    continue
                dup = seen.duplicate_of(item.id, item.text_key)
                if dup is not None:
                    first, kind = dup
                    report.duplicates += 1
                    stderr.write(f"duplicate: {item.path} ({item.id}) is {kind} as {first}; kept once\n")
                    duplicates.append(msgspec.json.encode({"id": item.id, "source": item.path, "duplicate_of": first, "kind": kind}))
                    continue
                similar = seen.keep(item.id, item.text_key, item.bands)
                if similar is None:
                    writer.write_line(item.line)
                else:
                    report.near_duplicates += 1
                    doc = msgspec.structs.replace(decode_document(item.line), near_duplicate_of=similar)
                    writer.write(doc)
                report.documents += 1
    finally:
        bar.close()
    report.shards = [str(p) for p in writer.paths]
    atomic_write(out / "rejects.jsonl", b"".join(r + b"\n" for r in rejects))
    atomic_write(out / "duplicates.jsonl", b"".join(r + b"\n" for r in duplicates))
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

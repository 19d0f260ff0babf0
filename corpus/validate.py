"""Check documents and annotations: first against schema/, then against their meaning.

Label Studio stores whatever a browser sends (a label not in the config, ``end: 999``), so
this stage is where annotation errors are caught. Every problem is reported, not only the
first; each :class:`Problem` names the document id, the annotator, the JSON path
(``$.events[2].arguments[0].role``), the bad value (repr), where the record came from
(``file:line`` or ``labelstudio task N``), and a hint where one exists.

Checks, in the order they are reported for one annotation:

* schema (jsonschema-rs validator compiled once; ``is_valid`` is the fast path, so a valid
  record costs one call into Rust and the error walk runs only for bad records). Annotation
  lines in files first try strict structs (``_StrictAnnotation``) that accept only what the
  schema and records.Annotation both accept: a good line then costs one typed decode; any
  other line goes through jsonschema as before;
* the annotation is bound to the current text of its document (``text_sha256``); a stale
  annotation is reported once and its spans are not compared with a text they were not made
  on (:func:`reanchor` moves them through the offset maps);
* offsets lie inside the text, ``text[start:end]`` equals the stored span text, a span that
  starts or ends inside a token (warning, or error with ``strict_tokens``), no empty spans
  or triggers, no duplicate spans, ids or arguments;
* entity types, event types, roles and event attributes exist in the ontology, the role is
  allowed for the event type, the argument points to an entity of the same annotation, and
  that entity's type may fill the role.

Streaming. :func:`validate_paths` reads its files twice and never holds annotations:

1. every line is probed for its kind with a msgspec struct that decodes only the top-level
   keys telling a Document (``text``) from an Annotation (``document_id``); document lines
   are checked, and indexed in a compact hash table: 64-bit hash of the id -> packed
   (file number, byte offset), 20 bytes a document, no Python object per document;
2. annotation lines are checked one at a time; each one's document is read back from its
   offset (one pread; only id, text and the raw tokens are decoded) into a small LRU cache of views
   (text, sha256, token boundaries as a bitmap). Annotations come grouped by document in
   practice, so the cache hits. With ``jobs`` > 1, forked workers check pieces of ~4 MB of
   the annotation files, sharing the index copy-on-write; the output order is unchanged.

Duplicate ids (documents, annotations) are found from the same kind of hash table after
each pass, and reported at its end with the place of the first occurrence. Gzipped files
cannot seek cheaply, so their documents are kept as views in memory.
:func:`validate_records` takes in-memory iterables: documents are indexed as views,
annotations are streamed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from array import array
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Iterable, Iterator, Literal, Optional

import msgspec

from . import _kernels
from .errors import InputError
from .io import jsonl_files, read_shard_index
from .ontology import Ontology, load_ontology
from .records import (
    Annotation, Document, Entity, Event, decode_document, encode, from_raw, text_sha256, to_dict, to_raw,
)
from .schemas import SCHEMA_VERSION, json_path, load_schema, validator

__all__ = [
    "Problem", "validate_records", "validate_paths", "reanchor", "reanchor_paths",
    "ReanchorResult", "format_problem", "CODES",
]

#: Every problem code with what it means; codes are stable (tests and tools match on them).
CODES = {
    "json": "a line is not a JSON object",
    "unknown-record": "a record is neither a Document nor an Annotation",
    "schema": "the record does not match its JSON Schema",
    "duplicate-document": "two documents have the same id",
    "duplicate-annotation": "two annotations have the same id",
    "token-out-of-range": "a token or sentence of a document lies outside its text or out of order",
    "ontology-mismatch": "the annotation names another ontology than the one checked against",
    "document-not-found": "no document with the annotation's document_id among the documents",
    "document-unreadable": "the annotation's document cannot be read back",
    "stale-text": "the annotation was made on another version of its document's text",
    "offset-reversed": "a span ends before it starts",
    "offset-out-of-range": "a span lies outside the text",
    "span-text-mismatch": "text[start:end] differs from the stored span text",
    "token-boundary": "a span starts or ends inside a token",
    "empty-span": "an entity span is empty or only white space",
    "empty-trigger": "an event trigger is empty or only white space",
    "duplicate-span": "two entities (or two triggers) with the same span and type",
    "duplicate-id": "two entities (or two events) of one annotation share an id",
    "duplicate-argument": "the same role and filler twice in one event",
    "unknown-entity-type": "an entity type not in the ontology",
    "unknown-event-type": "an event type not in the ontology",
    "unknown-role": "a role not in the ontology",
    "role-not-allowed": "a role of the ontology that the event type does not take",
    "dangling-argument": "an argument points to no entity of the same annotation",
    "filler-not-allowed": "the filler's entity type may not fill the role",
    "unknown-attribute": "an event attribute or attribute value not in the ontology",
    "reanchor-text-changed": "re-anchoring moved a span onto different text",
    "reanchor-failed": "a span could not be re-anchored",
}

_HINT_LIMIT = 40  # allowed-value lists longer than this are cut (ids of a big annotation)


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One problem found in one record."""

    severity: Literal["error", "warning"]
    code: str
    document: Optional[str]
    annotator: Optional[str]
    path: str
    value: str
    source: str
    message: str
    hint: Optional[str] = None

    def __str__(self) -> str:
        return format_problem(self)


def format_problem(p: Problem) -> str:
    """One line: ``SOURCE: SEVERITY CODE: document 'D', annotator 'A', PATH = VALUE: MESSAGE; HINT``."""
    who = []
    if p.document is not None:
        who.append(f"document {p.document!r}")
    if p.annotator is not None:
        who.append(f"annotator {p.annotator!r}")
    who.append(f"{p.path} = {p.value}")
    line = f"{p.source}: {p.severity} {p.code}: {', '.join(who)}: {p.message}"
    return f"{line}; {p.hint}" if p.hint else line


def _short(value: Any, limit: int = 80) -> str:
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 1] + "…"


def _allowed(names: Iterable[str]) -> str:
    names = list(names)
    more = f", … ({len(names) - _HINT_LIMIT} more)" if len(names) > _HINT_LIMIT else ""
    return "allowed: " + (", ".join(names[:_HINT_LIMIT]) if names else "(none)") + more


# --------------------------------------------------------------------------- documents


class _DocLite(msgspec.Struct):
    """The fields of a Document that annotation checks read; msgspec skips the others, and
    the tokens stay raw JSON until parsed into arrays (a list of tuples costs more to build
    and to free than the whole check)."""

    id: str
    text: str
    tokens: msgspec.Raw


_lite_decoder = msgspec.json.Decoder(_DocLite)


class _DocView:
    """What annotation checks need of a document: text, its sha256, and the token
    boundaries as a bitmap (``bounds[p]`` is 1 when a token starts or ends at ``p``: the
    fast path) and as a flat array (to name the token a span cuts, on the slow path)."""

    __slots__ = ("id", "text", "sha", "bounds", "flat")

    def __init__(self, doc_id: str, text: str, tokens: Any):
        import numpy as np

        self.id = doc_id
        self.text = text
        self.sha = text_sha256(text)
        n = len(text)
        if isinstance(tokens, msgspec.Raw):
            ok, flat, marks = _kernels.token_marks(np.frombuffer(tokens, dtype=np.uint8), n)
            if ok:  # the common case: one compiled pass parses the pairs and marks them
                self.flat = flat
                self.bounds = marks.tobytes()
                return
            raw = bytes(tokens)
            flat = np.fromstring(raw.translate(None, b"[] \n\r\t"), dtype=np.int64, sep=",")
            negative = b"-" in raw
        else:
            flat = np.array(tokens, dtype=np.int64).reshape(-1)
            negative = True  # not worth finding out: records are views of the few in-memory documents
        self.flat = flat
        # positions outside the text (bad tokens; the document check reports them) must not
        # mark anything: n + 1 goes to a padding byte cut off below, and so does -1 (numpy
        # counts it from the end); the clip is only paid for when a position may be off
        bm = np.zeros(n + 2, dtype=np.uint8)
        if negative:
            bm[flat.clip(-1, n + 1)] = 1
        else:
            try:
                bm[flat] = 1
            except IndexError:  # past n + 1
                bm[np.minimum(flat, n + 1)] = 1
        self.bounds = bm[:n + 1].tobytes()

    @classmethod
    def of(cls, doc: Document) -> "_DocView":
        return cls(doc.id, doc.text, doc.tokens)

    @classmethod
    def read(cls, line: bytes) -> "_DocView":
        """The view of a document line; raises msgspec's error when it is no document."""
        lite = _lite_decoder.decode(line)
        return cls(lite.id, lite.text, lite.tokens)

    def token_around(self, p: int) -> tuple[int, int] | None:
        """The token with ``start < p < end``, if any."""
        if 0 <= p < len(self.bounds) and self.bounds[p]:
            return None  # tokens do not overlap: a boundary is inside no token
        starts = self.flat[0::2]
        i = int(starts.searchsorted(p, "right")) - 1
        if i >= 0:
            s, e = int(self.flat[2 * i]), int(self.flat[2 * i + 1])
            if s < p < e:
                return s, e
        return None


_MASK = (1 << 64) - 1
_OFFSET_BITS = 40  # a location packs (file number << 40) | byte offset: files up to 1 TiB
_READ_GUESS = 16 << 10  # bytes read to get one document line back (most are 5-15 KB)
_READ_BUFFER = 1 << 20  # line reader's buffer: io's 8 KB default copies longer lines in pieces


def _h(rid: str, _blake2b=hashlib.blake2b, _int=int.from_bytes) -> int:
    # not the built-in hash: it is salted per process, and tables made in worker
    # processes are merged (spawned workers would disagree); three calls an annotation,
    # hence the bound names and the plain encode (surrogatepass gives the same bytes)
    try:
        data = rid.encode()
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
        data = rid.encode("utf-8", "surrogatepass")
    return _int(_blake2b(data, digest_size=8).digest(), "little")


class _Files:
    """Open handles of the files read back by offset, and readers of single lines."""

    def __init__(self, files: list[Path]):
        self.files = files
        self._handles: dict[int, Any] = {}  # file number -> descriptor (plain) or gzip file
        self._guess = _READ_GUESS

    def line_at(self, loc: int) -> bytes:
        k, off = loc >> _OFFSET_BITS, loc & ((1 << _OFFSET_BITS) - 1)
        h = self._handles.get(k)
        if h is None:
            path = self.files[k]
            # gzip seeks by decompressing again: used only for the rare duplicate ids
            h = self._handles[k] = gzip.open(path, "rb") if path.suffix == ".gz" else os.open(path, os.O_RDONLY)
        if not isinstance(h, int):
            h.seek(off)
            return h.readline()
        # pread of a guessed size, not seek + readline: a buffered reader copies a line
        # longer than its buffer piecewise, and refills its buffer on every jump back
        while True:
            buf = os.pread(h, self._guess, off)
            end = buf.find(b"\n")
            if end >= 0:
                return buf[:end + 1]
            if len(buf) < self._guess:
                return buf  # the last line, without a newline
            self._guess *= 4  # documents this long are likely to come again

    def where(self, loc: int) -> str:
        return f"{self.files[loc >> _OFFSET_BITS]} (byte {loc & ((1 << _OFFSET_BITS) - 1)})"

    def close(self) -> None:
        for h in self._handles.values():
            os.close(h) if isinstance(h, int) else h.close()
        self._handles.clear()


class _HashTable:
    """A compact multimap 64-bit hash -> packed location (16 bytes an entry): appended to
    while a pass reads, sorted once (numpy) before the first lookup."""

    def __init__(self):
        self._h = array("Q")
        self._loc = array("Q")
        self._line = array("L")
        self._sorted = None

    def add(self, rid: str, loc: int, line: int = 0) -> None:
        self._h.append(_h(rid))
        self._loc.append(loc)
        self._line.append(line)
        self._sorted = None

    def __len__(self) -> int:
        return len(self._h)

    def extend(self, other: "_HashTable") -> None:
        self._h.extend(other._h)
        self._loc.extend(other._loc)
        self._line.extend(other._line)
        self._sorted = None

    def __getstate__(self) -> dict:  # sent back from workers: the arrays only
        return {"_h": self._h, "_loc": self._loc, "_line": self._line, "_sorted": None}

    def _sort(self):
        import numpy as np

        if self._sorted is None:
            h = np.frombuffer(self._h, dtype=np.uint64) if len(self._h) else np.zeros(0, np.uint64)
            order = np.argsort(h, kind="stable")  # stable: equal hashes stay in insertion order
            hs, idx = array("Q"), array("q")
            hs.frombytes(h[order].tobytes())
            idx.frombytes(order.astype(np.int64).tobytes())
            self._sorted = (hs, idx)  # arrays: bisect on them costs less than a numpy call
        return self._sorted

    def candidates(self, rid: str) -> list[tuple[int, int]]:
        """(location, line) of the entries with the hash of ``rid``, latest first."""
        hs, order = self._sort()
        hv = _h(rid)
        i = bisect_left(hs, hv)
        j = i
        while j < len(hs) and hs[j] == hv:
            j += 1
        return [(self._loc[order[k]], self._line[order[k]]) for k in range(j - 1, i - 1, -1)]

    def collisions(self) -> Iterator[list[tuple[int, int]]]:
        """Runs of entries sharing a hash (insertion order), candidates for duplicates."""
        import numpy as np

        hs_arr, order = self._sort()
        if len(hs_arr) < 2:
            return
        hs = np.frombuffer(hs_arr, dtype=np.uint64)
        same = np.flatnonzero(hs[1:] == hs[:-1])
        k = 0
        while k < len(same):
            start = end = int(same[k])
            while k < len(same) and int(same[k]) == end:
                end += 1
                k += 1
            ids = sorted(order[start:end + 1])
            yield [(self._loc[x], self._line[x]) for x in ids]


class _Index:
    """document id -> _DocView: views held in memory (records, gzip), or locations in a
    compact hash table, read back on demand through a small LRU cache."""

    def __init__(self, files: list[Path] | None = None, cache_size: int = 64):
        self.views: dict[str, _DocView] = {}
        self.table = _HashTable()
        self.io = _Files(files or [])
        self.invalid: set[str] = set()  # ids of documents that failed their own checks (few)
        self._cache: OrderedDict[str, _DocView] = OrderedDict()
        self._cache_size = cache_size

    def add_view(self, doc: Document) -> None:
        self.views[doc.id] = _DocView.of(doc)

    def add_offset(self, doc_id: str, file_no: int, offset: int, line: int = 0) -> None:
        self.table.add(doc_id, (file_no << _OFFSET_BITS) | offset, line)

    def get(self, doc_id: str) -> _DocView | None:
        """The view, or None when unknown; raises ValueError(where, reason) when the
        document's line cannot be decoded."""
        view = self._cache.get(doc_id)
        if view is not None:
            self._cache.move_to_end(doc_id)
            return view
        for loc, _line in self.table.candidates(doc_id):
            raw = self.io.line_at(loc)
            try:
                view = _DocView.read(raw)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                if _kind(raw)[1] != doc_id:
                    continue  # another id with the same hash
                raise ValueError(self.io.where(loc), str(exc)) from None
            if view.id != doc_id:
                continue  # another id with the same hash
            self._cache[doc_id] = view
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return view
        return self.views.get(doc_id)

    def close(self) -> None:
        self.io.close()


class _SeenSet:
    """Duplicate ids, found at once (in-memory inputs)."""

    def __init__(self):
        self._seen: dict[str, str] = {}

    def first(self, rid: str, where: str, loc: int = 0, line: int = 0) -> str | None:
        """Where ``rid`` was seen before, or None (and remember it)."""
        before = self._seen.get(rid)
        if before is None:
            self._seen[rid] = where
        return before


class _SeenLater:
    """Duplicate ids in files, found after the pass from a compact hash table (so a million
    ids cost 20 bytes each, not a Python set) and reported at its end."""

    def __init__(self, io: _Files):
        self.table = _HashTable()
        self.io = io

    def first(self, rid: str, where: str, loc: int = 0, line: int = 0) -> str | None:
        self.table.add(rid, loc, line)
        return None

    def duplicates(self) -> Iterator[tuple[dict, str, str]]:
        """(record as a dict, its file:line, file:line of the first record with that id)."""
        for run in self.table.collisions():
            by_id: dict[Any, list[tuple[dict, str]]] = {}
            for loc, line in run:
                obj = msgspec.json.decode(self.io.line_at(loc))
                by_id.setdefault(obj.get("id"), []).append((obj, f"{self.io.files[loc >> _OFFSET_BITS]}:{line}"))
            for group in by_id.values():
                for obj, where in group[1:]:
                    yield obj, where, group[0][1]


# --------------------------------------------------------------------------- ontology


@dataclass
class _Ont:
    """The ontology as sets for membership and lists (ontology order) for hints."""

    name: str
    version: str
    entity_types: list[str]
    event_types: list[str]
    roles: list[str]
    roles_of: dict[str, list[str]]
    fillers_of: dict[str, list[str]]
    attributes: dict[str, list[str]]
    entity_set: frozenset = field(init=False)
    event_set: frozenset = field(init=False)
    role_set: frozenset = field(init=False)
    role_sets: dict[str, frozenset] = field(init=False)
    filler_sets: dict[str, frozenset] = field(init=False)
    attribute_sets: dict[str, frozenset] = field(init=False)

    def __post_init__(self) -> None:
        self.entity_set = frozenset(self.entity_types)
        self.event_set = frozenset(self.event_types)
        self.role_set = frozenset(self.roles)
        self.role_sets = {t: frozenset(v) for t, v in self.roles_of.items()}
        self.filler_sets = {r: frozenset(v) for r, v in self.fillers_of.items()}
        self.attribute_sets = {a: frozenset(v) for a, v in self.attributes.items()}

    @classmethod
    def of(cls, ont: Ontology) -> "_Ont":
        return cls(
            ont.name, ont.version, ont.entity_types, ont.event_types, ont.roles,
            {t: ont.roles_of(t) for t in ont.event_types}, {r: ont.fillers_of(r) for r in ont.roles},
            {a["name"]: list(a.get("values", [])) for a in ont.event_attributes},
        )


# --------------------------------------------------------------------------- checks


class _Ctx:
    """Per-record context so each check builds its Problem in one short call."""

    __slots__ = ("doc", "annotator", "source", "out")

    def __init__(self, doc: str | None, annotator: str | None, source: str):
        self.doc, self.annotator, self.source = doc, annotator, source
        self.out: list[Problem] = []

    def add(self, severity: str, code: str, path: str, value: Any, message: str, hint: str | None = None) -> None:
        self.out.append(Problem(
            severity=severity, code=code, document=self.doc, annotator=self.annotator, path=path,
            value=_short(value), source=self.source, message=message, hint=hint,
        ))


def _schema_problems(name: str, obj: Any, ctx: _Ctx) -> bool:
    """Add schema problems; True when the record is schema-valid."""
    v = validator(name)
    if v.is_valid(obj):
        return True
    for err in v.iter_errors(obj):
        ctx.add("error", "schema", json_path(err.instance_path), err.instance, f"does not match the {name} schema: {err.message}")
    return False


def _check_document(doc: Document, ctx: _Ctx) -> None:
    n = len(doc.text)
    for field_name, spans in (("sentences", doc.sentences), ("tokens", doc.tokens)):
        prev = 0
        for i, (s, e) in enumerate(spans):
            what = field_name[:-1]
            if e > n:
                msg = f"{what} [{s}, {e}) lies outside the text (length {n})"
            elif e < s:
                msg = f"{what} [{s}, {e}) ends before it starts"
            elif s < prev:
                msg = f"{what} [{s}, {e}) starts before the end of the {what} before it ({prev})"
            else:
                prev = e
                continue
            ctx.add("error", "token-out-of-range", f"$.{field_name}[{i}]", [s, e], msg)
            break  # one per list: the rest would cascade


def _check_span(ctx: _Ctx, view: _DocView | None, path: str, start: int, end: int, stored: str,
                empty_code: str, what: str, strict_tokens: bool) -> None:
    if end < start:
        ctx.add("error", "offset-reversed", f"{path}.end", end, f"{what} ends at {end}, before its start {start}")
        return
    if start == end:
        ctx.add("error", empty_code, f"{path}.start", start, f"empty {what} [{start}, {end})")
        return
    if view is None:  # no current text to compare with: check what the record itself says
        if not stored.strip():
            ctx.add("error", empty_code, f"{path}.text", stored, f"{what} [{start}, {end}) is only white space")
        return
    n = len(view.text)
    if end > n:
        ctx.add("error", "offset-out-of-range", f"{path}.end", end,
                f"{what} [{start}, {end}) lies outside the text of document {view.id!r} (length {n})")
        return
    actual = view.text[start:end]
    if not actual.strip():
        ctx.add("error", empty_code, f"{path}.start", start, f"{what} [{start}, {end}) is only white space: {actual!r}")
    if actual != stored:
        ctx.add("error", "span-text-mismatch", f"{path}.text", stored,
                f"stored {what} text differs from text[{start}:{end}] = {actual!r}",
                _mismatch_hint(view.text, start, end, stored))
    severity = "error" if strict_tokens else "warning"
    for side, p in (("start", start), ("end", end)):
        tok = view.token_around(p)
        if tok is not None:
            ts, te = tok
            if _clitic_cut(view.text, side, p, ts, te):
                continue
            ctx.add(severity, "token-boundary", f"{path}.{side}", p,
                    f"{what} [{start}, {end}) {side}s inside the token {view.text[ts:te]!r} [{ts}, {te})",
                    f"nearest token boundaries: {ts}, {te}")


# Arabic clitics are written inside the word: the guidelines keep proclitics (و ف ب ك ل س
# and the article) and pronoun suffixes outside spans, so a cut there is not a token problem.
_PROCLITICS = re.compile(r"(?:[وف]?(?:[بكلس]|لل)?(?:ال)?)")
_ENCLITICS = re.compile(r"(?:ه|ها|هم|هما|هن|ك|كم|كما|كن|ي|ني|نا)")


def _clitic_cut(text: str, side: str, p: int, ts: int, te: int) -> bool:
    """A span edge inside a token exactly where a clitic ends (start) or begins (end)."""
    if side == "start":
        return p - ts <= 4 and bool(_PROCLITICS.fullmatch(text, ts, p))
    return te - p <= 3 and bool(_ENCLITICS.fullmatch(text, p, te))


def _mismatch_hint(text: str, start: int, end: int, stored: str) -> str | None:
    """Where the stored text does occur nearby, which is the usual off-by-N export bug."""
    if not stored:
        return None
    lo = max(0, start - 200)
    found = text.find(stored, lo, end + 200 + len(stored))
    if found < 0:
        return None
    return f"{stored!r} occurs at [{found}, {found + len(stored)})"


def _check_annotation(ann: Annotation, view: _DocView | None, ont: _Ont, ctx: _Ctx, strict_tokens: bool) -> None:
    """Spans against the text, ids, types, roles and attributes against the ontology.

    This runs for every annotation, so the loops are written out: the fast path of a span
    (inside the text, on token boundaries, with the stored text, not only white space) is
    one expression, JSON paths and messages are built only for a problem, and the ontology
    is asked through sets. Problems come in the order of the checks below.
    """
    if ann.ontology.name != ont.name or ann.ontology.version != ont.version:
        ctx.add("warning", "ontology-mismatch", "$.ontology", f"{ann.ontology.name} {ann.ontology.version}",
                f"annotation names ontology {ann.ontology.name} {ann.ontology.version}, checked against {ont.name} {ont.version}",
                "pass the ontology it was made with: --ontology FILE")
    # without a view every span goes to _check_span, which checks what the record says alone
    bounds, text = (view.bounds, view.text) if view is not None else (b"", "")
    n_bounds = len(bounds)

    def span(i: int, items: str, suffix: str, start: int, end: int, stored: str, kind: str, seen: dict,
             empty_code: str, what: str) -> None:
        """A span (entity or trigger): on the text and its token boundaries, once a type."""
        if not (0 <= start < end < n_bounds and bounds[start] and bounds[end] and text[start:end] == stored
                and not stored.isspace()):
            _check_span(ctx, view, f"$.{items}[{i}]{suffix}", start, end, stored, empty_code, what, strict_tokens)
        key = (start, end, kind)
        if key in seen:
            _duplicate_span(ctx, key, seen[key], f"$.{items}[{i}]{suffix}", what, items)
        else:
            seen[key] = i

    entity_set = ont.entity_set

    entities: dict[str, Entity] = {}
    seen_spans: dict[tuple, int] = {}
    for i, e in enumerate(ann.entities):
        eid, etype, start, end, stored = e.id, e.type, e.start, e.end, e.text
        if eid in entities:
            ctx.add("error", "duplicate-id", f"$.entities[{i}].id", eid, f"entity id {eid!r} is used twice in this annotation")
        else:
            entities[eid] = e
        if etype not in entity_set:
            ctx.add("error", "unknown-entity-type", f"$.entities[{i}].type", etype,
                    f"unknown entity type {etype!r}", _allowed(ont.entity_types))
        span(i, "entities", "", start, end, stored, etype, seen_spans, "empty-span", "entity span")

    event_ids: set[str] = set()
    seen_triggers: dict[tuple, int] = {}
    for i, ev in enumerate(ann.events):
        etype = ev.type
        if ev.id in event_ids:
            ctx.add("error", "duplicate-id", f"$.events[{i}].id", ev.id, f"event id {ev.id!r} is used twice in this annotation")
        event_ids.add(ev.id)
        known = etype in ont.event_set
        if not known:
            ctx.add("error", "unknown-event-type", f"$.events[{i}].type", etype, f"unknown event type {etype!r}",
                    _allowed(ont.event_types))
        t = ev.trigger
        span(i, "events", ".trigger", t.start, t.end, t.text, etype, seen_triggers, "empty-trigger", "trigger")
        if ev.attributes:
            _check_attributes(ctx, ev.attributes, i, ont)
        if ev.arguments:
            _check_arguments(ctx, ev, i, known, entities, ont)


def _duplicate_span(ctx: _Ctx, key: tuple, first: int, path: str, what: str, items: str) -> None:
    """A span with the same offsets and type as an earlier one of the same list is an error."""
    start, end, kind = key
    ctx.add("error", "duplicate-span", path, [start, end, kind],
            f"duplicate {what} [{start}, {end}) {kind} (also $.{items}[{first}])")


def _check_attributes(ctx: _Ctx, attributes: dict[str, str], i: int, ont: _Ont) -> None:
    known = ont.attribute_sets
    for name, value in attributes.items():
        values = known.get(name)
        if values is None:
            ctx.add("error", "unknown-attribute", f"$.events[{i}].attributes.{name}", name,
                    f"unknown event attribute {name!r}", _allowed(ont.attributes))
        elif values and value not in values:
            ctx.add("error", "unknown-attribute", f"$.events[{i}].attributes.{name}", value,
                    f"unknown value {value!r} of event attribute {name}", _allowed(ont.attributes[name]))


def _check_arguments(ctx: _Ctx, ev: Event, i: int, known: bool, entities: dict[str, Entity], ont: _Ont) -> None:
    """Roles against the ontology and the event type, fillers against the entities."""
    allowed = ont.role_sets.get(ev.type, ont.role_set)
    seen_args: dict[tuple, int] = {}
    for j, arg in enumerate(ev.arguments):
        role, entity = arg.role, arg.entity
        role_ok = False
        if role not in ont.role_set:
            where = f" for {ev.type}" if known else ""
            ctx.add("error", "unknown-role", f"$.events[{i}].arguments[{j}].role", role, f"unknown role {role!r}{where}",
                    _allowed(ont.roles_of.get(ev.type, ont.roles)))
        elif known and role not in allowed:
            ctx.add("error", "role-not-allowed", f"$.events[{i}].arguments[{j}].role", role,
                    f"role {role!r} is not allowed for {ev.type}", _allowed(ont.roles_of[ev.type]))
        else:
            role_ok = True
        filler = entities.get(entity)
        if filler is None:
            ids = list(entities)
            ctx.add("error", "dangling-argument", f"$.events[{i}].arguments[{j}].entity", entity,
                    f"argument {role} points to no entity of this annotation",
                    f"entity ids of this annotation: {', '.join(ids[:_HINT_LIMIT])}" if ids else "this annotation has no entities")
        elif role_ok and filler.type in ont.entity_set and filler.type not in ont.filler_sets[role]:
            ctx.add("error", "filler-not-allowed", f"$.events[{i}].arguments[{j}].entity", entity,
                    f"entity {entity!r} of type {filler.type} cannot fill role {role} of {ev.type}",
                    _allowed(ont.fillers_of[role]))
        key = (role, entity)
        if key in seen_args:
            ctx.add("error", "duplicate-argument", f"$.events[{i}].arguments[{j}]", [role, entity],
                    f"argument {role} -> {entity!r} is given twice (also $.events[{i}].arguments[{seen_args[key]}])")
        else:
            seen_args[key] = j


def _stale(ann: Annotation, view: _DocView, ctx: _Ctx) -> None:
    ctx.add("error", "stale-text", "$.text_sha256", ann.text_sha256,
            f"annotation is bound to another version of the text of document {view.id!r} (current text_sha256 {view.sha[:12]}…): "
            "the document changed since it was annotated, e.g. by a new normalization; its spans are not checked against the current text",
            "re-anchor the spans through the offset maps: corpus validate --reanchor --previous-documents OLD_DOCS --out DIR")


def _source(file_source: str | None, ann: Annotation | None, fallback: str = "<input>") -> str:
    """file:line, plus the Label Studio task when the annotation came from one."""
    parts = [file_source] if file_source else []
    origin = ann.origin if ann is not None else None
    if origin is not None:
        if origin.kind == "labelstudio" and origin.task is not None:
            parts.append(f"labelstudio task {origin.task}")
        elif not parts and origin.path:
            parts.append(f"{origin.path}:{origin.line}" if origin.line else origin.path)
    return ", ".join(parts) if parts else fallback


# --------------------------------------------------------------------------- strict annotations

# Structs as strict as schema/1.0.0/annotation.schema.json and records.Annotation together:
# what decodes into them passes both (the reverse need not hold: a record they refuse goes
# through jsonschema and msgspec.convert as before, which give the verdict and the message).
# Being stricter is what makes them safe, so: a field the schema forbids to be null has a
# non-Optional type with the default None (absent is fine, null is refused); patterns end
# with \Z (re's $ would let a trailing newline through, the schema's does not); every
# object refuses unknown fields. They are used only while the schema is the one they were
# written against (_STRICT_SCHEMA_SHA256); tests compare their verdicts with jsonschema's.

_STRICT_SCHEMA_SHA256 = "806c9a7be027f9855d1272b840ffbcfd6130c8ee249ae973e814ecebd449b576"

_NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
_Offset = Annotated[int, msgspec.Meta(ge=0)]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class _StrictOntologyRef(_Strict):
    name: str
    version: str


class _StrictOrigin(_Strict):
    kind: Literal["labelstudio", "file", "import", "adjudication", "manual"]  # required by records.Origin
    project: Optional[int] = None
    task: Optional[int] = None
    annotation: Optional[int] = None
    path: Optional[str] = None
    line: Optional[int] = None
    model_version: Optional[str] = None


class _StrictProvenance(_Strict):
    policy: str  # required by records.Provenance
    annotators: list[str] = []
    annotations: list[str] = []


class _StrictEntity(_Strict):
    id: _NonEmpty
    type: _NonEmpty
    start: _Offset
    end: _Offset
    text: str
    level: Optional[Literal["NAM", "NOM", "PRO"]] = None
    agreed_by: list[str] = None  # type: ignore[assignment]


class _StrictTrigger(_Strict):
    start: _Offset
    end: _Offset
    text: str


class _StrictArgument(_Strict):
    role: _NonEmpty
    entity: _NonEmpty
    agreed_by: list[str] = None  # type: ignore[assignment]


class _StrictEvent(_Strict):
    id: _NonEmpty
    type: _NonEmpty
    trigger: _StrictTrigger
    arguments: list[_StrictArgument]
    attributes: dict[str, str] = None  # type: ignore[assignment]
    agreed_by: list[str] = None  # type: ignore[assignment]


class _StrictAnnotation(_Strict):
    schema_version: Literal["1.0.0"]
    id: _NonEmpty
    document_id: _NonEmpty
    text_sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}\Z")]
    annotator: _NonEmpty
    status: Literal["submitted", "cancelled", "gold", "prediction", "imported"]
    ontology: _StrictOntologyRef
    entities: list[_StrictEntity]
    events: list[_StrictEvent]
    ground_truth: bool = False
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    lead_time: Optional[Annotated[float, msgspec.Meta(ge=0)]] = None
    origin: _StrictOrigin = None  # type: ignore[assignment]
    provenance: _StrictProvenance = None  # type: ignore[assignment]
    notes: Optional[str] = None


_strict_state: list = []  # [decoder or None], filled on first use


def _strict_decoder() -> msgspec.json.Decoder | None:
    """The decoder of _StrictAnnotation, or None when the annotation schema is not the one
    the structs mirror (a changed schema turns the fast path off instead of drifting)."""
    if not _strict_state:
        schema = json.dumps(load_schema("annotation", SCHEMA_VERSION), sort_keys=True, ensure_ascii=False)
        same = hashlib.sha256(schema.encode("utf-8")).hexdigest() == _STRICT_SCHEMA_SHA256
        _strict_state.append(msgspec.json.Decoder(_StrictAnnotation) if same else None)
    return _strict_state[0]


# --------------------------------------------------------------------------- one record

def _as_obj(item: Any) -> Any:
    if isinstance(item, (bytes, bytearray, str)):
        return msgspec.json.decode(item)
    if isinstance(item, msgspec.Struct):
        return to_dict(item)
    return item


def _annotation_problems(obj: Any, src: str | None, index: _Index, ont: _Ont, strict_tokens: bool,
                         seen: _SeenSet | _SeenLater, fallback: str = "<input>", loc: int = 0, line: int = 0) -> list[Problem]:
    ann_id = obj.get("id") if isinstance(obj, dict) else None
    doc_id = obj.get("document_id") if isinstance(obj, dict) else None
    annotator = obj.get("annotator") if isinstance(obj, dict) else None
    ctx = _Ctx(doc_id if isinstance(doc_id, str) else None, annotator if isinstance(annotator, str) else None, src or fallback)
    if not _schema_problems("annotation", obj, ctx):
        return ctx.out
    try:
        ann = msgspec.convert(obj, Annotation)
    except msgspec.ValidationError as exc:  # the schema and the struct should agree; say so if not
        ctx.add("error", "schema", "$", ann_id, f"does not decode as an Annotation: {exc}")
        return ctx.out
    return _valid_annotation_problems(ann, ctx, src, index, ont, strict_tokens, seen, fallback, loc, line)


def _annotation_line_problems(raw: bytes, src: str, index: _Index, ont: _Ont, strict_tokens: bool,
                              seen: _SeenSet | _SeenLater, loc: int, line: int) -> list[Problem]:
    """_annotation_problems of a JSON line: a line that decodes into the strict structs
    below is schema-valid and an Annotation, so it skips the dict, the schema walk and
    the conversion; any other line takes the full path, which says what is wrong."""
    strict = _strict_decoder()
    if strict is not None:
        try:
            ann = strict.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
        else:
            ctx = _Ctx(ann.document_id, ann.annotator, src)
            return _valid_annotation_problems(ann, ctx, src, index, ont, strict_tokens, seen, "<input>", loc, line)
    try:
        obj = msgspec.json.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:  # e.g. a number past 64-bit floats
        return [_json_problem(src, raw, exc)]
    return _annotation_problems(obj, src, index, ont, strict_tokens, seen, loc=loc, line=line)


def _valid_annotation_problems(ann: Annotation, ctx: _Ctx, src: str | None, index: _Index, ont: _Ont, strict_tokens: bool,
                               seen: _SeenSet | _SeenLater, fallback: str, loc: int, line: int) -> list[Problem]:
    """The checks after the schema: duplicate id, the document, spans and ontology."""
    ctx.source = _source(src, ann, fallback)
    before = seen.first(ann.id, ctx.source, loc, line)
    if before is not None:
        ctx.add("error", "duplicate-annotation", "$.id", ann.id, f"annotation id {ann.id!r} was seen before, at {before}")
    view = None
    if ann.document_id not in index.invalid:  # else its own problems were reported; spans cannot be checked
        try:
            view = index.get(ann.document_id)
            if view is None:
                ctx.add("error", "document-not-found", "$.document_id", ann.document_id,
                        f"no document {ann.document_id!r} among the documents checked",
                        "name the documents as a PATH or with --documents")
        except ValueError as exc:
            where, reason = exc.args
            ctx.add("error", "document-unreadable", "$.document_id", ann.document_id,
                    f"document {ann.document_id!r} at {where} cannot be read: {reason}")
        if view is not None and view.sha != ann.text_sha256:
            _stale(ann, view, ctx)
            view = None
    _check_annotation(ann, view, ont, ctx, strict_tokens)
    return ctx.out


def _document_problems(obj: Any, src: str | None, index: _Index, seen: _SeenSet | _SeenLater,
                       loc: int = 0, line: int = 0) -> tuple[list[Problem], Document | None]:
    doc_id = obj.get("id") if isinstance(obj, dict) else None
    ctx = _Ctx(doc_id if isinstance(doc_id, str) else None, None, src or "<input>")
    if not _schema_problems("document", obj, ctx):
        if isinstance(doc_id, str):
            index.invalid.add(doc_id)
        return ctx.out, None
    try:
        doc = msgspec.convert(obj, Document)
    except msgspec.ValidationError as exc:
        ctx.add("error", "schema", "$", doc_id, f"does not decode as a Document: {exc}")
        return ctx.out, None
    before = seen.first(doc.id, ctx.source, loc, line)
    if before is not None:
        ctx.add("error", "duplicate-document", "$.id", doc.id, f"document id {doc.id!r} was seen before, at {before}")
    _check_document(doc, ctx)
    return ctx.out, doc


def _duplicate(kind: str, obj: dict, where: str, first: str) -> Problem:
    is_ann = kind == "annotation"
    return Problem(severity="error", code=f"duplicate-{kind}",
                   document=obj.get("document_id") if is_ann else obj.get("id"),
                   annotator=obj.get("annotator") if is_ann else None, path="$.id", value=_short(obj.get("id")),
                   source=_source(where, msgspec.convert(obj, Annotation) if is_ann else None),
                   message=f"{kind} id {obj.get('id')!r} was seen before, at {first}")


def _resolve_ontology(ontology: Ontology | str | Path | None) -> _Ont:
    if isinstance(ontology, Ontology):
        return _Ont.of(ontology)
    return _Ont.of(load_ontology(ontology))


def validate_records(
    documents: Iterable[Any],
    annotations: Iterable[Any],
    ontology: Ontology | str | Path | None = None,
    *,
    strict_tokens: bool = False,
) -> Iterator[Problem]:
    """Every problem of the documents, then of the annotations, in input order.

    Items may be records (``Document``/``Annotation``), dicts, JSON lines, or
    ``(item, source)`` pairs where ``source`` says where the item came from ("file:line").
    Documents are held as compact views (text, sha256, token bounds); annotations stream.
    """
    ont = _resolve_ontology(ontology)
    index = _Index()
    seen_docs = _SeenSet()
    for n, item in enumerate(documents, 1):
        item, src = item if isinstance(item, tuple) else (item, f"<documents>#{n}")
        obj = _json_or_problem(item, src)
        if isinstance(obj, Problem):
            yield obj
            continue
        problems, doc = _document_problems(obj, src, index, seen_docs)
        yield from problems
        if doc is not None:
            index.add_view(doc)
    seen_ids = _SeenSet()
    for n, item in enumerate(annotations, 1):
        item, src = item if isinstance(item, tuple) else (item, None)
        obj = _json_or_problem(item, src or f"<annotations>#{n}")
        if isinstance(obj, Problem):
            yield obj
            continue
        yield from _annotation_problems(obj, src, index, ont, strict_tokens, seen_ids, f"<annotations>#{n}")


def _json_or_problem(item: Any, src: str) -> Any:
    try:
        return _as_obj(item)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return Problem(severity="error", code="json", document=None, annotator=None, path="$",
                       value=_short(item[:60] if isinstance(item, (bytes, str)) else item), source=src,
                       message=f"not a JSON record: {exc}")


# --------------------------------------------------------------------------- files


class _Probe(msgspec.Struct):
    """Decodes only what tells the record kinds apart; Raw keeps the rest unparsed."""

    id: Any = None
    document_id: msgspec.Raw = msgspec.UNSET  # type: ignore[assignment]
    text: msgspec.Raw = msgspec.UNSET  # type: ignore[assignment]


_probe = msgspec.json.Decoder(_Probe)


def _kind(line: bytes) -> tuple[str, Any]:
    """("annotation" | "document" | "unknown", id) or ("json", error message)."""
    try:
        p = _probe.decode(line)
    except msgspec.DecodeError as exc:
        return "json", str(exc)
    except msgspec.ValidationError:
        return "unknown", None  # not an object, or an id that is not a scalar: the schema says more
    if p.document_id is not msgspec.UNSET:
        return "annotation", p.id
    if p.text is not msgspec.UNSET:
        return "document", p.id
    return "unknown", p.id


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) of the non-blank lines of a JSONL(.gz) file."""
    with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb", buffering=_READ_BUFFER)) as f:
        offset = 0
        for n, line in enumerate(f, 1):
            if line and not line.isspace():  # isspace stops at the first letter; strip would copy the line
                yield n, offset, line
            offset += len(line)


def _json_problem(src: str, line: bytes, why: Any) -> Problem:
    return Problem(severity="error", code="json", document=None, annotator=None, path="$",
                   value=_short(line[:60]), source=src, message=f"not a JSON record: {why}")


def _unknown(src: str, line: bytes, rid: Any) -> Problem:
    return Problem(severity="error", code="unknown-record", document=None, annotator=None, path="$",
                   value=_short(rid if rid is not None else line[:60]), source=src,
                   message="neither a Document (no 'text') nor an Annotation (no 'document_id')",
                   hint="documents carry 'text' and 'tokens'; annotations carry 'document_id'")


def validate_paths(
    paths: Iterable[str | Path],
    *,
    documents: Iterable[str | Path] = (),
    ontology: Ontology | str | Path | None = None,
    strict_tokens: bool = False,
    stats: dict | None = None,
    jobs: int = 1,
) -> Iterator[Problem]:
    """Every problem of the JSONL files (or folders of them) in ``paths``.

    Each record is told apart by its keys. Annotations are checked against their document,
    found by ``document_id`` among the documents of ``paths`` and of ``documents`` (files
    or folders only searched for documents: indexed by id and offset, not checked).
    ``stats``, when given, receives counts of documents and annotations read. With
    ``jobs`` > 1, the annotation files are checked by that many forked worker processes
    (pieces of about 4 MB each; the index is shared copy-on-write); the output is the same,
    in the same order. Lookup shards that ingest indexed (``documents-NNNNN.idx``) are
    indexed from that file while it still describes them.
    """
    ont = _resolve_ontology(ontology)
    files = list(dict.fromkeys(jsonl_files(paths, "*.jsonl*")))
    lookup = [f for f in dict.fromkeys(jsonl_files(documents, "*.jsonl*")) if f not in files]
    index = _Index(files + lookup)
    counts = stats if stats is not None else {}
    counts.update(documents=0, annotations=0, files=len(files))
    with_annotations: list[tuple[int, bool]] = []  # (file number, holds other records too)
    seen_docs = _SeenLater(index.io)
    try:
        # pass 0: lookup-only documents, indexed by location: from the shard's index when
        # ingest wrote one that still describes it, else by a probe that decodes the id only
        for k, path in enumerate(lookup, len(files)):
            shard_index = read_shard_index(path) if path.suffix != ".gz" else None
            if shard_index is not None:
                for rid, offset in zip(shard_index.keys, shard_index.offsets):
                    index.add_offset(rid, k, offset)
                continue
            for n, offset, line in _lines(path):
                kind, rid = _kind(line)
                if kind == "document" and isinstance(rid, str):
                    _index_lookup(index, path, k, offset, line, rid)
        # pass 1: documents of the checked files
        for k, path in enumerate(files):
            has_ann = mixed = False
            for n, offset, line in _lines(path):
                kind, rid = _kind(line)
                if kind == "annotation":
                    has_ann = True
                    continue
                mixed = True
                src = f"{path}:{n}"
                if kind == "json":
                    yield _json_problem(src, line, rid)
                elif kind == "unknown":
                    yield _unknown(src, line, rid)
                else:
                    counts["documents"] += 1
                    loc = (k << _OFFSET_BITS) | offset
                    try:
                        obj = msgspec.json.decode(line)
                    except (msgspec.ValidationError, msgspec.DecodeError) as exc:  # a number past 64-bit floats
                        yield _json_problem(src, line, exc)
                        continue
                    problems, doc = _document_problems(obj, src, index, seen_docs, loc, n)
                    yield from problems
                    if doc is not None:
                        if path.suffix == ".gz":
                            index.add_view(doc)
                        else:
                            index.add_offset(doc.id, k, offset, n)
            if has_ann:
                with_annotations.append((k, mixed))
        for obj, where, first in seen_docs.duplicates():
            yield _duplicate("document", obj, where, first)
        # pass 2: annotations, one at a time
        seen_ids = _SeenLater(index.io)
        state = (files, index, ont, strict_tokens)
        pieces = [c for k, mixed in with_annotations
                  for c in (_chunks(files[k], k, mixed) if jobs > 1 else [(k, mixed, 0, None, 1)])]
        for problems, n_ann, table in _map_files(_check_annotation_chunk, pieces, state, jobs):
            counts["annotations"] += n_ann
            seen_ids.table.extend(table)
            yield from problems
        for obj, where, first in seen_ids.duplicates():
            yield _duplicate("annotation", obj, where, first)
    finally:
        index.close()


_STATE: tuple | None = None  # what forked workers inherit: (files, index, ontology, strict_tokens)


_CHUNK_BYTES = 4 << 20  # a worker's unit of annotations: about 4 MB of lines


def _chunks(path: Path, k: int, mixed: bool, size: int | None = None) -> Iterator[tuple]:
    """(file number, mixed, byte start, byte end or None, number of the first line) pieces
    of a file cut at line starts; gzip files stay whole (they cannot seek cheaply)."""
    size = size or _CHUNK_BYTES
    if path.suffix == ".gz":
        yield k, mixed, 0, None, 1
        return
    start, line_no = 0, 1
    with open(path, "rb") as f:
        while True:
            f.seek(start + size)
            f.readline()  # to the next line start
            end = f.tell()
            if end <= start + size:  # end of file
                yield k, mixed, start, None, line_no
                return
            f.seek(start)
            line_no_next = line_no + f.read(end - start).count(b"\n")
            yield k, mixed, start, end, line_no
            start, line_no = end, line_no_next


def _lines_range(path: Path, start: int, end: int | None, first: int) -> Iterator[tuple[int, int, bytes]]:
    if start == 0 and end is None:
        yield from _lines(path)
        return
    with open(path, "rb", buffering=_READ_BUFFER) as f:
        f.seek(start)
        offset, n = start, first
        for line in f:
            if end is not None and offset >= end:
                return
            if line and not line.isspace():  # isspace stops at the first letter; strip would copy the line
                yield n, offset, line
            offset += len(line)
            n += 1


def _check_annotation_chunk(item: tuple) -> tuple[list[Problem], int, "_HashTable"]:
    """Problems of the annotations of one piece of a file, their count and their ids' hash table."""
    files, index, ont, strict_tokens = _STATE
    k, mixed, start, end, first = item
    path = files[k]
    seen = _SeenLater(index.io)
    out: list[Problem] = []
    count = 0
    where, base = f"{path}:", k << _OFFSET_BITS
    for n, offset, line in _lines_range(path, start, end, first):
        if mixed and _kind(line)[0] != "annotation":
            continue
        count += 1
        out.extend(_annotation_line_problems(line, f"{where}{n}", index, ont, strict_tokens, seen, base | offset, n))
    return out, count, seen.table


def _map_files(fn, items: list, state: tuple, jobs: int) -> Iterator:
    """``fn`` over ``items`` in order: here, or in ``jobs`` forked processes. Problems
    come back per piece, so a piece's problems are held at once (a few MB of lines)."""
    global _STATE
    _STATE = state
    try:
        if jobs <= 1 or len(items) < 2:
            yield from map(fn, items)
            return
        import multiprocessing as mp

        index = state[1]
        index.table._sort()  # once, before the fork, not in every worker
        index.close()  # workers open their own handles: a shared descriptor shares its offset
        with mp.get_context("fork").Pool(min(jobs, len(items))) as pool:
            yield from pool.imap(fn, items)
    finally:
        _STATE = None


def _index_lookup(index: _Index, path: Path, k: int, offset: int, line: bytes, rid: str) -> None:
    if path.suffix == ".gz":
        try:
            index.add_view(decode_document(line))
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass  # an annotation pointing here is reported as document-not-found; the file is not ours to check
    else:
        index.add_offset(rid, k, offset)


# --------------------------------------------------------------------------- re-anchoring


@dataclass
class ReanchorResult:
    """The re-anchored annotation (or the input when nothing could be done) and what happened."""

    annotation: Annotation
    changed: bool
    problems: list[Problem]


def reanchor(annotation: Annotation, old_doc: Document, new_doc: Document, *, source: str | None = None) -> ReanchorResult:
    """Move the spans of ``annotation`` from ``old_doc``'s text onto ``new_doc``'s text.

    Both documents must come from the same raw source (same ``source.sha256``): a span goes
    old text -> raw (``to_raw`` on the old document) -> new text (``from_raw`` on the new).
    Spans whose text differs afterwards get the new text and a ``reanchor-text-changed``
    warning; the annotation gets the new ``text_sha256``. Nothing is written here.
    """
    src = _source(source, annotation)
    ctx = _Ctx(annotation.document_id, annotation.annotator, src)
    if annotation.text_sha256 != old_doc.text_sha256:
        ctx.add("error", "reanchor-failed", "$.text_sha256", annotation.text_sha256,
                f"the previous document {old_doc.id!r} has text_sha256 {old_doc.text_sha256[:12]}…, not the annotation's",
                "give the documents the annotation was made on with --previous-documents")
        return ReanchorResult(annotation, False, ctx.out)
    if old_doc.source.sha256 != new_doc.source.sha256:
        ctx.add("error", "reanchor-failed", "$.document_id", annotation.document_id,
                f"the previous and current documents come from different raw sources "
                f"({old_doc.source.sha256[:12]}… vs {new_doc.source.sha256[:12]}…): offsets cannot be mapped")
        return ReanchorResult(annotation, False, ctx.out)

    def move(path: str, start: int, end: int, text: str, what: str) -> tuple[int, int, str] | None:
        try:
            rs, re_ = to_raw(old_doc, start, end)
            ns, ne = from_raw(new_doc, rs, re_)
        except ValueError as exc:
            ctx.add("error", "reanchor-failed", path, [start, end], f"{what} [{start}, {end}) cannot be mapped: {exc}")
            return None
        new_text = new_doc.text[ns:ne]
        if new_text != text:
            ctx.add("warning", "reanchor-text-changed", f"{path}.text", text,
                    f"{what} [{start}, {end}) moved to [{ns}, {ne}) and its text became {new_text!r}",
                    "check the span by hand")
        return ns, ne, new_text

    entities = []
    for i, e in enumerate(annotation.entities):
        moved = move(f"$.entities[{i}]", e.start, e.end, e.text, "entity span")
        if moved is None:
            return ReanchorResult(annotation, False, ctx.out)
        entities.append(msgspec.structs.replace(e, start=moved[0], end=moved[1], text=moved[2]))
    events = []
    for i, ev in enumerate(annotation.events):
        t = ev.trigger
        moved = move(f"$.events[{i}].trigger", t.start, t.end, t.text, "trigger")
        if moved is None:
            return ReanchorResult(annotation, False, ctx.out)
        trig = msgspec.structs.replace(t, start=moved[0], end=moved[1], text=moved[2])
        events.append(msgspec.structs.replace(ev, trigger=trig))
    out = msgspec.structs.replace(annotation, entities=entities, events=events, text_sha256=new_doc.text_sha256)
    return ReanchorResult(out, True, ctx.out)


def reanchor_paths(
    paths: Iterable[str | Path],
    previous_documents: Iterable[str | Path],
    documents: Iterable[str | Path],
    out_dir: str | Path,
) -> Iterator[Problem]:
    """Re-anchor the stale annotations of ``paths`` and write every annotation to ``out_dir``.

    Each input file ``F`` becomes ``out_dir/F.name`` (atomically) with the same records in
    the same order: stale annotations re-anchored, the others unchanged. The inputs are
    never rewritten. Yields the problems (text changes, annotations that could not move).
    """
    from .io import atomic_write
    from .records import decode_annotation

    # whole documents are held here (their offset maps are needed); re-anchoring is a
    # one-off repair of the few documents whose normalization changed, not a bulk pass
    prev: dict[str, Document] = {}
    cur: dict[str, Document] = {}
    for idx, where in ((prev, previous_documents), (cur, documents)):
        for f in jsonl_files(where, "*.jsonl*"):
            for n, _off, line in _lines(f):
                if _kind(line)[0] == "document":
                    try:
                        doc = decode_document(line)
                    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                        raise InputError(f"{f}:{n}", f"not a valid document: {exc}") from None
                    idx[doc.id] = doc
    out_dir = Path(out_dir)
    written: set[str] = set()
    for path in jsonl_files(paths, "*.jsonl"):
        if path.name in written:
            raise InputError(str(path), f"two input files are named {path.name}; re-anchor them into separate --out folders")
        written.add(path.name)
        lines = []
        for n, _off, line in _lines(path):
            if _kind(line)[0] != "annotation":
                lines.append(line.rstrip(b"\n") + b"\n")
                continue
            try:
                ann = decode_annotation(line)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise InputError(f"{path}:{n}", f"not a valid annotation: {exc}; run corpus validate first") from None
            new = cur.get(ann.document_id)
            if new is None or new.text_sha256 == ann.text_sha256:
                lines.append(line.rstrip(b"\n") + b"\n")
                continue
            old = prev.get(ann.document_id)
            if old is None:
                yield Problem(severity="error", code="reanchor-failed", document=ann.document_id, annotator=ann.annotator,
                              path="$.document_id", value=repr(ann.document_id), source=_source(f"{path}:{n}", ann),
                              message=f"no previous version of document {ann.document_id!r} among the previous documents",
                              hint="--previous-documents must hold the documents the annotation was made on")
                lines.append(line.rstrip(b"\n") + b"\n")
                continue
            res = reanchor(ann, old, new, source=f"{path}:{n}")
            yield from res.problems
            lines.append(encode(res.annotation) + b"\n")
        atomic_write(out_dir / path.name, b"".join(lines))

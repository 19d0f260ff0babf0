"""CoNLL / BIO files: one token a line, the tag in the last column.

Reading
  * Columns are separated by tabs (then a token may hold spaces) or by spaces; the token
    is the first column, the tag the last; columns between (POS, chunk) are ignored.
  * A sentence ends at an empty line, a line of whitespace only (NewsFANE separates
    sentences by a single tab) or the end of the file.
  * A byte-order mark (UTF-8 or UTF-16) is honoured and recorded as the encoding
    (``utf-8-sig``, ``utf-16``); CRLF line ends are read as line ends. Files are read
    line by line: memory does not grow with the file.

Documents
  Document text is rebuilt from the tokens: tokens joined by one space, sentences by
  ``"\\n"``; ``tokens`` are exactly the input tokens and ``sentences`` the input
  sentences. The rebuilt text IS the raw text of such a document (``raw_length ==
  len(text)``, ``edits == []``, normalization profile ``conll-rebuild`` 1.0.0): nothing
  in it was ever normalized, so offsets map one to one. ``source.line`` is the line of
  the document's first token.

  Grouping sentences into documents (``--doc-sentences``, ``--doc-boundary``):
    * a token line whose token matches the boundary regex (default ``^-DOCSTART-$``) is
      not a token: it closes the current document;
    * ``doc_sentences=N`` also closes a document after N sentences (0: no limit);
    * by default (None) the file decides: if its first token line is a boundary line,
      documents are the stretches between boundary lines; otherwise every sentence is
      a document of its own (newswire NER corpora such as ANERcorp and NewsFANE have
      no article boundaries, and inventing some would mislead).
  Document ids are ``conll-<first 16 hex of the file's sha256>-<index from 1, 6 digits>``:
  stable for the same bytes and options.

Tags
  Schemes are a registry (``SCHEMES``): ``bio`` (IOB2, default), ``iob1``, ``io`` and
  ``bioes``. Types may contain ``-`` (``B-Population-Center``): the prefix is split off
  at the first ``-`` only. Broken sequences are read by the conlleval convention: an
  I- (or E-) tag after O, or after a mention of another type, starts a new mention.
  Each such repair is reported (an ``Issue`` of kind ``repair`` with file and line).
  A line that cannot be read (no tag column, a tag outside the scheme, a label outside
  the given ontology, bytes that are not in the file's encoding) rejects its sentence:
  the sentence is kept verbatim in an ``Issue`` of kind ``reject`` and the other
  sentences go through.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Optional, Union

from ..errors import InputError
from ..records import Annotation, Document, Entity, Normalization, OntologyRef, Origin, Provenance, Source
from ..schemas import SCHEMA_VERSION
from ._base import IMPORT_POLICY, IMPORT_STATUS, TYPE_NAME, ImportOptions, Imported, Issue, display_path, register

__all__ = ["read_conll", "SCHEMES", "decode_tags", "PROFILE", "PROFILE_VERSION"]

PROFILE = "conll-rebuild"
PROFILE_VERSION = "1.0.0"


class _Row(NamedTuple):
    line: int
    token: str
    tag: str


class _Span(NamedTuple):
    start: int  # token index
    end: int  # token index, exclusive
    type: str


class _Repair(NamedTuple):
    index: int  # token index within the sentence
    reason: str


# A scheme decodes the tags of one sentence into mentions. It returns the spans, the
# repairs it made, and the tags it could not read as (index, reason).
Scheme = Callable[[list[str]], tuple[list[_Span], list[_Repair], list[tuple[int, str]]]]
SCHEMES: dict[str, Scheme] = {}


def _scheme(name: str):
    def deco(fn: Scheme) -> Scheme:
        SCHEMES[name] = fn
        return fn

    return deco


def _split_tag(tag: str, prefixes: str) -> tuple[Optional[str], Optional[str]]:
    """``("B", "Population-Center")`` for ``B-Population-Center``; (None, None) if the tag
    has no allowed prefix."""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in prefixes:
        return tag[0], tag[2:]
    return None, None


def _bad(tag: str, scheme: str, prefixes: str) -> str:
    allowed = ", ".join(f"{p}-TYPE" for p in prefixes)
    return f"tag {tag!r} is not in the {scheme} scheme (allowed: O, {allowed}; see --scheme)"


@_scheme("bio")
def _bio(tags: list[str]):
    spans: list[_Span] = []
    repairs: list[_Repair] = []
    errors: list[tuple[int, str]] = []
    cur: Optional[list] = None  # [start, type]
    for i, tag in enumerate(tags):
        if tag == "O":
            if cur:
                spans.append(_Span(cur[0], i, cur[1]))
            cur = None
            continue
        prefix, typ = _split_tag(tag, "BI")
        if prefix is None:
            errors.append((i, _bad(tag, "bio", "BI")))
            if cur:
                spans.append(_Span(cur[0], i, cur[1]))
            cur = None
            continue
        if prefix == "I" and cur is not None and cur[1] == typ:
            continue
        if cur:
            spans.append(_Span(cur[0], i, cur[1]))
        if prefix == "I":
            after = "O" if i == 0 or tags[i - 1] == "O" else tags[i - 1]
            if i == 0:
                after = "the sentence start"
            repairs.append(_Repair(i, f"{tag} after {after} read as B-{typ} (conlleval: an I- tag that continues no mention starts one)"))
        cur = [i, typ]
    if cur:
        spans.append(_Span(cur[0], len(tags), cur[1]))
    return spans, repairs, errors


@_scheme("iob1")
def _iob1(tags: list[str]):
    # In IOB1 an I- tag starts a mention unless it continues one of its type, and B- only
    # separates two adjacent mentions of one type: no sequence needs a repair.
    spans: list[_Span] = []
    errors: list[tuple[int, str]] = []
    cur: Optional[list] = None
    for i, tag in enumerate(tags):
        prefix, typ = (None, None) if tag == "O" else _split_tag(tag, "BI")
        if tag != "O" and prefix is None:
            errors.append((i, _bad(tag, "iob1", "BI")))
        if prefix == "I" and cur is not None and cur[1] == typ:
            continue
        if cur:
            spans.append(_Span(cur[0], i, cur[1]))
        cur = [i, typ] if prefix else None
    if cur:
        spans.append(_Span(cur[0], len(tags), cur[1]))
    return spans, [], errors


@_scheme("io")
def _io(tags: list[str]):
    # IO: every tag other than O is a type, with or without an I- prefix; a run of one
    # type is one mention (two adjacent mentions of one type cannot be told apart).
    spans: list[_Span] = []
    cur: Optional[list] = None
    for i, tag in enumerate(tags):
        typ = None if tag == "O" else (tag[2:] if tag.startswith("I-") and len(tag) > 2 else tag)
        if cur is not None and cur[1] == typ:
            continue
        if cur:
            spans.append(_Span(cur[0], i, cur[1]))
        cur = [i, typ] if typ else None
    if cur:
        spans.append(_Span(cur[0], len(tags), cur[1]))
    return spans, [], []


@_scheme("bioes")
def _bioes(tags: list[str]):
    spans: list[_Span] = []
    repairs: list[_Repair] = []
    errors: list[tuple[int, str]] = []
    cur: Optional[list] = None  # an open mention: [start, type]

    def close(i: int) -> None:
        nonlocal cur
        if cur:
            spans.append(_Span(cur[0], i, cur[1]))
        cur = None

    for i, tag in enumerate(tags):
        if tag == "O":
            close(i)
            continue
        prefix, typ = _split_tag(tag, "BIES")
        if prefix is None:
            errors.append((i, _bad(tag, "bioes", "BIES")))
            close(i)
        elif prefix in "BS":
            close(i)
            cur = [i, typ]
            if prefix == "S":
                close(i + 1)
        else:  # I or E
            if cur is None or cur[1] != typ:
                close(i)
                repairs.append(_Repair(i, f"{tag} continues no {typ} mention: read as the start of one (conlleval)"))
                cur = [i, typ]
            if prefix == "E":
                close(i + 1)
    close(len(tags))
    return spans, repairs, errors


def decode_tags(tags: list[str], scheme: str = "bio") -> tuple[list[tuple[int, int, str]], list[tuple[int, str]]]:
    """Mentions ``(start_token, end_token_exclusive, type)`` of one sentence, and the
    repairs made as ``(token_index, reason)``. Raises ValueError on an unreadable tag."""
    spans, repairs, errors = _get_scheme(scheme)(tags)
    if errors:
        raise ValueError("; ".join(f"token {i}: {r}" for i, r in errors))
    return [tuple(s) for s in spans], [tuple(r) for r in repairs]


def _get_scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise InputError("--scheme", "unknown tag scheme", field="scheme", value=name) from None


# --------------------------------------------------------------------------- reading

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _file_info(path: Path, encoding: Optional[str]) -> tuple[str, str]:
    """sha256 of the file bytes, and the encoding (from its BOM unless given)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            h.update(head)
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if encoding is None:
        encoding = next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")
    return h.hexdigest(), encoding


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str, Optional[str]]]:
    """``(line_number, text, error)`` for each line, without its line end. UTF-8 files are
    decoded line by line so that a bad byte is pinned to its line."""
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig"):
        with open(path, "rb") as f:
            for n, raw in enumerate(f, 1):
                if n == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                try:
                    yield n, raw.decode("utf-8").rstrip("\r\n"), None
                except UnicodeDecodeError as exc:
                    # keep the line (bad bytes escaped) so that the reject holds it
                    kept = raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
                    yield n, kept, f"not valid UTF-8 at byte {exc.start} of the line: {raw[max(0, exc.start - 4):exc.end + 4]!r}"
        return
    try:
        f = open(path, "r", encoding=encoding, newline="")
    except LookupError:
        raise InputError(str(path), "unknown encoding", field="encoding", value=encoding) from None
    n = 0
    with f:
        try:
            for n, line in enumerate(f, 1):
                yield n, line.rstrip("\r\n"), None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}:{n + 1}", f"cannot decode as {encoding}: {exc.reason}") from None


_SPACES = re.compile(r"[ \t]+")


def _columns(line: str) -> list[str]:
    if "\t" in line:
        # tab-separated: a token may contain spaces, so split on tabs only
        return [c.strip(" ") for c in line.strip(" \t").split("\t")]
    return _SPACES.split(line.strip(" \t"))


class _Sentence(NamedTuple):
    rows: list[_Row]
    error: Optional[tuple[int, str, str]]  # (line, reason, value)
    raw: list[str]


def _sentences(path: Path, encoding: str, boundary: re.Pattern) -> Iterator[Union[_Sentence, int]]:
    """Sentences of the file; a boundary line yields its line number instead."""
    rows: list[_Row] = []
    raw: list[str] = []
    error = None
    for n, line, bad in _lines(path, encoding):
        if bad is None and not line.strip():
            if raw:
                yield _Sentence(rows, error, raw)
            rows, raw, error = [], [], None
            continue
        if bad is not None:
            raw.append(line)
            error = error or (n, bad, None)
            continue
        raw.append(line)
        cols = _columns(line)
        if boundary.search(cols[0]):
            if raw[:-1]:
                yield _Sentence(rows, error, raw[:-1])
            rows, raw, error = [], [], None
            yield n
            continue
        if len(cols) < 2 or not cols[0] or not cols[-1]:
            error = error or (n, "a token line needs a token and a tag (tab- or space-separated)", line)
            continue
        rows.append(_Row(n, cols[0], cols[-1]))
    if raw:
        yield _Sentence(rows, error, raw)


@register("conll")
def read_conll(path: Path, options: ImportOptions) -> Iterator[Union[Imported, Issue]]:
    """Documents (with one ``imported`` annotation each) and issues of one CoNLL file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    scheme = _get_scheme(options.scheme)
    try:
        boundary = re.compile(options.doc_boundary)
    except re.error as exc:
        raise InputError("--doc-boundary", f"not a regular expression: {exc}", value=options.doc_boundary) from None
    if options.doc_sentences is not None and options.doc_sentences < 0:
        raise InputError("--doc-sentences", "must be 0 (no limit) or more", value=options.doc_sentences)
    sha, encoding = _file_info(path, options.encoding)
    shown = display_path(path)
    builder = _DocBuilder(shown, sha, encoding, options)
    limit = options.doc_sentences
    pending: list[tuple[_Sentence, list[_Span]]] = []
    first = True

    for item in _sentences(path, encoding, boundary):
        if isinstance(item, int):  # a boundary line closes the document
            if first and limit is None:
                limit = 0  # the file is split by boundary lines: no sentence limit
            first = False
            if pending:
                yield from builder.build(pending)
                pending = []
            continue
        first = False
        sent = item
        if sent.error is None:
            tags = [r.tag for r in sent.rows]
            spans, repairs, errors = scheme(tags)
            if errors:
                i, reason = errors[0]
                sent = sent._replace(error=(sent.rows[i].line, reason, tags[i]))
            elif options.allowed_labels is not None:
                unknown = next((s for s in spans if s.type not in options.allowed_labels), None)
                if unknown is not None:
                    allowed = ", ".join(sorted(options.allowed_labels))
                    sent = sent._replace(error=(sent.rows[unknown.start].line,
                                                f"label {unknown.type!r} is not in {options.labels_from}; allowed: {allowed}",
                                                tags[unknown.start]))
            if sent.error is None:
                bad_name = next((s for s in spans if not TYPE_NAME.match(s.type)), None)
                if bad_name is not None:
                    sent = sent._replace(error=(sent.rows[bad_name.start].line,
                                                "label is not a valid type name (a letter, then letters, digits, '_', '.', '-'); map it with --mapping or fix the file",
                                                bad_name.type))
        if sent.error is not None:
            line, reason, value = sent.error
            yield Issue(kind="reject", path=shown, line=line, reason=f"sentence rejected: {reason}", value=value,
                        raw="\n".join(sent.raw))
            continue
        for idx, reason in repairs:
            yield Issue(kind="repair", path=shown, line=sent.rows[idx].line, reason=reason, value=sent.rows[idx].tag,
                        document=builder.next_id)
        pending.append((sent, spans))
        if limit is None:
            limit = 1
        if limit and len(pending) >= limit:
            yield from builder.build(pending)
            pending = []
    if pending:
        yield from builder.build(pending)


class _DocBuilder:
    """Turns groups of read sentences into Document + Annotation records."""

    def __init__(self, shown: str, sha: str, encoding: str, options: ImportOptions):
        self.shown, self.sha, self.encoding, self.options = shown, sha, encoding, options
        self.index = 1
        self.normalization = Normalization(profile=PROFILE, version=PROFILE_VERSION)
        self.ontology = OntologyRef(**options.ontology_ref)

    @property
    def next_id(self) -> str:
        return f"conll-{self.sha[:16]}-{self.index:06d}"

    def build(self, group: list[tuple[_Sentence, list[_Span]]]) -> Iterator[Imported]:
        doc_id = self.next_id
        self.index += 1
        parts: list[str] = []
        tokens: list[tuple[int, int]] = []
        sentences: list[tuple[int, int]] = []
        mentions: list[tuple[int, int, str]] = []
        pos = 0
        for k, (sent, spans) in enumerate(group):
            if k:
                parts.append("\n")
                pos += 1
            first_tok = len(tokens)
            for j, row in enumerate(sent.rows):
                if j:
                    parts.append(" ")
                    pos += 1
                parts.append(row.token)
                tokens.append((pos, pos + len(row.token)))
                pos += len(row.token)
            sentences.append((tokens[first_tok][0], tokens[-1][1]))
            for s in spans:
                mentions.append((tokens[first_tok + s.start][0], tokens[first_tok + s.end - 1][1], s.type))
        text = "".join(parts)
        first_line = group[0][0].rows[0].line
        doc = Document(
            schema_version=SCHEMA_VERSION, id=doc_id, text=text, language=self.options.language,
            source=Source(path=self.shown, sha256=self.sha, encoding=self.encoding, format="conll", line=first_line),
            normalization=self.normalization, raw_length=len(text), edits=[], removed=[],
            sentences=sentences, tokens=tokens,
        )
        entities = [
            Entity(id=f"e{i}", type=t, start=s, end=e, text=text[s:e], level=self.options.level)
            for i, (s, e, t) in enumerate(mentions, 1)
        ]
        ann = Annotation(
            schema_version=SCHEMA_VERSION, id=f"{doc_id}:import", document_id=doc_id,
            text_sha256=doc.text_sha256, annotator=self.options.annotator, status=IMPORT_STATUS,
            ontology=self.ontology, entities=entities, events=[],
            origin=Origin(kind="import", path=self.shown, line=first_line),
            provenance=Provenance(policy=IMPORT_POLICY, annotators=[self.options.annotator]),
        )
        yield Imported(document=doc, annotations=[ann])

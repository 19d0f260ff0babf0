"""Raw inputs: finding files, decoding bytes, and one reader per format.

A reader takes a path and its (decompressed) bytes and yields ``RawDoc`` items, or
``InputError`` items for parts it cannot read (a bad JSONL line): the caller keeps
those as rejects and goes on. Readers live in ``READERS`` by format name.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import InputError

__all__ = ["RawDoc", "READERS", "decode_bytes", "find_inputs", "read_path", "format_of", "JsonlFields"]


@dataclass
class RawDoc:
    path: str
    raw: str  # the decoded raw text that offsets of ``edits`` and ``removed`` point into
    sha256: str  # of the raw bytes this document was decoded from
    encoding: str
    format: str
    compression: str | None = None
    line: int | None = None
    text_field: str | None = None  # the JSONL field the text came from
    doc_id: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class JsonlFields:
    """Names of the JSONL fields; ``text`` is required, the others optional."""

    text: str = "text"
    id: str = "id"
    url: str = "url"
    title: str = "title"
    published: str = "published"
    author: str = "author"


# --- decoding -------------------------------------------------------------------------

_BOMS = [
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
]
_ARABIC_SINGLE_BYTE = ("cp1256", "iso8859_6")


# every byte but the C0 controls that do not occur in text (all below 32 except \t\n\v\f\r)
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    # counted in C (translate deletes the other bytes): a Python loop over 8 KB was a fifth of ingest
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls > len(sample) // 20


def _arabic_score(text: str) -> float:
    """Share of characters that are plausible in Arabic news (letters, digits, space, ASCII)."""
    good = sum(1 for ch in text if ch.isascii() or "\u0600" <= ch <= "\u06ff" or ch in "«»–—“”’")
    return good / max(1, len(text))


def decode_bytes(data: bytes, where: str) -> tuple[str, str]:
    """``(text, encoding)``. A BOM is kept in the text (as U+FEFF) so that offsets into
    the text map to the bytes with the recorded codec; normalization removes it."""
    if not data:
        raise InputError(where, "empty file")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise InputError(where, f"undecodable: {codec} byte-order mark, but byte {exc.start} is invalid") from None
    # UTF-16 without a BOM: the high byte of each unit is 0x00 (ASCII) or 0x06 (Arabic)
    if len(data) >= 4 and len(data) % 2 == 0:
        for high, codec in ((data[1::2], "utf-16-le"), (data[0::2], "utf-16-be")):
            if (high.count(0) + high.count(6)) > 0.9 * len(high):
                try:
                    text = data.decode(codec)
                except UnicodeDecodeError:
                    continue
                if sum(1 for ch in text[:4096] if ch < " " and ch not in "\t\n\r") <= len(text[:4096]) // 50:
                    return text, codec
    if _looks_binary(data):
        raise InputError(where, "binary file (control bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # the two Arabic single-byte codepages first: charset detectors confuse them
    best: tuple[float, str, str] | None = None
    for codec in _ARABIC_SINGLE_BYTE:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _arabic_score(text)
        if best is None or score > best[0]:
            best = (score, text, codec)
    if best is not None and best[0] > 0.97 and any("\u0621" <= ch <= "\u064a" for ch in best[1]):
        return best[1], best[2]
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is None:
        raise InputError(where, "undecodable: not UTF-8, UTF-16, Windows-1256, ISO-8859-6 or another known encoding")
    return str(match), match.encoding


# --- readers --------------------------------------------------------------------------

Reader = Callable[[str, bytes, "ReadOptions"], Iterator["RawDoc | InputError"]]
READERS: dict[str, Reader] = {}


@dataclass(frozen=True)
class ReadOptions:
    fields: JsonlFields = JsonlFields()


def _reader(*names: str):
    def register(fn: Reader) -> Reader:
        for name in names:
            READERS[name] = fn
        return fn

    return register


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@_reader("txt")
def _read_txt(where: str, data: bytes, options: ReadOptions) -> Iterator[RawDoc | InputError]:
    text, encoding = decode_bytes(data, where)
    yield RawDoc(path=where, raw=text, sha256=_sha256(data), encoding=encoding, format="txt")


@_reader("html")
def _read_html(where: str, data: bytes, options: ReadOptions) -> Iterator[RawDoc | InputError]:
    text, encoding = decode_bytes(data, where)
    yield RawDoc(path=where, raw=text, sha256=_sha256(data), encoding=encoding, format="html")


@_reader("jsonl")
def _read_jsonl(where: str, data: bytes, options: ReadOptions) -> Iterator[RawDoc | InputError]:
    """A whole JSONL file in memory (the path for files that are not UTF-8; UTF-8 files
    are streamed line by line by ``read_path``)."""
    text, encoding = decode_bytes(data, where)
    if encoding == "utf-8":
        lines = ((n, line, raw) for n, (line, raw) in enumerate(zip(text.split("\n"), data.split(b"\n")), 1))
    else:
        lines = ((n, line, line.encode(encoding)) for n, line in enumerate(text.split("\n"), 1))
    yield from _jsonl_records(where, lines, encoding, options)


def _jsonl_records(where: str, lines: Iterable[tuple[int, str, bytes]], encoding: str,
                   options: ReadOptions) -> Iterator[RawDoc | InputError]:
    """Documents of ``(line number, decoded line, raw line bytes)``; a bad line is an
    InputError naming the file, line, field and value."""
    f = options.fields
    for n, line, line_bytes in lines:
        if not line.strip():
            continue
        place = f"{where}:{n}"
        try:
            # a byte-order mark is kept in the decoded text (offsets), but is no JSON
            obj = json.loads(line[1:] if n == 1 and line.startswith("\ufeff") else line)
        except json.JSONDecodeError as exc:
            yield InputError(place, f"malformed JSON ({exc.msg}, column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield InputError(place, f"a JSONL line must be an object, got {type(obj).__name__}")
            continue
        value = obj.get(f.text)
        if value is None:
            yield InputError(place, "document without text", field=f.text, value=None)
            continue
        if not isinstance(value, str):
            yield InputError(place, "text must be a string", field=f.text, value=value)
            continue
        if not value.strip():
            yield InputError(place, "document without text (empty or white space only)", field=f.text, value=value)
            continue
        doc_id = obj.get(f.id)
        if doc_id is not None and (not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool)):
            yield InputError(place, "id must be a string or an integer", field=f.id, value=doc_id)
            continue
        meta = {}
        for key in ("url", "title", "published", "author"):
            v = obj.get(getattr(f, key))
            if v is not None:
                meta[key] = str(v)
        yield RawDoc(
            path=where, raw=value, sha256=_sha256(line_bytes.rstrip(b"\r")), encoding=encoding,
            format="jsonl", line=n, text_field=f.text,
            doc_id=None if doc_id is None else str(doc_id), metadata=meta,
        )


def _stream_jsonl(path: Path, where: str, compression: str | None, options: ReadOptions) -> Iterator[RawDoc | InputError]:
    """A UTF-8 JSONL file line by line, in memory bounded by its longest line. The
    encoding is detected on the first 64 KB; a file that is not UTF-8 there is read whole."""
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as fh:
        head = fh.read(1 << 16)
        if not head:
            yield InputError(where, "empty file")
            return
        cut = head.rfind(b"\n") + 1 or len(head)
        try:
            _, encoding = decode_bytes(head[:cut], where)
        except InputError as exc:
            yield exc
            return
        if encoding != "utf-8":
            rest = fh.read()
            yield from _read_jsonl(where, head + rest, options)
            return

        def lines() -> Iterator[tuple[int, str, bytes]]:
            pending = head
            n = 0
            while True:
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    n += 1
                    yield n, raw, raw
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                pending += chunk
            n += 1
            yield n, pending, pending

        def decoded() -> Iterator[tuple[int, str, bytes]]:
            for n, _, raw in lines():
                try:
                    yield n, raw.decode("utf-8"), raw
                except UnicodeDecodeError as exc:
                    bad.append(InputError(f"{where}:{n}", f"undecodable: not UTF-8 like the start of the file (byte {exc.start} of the line)"))
                    yield n, "", raw  # an empty line: skipped, its error reported below

        bad: list[InputError] = []
        for item in _jsonl_records(where, decoded(), "utf-8", options):
            while bad:
                yield bad.pop(0)
            yield item
        yield from bad


_EXTENSIONS = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def format_of(path: str | Path) -> tuple[str | None, str | None]:
    """``(format, compression)`` from the file name; format None when not an input.

    The suffixes as ``Path.suffixes`` reads them, on the string (a folder of a million
    files asks this of every one)."""
    name = os.path.basename(path).lower()
    suffixes = [] if name.endswith(".") else name.lstrip(".").split(".")[1:]
    compression = None
    if suffixes and suffixes[-1] == "gz":
        compression = "gzip"
        suffixes = suffixes[:-1]
    fmt = _EXTENSIONS.get("." + suffixes[-1]) if suffixes else None
    return fmt, compression


def find_inputs(sources: list[str | Path]) -> Iterator[Path]:
    """Input files of the given files and folders, in a stable order."""
    for where, _, _, _ in _inputs(sources):
        yield Path(where)


def _inputs(sources: list[str | Path]) -> Iterator[tuple[str, str | None, str | None, bool]]:
    """``(path, format, compression, named)`` of the input files: ``named`` when the user
    named the file itself (so it may not exist); a folder's files are found by walking it."""
    for src in sources:
        p = Path(src)
        if p.is_dir():
            for f in sorted(_walk(str(p))):
                fmt, compression = format_of(f)
                if fmt is not None:
                    yield f, fmt, compression, False
        else:
            yield (str(p), *format_of(str(p)), True)


def _walk(folder: str) -> Iterator[str]:
    """Files under a folder, hidden files and folders left out (os.scandir: pathlib's
    rglob and relative_to cost more than reading a small file)."""
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                yield from _walk(entry.path)
            elif entry.is_file():
                yield entry.path


def read_path(path: Path, where: str, options: ReadOptions, fmt: str | None = None,
              known: tuple[str | None, str | None] | None = None) -> Iterator[RawDoc | InputError]:
    """Read one input file; errors of the whole file come back as one InputError item.
    ``known`` is ``format_of(path)`` when the caller has it already."""
    detected, compression = known or format_of(path)
    fmt = fmt or detected
    if fmt not in READERS:
        yield InputError(where, f"unknown input format (suffix {''.join(path.suffixes) or 'none'}); allowed: .txt, .html, .htm, .jsonl, and these with .gz")
        return
    if fmt == "jsonl":
        try:
            for item in _stream_jsonl(path, where, compression, options):
                if isinstance(item, RawDoc):
                    item.compression = compression
                yield item
        except OSError as exc:  # unreadable, or a broken gzip stream
            yield InputError(where, f"cannot read: {exc.strerror}" if exc.strerror else f"not a valid gzip file: {exc}")
        except (EOFError, zlib.error) as exc:
            yield InputError(where, f"not a valid gzip file: {exc}")
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield InputError(where, f"cannot read: {exc.strerror}")
        return
    if compression == "gzip":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            yield InputError(where, f"not a valid gzip file: {exc}")
            return
    try:
        for item in READERS[fmt](where, data, options):
            if isinstance(item, RawDoc):
                item.compression = compression
            yield item
    except InputError as exc:
        yield exc

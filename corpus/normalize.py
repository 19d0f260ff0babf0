"""Named, versioned normalization profiles that record every edit.

Only changes that are safe for text annotators point into are made here (line ends,
BOM and bidi controls, presentation forms, NFC, whitespace, and by option harakat and
tatweel). Letter folding (alef variants, teh marbuta, yeh) belongs in a derived matching
layer, never in the text annotators see.

A profile is a function ``str -> (text, edits)``; profiles are kept in ``PROFILES`` by
name, and a document records the profile's name, version and options.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import _kernels
from .errors import CorpusError
from .offsets import Edit, EditBuilder, compose

__all__ = ["Profile", "PROFILES", "get_profile", "normalize", "clean_whitespace"]

_BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BOM = "\ufeff"
_HARAKAT = "\u064b-\u065f\u0670"  # tanween, harakat, shadda, sukun, small marks, dagger alef
_TATWEEL = "\u0640"
# Arabic presentation forms A and B, except U+FEFF which is the BOM and is removed
_PRESENTATION = "\ufb50-\ufdff\ufe70-\ufefe"
_NEWLINES = "\r\x85\u2028\u2029"
# horizontal white space other than the plain space
_HSPACE = "\t\x0b\x0c\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"


def _presentation_form(ch: str) -> str:
    out = unicodedata.normalize("NFKC", ch)
    # isolated forms of harakat (U+FE70..U+FE7F) decompose to SPACE + mark: keep the mark
    if len(out) > 1 and out[0] == " " and unicodedata.combining(out[1]):
        out = out[1:]
    return out


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    options: dict = field(default_factory=dict)

    def __call__(self, raw: str) -> tuple[str, list[Edit]]:
        return normalize(raw, **self.options)

    def describe(self) -> dict:
        return {"profile": self.name, "version": self.version, "options": dict(self.options)}


def normalize(raw: str, harakat: str = "keep", tatweel: str = "keep") -> tuple[str, list[Edit]]:
    """Normalize ``raw``; returns the text and the edits from ``raw`` to it."""
    for name, value in (("harakat", harakat), ("tatweel", tatweel)):
        if value not in ("keep", "remove"):
            raise CorpusError(f"normalization option {name}={value!r}: allowed: keep, remove")
    text, edits = _char_pass(raw, harakat == "remove", tatweel == "remove")
    if not unicodedata.is_normalized("NFC", text):
        text, nfc_edits = _nfc(text)
        edits = compose(edits, nfc_edits)
    text, ws_edits = clean_whitespace(text)
    return text, compose(edits, ws_edits)


_char_tables: dict[tuple[bool, bool], np.ndarray] = {}


def _char_table(drop_harakat: bool, drop_tatweel: bool) -> np.ndarray:
    """Which BMP characters the character pass changes (every class here is in the BMP)."""
    key = (drop_harakat, drop_tatweel)
    table = _char_tables.get(key)
    if table is None:
        cls = _NEWLINES + _BIDI + _BOM + _PRESENTATION + _HSPACE
        if drop_harakat:
            cls += _HARAKAT
        if drop_tatweel:
            cls += _TATWEEL
        plane = "".join(map(chr, range(0xD800))) + "\0" * 0x800 + "".join(map(chr, range(0xE000, 0x10000)))
        table = np.zeros(0x10000, dtype=np.bool_)
        table[[m.start() for m in re.finditer(f"[{cls}]", plane)]] = True
        _char_tables[key] = table
    return table


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _char_pass(raw: str, drop_harakat: bool, drop_tatweel: bool) -> tuple[str, list[Edit]]:
    """Line ends, bidi controls and BOM, presentation forms, other spaces, and harakat or
    tatweel by option: the characters are found by a compiled scan (``\\r\\n`` is one
    line end)."""
    b = EditBuilder(raw)
    for s in _kernels.find_marked(_code_points(raw), _char_table(drop_harakat, drop_tatweel)).tolist():
        if s < b.pos:  # the \n of a \r\n (never marked; kept for safety)
            continue
        ch = raw[s]
        if ch == "\r" and raw[s + 1 : s + 2] == "\n":
            b.replace(s, s + 2, "\n")
        elif ch in _NEWLINES:
            b.replace(s, s + 1, "\n")
        elif ch in _BIDI or ch == _BOM:
            b.replace(s, s + 1, "")
        elif "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufefe":
            b.replace(s, s + 1, _presentation_form(ch))
        elif ch == _TATWEEL or "\u064b" <= ch <= "\u065f" or ch == "\u0670":
            b.replace(s, s + 1, "")
        else:  # horizontal white space
            b.replace(s, s + 1, " ")
    return b.finish()


def _nfc(text: str) -> tuple[str, list[Edit]]:
    """NFC with edits: each starter with its following marks is normalized on its own."""
    b = EditBuilder(text)
    starts = [i for i, ch in enumerate(text) if not unicodedata.combining(ch)] + [len(text)]
    if starts[0] != 0:
        starts.insert(0, 0)
    for s, e in zip(starts, starts[1:]):
        chunk = text[s:e]
        if not unicodedata.is_normalized("NFC", chunk):
            b.replace(s, e, unicodedata.normalize("NFC", chunk))
    out, edits = b.finish()
    if out != unicodedata.normalize("NFC", text):
        # composition across starters (Hangul jamo and a few scripts): one coarse edit
        return unicodedata.normalize("NFC", text), [(0, len(text), 0, len(unicodedata.normalize("NFC", text)))]
    return out, edits


def clean_whitespace(text: str) -> tuple[str, list[Edit]]:
    """Collapse runs of spaces, strip spaces at line ends, keep at most one blank line."""
    b = EditBuilder(text)
    n = len(text)
    lead = n - len(text.lstrip(" \n"))
    trail = len(text.rstrip(" \n"))
    if lead == n:
        b.replace(0, n, "")
        return b.finish()
    if lead:
        b.replace(0, lead, "")
    # the runs to change, found by a compiled scan: most texts have none
    for s, e, lines in _kernels.space_runs(_code_points(text), lead, trail).tolist():
        b.replace(s, e, " " if lines == 0 else "\n" if lines == 1 else "\n\n")
    if trail < n:
        b.replace(trail, n, "")
    return b.finish()


PROFILES: dict[str, Callable[..., Profile]] = {}


def _register(name: str, version: str) -> None:
    PROFILES[name] = lambda **options: Profile(name, version, options)


_register("arabic-news", "1.0.0")


def get_profile(name: str = "arabic-news", **options) -> Profile:
    try:
        factory = PROFILES[name]
    except KeyError:
        raise CorpusError(f"unknown normalization profile {name!r}; allowed: {', '.join(sorted(PROFILES))}") from None
    profile = factory(**{k: v for k, v in options.items() if v is not None})
    # check the options once, here, rather than on the first document
    normalize("", **profile.options)
    return profile

"""Sentences and tokens with character offsets, Arabic-aware, no model.

Tokens: a number (``2024``, ``3.5``, ``٣٬٥``), a word (letters with their combining marks,
tatweel and joiners), or any other single non-space character (punctuation, ``«``, ``»``,
``،``, ``؛``, ``؟``, an emoji with its modifiers). Clitics (و، ب، ل، ال) stay attached:
annotations are character offsets, and tokens are derived from them, not the reverse.

Sentences end at a line break, or after ``.``, ``!``, ``?``, ``؟``, ``…`` (and any closing
quote or bracket after them) followed by white space. ``؛`` and ``،`` do not end sentences.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["tokenize", "split_sentences", "segment", "segment_arrays"]

_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u08d3-\u08ff\u200c\u200d\ufe00-\ufe0f\u20d0-\u20ff\U0001f3fb-\U0001f3ff"
)
_LETTER = r"[^\W\d_]"
_TOKEN = re.compile(
    rf"\d+(?:[.,٫٬]\d+)*[{_MARKS}]*"  # numbers, with decimal and thousands separators
    rf"|(?:{_LETTER}[{_MARKS}]*)+"  # words with their marks
    rf"|\S[{_MARKS}]*",  # any other character with its modifiers
)
_SENTENCE_END = re.compile(r"[.!?؟…]+[»\"'”’)\]]*(?=\s)|\n+")
_PUNCT_END = re.compile(r"[.!?؟…]+[»\"'”’)\]]*(?=\s)")


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token spans of ``text[start:end]``, as offsets into ``text`` (the reference
    implementation: ``segment`` computes the same spans in one compiled pass)."""
    return [m.span() for m in _TOKEN.finditer(text, start, len(text) if end is None else end)]


# --- the same tokenizer, compiled (corpus._kernels.segment) ----------------------------
# Character classes; a character continues the token of the character before it when:
#   a mark follows anything but white space; a letter follows a letter, or marks that
#   follow a letter; a digit follows a digit, or a separator between two digits.
_SPACE, _MARK, _DIGIT, _LETTERC, _SEP, _OTHER = range(6)
_MARK_RE = re.compile(f"[{_MARKS}]")
_DIGIT_RE = re.compile(r"\d")
_LETTER_RE = re.compile(_LETTER)
_SPACE_RE = re.compile(r"\s")
_tables: tuple[np.ndarray, np.ndarray] | None = None


def _char_class(ch: str) -> int:
    if _SPACE_RE.match(ch):
        return _SPACE
    if _MARK_RE.match(ch):
        return _MARK
    if _DIGIT_RE.match(ch):
        return _DIGIT
    if _LETTER_RE.match(ch):
        return _LETTERC
    if ch in ".,٫٬":
        return _SEP
    return _OTHER


def _bmp_table() -> np.ndarray:
    """The class of every BMP character: one regex scan a class over the whole plane
    (the same tests as _char_class, 30x faster than asking character by character)."""
    plane = "".join(map(chr, range(0xD800))) + "\0" * 0x800 + "".join(map(chr, range(0xE000, 0x10000)))
    table = np.full(0x10000, _OTHER, dtype=np.uint8)
    for cls, rx in ((_SEP, re.compile("[.,٫٬]")), (_LETTERC, _LETTER_RE), (_DIGIT, _DIGIT_RE), (_MARK, _MARK_RE), (_SPACE, _SPACE_RE)):
        table[[m.start() for m in rx.finditer(plane)]] = cls  # later classes win, as in _char_class
    table[0xD800:0xE000] = _char_class("\ud800")  # lone surrogates
    return table


def _bmp_tables() -> tuple[np.ndarray, np.ndarray]:
    """The class table, and which BMP characters are ``str.isalnum`` (the initial rule)."""
    global _tables
    if _tables is None:
        alnum = np.array([chr(c).isalnum() for c in range(0x10000)], dtype=np.bool_)
        _tables = _bmp_table(), alnum
    return _tables


_NO_ASTRAL = np.zeros(0, dtype=np.uint32)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _spans(text: str, cps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Token starts, ends, sentence starts, ends (``corpus._kernels.segment``)."""
    from . import _kernels

    table, alnum = _bmp_tables()
    try:  # BMP only, the common case: an astral code point is past the table's end
        return _kernels.segment(cps, table[cps], alnum, _NO_ASTRAL)
    except IndexError:
        pass
    astral = np.flatnonzero(cps > 0xFFFF)
    cls = table[np.where(cps > 0xFFFF, 0, cps)]
    for i in astral.tolist():
        cls[i] = _char_class(text[i])
    astral_alnum = np.array(sorted({ord(text[i]) for i in astral.tolist() if text[i].isalnum()}), dtype=np.uint32)
    return _kernels.segment(cps, cls, alnum, astral_alnum)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, trimmed of surrounding white space; empty sentences are dropped."""
    spans = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        s = m.start()
        if _initial(text, s):
            continue
        end = m.end() if text[s] != "\n" else s
        spans.append((pos, end))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def segment(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(sentences, tokens)``; every token lies inside exactly one sentence.

    Sentences are separated by white space (a sentence end needs white space after it,
    or is a line break), and tokens never contain white space, so the tokens of the whole
    text are the tokens of its sentences.
    """
    sentences, bounds = segment_arrays(text)
    return sentences, [tuple(b) for b in bounds.tolist()]


def segment_arrays(text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
    """``segment`` with the tokens as an ``(n, 2)`` int64 array of starts and ends."""
    sentences, starts, ends = _segment_cps(text, _code_points(text))
    return sentences, np.stack([starts, ends], axis=1)


def _segment_cps(text: str, cps: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """Sentences, and the token starts and ends as arrays, of a text and its code points."""
    starts, ends, s_starts, s_ends = _spans(text, cps)
    return list(zip(s_starts.tolist(), s_ends.tolist())), starts, ends


def _initial(text: str, s: int) -> bool:
    """A single capital before a dot is an initial (U.S.), not a sentence end."""
    return text[s] == "." and s > 0 and "A" <= text[s - 1] <= "Z" and (s == 1 or not text[s - 2].isalnum())

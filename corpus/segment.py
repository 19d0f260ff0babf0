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

__all__ = ["tokenize", "split_sentences", "segment"]

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
# a single capital before a dot is an initial or abbreviation (U.S.), not a sentence end
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])[.!?؟…]+[»\"'”’)\]]*(?=\s)|\n+")


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token spans of ``text[start:end]``, as offsets into ``text``."""
    return [m.span() for m in _TOKEN.finditer(text, start, len(text) if end is None else end)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, trimmed of surrounding white space; empty sentences are dropped."""
    spans = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end() if m.group()[0] != "\n" else m.start()
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
    """``(sentences, tokens)``; every token lies inside exactly one sentence."""
    sentences = split_sentences(text)
    tokens: list[tuple[int, int]] = []
    for s, e in sentences:
        tokens.extend(tokenize(text, s, e))
    return sentences, tokens

"""Exact offset maps between a raw text and the text derived from it.

A map is a sorted list of *edits* ``(src_start, src_end, dst_start, dst_end)``:
``src[src_start:src_end]`` became ``dst[dst_start:dst_end]``; between two edits the
texts are identical. Deletions have an empty dst range, insertions an empty src range.
This is the only representation of "what changed", so every stage (HTML markup removal,
normalization, boilerplate removal) records its changes in it and maps compose.

Mapping a span expands outwards when an end point falls inside an edit (a span over one
letter of the ligature ﻻ maps to the whole raw ligature), and never absorbs a deletion
that lies on its edge.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Iterable, Sequence

__all__ = ["Edit", "OffsetMap", "EditBuilder", "apply_edits", "compose"]

Edit = tuple[int, int, int, int]


class OffsetMap:
    """Maps offsets of a source text onto a derived text and back."""

    __slots__ = ("edits", "src_length", "dst_length", "_fwd", "_inv")

    def __init__(self, edits: Sequence[Sequence[int]], src_length: int, dst_length: int):
        self.edits: list[Edit] = [tuple(e) for e in edits]  # type: ignore[misc]
        self.src_length = src_length
        self.dst_length = dst_length
        self._fwd = _Index(self.edits, src_length, dst_length)
        self._inv = _Index([(c, d, a, b) for a, b, c, d in self.edits], dst_length, src_length)

    def to_src(self, start: int, end: int) -> tuple[int, int]:
        """Source span of the derived span ``[start, end)``."""
        return self._inv.map(start, end)

    def to_dst(self, start: int, end: int) -> tuple[int, int]:
        """Derived span of the source span ``[start, end)``."""
        return self._fwd.map(start, end)

    def inverse(self) -> "OffsetMap":
        return OffsetMap([(c, d, a, b) for a, b, c, d in self.edits], self.dst_length, self.src_length)


class _Index:
    """Bisect tables for mapping one direction of an edit list."""

    __slots__ = ("edits", "src_length", "dst_length", "starts", "ends")

    def __init__(self, edits: list[Edit], src_length: int, dst_length: int):
        self.edits = edits
        self.src_length = src_length
        self.dst_length = dst_length
        self.starts = [e[0] for e in edits]
        self.ends = [e[1] for e in edits]

    def map(self, start: int, end: int) -> tuple[int, int]:
        if not 0 <= start <= end <= self.src_length:
            raise ValueError(f"span [{start}, {end}) is outside a text of length {self.src_length}")
        if start == end:
            p = self._start(start)
            return p, p
        return self._start(start), self._end(end)

    def _start(self, p: int) -> int:
        edits = self.edits
        # an edit with s <= p < e: the start falls inside (or at the start of) a change
        i = bisect_right(self.starts, p) - 1
        if i >= 0:
            s, e, ds, de = edits[i]
            if s <= p < e:
                return ds
            # identity region after edit i; an insertion at exactly p stays outside the span
            return p - e + de
        return p

    def _end(self, p: int) -> int:
        edits = self.edits
        # an edit with s < p <= e: the end falls inside (or at the end of) a change
        i = bisect_left(self.ends, p)
        if i < len(edits):
            s, e, ds, de = edits[i]
            if s < p <= e:
                return de
            # identity region before edit i (which starts at or after p)
            return ds - (s - p)
        return self.dst_length - (self.src_length - p)


def apply_edits(src: str, edits: Iterable[Sequence[int]], dst: str) -> str:
    """Rebuild ``dst`` from ``src`` and the edits, taking replacement text from ``dst``.

    The result equals ``dst`` exactly when the edits record every change; tests use it
    as the proof that nothing changed silently.
    """
    out = []
    pos_src = 0
    for s, e, ds, de in edits:
        out.append(src[pos_src:s])
        out.append(dst[ds:de])
        pos_src = e
    out.append(src[pos_src:])
    return "".join(out)


class EditBuilder:
    """Builds a derived text left to right from a source, recording every edit.

    ``keep`` copies source text; ``replace`` writes other text for a source range;
    adjacent changes merge into one edit.
    """

    __slots__ = ("src", "pos", "parts", "length", "edits")

    def __init__(self, src: str):
        self.src = src
        self.pos = 0
        self.parts: list[str] = []
        self.length = 0
        self.edits: list[list[int]] = []

    def keep(self, end: int) -> None:
        if end > self.pos:
            self.parts.append(self.src[self.pos:end])
            self.length += end - self.pos
            self.pos = end

    def replace(self, start: int, end: int, new: str) -> None:
        """Replace ``src[start:end]`` with ``new``; text before ``start`` is kept."""
        self.keep(start)
        if self.src[start:end] == new:
            self.keep(end)
            return
        edits = self.edits
        if edits and edits[-1][1] == start and edits[-1][3] == self.length:
            edits[-1][1] = end
            edits[-1][3] += len(new)
        else:
            edits.append([start, end, self.length, self.length + len(new)])
        self.parts.append(new)
        self.length += len(new)
        self.pos = end

    def finish(self) -> tuple[str, list[Edit]]:
        self.keep(len(self.src))
        return "".join(self.parts), [tuple(e) for e in self.edits]  # type: ignore[misc]


def compose(first: Sequence[Sequence[int]], second: Sequence[Sequence[int]]) -> list[Edit]:
    """Edits of A->C from edits of A->B (``first``) and B->C (``second``).

    Every edit is a closed interval in B coordinates (the dst range of ``first``'s edits,
    the src range of ``second``'s); touching or overlapping intervals merge, and each
    merged interval becomes one edit whose ends lie in identity regions of both maps.
    """
    tagged = [(c, d, 0, i) for i, (_, _, c, d) in enumerate(first)]
    tagged += [(a, b, 1, i) for i, (a, b, _, _) in enumerate(second)]
    if not tagged:
        return []
    tagged.sort()
    out: list[Edit] = []
    delta_a = 0  # (A offset - B offset) left of the current interval
    delta_c = 0  # (C offset - B offset) left of the current interval
    k = 0
    n = len(tagged)
    while k < n:
        lo, hi = tagged[k][0], tagged[k][1]
        group = [tagged[k]]
        k += 1
        while k < n and tagged[k][0] <= hi:
            hi = max(hi, tagged[k][1])
            group.append(tagged[k])
            k += 1
        a_start, c_start = lo + delta_a, lo + delta_c
        for _, _, which, i in group:
            if which == 0:
                s, e, ds, de = first[i]
                delta_a = e - de
            else:
                s, e, ds, de = second[i]
                delta_c = de - e
        out.append((a_start, hi + delta_a, c_start, hi + delta_c))
    return out

"""The per-character loops of ingest and validate, compiled (numba): tokens and sentences,
the normalizer's character and white-space scans, the MinHash band keys, the dedup key
table, tokens written as JSON and read back.

Each kernel is one pass over a document's code points or bytes. In numpy the same work
was some thirty array operations, each cheap but each paid on a few thousand characters,
and in Python a loop a character: together they were half of ingest's time. The readable
definitions stay beside the callers and in the tests (``corpus.segment.tokenize`` is the
reference the tokenizer is held to; tests/test_kernels.py holds the others to plain
Python).

Compiled once per machine and cached beside this file (numba ``cache=True``, a few
seconds the first time); importing this module loads every kernel (``_load``), so forked
workers start ready. Ingest, validate and segmentation (``corpus.segment``, loaded on its
first call) import it; the other commands do not pay numba's ~150 MiB of LLVM.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def _cache_dir() -> None:
    """numba caches beside this file, else under the user's cache folder, and refuses to
    compile a cached kernel when neither is writable (a read-only install, no HOME): then
    a folder of the temporary directory is named instead."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = Path(__file__).parent
    for folder in (here / "__pycache__", here, Path.home() / ".cache"):
        try:
            if folder.is_dir() and os.access(folder, os.W_OK):
                return
        except (OSError, RuntimeError):  # no home folder
            continue
    os.environ["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / f"corpus-numba-{os.getuid() if hasattr(os, 'getuid') else 0}")


_cache_dir()
from numba import njit  # noqa: E402  (after NUMBA_CACHE_DIR is settled)

# character classes (corpus.segment builds the table)
_SPACE, _MARK, _DIGIT, _LETTER, _SEP, _OTHER = 0, 1, 2, 3, 4, 5

_U = np.uint64


@njit(cache=True, nogil=True)
def _is_punct_end(c: int) -> bool:  # . ! ? ؟ …
    return c == 0x2E or c == 0x21 or c == 0x3F or c == 0x061F or c == 0x2026


@njit(cache=True, nogil=True)
def _is_closer(c: int) -> bool:  # » " ' ” ’ ) ]
    return c == 0xBB or c == 0x22 or c == 0x27 or c == 0x201D or c == 0x2019 or c == 0x29 or c == 0x5D


@njit(cache=True, nogil=True)
def _alnum(c: int, alnum: np.ndarray, astral_alnum: np.ndarray) -> bool:
    if c < 0x10000:
        return alnum[c]
    i = np.searchsorted(astral_alnum, c)
    return i < len(astral_alnum) and astral_alnum[i] == c


@njit(cache=True, nogil=True)
def segment(cps: np.ndarray, cls: np.ndarray, alnum: np.ndarray, astral_alnum: np.ndarray):
    """Token starts and ends, sentence starts and ends of one text.

    ``cls`` is the class of every character; ``alnum`` says which BMP code points are
    ``str.isalnum`` and ``astral_alnum`` lists (sorted) the astral ones in the text, for
    the initial rule.

    A character continues the token before it when: a mark follows anything but white
    space; a letter follows a letter, or marks that follow a letter; a digit follows a
    digit, or a separator between two digits (the separator joins too). A sentence ends
    at a line break, or after a run of ``.!?؟…`` (and closing quotes or brackets after it)
    followed by white space, unless the run is the dot after a single capital (``U.S.``).
    """
    n = len(cps)
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    cut = np.zeros(n + 1, dtype=np.bool_)  # a sentence ends at this white space
    nt = 0
    in_token = False
    base = _SPACE  # the class of the last character that is not a mark
    prev_sep_joined = False
    for i in range(n):
        c = cls[i]
        if c == _SPACE:
            if in_token:
                ends[nt - 1] = i
                in_token = False
            if cps[i] == 10:
                cut[i] = True
            base = _SPACE
            prev_sep_joined = False
            continue
        prev = cls[i - 1] if i > 0 else _SPACE
        nxt = cls[i + 1] if i + 1 < n else _SPACE
        sep_joined = c == _SEP and prev == _DIGIT and nxt == _DIGIT
        if c == _MARK:
            join = prev != _SPACE
        elif c == _LETTER:
            join = base == _LETTER and prev != _SPACE
        elif c == _DIGIT:
            join = prev == _DIGIT or prev_sep_joined
        else:
            join = sep_joined
        if not join:  # join implies the character before is in a token
            if in_token:
                ends[nt - 1] = i
            starts[nt] = i
            nt += 1
            in_token = True
        if c != _MARK:
            base = c
        prev_sep_joined = sep_joined
        # a sentence-final run starts here: the regex's match starts at a run's first
        # character, so the initial rule looks before it
        cp = cps[i]
        if _is_punct_end(cp) and not (i > 0 and _is_punct_end(cps[i - 1])):
            j = i + 1
            while j < n and _is_punct_end(cps[j]):
                j += 1
            while j < n and _is_closer(cps[j]):
                j += 1
            if j < n and cls[j] == _SPACE:
                initial = cp == 0x2E and i > 0 and 0x41 <= cps[i - 1] <= 0x5A and (
                    i == 1 or not _alnum(cps[i - 2], alnum, astral_alnum))
                if not initial:
                    cut[j] = True
    if in_token:
        ends[nt - 1] = n
    # sentences: a new one starts at a token with a cut in the white space before it
    s_starts = np.empty(nt, dtype=np.int64)
    s_ends = np.empty(nt, dtype=np.int64)
    ns = 0
    for t in range(nt):
        new = t == 0
        if not new:
            for k in range(ends[t - 1], starts[t]):
                if cut[k]:
                    new = True
                    break
        if new:
            if ns > 0:
                s_ends[ns - 1] = ends[t - 1]
            s_starts[ns] = starts[t]
            ns += 1
    if ns > 0:
        s_ends[ns - 1] = ends[nt - 1]
    return starts[:nt], ends[:nt], s_starts[:ns], s_ends[:ns]


# --- MinHash ------------------------------------------------------------------------------

PERMS = 64
BANDS = 8
SHINGLE = 5
_P = _U(0x100000001B3)
_SHINGLE_MUL = _U(1_000_003)
_MIX = _U(0x9E3779B97F4A7C15)
_STEP = _U(0x632BE59BD9B4E019)
_EMPTY = _U(2**64 - 1)
_LOW58 = _U(2**58 - 1)
_BAND_MIX = np.array([(0x9E3779B97F4A7C15 ^ (r * 0xD1B54A32D192ED03)) & 0xFFFFFFFFFFFFFFFF | 1 for r in range(PERMS // BANDS)],
                     dtype=np.uint64)
_BAND_STEP = _U(0x2545F4914F6CDD1D)
_FINAL = _U(0xBF58476D1CE4E5B9)


@njit(cache=True, nogil=True)
def band_keys(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray, out: np.ndarray) -> bool:
    """The LSH band keys of a text's MinHash signature into ``out`` (8 values); False when
    it has fewer tokens than a shingle.

    The signature has 64 values over word 5-grams, by one-permutation hashing with
    densification (Shrivastava 2017): each shingle is hashed once and falls in one of 64
    bins, whose minimum is kept; an empty bin borrows from the next filled one, shifted by
    the distance. A token's hash is a polynomial of its code points; a band's key mixes
    its 8 rows (multiply, xor-shift) with the band number, so equal rows in different
    bands do not collide.
    """
    nt = len(starts)
    if nt < SHINGLE:
        return False
    h = np.empty(nt, dtype=np.uint64)
    for t in range(nt):
        acc = _U(0)
        pw = _U(1)
        for j in range(starts[t], ends[t]):
            acc += (_U(cps[j]) + _U(1)) * pw
            pw *= _P
        h[t] = acc
    sig = np.full(PERMS, _EMPTY, dtype=np.uint64)
    for i in range(nt - SHINGLE + 1):
        sh = _U(0)
        for k in range(SHINGLE):
            sh = sh * _SHINGLE_MUL + h[i + k]
        x = sh * _MIX
        x ^= x >> _U(31)
        x *= _STEP
        b = x >> _U(58)
        v = x & _LOW58
        if v < sig[b]:
            sig[b] = v
    dense = sig.copy()
    for b in range(PERMS):
        if sig[b] == _EMPTY:
            d = 1
            while sig[(b + d) % PERMS] == _EMPTY:
                d += 1
            dense[b] = sig[(b + d) % PERMS] + _U(d) * _STEP
    rows = PERMS // BANDS
    for band in range(BANDS):
        key = _U(0)
        for r in range(rows):
            x = dense[band * rows + r] * _BAND_MIX[r] + _U(band) * _BAND_STEP
            x ^= x >> _U(29)
            x *= _FINAL
            key ^= x
        out[band] = key ^ (key >> _U(32))
    return True


# --- the dedup key table --------------------------------------------------------------------
# 64-bit key -> int32 value, open addressing in two flat arrays (0 marks an empty slot)

_GOLD = _U(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True)
def _probe(keys: np.ndarray, key) -> int:
    mask = _U(len(keys) - 1)
    i = ((key * _GOLD) >> _U(7)) & mask
    while keys[i] != 0 and keys[i] != key:
        i = (i + _U(1)) & mask
    return i


@njit(cache=True, nogil=True)
def table_setdefault(keys: np.ndarray, vals: np.ndarray, new: np.ndarray, value: int, out: np.ndarray) -> int:
    """For each key of ``new``, in order: its stored value into ``out``, storing ``value``
    first if it has none. Returns how many keys were stored (the table must have room)."""
    stored = 0
    for q in range(len(new)):
        key = new[q] if new[q] != 0 else _U(1)
        i = _probe(keys, key)
        if keys[i] == key:
            out[q] = vals[i]
        else:
            keys[i] = key
            vals[i] = value
            out[q] = value
            stored += 1
    return stored


@njit(cache=True, nogil=True)
def table_get(keys: np.ndarray, vals: np.ndarray, key) -> int:
    """The value stored for ``key``, or -1."""
    if key == 0:
        key = _U(1)
    i = _probe(keys, key)
    return vals[i] if keys[i] == key else -1


@njit(cache=True, nogil=True)
def table_rehash(keys: np.ndarray, vals: np.ndarray, new_keys: np.ndarray, new_vals: np.ndarray) -> None:
    for i in range(len(keys)):
        if keys[i] != 0:
            j = _probe(new_keys, keys[i])
            new_keys[j] = keys[i]
            new_vals[j] = vals[i]


# --- JSON -----------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _put_int(buf: np.ndarray, pos: int, v: int) -> int:
    if v == 0:
        buf[pos] = 48
        return pos + 1
    digits = 0
    x = v
    while x > 0:
        digits += 1
        x //= 10
    end = pos + digits
    for k in range(end - 1, pos - 1, -1):
        buf[k] = 48 + v % 10
        v //= 10
    return end


@njit(cache=True, nogil=True)
def spans_json(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``[[s,e],...]`` as msgspec writes a list of pairs of non-negative ints (UTF-8 bytes):
    converting a few hundred pairs to Python lists only to encode them cost more than
    segmenting the text."""
    n = len(starts)
    buf = np.empty(2 + n * 44, dtype=np.uint8)  # two 20-digit numbers, "[", ",", "]", ","
    buf[0] = 91  # [
    pos = 1
    for t in range(n):
        if t:
            buf[pos] = 44  # ,
            pos += 1
        buf[pos] = 91
        pos = _put_int(buf, pos + 1, starts[t])
        buf[pos] = 44
        pos = _put_int(buf, pos + 1, ends[t])
        buf[pos] = 93  # ]
        pos += 1
    buf[pos] = 93
    return buf[: pos + 1]


# --- normalization scans ------------------------------------------------------------------


@njit(cache=True, nogil=True)
def find_marked(cps: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Positions of the characters ``marked`` (a table over the BMP) flags, in order."""
    out = np.empty(len(cps), dtype=np.int64)
    n = 0
    for i in range(len(cps)):
        c = cps[i]
        if c < 0x10000 and marked[c]:
            out[n] = i
            n += 1
    return out[:n]


@njit(cache=True, nogil=True)
def space_runs(cps: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Runs of two or more spaces and line breaks in ``[lo, hi)`` other than a lone blank
    line (``\\n\\n``): ``(start, end, line breaks)`` rows."""
    out = np.empty((max(hi - lo, 0) // 2 + 1, 3), dtype=np.int64)
    n = 0
    i = lo
    while i < hi:
        c = cps[i]
        if c != 32 and c != 10:
            i += 1
            continue
        j = i
        breaks = 0
        while j < hi and (cps[j] == 32 or cps[j] == 10):
            if cps[j] == 10:
                breaks += 1
            j += 1
        if j - i >= 2 and not (j - i == 2 and breaks == 2):
            out[n, 0] = i
            out[n, 1] = j
            out[n, 2] = breaks
            n += 1
        i = j
    return out[:n]



@njit(cache=True, nogil=True)
def token_marks(raw: np.ndarray, n: int):
    """The numbers of a JSON list of ``[start, end]`` pairs (``raw``, UTF-8 bytes), flat,
    and a map of the text's positions ``0..n`` where a token starts or ends (1 there).
    Positions outside the text mark nothing. ``ok`` is False, and nothing else is
    meaningful, when ``raw`` holds anything but digits, signs, brackets, commas and
    white space (the caller then parses it the slow way)."""
    flat = np.empty(len(raw) // 2 + 1, dtype=np.int64)
    marks = np.zeros(n + 1, dtype=np.uint8)
    k = 0
    v = 0
    neg = False
    in_num = False
    for i in range(len(raw) + 1):
        c = raw[i] if i < len(raw) else 44  # a comma after the end ends the last number
        if 48 <= c <= 57:
            if v > 100_000_000_000_000:  # no text is that long: let the slow path say so
                return False, flat[:0], marks
            v = v * 10 + (c - 48)
            in_num = True
            continue
        if neg and not in_num:  # a sign without digits
            return False, flat[:0], marks
        if in_num:
            x = -v if neg else v
            flat[k] = x
            k += 1
            if 0 <= x <= n:
                marks[x] = 1
            v = 0
            neg = False
            in_num = False
        if c == 45:  # -
            neg = True
        elif not (c == 91 or c == 93 or c == 44 or c == 32 or c == 10 or c == 13 or c == 9):
            return False, flat[:0], marks
    return True, flat[:k], marks


def _load() -> None:
    """Load every kernel now, with the argument types ingest passes (numba compiles or
    loads a kernel on its first call): importing this module is what costs, once, and
    worker processes forked after it start ready."""
    cps = np.frombuffer("ab. c".encode("utf-32-le"), dtype=np.uint32)  # read-only, as in ingest
    cls = np.array([_LETTER, _LETTER, _SEP, _SPACE, _LETTER], dtype=np.uint8)
    starts, ends, _, _ = segment(cps, cls, np.zeros(0x10000, dtype=np.bool_), np.zeros(0, dtype=np.uint32))
    band_keys(cps, starts, ends, np.empty(BANDS, dtype=np.uint64))
    spans_json(starts, ends)
    keys, vals = np.zeros(4, dtype=np.uint64), np.zeros(4, dtype=np.int32)
    table_setdefault(keys, vals, np.ones(1, dtype=np.uint64), 0, np.empty(1, dtype=np.int32))
    table_setdefault(keys, vals, np.frombuffer(bytes(8), dtype=np.uint64), 0, np.empty(1, dtype=np.int32))  # band keys
    table_get(keys, vals, _U(1))
    table_rehash(keys, vals, np.zeros(8, dtype=np.uint64), np.zeros(8, dtype=np.int32))
    find_marked(cps, np.zeros(0x10000, dtype=np.bool_))
    space_runs(cps, 0, len(cps))
    token_marks(np.frombuffer(b"[[0,1]]", dtype=np.uint8), 1)


_load()

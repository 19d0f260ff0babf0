"""The compiled loops (corpus._kernels) against plain-Python definitions of the same thing."""

from __future__ import annotations

import msgspec
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus import _kernels
from corpus.segment import tokenize

M64 = (1 << 64) - 1


def _ref_band_keys(text: str) -> list[int] | None:
    """MinHash band keys as documented: word 5-grams, one-permutation hashing into 64
    bins with densification, 8 bands of 8 rows mixed into one key each."""
    spans = tokenize(text)
    if len(spans) < 5:
        return None
    P, MIX, STEP = 0x100000001B3, 0x9E3779B97F4A7C15, 0x632BE59BD9B4E019
    hashes = []
    for s, e in spans:
        h, pw = 0, 1
        for ch in text[s:e]:
            h = (h + (ord(ch) + 1) * pw) & M64
            pw = (pw * P) & M64
        hashes.append(h)
    empty = M64
    sig = [empty] * 64
    for i in range(len(hashes) - 4):
        sh = 0
        for k in range(5):
            sh = (sh * 1_000_003 + hashes[i + k]) & M64
        x = (sh * MIX) & M64
        x ^= x >> 31
        x = (x * STEP) & M64
        b, v = x >> 58, x & ((1 << 58) - 1)
        sig[b] = min(sig[b], v)
    dense = list(sig)
    for b in range(64):
        if sig[b] == empty:
            d = 1
            while sig[(b + d) % 64] == empty:
                d += 1
            dense[b] = (sig[(b + d) % 64] + d * STEP) & M64
    keys = []
    for band in range(8):
        key = 0
        for r in range(8):
            mul = ((0x9E3779B97F4A7C15 ^ (r * 0xD1B54A32D192ED03)) & M64) | 1
            x = (dense[band * 8 + r] * mul + band * 0x2545F4914F6CDD1D) & M64
            x ^= x >> 29
            x = (x * 0xBF58476D1CE4E5B9) & M64
            key ^= x
        keys.append(key ^ (key >> 32))
    return keys


def _cps(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


WORDS = ["قال", "الوزير", "إن", "الحملة", "ستبدأ", "قريباً", "في", "الرقة", "2024", "U.S.", "«هذا»", "،", "؟"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(min_size=1, max_size=6), max_size=40))
def test_band_keys_follow_their_definition(words):
    text = " ".join(words)
    spans = np.array(tokenize(text), dtype=np.int64).reshape(-1, 2)
    out = np.empty(8, dtype=np.uint64)
    found = _kernels.band_keys(_cps(text), spans[:, 0].copy(), spans[:, 1].copy(), out)
    expected = _ref_band_keys(text)
    assert found == (expected is not None)
    if found:
        assert out.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 10**12)), max_size=50))
def test_spans_json_is_what_msgspec_writes(pairs):
    starts = np.array([s for s, _ in pairs], dtype=np.int64)
    ends = np.array([e for _, e in pairs], dtype=np.int64)
    assert _kernels.spans_json(starts, ends).tobytes() == msgspec.json.encode([list(p) for p in pairs])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 60), st.integers(-5, 60)), max_size=30), st.integers(0, 50))
def test_token_marks_parse_and_mark_within_the_text(pairs, n):
    raw = msgspec.json.encode([list(p) for p in pairs])
    ok, flat, marks = _kernels.token_marks(np.frombuffer(raw, dtype=np.uint8), n)
    assert ok
    assert flat.tolist() == [x for p in pairs for x in p]
    assert np.flatnonzero(marks).tolist() == sorted({x for p in pairs for x in p if 0 <= x <= n})


def test_token_marks_give_up_on_what_is_not_pairs_of_integers():
    for raw in (b'[[1.5,2]]', b'[["a",2]]', b'[[1,2e3]]', b'[[-,2]]', b'[[99999999999999999999,1]]'):
        ok, _, _ = _kernels.token_marks(np.frombuffer(raw, dtype=np.uint8), 10)
        assert not ok, raw


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=" \nab", max_size=40), st.data())
def test_space_runs_are_the_runs_to_change(text, data):
    import re

    lo = data.draw(st.integers(0, len(text)))
    hi = data.draw(st.integers(lo, len(text)))
    # the runs clean_whitespace's regex found in [lo, hi), a lone blank line left alone
    expected = [(m.start(), m.end(), m.group().count("\n")) for m in re.compile(r"[ \n]{2,}").finditer(text, lo, hi)
                if m.group() != "\n\n"]
    assert [tuple(r) for r in _kernels.space_runs(_cps(text), lo, hi).tolist()] == expected

"""Offset maps: the round trip between raw and normalized text, proved on arbitrary Unicode."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.normalize import normalize
from corpus.offsets import EditBuilder, OffsetMap, apply_edits, compose

# the characters that normalization touches, mixed into arbitrary text
_SPECIAL = st.sampled_from(
    list("\r\n\t \u00a0\u200e\u200f\u061c\u202b\u202c\u2067\u2069\ufeff\u0640\u064e\u0651\u0670")
    + ["\ufefb", "\ufdf2", "\ufdfa", "\ufe70", "\ufe8d", "\ufb8a", "e\u0301", "\u0627\u0654", "😀", "👍🏽", "\r\n", "\u1100\u1161"]
)
_TEXT = st.lists(st.one_of(st.text(max_size=5), _SPECIAL), max_size=40).map("".join)
_OPTIONS = st.fixed_dictionaries({"harakat": st.sampled_from(["keep", "remove"]), "tatweel": st.sampled_from(["keep", "remove"])})


@settings(max_examples=400, deadline=None)
@given(_TEXT, _OPTIONS)
def test_edits_record_every_change(raw, options):
    text, edits = normalize(raw, **options)
    assert apply_edits(raw, edits, text) == text
    # outside the edits, raw and text are identical character for character
    m = OffsetMap(edits, len(raw), len(text))
    pos_raw = pos_txt = 0
    for s, e, ds, de in m.edits:
        assert raw[pos_raw:s] == text[pos_txt:ds]
        pos_raw, pos_txt = e, de
    assert raw[pos_raw:] == text[pos_txt:]


@settings(max_examples=400, deadline=None)
@given(_TEXT, _OPTIONS, st.data())
def test_to_raw_from_raw_round_trip(raw, options, data):
    text, edits = normalize(raw, **options)
    m = OffsetMap(edits, len(raw), len(text))
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    rs, re_ = m.to_src(start, end)
    assert 0 <= rs <= re_ <= len(raw)
    if start == end:
        return
    back_s, back_e = m.to_dst(rs, re_)
    # mapping back covers the span; it widens only where an end point cuts an edit in two
    assert back_s <= start and end <= back_e
    if not any(ds < p < de for p in (start, end) for _, _, ds, de in edits):
        assert (back_s, back_e) == (start, end)
    # a span that no edit touches is the very same characters in the raw text
    if not any(ds < end and de > start or (ds == de and start < ds < end) for _, _, ds, de in edits):
        assert raw[rs:re_] == text[start:end]


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.data())
def test_from_raw_of_every_raw_span_is_inside_text(raw, data):
    text, edits = normalize(raw)
    m = OffsetMap(edits, len(raw), len(text))
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, len(raw)))
    s, e = m.to_dst(start, end)
    assert 0 <= s <= e <= len(text)
    # the raw span of the result covers every raw character that survived normalization
    rs, re_ = m.to_src(s, e)
    assert rs <= re_


@settings(max_examples=300, deadline=None)
@given(_TEXT, _TEXT)
def test_compose_equals_two_steps(a, extra):
    mid, e1 = normalize(a)
    # a second, arbitrary step: replace every other character of mid by `extra`'s
    b = EditBuilder(mid)
    for i in range(0, len(mid), 2):
        b.replace(i, i + 1, extra[i % len(extra)] if extra else "")
    out, e2 = b.finish()
    edits = compose(e1, e2)
    assert apply_edits(a, edits, out) == out


def test_ligature_lam_alef_becomes_two_letters_and_maps_back():
    raw = "قال \ufefb شيء"
    text, edits = normalize(raw)
    assert text == "قال لا شيء"
    m = OffsetMap(edits, len(raw), len(text))
    assert m.to_src(4, 6) == (4, 5)  # both letters come from the one ligature
    assert m.to_src(4, 5) == (4, 5)  # half of it widens to the whole raw ligature
    assert m.to_dst(4, 5) == (4, 6)
    assert m.to_src(7, 10) == (6, 9)


def test_deleted_characters_stay_outside_spans():
    raw = "a\u200f\u200fb"
    text, edits = normalize(raw)
    assert text == "ab"
    m = OffsetMap(edits, len(raw), len(text))
    assert m.to_src(0, 1) == (0, 1)
    assert m.to_src(1, 2) == (3, 4)
    assert m.to_src(0, 2) == (0, 4)


def test_empty_span_maps_to_a_point():
    m = OffsetMap([(2, 5, 2, 2)], 8, 5)
    assert m.to_src(2, 2) == (5, 5)
    assert m.to_dst(3, 3) == (2, 2)


def test_out_of_range_span_is_an_error():
    import pytest

    m = OffsetMap([], 3, 3)
    with pytest.raises(ValueError, match=r"span \[2, 9\) is outside a text of length 3"):
        m.to_src(2, 9)

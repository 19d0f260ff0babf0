"""The arabic-news normalization profile, case by case."""

from __future__ import annotations

import pytest

from corpus.errors import CorpusError
from corpus.normalize import get_profile, normalize
from corpus.offsets import apply_edits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("سطر\r\nسطر\rسطر", "سطر\nسطر\nسطر"),
        ("\ufeffنص", "نص"),
        ("\u200fكارتر\u200e و\u202bبغداد\u202c\u2067\u2069\u061c", "كارتر وبغداد"),
        ("\ufefb", "لا"),  # lam-alef ligature: one raw character, two letters
        ("\ufdf2", "الله"),
        ("\ufdfa", "صلى الله عليه وسلم"),
        ("\ufe8d\ufedf\ufeee\ufeb3\ufef4\ufee0\ufe94", "الوسيلة"),  # presentation forms B
        ("\ufe70", "\u064b"),  # isolated tanween form: the mark, without NFKC's space
        ("كلمة    أخرى\t\u00a0نص", "كلمة أخرى نص"),
        ("  بداية\nنهاية  \n\n\n\nفقرة  ", "بداية\nنهاية\n\nفقرة"),
        ("مُحَمَّد", "مُحَمَّد"),  # harakat kept by default
        ("الـــدولة", "الـــدولة"),  # tatweel kept by default
        ("2024 ٣٥", "2024 ٣٥"),  # digits kept
        ("\u0627\u0654", "\u0623"),  # NFC: alef + hamza above is alef with hamza
    ],
)
def test_default_profile(raw, expected):
    text, edits = normalize(raw)
    assert text == expected
    assert apply_edits(raw, edits, text) == text


def test_harakat_and_tatweel_removed_by_option():
    text, edits = normalize("مُحَمَّد الـــدولة", harakat="remove", tatweel="remove")
    assert text == "محمد الدولة"
    assert apply_edits("مُحَمَّد الـــدولة", edits, text) == text


def test_unknown_option_value_is_named():
    with pytest.raises(CorpusError, match=r"normalization option harakat='drop': allowed: keep, remove"):
        get_profile("arabic-news", harakat="drop")


def test_unknown_profile_is_named():
    with pytest.raises(CorpusError, match=r"unknown normalization profile 'latin'; allowed: arabic-news"):
        get_profile("latin")


def test_profile_describes_itself():
    assert get_profile(harakat="remove").describe() == {"profile": "arabic-news", "version": "1.0.0", "options": {"harakat": "remove"}}

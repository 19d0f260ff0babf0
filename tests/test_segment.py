"""Sentences and tokens with offsets."""

from __future__ import annotations

from corpus.segment import segment, split_sentences, tokenize


def _words(text, spans):
    return [text[s:e] for s, e in spans]


def test_arabic_punctuation_and_guillemets():
    text = "قال كارتر: «هذه خطتنا»، ولدينا القدرة؛ هل تنجح؟ نعم."
    assert _words(text, tokenize(text)) == [
        "قال", "كارتر", ":", "«", "هذه", "خطتنا", "»", "،", "ولدينا", "القدرة", "؛", "هل", "تنجح", "؟", "نعم", ".",
    ]
    assert _words(text, split_sentences(text)) == ["قال كارتر: «هذه خطتنا»، ولدينا القدرة؛ هل تنجح؟", "نعم."]


def test_numbers_words_marks_and_emoji():
    text = "عام 2024م. بلغت 3.5٪ و٣٬٥ مُحَمَّد 😀👍🏽"
    assert _words(text, tokenize(text)) == ["عام", "2024", "م", ".", "بلغت", "3.5", "٪", "و", "٣٬٥", "مُحَمَّد", "😀", "👍🏽"]


def test_lines_end_sentences_and_initials_do_not():
    text = "العنوان بلا نقطة\n\nقالت U.S. Army شيئاً. ثم انتهى"
    assert _words(text, split_sentences(text)) == ["العنوان بلا نقطة", "قالت U.S. Army شيئاً.", "ثم انتهى"]


def test_every_token_inside_one_sentence():
    text = "  جملة أولى. جملة ثانية!\nثالثة؟  "
    sentences, tokens = segment(text)
    for s, e in tokens:
        assert sum(1 for a, b in sentences if a <= s and e <= b) == 1
    assert not any(text[s:e].isspace() for s, e in tokens)


from hypothesis import given, settings
from hypothesis import strategies as st

_PIECES = st.sampled_from(list("ab كتب 12٣.,٫٬ ؟!«»\n\t_½") + ["\u064e", "\u0651", "\u200c", "😀", "🏽", "\U0001d400", "e\u0301", "1.2", "x.\u064b "])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=4), _PIECES), max_size=30).map("".join))
def test_vectorized_tokens_equal_the_regex_reference(text):
    sentences, tokens = segment(text)
    assert tokens == tokenize(text)
    for s, e in tokens:
        assert sum(1 for a, b in sentences if a <= s and e <= b) == 1


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=4), _PIECES, st.sampled_from([". ", "؟ ", "!» ", "U.S. ", "\n\n", ".\n", "…"])), max_size=30).map("".join))
def test_sentences_from_tokens_equal_the_regex_reference(text):
    sentences, _ = segment(text)
    assert sentences == split_sentences(text)


def test_the_class_table_agrees_with_the_classes_of_every_bmp_character():
    import numpy as np

    from corpus import segment as sg

    expected = np.array([sg._char_class(chr(c)) for c in range(0x10000)], dtype=np.uint8)
    assert (sg._bmp_table() == expected).all()

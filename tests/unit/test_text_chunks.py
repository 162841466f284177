"""Sentence chunks for long job texts."""

from __future__ import annotations

import pytest

from audiofn.text.chunks import split_into_chunks, split_sentences


def test_sentences_end_at_terminal_punctuation_and_closing_quotes():
    assert split_sentences('He said "Go!" Then he left. Did he? Yes… Fine.') == [
        'He said "Go!"',
        "Then he left.",
        "Did he?",
        "Yes…",
        "Fine.",
    ]


def test_whole_sentences_are_grouped_up_to_the_limit():
    text = "One two three. Four five six. Seven eight nine. Ten."
    chunks = split_into_chunks(text, max_chars=30)
    assert [c.text for c in chunks] == ["One two three. Four five six.", "Seven eight nine. Ten."]
    assert [c.ends_paragraph for c in chunks] == [False, True]
    assert all(len(c.text) <= 30 for c in chunks)


def test_paragraph_ends_are_kept_and_line_wraps_are_not_breaks():
    text = "First line\nwraps here.\r\n\r\nSecond paragraph.\n\n\n"
    chunks = split_into_chunks(text, max_chars=400)
    assert [(c.text, c.ends_paragraph) for c in chunks] == [
        ("First line wraps here.", True),
        ("Second paragraph.", True),
    ]


def test_a_sentence_longer_than_the_limit_is_cut_at_clauses_then_spaces():
    long = "alpha beta, gamma delta epsilon, zeta eta theta iota kappa lambda mu nu xi omicron."
    chunks = split_into_chunks(long, max_chars=25)
    assert all(len(c.text) <= 25 for c in chunks)
    assert " ".join(c.text for c in chunks) == long
    assert chunks[0].text == "alpha beta,"


def test_nothing_is_lost_from_a_long_text():
    text = " ".join(f"Sentence number {i} is here." for i in range(500))
    chunks = split_into_chunks(text)
    assert " ".join(c.text for c in chunks) == text
    assert max(len(c.text) for c in chunks) <= 400


def test_an_unbroken_word_longer_than_the_limit_is_cut_hard():
    assert [c.text for c in split_into_chunks("x" * 25, max_chars=10)] == [
        "x" * 10,
        "x" * 10,
        "x" * 5,
    ]


def test_the_limit_must_be_positive():
    with pytest.raises(ValueError, match="max_chars"):
        split_into_chunks("Hello.", max_chars=0)

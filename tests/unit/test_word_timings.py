"""Word timings: Kokoro's phoneme spans mapped back to written words, and how timings travel."""

from __future__ import annotations

import pytest

from audiofn.tts.kokoro_engine import SAMPLE_RATE, _Symbol, _time_words
from audiofn.tts.word_timings import (
    WordTiming,
    scaled,
    shifted,
    timings_key,
    words_from_json,
    words_to_json,
)


def symbols(*runs: int) -> list[_Symbol]:
    """Spoken symbols 0.1 s each, ``runs[i]`` of them in the i-th phoneme word."""
    out, at = [], 0
    step = SAMPLE_RATE // 10
    for run, count in enumerate(runs):
        for _ in range(count):
            out.append(_Symbol(at, at + step, run))
            at += step
    return out


def test_one_phoneme_word_per_written_word_maps_one_to_one() -> None:
    timed = _time_words(["Hello", "there"], symbols(5, 4), "en-us")

    assert timed == [WordTiming("Hello", 0.0, 0.5), WordTiming("there", 0.5, 0.9)]


def test_words_espeak_joins_share_their_phoneme_word_by_their_own_lengths() -> None:
    # Given eSpeak's "ɔnðə mæt": "on the" said as one phoneme word of four symbols
    timed = _time_words(["on", "the", "mat."], symbols(4, 4), "en-us")

    # Then "on" and "the" split it, and "mat." keeps its own phoneme word
    assert [(w.word, w.start, w.end) for w in timed] == [
        ("on", 0.0, 0.2),
        ("the", 0.2, 0.4),
        ("mat.", 0.4, 0.8),
    ]


def test_a_word_said_as_several_phoneme_words_spans_them_all() -> None:
    # "1984" is said in four phoneme words
    timed = _time_words(["In", "1984", "then"], symbols(2, 3, 3, 3, 3, 3), "en-us")

    assert timed[0] == WordTiming("In", 0.0, 0.2)
    assert timed[1].start == 0.2 and timed[1].end >= 1.3
    assert timed[2].start == timed[1].end and timed[2].end == 1.7


def test_timings_shift_scale_and_round_trip() -> None:
    words = (WordTiming("a", 0.1, 0.4), WordTiming("b", 0.5, 0.9))

    assert shifted(words, 0.25) == (WordTiming("a", 0.35, 0.65), WordTiming("b", 0.75, 1.15))
    assert shifted(words, -0.2)[0] == WordTiming("a", 0.0, 0.2)
    assert scaled(words, 0.5)[1] == WordTiming("b", 0.25, 0.45)
    assert words_from_json(words_to_json(words)) == words
    assert timings_key("speech/x.wav") == "speech/x.wav.words.json"
    with pytest.raises(ValueError, match="word-timings"):
        words_from_json({"words": [["a", "soon", 1]]})

"""The batch-and-streaming seed's request shape: its client (the AI Refinery SDK) nests
``extra_body`` and adds a ``stream`` flag; the ``openai`` package merges ``extra_body``. Both
must reach the same fields, and word boundaries come in the client's event shape."""

from __future__ import annotations

import numpy as np
import pytest

from audiofn.errors import InvalidInput
from audiofn.openai_speech.request import parse_speech_request
from audiofn.openai_speech.word_boundaries import piece_boundaries, piece_offsets

BASE = {"model": "Azure/AI-Speech", "input": "Hello.", "voice": "en-US-JennyNeural"}
SDK = {**BASE, "response_format": "wav", "speed": 1.0, "stream": False}


@pytest.mark.parametrize("rate", [8000, 16000, 22050])
def test_nested_and_merged_extra_body_give_the_same_rate_and_language(rate):
    extra = {"sample_rate": rate, "speech_synthesis_language": "tr-TR"}
    nested = parse_speech_request({**SDK, "extra_body": extra})
    merged = parse_speech_request({**BASE, "response_format": "wav", **extra})

    assert nested.output_rate == merged.output_rate == rate
    assert nested.speech_synthesis_language == merged.speech_synthesis_language == "tr-TR"


def test_the_seed_s_shape_defaults_to_wav_and_openai_s_to_mp3():
    assert parse_speech_request({**BASE, "stream": True}).response_format == "wav"
    assert parse_speech_request({**BASE, "extra_body": {}}).response_format == "wav"
    assert parse_speech_request(BASE).response_format == "mp3"


def test_stream_false_asks_for_the_whole_reply():
    assert parse_speech_request(SDK).buffered
    assert not parse_speech_request({**SDK, "stream": True}).buffered
    assert not parse_speech_request(BASE).buffered  # OpenAI's clients read a stream


def test_word_boundaries_change_the_reply_s_type():
    extra = {"extra_body": {"enable_word_boundary": True}}
    assert parse_speech_request({**SDK, **extra}).content_type == "application/json"
    streamed = parse_speech_request({**SDK, "stream": True, **extra})
    assert streamed.content_type == "application/x-ndjson"


@pytest.mark.parametrize(
    ("extra_body", "field"),
    [
        (3, "extra_body"),
        ({"sample_rate": 11025}, "sample_rate"),
        ({"enable_word_boundary": "x"}, "enable_word_boundary"),
    ],
)
def test_a_bad_extra_body_is_named(extra_body, field):
    with pytest.raises(InvalidInput) as error:
        parse_speech_request({**SDK, "extra_body": extra_body})
    assert error.value.field == field


def test_piece_offsets_point_into_the_input():
    text = "Good morning, Ada.  The weather is fine!"
    assert piece_offsets(text, ("Good morning, Ada.", "The weather is fine!")) == [0, 20]


def test_boundaries_without_english_share_the_spoken_time_by_length():
    # Given one second of "speech" then a pause of digital silence, in a language Whisper lacks
    rate = 16000
    samples = np.concatenate([np.full(rate, 0.1, np.float32), np.zeros(rate // 2, np.float32)])

    events = piece_boundaries(
        "Merhaba, dünya!", samples, rate, english=False, text_offset=10, audio_offset=2.0
    )

    kinds = [(e["boundary_type"], e["text"], e["text_offset"]) for e in events]
    assert kinds == [
        ("sentence", "Merhaba, dünya!", 10),
        ("word", "Merhaba", 10),
        ("punctuation", ",", 17),
        ("word", "dünya", 19),
        ("punctuation", "!", 24),
    ]
    sentence, merhaba, comma, dunya, _ = events
    assert sentence["audio_offset_ms"] == 2000 and sentence["duration_ms"] == 1000
    assert (
        merhaba["audio_offset_ms"] == 2000
        and dunya["audio_offset_ms"] + dunya["duration_ms"] == 3000
    )
    assert (
        comma["duration_ms"] == 0
        and comma["audio_offset_ms"] == merhaba["audio_offset_ms"] + merhaba["duration_ms"]
    )

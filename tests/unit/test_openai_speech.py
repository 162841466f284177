"""OpenAI-style speech: the request, voice mapping, sentence pieces and streamed containers."""

from __future__ import annotations

import io
import struct

import av
import numpy as np
import pytest
import soundfile as sf

from audiofn.errors import InvalidInput
from audiofn.openai_speech.encoders import stream_encoder
from audiofn.openai_speech.request import parse_speech_request
from audiofn.openai_speech.sentences import (
    CLAUSE_PAUSE_MS,
    PARAGRAPH_PAUSE_MS,
    PHRASE_PAUSE_MS,
    SENTENCE_PAUSE_MS,
    split_pieces,
)
from audiofn.openai_speech.voices import OPENAI_VOICES, speech_voice, voice_listing

BASE = {"model": "tts-1", "input": "Hello.", "voice": "alloy"}


# ---------------------------------------------------------------- request
def test_defaults_are_openai_s():
    request = parse_speech_request(BASE)

    assert request.response_format == "mp3"
    assert request.speed == 1.0
    assert request.stream_format == "audio"
    assert request.output_rate == 24_000


def test_input_longer_than_4096_characters_is_refused_with_its_length():
    with pytest.raises(InvalidInput) as error:
        parse_speech_request({**BASE, "input": "a" * 4097})

    assert error.value.field == "input"
    assert "4097 characters" in error.value.message and "4096" in error.value.message


def test_4096_characters_are_accepted():
    assert len(parse_speech_request({**BASE, "input": "a" * 4096}).input) == 4096


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"response_format": "ogg"}, "response_format"),
        ({"speed": 4.5}, "speed"),
        ({"speed": 0.2}, "speed"),
        ({"stream_format": "chunks"}, "stream_format"),
        ({"sample_rate": 11025}, "sample_rate"),
        ({"model_extensions": {"sr": 12345}}, "model_extensions.sr"),
        ({"input": "   "}, "input"),
        ({"voice": ""}, "voice"),
    ],
)
def test_bad_fields_are_named(change, field):
    with pytest.raises(InvalidInput) as error:
        parse_speech_request({**BASE, **change})

    assert error.value.field == field
    assert field.split(".")[-1] in error.value.message


def test_missing_model_is_named():
    with pytest.raises(InvalidInput, match="model is required"):
        parse_speech_request({"input": "x", "voice": "alloy"})


def test_sample_rate_wins_over_model_extensions_sr():
    assert parse_speech_request({**BASE, "model_extensions": {"sr": 16000}}).output_rate == 16000
    both = {**BASE, "model_extensions": {"sr": 16000}, "sample_rate": 8000}
    assert parse_speech_request(both).output_rate == 8000


# ---------------------------------------------------------------- voices
def test_every_openai_voice_name_maps_to_a_voice_we_have():
    assert len(OPENAI_VOICES) == 11
    for name in OPENAI_VOICES:
        voice = speech_voice(name, None, polly_enabled=False, upstream_enabled=False)
        assert voice.id == OPENAI_VOICES[name]
        assert voice.provider == "kokoro"
        assert voice.accent == ("british" if name in ("fable", "ballad") else "american")
    genders = {
        name: speech_voice(name, None, polly_enabled=False, upstream_enabled=False).gender
        for name in OPENAI_VOICES
    }
    assert {name for name, gender in genders.items() if gender == "female"} == {
        "alloy", "coral", "nova", "sage", "shimmer",
    }  # fmt: skip


def test_our_voice_ids_are_used_as_they_are():
    voice = speech_voice("espeak-de-female", None, polly_enabled=False, upstream_enabled=False)
    assert voice.id == "espeak-de-female"


def test_language_picks_a_voice_of_that_language():
    voice = speech_voice("nova", "tr-TR", polly_enabled=False, upstream_enabled=False)
    assert voice.language_code == "tr-TR"
    same = speech_voice("joe", "en-US", polly_enabled=False, upstream_enabled=False)
    assert same.id == "joe"


def test_unknown_voice_and_language_are_named():
    with pytest.raises(InvalidInput) as error:
        speech_voice("nobody", None, polly_enabled=False, upstream_enabled=False)
    assert error.value.field == "voice"
    with pytest.raises(InvalidInput) as error:
        speech_voice("joe", "xx-YY", polly_enabled=False, upstream_enabled=False)
    assert error.value.field == "speech_synthesis_language"


def test_voice_listing_shows_where_openai_names_go():
    listed = {
        item["id"]: item for item in voice_listing(polly_enabled=False, upstream_enabled=False)
    }
    assert "joe" in listed and "espeak-tr-male" in listed
    assert all(listed[name]["maps_to"] == OPENAI_VOICES[name] for name in OPENAI_VOICES)
    assert listed["nova"]["maps_to"] == "af_nova" and listed["nova"]["gender"] == "female"
    assert listed["af_nova"]["provider"] == "kokoro"


# ---------------------------------------------------------------- pieces
def test_text_is_cut_at_sentence_ends_with_pauses():
    pieces = split_pieces("First one. Second one! Third?\n\nNew paragraph here.")

    assert [p.text for p in pieces] == [
        "First one.",
        "Second one!",
        "Third?",
        "New paragraph here.",
    ]
    assert [p.pause_ms for p in pieces] == [
        SENTENCE_PAUSE_MS,
        SENTENCE_PAUSE_MS,
        PARAGRAPH_PAUSE_MS,
        PARAGRAPH_PAUSE_MS,
    ]


def test_abbreviations_and_initials_do_not_end_sentences():
    pieces = split_pieces("Hi. Dr. Smith met J. Doe at 5 p.m. today. Then they left.")
    assert [p.text for p in pieces] == [
        "Hi.",
        "Dr. Smith met J. Doe at 5 p.m. today.",
        "Then they left.",
    ]


def test_a_long_first_sentence_gives_up_its_first_clause():
    text = (
        "When the morning train finally arrived, everyone on the crowded platform "
        "pushed forward at once to find a seat. Short second."
    )
    pieces = split_pieces(text)

    assert pieces[0].text == "When the morning train finally arrived,"
    assert pieces[0].pause_ms == CLAUSE_PAUSE_MS
    assert pieces[1].text.startswith("everyone on the crowded platform")
    assert pieces[2].text == "Short second."
    assert " ".join(p.text for p in pieces) == text


def test_a_long_first_sentence_without_a_comma_gives_up_a_phrase_of_four_to_eight_words():
    text = (
        "The city council approved the new riverside park on Tuesday "
        "and construction will begin next spring. Then the meeting closed."
    )
    pieces = split_pieces(text)

    assert [p.text for p in pieces] == [
        "The city council approved",  # before the noun phrase "the new riverside park"
        "the new riverside park on Tuesday and construction will begin next spring.",
        "Then the meeting closed.",
    ]
    assert pieces[0].pause_ms == PHRASE_PAUSE_MS
    # A clause mark within the first eight words wins over a phrase
    clause = split_pieces("After the storm, the harbour in the old town reopened for boats today.")
    assert clause[0].text == "After the storm,"
    assert clause[0].pause_ms == CLAUSE_PAUSE_MS
    # Then a clause mark just past eight words; then a shorter phrase
    late = split_pieces(
        "Weekly sailing lessons resume slowly eight long cold months later, finally."
    )
    assert late[0].text == "Weekly sailing lessons resume slowly eight long cold months later,"
    short = split_pieces("Every morning the small harbour town wakes up slowly. Boats return.")
    assert short[0].text == "Every morning"
    # With none of these: exactly eight words and no pause, unless the sentence is short
    run_on = "Supercalifragilistic words keep going onward forevermore today yesterday tomorrow."
    assert [p.text for p in split_pieces(run_on)] == [run_on]
    longer = run_on.rstrip(".") + " sometimes perhaps eventually surely."
    forced = split_pieces(longer)
    assert forced[0].text == " ".join(longer.split()[:8])
    assert forced[0].pause_ms == 0
    # A first sentence of eight words or fewer is not cut; later sentences never are
    assert [p.text for p in split_pieces("Short and sweet. " + text)][:2] == [
        "Short and sweet.",
        "The city council approved the new riverside park on Tuesday "
        "and construction will begin next spring.",
    ]
    assert " ".join(p.text for p in pieces) == text


def test_very_long_sentences_are_cut_below_the_piece_limit():
    text = ", ".join(["a clause of several words"] * 40) + "."
    pieces = split_pieces("Start. " + text)
    assert all(len(p.text) <= 400 for p in pieces)
    assert " ".join(p.text for p in pieces).split() == ("Start. " + text).split()


# ---------------------------------------------------------------- containers
RATE = 24_000


def _tone(seconds: float, hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _stream(fmt: str, pieces: list[np.ndarray], rate: int = RATE) -> list[bytes]:
    encoder = stream_encoder(fmt, rate)
    chunks = [encoder.encode(piece) for piece in pieces]
    chunks.append(encoder.finish())
    return chunks


def _decode_any(data: bytes) -> tuple[int, int]:
    """(frames, sample rate) through FFmpeg, which reads every format here."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        frames = sum(frame.samples for frame in container.decode(stream))  # type: ignore[misc, union-attr]
        return frames, stream.rate


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "wav", "pcm"])
def test_streamed_formats_emit_audio_before_the_end(fmt):
    chunks = _stream(fmt, [_tone(1.0), _tone(1.0), _tone(1.0)])

    assert chunks[0], "the first piece must produce bytes before the stream ends"
    assert sum(len(c) for c in chunks[:-1]) > sum(len(c) for c in chunks) // 2


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav"])
def test_concatenated_chunks_are_one_valid_file(fmt):
    data = b"".join(_stream(fmt, [_tone(1.0), _tone(0.5, 330), _tone(1.0)]))

    frames, rate = _decode_any(data)
    duration = frames / rate
    assert 2.45 <= duration <= 2.6, duration
    expected_rate = 48_000 if fmt == "opus" else RATE  # FFmpeg decodes Opus at 48 kHz
    assert rate == expected_rate


@pytest.mark.parametrize("fmt", ["mp3", "opus", "flac", "wav"])
def test_libsndfile_reads_the_streams_too(fmt):
    data = b"".join(_stream(fmt, [_tone(1.0), _tone(1.0)]))

    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == RATE
    assert abs(len(samples) / rate - 2.0) < 0.1


def test_wav_stream_header_says_until_the_end():
    data = b"".join(_stream("wav", [_tone(0.5)]))

    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    assert struct.unpack("<I", data[4:8])[0] == 0xFFFFFFFF
    assert data[36:40] == b"data" and struct.unpack("<I", data[40:44])[0] == 0xFFFFFFFF
    channels, rate, _, _, bits = struct.unpack("<HIIHH", data[22:36])
    assert (channels, rate, bits) == (1, RATE, 16)


def test_pcm_is_24khz_16_bit_little_endian_mono_without_header():
    tone = _tone(0.25)
    data = b"".join(_stream("pcm", [tone]))

    assert len(data) == 2 * len(tone)
    decoded = np.frombuffer(data, "<i2").astype(np.float32) / 32767
    assert np.max(np.abs(decoded - tone)) < 1e-3


def test_opus_stream_is_ogg_pages_from_the_first_chunk():
    chunks = _stream("opus", [_tone(1.0), _tone(1.0), _tone(1.0)])

    assert chunks[0].startswith(b"OggS")
    data = b"".join(chunks)
    assert data.count(b"OggS") >= 10  # a page at least every 100 ms, not one per second
    assert b"OpusHead" in data[:100]


def test_mp3_stream_is_frames_with_sync_words():
    data = b"".join(_stream("mp3", [_tone(1.0)]))
    body = data[10 + int.from_bytes(data[6:10], "big") :] if data[:3] == b"ID3" else data

    assert body[0] == 0xFF and body[1] & 0xE0 == 0xE0


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_every_offered_sample_rate_encodes(rate):
    for fmt in ("mp3", "opus", "aac", "flac", "wav"):
        encoder = stream_encoder(fmt, rate)
        data = encoder.encode(np.zeros(rate // 2, np.float32)) + encoder.finish()
        frames, decoded_rate = _decode_any(data)
        # A streamed MP3 has no LAME header to trim the encoder's padding: up to 2 frames.
        assert abs(frames / decoded_rate - 0.5) < 0.16, (fmt, rate)


def test_a_slower_engine_gets_a_short_first_piece():
    text = "The package left the warehouse at seven fifteen and should arrive before noon. Yes."
    pieces = split_pieces(text, first_piece_words=5)
    assert [p.text for p in pieces] == [
        "The package left",
        "the warehouse at seven fifteen and should arrive before noon.",
        "Yes.",
    ]
    assert pieces[0].pause_ms == PHRASE_PAUSE_MS  # before a preposition: only a breath
    clause = split_pieces("Good morning Antonio, here is your briefing for Tuesday.", 5)
    assert clause[0].text == "Good morning Antonio,"  # a clause that ends in time
    assert " ".join(p.text for p in pieces) == text
    short = "Hi there, friend."
    assert [p.text for p in split_pieces(short, 5)] == [short]


def test_kokoro_voices_plan_a_short_first_piece():
    from audiofn.openai_speech.request import SpeechRequest
    from audiofn.openai_speech.synthesis import plan_speech
    from audiofn.tts.registry import EngineSettings

    text = "The package left the warehouse at seven fifteen and should arrive before noon."
    for voice, first in (
        ("nova", "The package left"),
        ("joe", "The package left the warehouse"),
    ):
        request = SpeechRequest.model_validate({"model": "tts-1", "voice": voice, "input": text})
        plan = plan_speech(request, engine_settings=EngineSettings())
        assert plan.pieces[0].text == first

# ruff: noqa: RUF001 -- IPA in the SSML sample, on purpose
"""Kokoro voices, run for real: names that sound like their names, blends, word timings.

Speakers are told apart with the speaker encoder (:mod:`audiofn.speakers.encoder`, Resemblyzer's
d-vectors): every voice says the same two sentences, each of a voice's renderings must score at
least ``SAME_SPEAKER_THRESHOLD`` against its other one, and every rendering of one voice below
it against every rendering of another.
"""

from __future__ import annotations

import re
import statistics
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.dsp.measure import median_f0
from audiofn.tts.base import SynthesisError
from audiofn.tts.catalogue import InvalidBlend, UnknownVoice, Voice, resolve_voice
from audiofn.tts.registry import EngineSettings, get_engine
from audiofn.tts.voice_blend import BlendError, format_blend, parse_blend

pytestmark = pytest.mark.slow

LOCAL = {"polly_enabled": False, "upstream_enabled": False}
CORPUS = Path("/work/shared/corpus/intelligibility-en.txt")
SENTENCES = (
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
)
BLEND = "af_bella+am_onyx"
OPENAI_GENDERS = {
    "alloy": "female",
    "nova": "female",
    "shimmer": "female",
    "echo": "male",
    "onyx": "male",
    "fable": "male",
}


def voice(name: str) -> Voice:
    return resolve_voice(name, **LOCAL)


@pytest.fixture(scope="module")
def kokoro() -> Any:
    return get_engine("kokoro", EngineSettings())


@pytest.fixture(scope="module")
def whisper() -> Any:
    from audiofn.stt.engines import WHISPER_TINY_EN, get_stt_engine

    return get_stt_engine(WHISPER_TINY_EN)


@pytest.fixture(scope="module")
def renderings(kokoro: Any) -> dict[str, list[Audio]]:
    """Each OpenAI name and a blend, saying each sentence."""
    names = [*OPENAI_GENDERS, BLEND]
    return {
        name: [kokoro.synthesize(sentence, voice(name)) for sentence in SENTENCES] for name in names
    }


def embeddings(audios: list[Audio]) -> list[np.ndarray]:
    from audiofn.speakers.encoder import get_encoder

    return get_encoder().embed_utterances(audios)


def closest(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The highest similarity between any rendering of one voice and any of another."""
    from audiofn.speakers.encoder import similarity

    return max(similarity(x, y) for x in a for y in b)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


# --- Names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kokoro_id"),
    [
        ("alloy", "af_alloy+af_aoede"),  # af_alloy alone: median F0 143 Hz
        ("nova", "af_nova"),
        ("echo", "am_echo"),
        ("onyx", "am_onyx"),
        ("fable", "bm_fable"),
        ("shimmer", "af_bella"),
        ("Joanna", "af_heart"),
        ("Matthew", "am_michael"),
        ("Amy", "bf_emma"),
        ("Brian", "bm_george"),
        ("en-US-JennyNeural", "af_heart"),
        ("en-GB-RyanNeural", "bm_george"),
        ("en-GB-SoniaNeural", "bf_emma"),
    ],
)
def test_names_resolve_to_a_kokoro_voice_of_their_gender_and_accent(
    name: str, kokoro_id: str
) -> None:
    resolved = voice(name)
    assert (resolved.provider, resolved.id) == ("kokoro", kokoro_id)


def test_every_catalogued_kokoro_voice_has_its_style_installed() -> None:
    from audiofn.tts.catalogue import VOICES
    from audiofn.tts.kokoro_engine import STYLE_SHAPE, installed_voice_names, load_style

    kokoro = [v for v in VOICES if v.provider == "kokoro"]
    assert len(kokoro) >= 41
    assert {v.engine_voice for v in kokoro} <= set(installed_voice_names())
    assert len(installed_voice_names()) == 54  # all of kokoro-js 1.2.1's voices
    assert all(v.gender in ("female", "male") and v.accent for v in kokoro)
    assert voice("af_heart").grade == "A"
    assert load_style("af_heart").shape == STYLE_SHAPE
    assert load_style("af_heart").dtype == np.float32


# --- Blends --------------------------------------------------------------------------------


def test_blends_parse_the_kokoro_fastapi_convention() -> None:
    assert parse_blend("af_bella+af_sky") == [("af_bella", 1.0), ("af_sky", 1.0)]
    assert parse_blend("af_bella(2)+af_sky(1)") == [("af_bella", 2.0), ("af_sky", 1.0)]
    assert parse_blend(" af_bella ( 0.5 ) + af_sky ") == [("af_bella", 0.5), ("af_sky", 1.0)]
    assert format_blend([("af_bella", 2.0), ("af_sky", 1.0)]) == "af_bella(2)+af_sky(1)"
    blend = voice("af_bella(2)+af_sky(1)")
    assert (blend.provider, blend.id, blend.gender) == ("kokoro", "af_bella(2)+af_sky(1)", "female")
    assert voice("nova+onyx").engine_voice == "af_nova+am_onyx"  # parts may be any name
    assert voice("nova+onyx").gender == "mixed"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("af_bella(0)", "above 0"),
        ("a+", "(empty)"),
        ("af_bella+nobody", "'nobody' is not a Kokoro voice"),
        ("af_bella+joe", "'joe' is not a Kokoro voice"),
        ("af_bella(x)+af_sky", "not a number"),
        ("af_bella+af_bella", "once"),
        ("af_bella(2)", "at least two"),
        ("af_bella(1e9)+af_sky", "at most 100"),
    ],
)
def test_malformed_blends_are_refused_with_the_reason(name: str, message: str) -> None:
    with pytest.raises(InvalidBlend, match=re.escape(message)):
        voice(name)
    assert issubclass(InvalidBlend, UnknownVoice)  # every caller's 400 path catches it


def test_a_blend_is_the_weighted_mean_of_its_styles() -> None:
    from audiofn.tts.kokoro_engine import blend_styles, load_style, style_for

    expected = (2 * load_style("af_bella") + load_style("af_sky")) / 3
    assert np.allclose(style_for("af_bella(2)+af_sky(1)"), expected, atol=1e-6)
    assert np.allclose(blend_styles([("af_bella", 1), ("af_sky", 1)]), style_for("af_bella+af_sky"))
    with pytest.raises(BlendError):
        parse_blend("+".join(f"v{i}" for i in range(9)))


def test_long_blend_expressions_are_refused_at_once() -> None:
    import time

    started = time.process_time()
    for hostile in ("a(" + " " * 20_000 + "x", "a" * 100_000 + "(", "a(1" + " " * 300 + ")+b"):
        with pytest.raises(BlendError):
            parse_blend(hostile)
    assert time.process_time() - started < 0.5


# --- Listening -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OPENAI_GENDERS))
def test_openai_names_sound_like_their_gender_and_say_the_words(
    name: str, renderings: dict[str, list[Audio]], whisper: Any
) -> None:
    from audiofn.stt.wer import word_error_rate

    audio = renderings[name]
    f0 = median_f0(np.concatenate([a.samples for a in audio]), audio[0].sample_rate)
    assert f0 is not None
    if OPENAI_GENDERS[name] == "female":
        assert f0 > 150, (name, f0)
    else:
        assert f0 < 150, (name, f0)
    for sentence, rendered in zip(SENTENCES, audio, strict=True):
        heard = whisper.transcribe(rendered).text
        assert word_error_rate(sentence, heard) <= 0.1, (name, heard)


def test_openai_names_are_six_different_speakers(renderings: dict[str, list[Audio]]) -> None:
    from audiofn.speakers.encoder import SAME_SPEAKER_THRESHOLD, similarity

    embedded = {name: embeddings(renderings[name]) for name in OPENAI_GENDERS}
    for name, (first, second) in embedded.items():  # the threshold holds a voice together
        assert similarity(first, second) >= SAME_SPEAKER_THRESHOLD, name
    for a, b in combinations(OPENAI_GENDERS, 2):
        assert closest(embedded[a], embedded[b]) < SAME_SPEAKER_THRESHOLD, (a, b)


def test_a_blend_is_neither_of_its_parts_and_says_the_words(
    renderings: dict[str, list[Audio]], kokoro: Any, whisper: Any
) -> None:
    from audiofn.speakers.encoder import SAME_SPEAKER_THRESHOLD, similarity
    from audiofn.stt.wer import word_error_rate

    bella = [kokoro.synthesize(sentence, voice("af_bella")) for sentence in SENTENCES]
    blend = embeddings(renderings[BLEND])
    assert similarity(*blend) >= SAME_SPEAKER_THRESHOLD  # the blend is one speaker
    assert closest(blend, embeddings(bella)) < SAME_SPEAKER_THRESHOLD
    assert closest(blend, embeddings(renderings["onyx"])) < SAME_SPEAKER_THRESHOLD
    for sentence, rendered in zip(SENTENCES, renderings[BLEND], strict=True):
        assert word_error_rate(sentence, whisper.transcribe(rendered).text) <= 0.1


def test_word_timings_agree_with_whisper_on_the_corpus(kokoro: Any, whisper: Any) -> None:
    """Kokoro's word starts from its own durations, against Whisper's on the same audio."""
    offsets: list[float] = []
    lines = [line.strip() for line in CORPUS.read_text().splitlines() if line.strip()]
    for line in lines:
        spoken = kokoro.synthesize_timed(line, voice("af_heart"))
        heard = whisper.transcribe(spoken.audio, word_timestamps=True).words
        ours = [(words(w.word), w.start) for w in spoken.words]
        theirs = [(words(w.word), w.start) for w in heard]
        # Pair words that both sides spell the same, in order.
        j = 0
        for spelled, start in ours:
            for k in range(j, min(j + 3, len(theirs))):
                if theirs[k][0] == spelled:
                    offsets.append(abs(start - theirs[k][1]))
                    j = k + 1
                    break
    assert len(offsets) >= 0.8 * sum(len(words(line)) for line in lines)
    # Both sides step in whole milliseconds (25 ms frames, 20 ms Whisper steps): round off
    # the float noise of the sums.
    assert round(statistics.median(offsets), 3) <= 0.080, statistics.median(offsets)


def test_ssml_phonemes_and_breaks_are_spoken_by_kokoro(whisper: Any) -> None:
    from audiofn.tts.ssml_render import render_text

    text = (
        '<speak>I would like a <phoneme alphabet="ipa" ph="pˈiːtsə">Zorblax</phoneme> please.'
        '<break time="800ms"/>Thank you.</speak>'
    )
    audio = render_text(text, voice("af_heart"), 1.0, EngineSettings())
    heard = whisper.transcribe(audio).text.lower()
    assert "pizza" in heard and "thank you" in heard, heard
    with pytest.raises(SynthesisError, match="cannot say the IPA symbol"):
        render_text(
            '<speak><phoneme ph="q̈">x</phoneme></speak>', voice("af_heart"), 1.0, EngineSettings()
        )


def test_word_boundaries_of_a_kokoro_voice_are_its_own_timings(
    monkeypatch: pytest.MonkeyPatch, whisper: Any
) -> None:
    import base64
    import difflib
    import json

    from audiofn.codecs import decode
    from audiofn.openai_speech import word_boundaries
    from audiofn.openai_speech.request import SpeechRequest
    from audiofn.openai_speech.synthesis import plan_speech

    lines = [line.strip() for line in CORPUS.read_text().splitlines() if line.strip()][:3]
    text = " ".join(lines)
    request = SpeechRequest.model_validate(
        {"model": "tts-1", "voice": "nova", "input": text, "response_format": "wav"}
    )
    plan = plan_speech(request, engine_settings=EngineSettings())

    # Given Whisper out of reach of the boundaries
    def no_whisper(*args: Any) -> Any:
        raise AssertionError("a Kokoro voice's boundaries must not need Whisper")

    monkeypatch.setattr(word_boundaries, "_heard_words", no_whisper)
    body = json.loads(word_boundaries.boundaries_json(plan, EngineSettings(), text))
    monkeypatch.undo()

    # Then each word starts where Whisper hears it in the reply's audio
    events = [e for e in body["word_boundaries"] if e["boundary_type"] == "word"]
    assert len(events) == len(words(text))
    heard = whisper.transcribe(decode(base64.b64decode(body["audio"])), word_timestamps=True)
    ours = [" ".join(words(e["text"])) for e in events]
    theirs = [" ".join(words(w.word)) for w in heard.words]
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    offsets = [
        abs(heard.words[block.b + i].start - events[block.a + i]["audio_offset_ms"] / 1000)
        for block in matcher.get_matching_blocks()
        for i in range(block.size)
    ]
    assert len(offsets) >= 0.7 * len(events), (ours, theirs)
    assert statistics.median(offsets) <= 0.080, offsets

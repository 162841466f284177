# ruff: noqa: RUF001 -- IPA in the SSML sample, on purpose
"""Kokoro voices, run for real: names that sound like their names, blends, word timings.

Speakers are told apart with a text-controlled timbre measure (the mean and spread of MFCCs
over voiced frames, every voice saying the same sentences): each voice says two different
sentences, the least similar pair of one voice's own renderings is the same-speaker threshold,
and every two different voices must fall below it.
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
    names = [*OPENAI_GENDERS, "af_bella(2)+am_onyx(1)"]
    return {
        name: [kokoro.synthesize(sentence, voice(name)) for sentence in SENTENCES] for name in names
    }


def timbre(audio: Audio) -> np.ndarray:
    """Mean and standard deviation of 20 MFCCs (c1..c20) over the louder frames."""
    import scipy.fft
    import scipy.signal

    rate = 16_000
    samples = scipy.signal.resample_poly(audio.samples, rate, audio.sample_rate)
    frame, hop = 400, 160
    frames = np.lib.stride_tricks.sliding_window_view(samples, frame)[::hop] * np.hanning(frame)
    power = np.abs(np.fft.rfft(frames, 512)) ** 2
    energy = power.sum(axis=1)
    power = power[energy > np.percentile(energy, 40)]
    mel = np.linspace(0, 2595 * np.log10(1 + (rate / 2) / 700), 42)
    edges = np.floor((700 * (10 ** (mel / 2595) - 1)) / (rate / 2) * 256).astype(int)
    bank = np.zeros((40, 257))
    for band in range(40):
        low, mid, high = edges[band], edges[band + 1], edges[band + 2]
        bank[band, low : mid + 1] = np.linspace(0, 1, mid - low + 1)
        bank[band, mid : high + 1] = np.linspace(1, 0, high - mid + 1)
    mfcc = scipy.fft.dct(np.log(power @ bank.T + 1e-10), norm="ortho", axis=1)[:, 1:21]
    return np.concatenate([mfcc.mean(axis=0), mfcc.std(axis=0)])


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine after standardising each dimension (so no single coefficient dominates)."""
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def standardised(embeddings: dict[str, list[np.ndarray]]) -> dict[str, list[np.ndarray]]:
    every = np.stack([e for items in embeddings.values() for e in items])
    mean, spread = every.mean(axis=0), every.std(axis=0) + 1e-9
    return {k: [(e - mean) / spread for e in items] for k, items in embeddings.items()}


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
    embeddings = standardised(
        {name: [timbre(a) for a in audio] for name, audio in renderings.items()}
    )
    same = min(similarity(*embeddings[name]) for name in OPENAI_GENDERS)
    for a, b in combinations(OPENAI_GENDERS, 2):
        across = max(similarity(x, y) for x in embeddings[a] for y in embeddings[b])
        assert across < same, (a, b, across, same)


def test_a_blend_is_neither_of_its_parts_and_says_the_words(
    renderings: dict[str, list[Audio]], kokoro: Any, whisper: Any
) -> None:
    from audiofn.stt.wer import word_error_rate

    blend = "af_bella(2)+am_onyx(1)"
    bella = [kokoro.synthesize(sentence, voice("af_bella")) for sentence in SENTENCES]
    embeddings = standardised(
        {
            "blend": [timbre(a) for a in renderings[blend]],
            "af_bella": [timbre(a) for a in bella],
            "am_onyx": [timbre(a) for a in renderings["onyx"]],
        }
    )
    same = min(similarity(*items) for items in embeddings.values())
    for part in ("af_bella", "am_onyx"):
        across = max(similarity(x, y) for x in embeddings["blend"] for y in embeddings[part])
        assert across < same, (part, across, same)
    for sentence, rendered in zip(SENTENCES, renderings[blend], strict=True):
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

"""Voice samples the tests make: good speech (Piper `joe`, shifted and in a quiet room) and a
bad-sample corpus, each failing one requirement, with the check that must name it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

SPOKEN_TEXT = (
    "Good morning, and welcome to the weekly update. Today we will talk about the new studio, "
    "the schedule for the spring season, and a few changes to how we record our interviews. "
    "Please listen carefully, because some of these details matter for everyone on the team."
)
SPOKEN_TEXT_2 = (
    "The garden behind the old library is open again. Volunteers planted roses, tomatoes and "
    "a small apple tree, and on Saturday afternoons anyone can come and help with the weeding."
)

CONSENT = {
    "consent_attested_by": "Sam Reed, producer",
    "consent_statement": "The speaker in these samples agreed in writing to a synthetic voice "
    "being made from them for our programmes.",
}
"""The consent fields a custom voice from samples is created with."""


@dataclass(frozen=True)
class BadSample:
    name: str
    filename: str
    data: bytes
    reason: str  # a phrase the profile's error_message must contain


@cache
def _speech(text: str = SPOKEN_TEXT, voice: str = "joe"):
    from audiofn.tts import catalogue
    from audiofn.tts.registry import EngineSettings, synthesize

    found = catalogue.resolve_voice(voice, polly_enabled=False, upstream_enabled=False)
    return synthesize(text, found, 1.0, EngineSettings())


def _room(samples: np.ndarray, snr_db: float, seed: int = 7) -> np.ndarray:
    """Add steady low-passed ("room") noise at the given speech-to-noise ratio."""
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.normal(0, 1, len(samples)), np.ones(8) / 8, mode="same")
    speech_rms = np.sqrt(np.mean(samples[np.abs(samples) > 0.02] ** 2))
    noise *= speech_rms / np.sqrt(np.mean(noise**2)) / (10 ** (snr_db / 20))
    return (samples + noise).astype(np.float32)


def wav_bytes(samples: np.ndarray, rate: int, fmt: str = "wav") -> bytes:
    from audiofn.audio import Audio
    from audiofn.codecs import encode

    return encode(Audio(np.asarray(samples, np.float32), rate), fmt)


@cache
def good_sample(fmt: str = "wav", semitones: float = 3.0, text: str = SPOKEN_TEXT) -> bytes:
    """About 14 s of a speaker (joe shifted up) in a quiet room: passes every check."""
    from audiofn.tts.custom_voice import shift_pitch

    speech = shift_pitch(_speech(text), semitones)
    return wav_bytes(_room(speech.samples, 35.0), speech.sample_rate, fmt)


@cache
def bad_corpus() -> tuple[BadSample, ...]:
    from audiofn.audio import Audio
    from audiofn.dsp.effects import resample

    speech = _speech()
    rate = speech.sample_rate
    samples = speech.samples
    long = np.concatenate([samples] * 5)  # ~70 s
    low = resample(Audio(samples, rate), 8000)
    good = good_sample()
    return (
        BadSample("silence", "silence.wav", wav_bytes(np.zeros(rate * 15), rate), "silent"),
        BadSample(
            "clipped", "clipped.wav", wav_bytes(np.clip(samples * 10, -1, 1), rate), "clipped"
        ),
        BadSample("noisy", "noisy.wav", wav_bytes(_room(samples, 3.0), rate), "signal-to-noise"),
        BadSample("too short", "short.wav", wav_bytes(samples[: rate * 5], rate), "too short"),
        BadSample("too long", "long.wav", wav_bytes(long, rate), "too long"),
        BadSample("8 kHz", "phone.wav", wav_bytes(low.samples, 8000), "Hz is too low"),
        BadSample("truncated", "cut.wav", good[: len(good) // 2], "truncated"),
        BadSample(
            "text renamed .wav",
            "notes.wav",
            b"These are my meeting notes, not audio at all.\n" * 20,
            "not a WAV file",
        ),
        BadSample("empty", "empty.mp3", b"", "empty"),
    )

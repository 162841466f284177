"""Custom voices: a Kokoro style of their own, or a built-in voice shifted toward the speaker.

A :class:`CustomVoice` is a catalogue :class:`Voice` that carries either where its Kokoro style
is stored (found by the speaker-similarity search, or saved from a blend): provider ``kokoro``,
so the Kokoro engine speaks it with everything a Kokoro voice has (SSML phonemes, word timings,
a short first stream piece); or (provider ``custom``) its base voice and the shifts measured
from the speaker's samples, the fallback for languages Kokoro lacks: the base voice's engine at
``speed x rate_factor``, then a pitch shift (Rubber Band, through pedalboard). Every path that
speaks a Voice speaks a custom one too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from audiofn.tts.catalogue import Voice

if TYPE_CHECKING:
    import numpy as np

    from audiofn.audio import Audio
    from audiofn.tts.registry import EngineSettings

PROVIDER = "custom"
MAX_SHIFT_SEMITONES = 8.0
RATE_LIMITS = (0.75, 1.35)


@dataclass(frozen=True)
class CustomVoice(Voice):
    base: Voice | None = field(default=None)
    pitch_shift_semitones: float = 0.0
    rate_factor: float = 1.0
    style_bucket: str = ""
    style_key: str = ""
    """Where its Kokoro style (510 x 256, .npy) is stored: read once per process when it
    first speaks (resolving a voice reads nothing)."""


def style_to_bytes(style: np.ndarray) -> bytes:
    """A style array as .npy bytes (float32, little-endian)."""
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.asarray(style, "<f4"), allow_pickle=False)
    return buffer.getvalue()


def style_from_bytes(data: bytes) -> np.ndarray:
    """A style array stored by :func:`style_to_bytes` (checked: 510 x 256, finite)."""
    import numpy as np

    from audiofn.tts.kokoro_engine import STYLE_SHAPE

    style = np.load(io.BytesIO(data), allow_pickle=False)
    if style.shape != STYLE_SHAPE or not np.all(np.isfinite(style)):
        raise ValueError(f"a stored style must be 510x256 finite values, got {style.shape}")
    return np.asarray(style, np.float32)


@lru_cache(maxsize=32)
def stored_style(bucket: str, key: str) -> np.ndarray:
    """A custom voice's style from S3 (a profile's style never changes once stored)."""
    from audiofn.storage.media import MediaStore

    return style_from_bytes(MediaStore(bucket).get_bytes(key))


def styled_voice(
    voice_id: str, name: str, language: str, gender: str | None, *, bucket: str, key: str
) -> CustomVoice:
    """A custom voice that Kokoro speaks with its own style, in the profile's language (its
    code and accent those of the catalogue's first Kokoro voice of that language)."""
    from audiofn.speakers.languages import language_voice

    like = language_voice(language)
    return CustomVoice(
        id=voice_id,
        provider="kokoro",
        provider_full_name="custom voice (Kokoro-82M)",
        language=like.language,
        language_code=like.language_code,
        accent=like.accent,
        gender=gender or "",
        age_bracket="adult",
        tags=("custom",),
        industry_examples=(),
        description=f"Custom voice '{name}' (a Kokoro style of its own)",
        engine_voice="",
        neural=True,
        style_bucket=bucket,
        style_key=key,
    )


def custom_voice(
    voice_id: str,
    name: str,
    base: Voice,
    pitch_shift_semitones: float,
    rate_factor: float,
) -> CustomVoice:
    """A custom voice that speaks like `base` (its language, accent, engine), shifted."""
    return CustomVoice(
        **{
            **{f: getattr(base, f) for f in Voice.__dataclass_fields__},
            "id": voice_id,
            "provider": PROVIDER,
            "provider_full_name": "custom voice",
            "description": f"Custom voice '{name}' (built-in '{base.id}', shifted)",
            "aliases": (),
        },
        base=base,
        pitch_shift_semitones=max(
            -MAX_SHIFT_SEMITONES, min(MAX_SHIFT_SEMITONES, pitch_shift_semitones)
        ),
        rate_factor=max(RATE_LIMITS[0], min(RATE_LIMITS[1], rate_factor)),
    )


def shift_pitch(audio: Audio, semitones: float) -> Audio:
    """Pitch shift that keeps the duration (pedalboard's Rubber Band); 0 returns the input."""
    if abs(semitones) < 0.05:
        return audio
    import numpy as np
    from pedalboard import PitchShift

    from audiofn.audio import Audio

    samples = audio.samples if audio.samples.ndim == 1 else audio.samples.mean(axis=1)
    shifted = PitchShift(semitones=float(semitones))(
        samples.astype(np.float32)[None, :], audio.sample_rate
    )
    return Audio(np.ascontiguousarray(shifted[0], dtype=np.float32), audio.sample_rate)


class CustomVoiceEngine:
    provider = PROVIDER

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        from audiofn.tts.registry import get_engine
        from audiofn.tts.ssml_render import _safe_text

        if not isinstance(voice, CustomVoice) or voice.base is None:
            raise TypeError(f"voice {voice.id!r} is not a shifted custom voice")
        base = voice.base
        if base.provider == "piper":
            text = _safe_text(text)
        audio = get_engine(base.provider, self.settings).synthesize(
            text, base, speed * voice.rate_factor
        )
        return shift_pitch(audio, voice.pitch_shift_semitones)

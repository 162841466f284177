"""Custom voices made from samples: a built-in voice shifted toward the speaker.

A :class:`CustomVoice` is a catalogue :class:`Voice` (provider ``custom``) that carries its
base voice and the shifts measured from the speaker's samples. The engine speaks with the
base voice's engine at ``speed x rate_factor`` and then shifts the pitch (Rubber Band, through
pedalboard), so every path that speaks a Voice speaks a custom one too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from audiofn.tts.catalogue import Voice

if TYPE_CHECKING:
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
            raise TypeError(f"voice {voice.id!r} is not a custom voice")
        base = voice.base
        if base.provider == "piper":
            text = _safe_text(text)
        audio = get_engine(base.provider, self.settings).synthesize(
            text, base, speed * voice.rate_factor
        )
        return shift_pitch(audio, voice.pitch_shift_semitones)

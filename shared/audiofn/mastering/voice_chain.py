"""The voice chain: levelled to a reference, filtered (one SOS cascade), compressed, limited and
levelled again; it runs at the speech's own rate and is resampled to the master's once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

from audiofn.dsp.loudness import channel_power, integrated_loudness, k_weight
from audiofn.mastering.presets import MasteringPreset, get_preset
from audiofn.mastering.signals import db_to_gain

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from audiofn.audio import Audio

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


VOICE_REFERENCE_LUFS = -20.0
"""The voice is levelled to this before its chain (thresholds are relative to it)."""
_CHAIN_MIN_RATE = 22_050


def _shelf(kind: str, hz: float, q: float, gain_db: float, rate: int) -> list[float]:
    """RBJ-cookbook low or high shelf as one SOS row (JUCE's design, which pedalboard uses)."""
    a_gain = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * hz / rate
    cos, beta = math.cos(w0), math.sin(w0) * math.sqrt(a_gain) / q
    minus, plus = a_gain - 1.0, a_gain + 1.0
    sign = 1.0 if kind == "low" else -1.0
    b = [
        a_gain * (plus - sign * minus * cos + beta),
        sign * 2.0 * a_gain * (minus - sign * plus * cos),
        a_gain * (plus - sign * minus * cos - beta),
    ]
    a = [
        plus + sign * minus * cos + beta,
        -sign * 2.0 * (minus + sign * plus * cos),
        plus + sign * minus * cos - beta,
    ]
    return [v / a[0] for v in (*b, *a)]


def _peak(hz: float, q: float, gain_db: float, rate: int) -> list[float]:
    """RBJ-cookbook peaking EQ as one SOS row (JUCE's design)."""
    a_gain = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * hz / rate
    alpha, c2 = math.sin(w0) / (2.0 * q), -2.0 * math.cos(w0)
    b = [1.0 + alpha * a_gain, c2, 1.0 - alpha * a_gain]
    a = [1.0 + alpha / a_gain, c2, 1.0 - alpha / a_gain]
    return [v / a[0] for v in (*b, *a)]


def voice_eq(rate: int, preset: MasteringPreset) -> Float32:
    """The voice chain's filters as one SOS cascade: a 75 Hz high-pass, a small low-mid cut,
    the presence lift and the de-essing shelf (one scipy pass instead of four)."""
    import numpy as np
    from scipy import signal

    rows = [
        *signal.butter(2, 75.0 / (0.5 * rate), btype="highpass", output="sos").tolist(),
        _shelf("low", 200.0, 0.7, -1.5, rate),
        _peak(3200.0, 0.9, preset.presence_db, rate),
    ]
    if preset.deess_db:
        rows.append(_shelf("high", 7500.0, 0.7, preset.deess_db, rate))
    return np.array(rows, dtype=np.float32)


def voice_chain_rate(sections: Sequence[Audio], rate: int) -> int:
    """The rate the voice chain runs at: the highest section rate, so speech is not
    upsampled before the chain (half the work for 22.05 kHz engines), unless that is under
    22.05 kHz (the de-essing shelf at 7.5 kHz needs room below Nyquist) or over the master's.
    """
    highest = max((section.sample_rate for section in sections), default=rate)
    return min(rate, highest) if highest >= _CHAIN_MIN_RATE else rate


def run_voice_chain(
    voice: Float32,
    voice_rate: int,
    preset: MasteringPreset,
    rate: int | None = None,
    length: int | None = None,
) -> tuple[Float32, Float32]:
    """Level the voice to the reference and run the chain at ``voice_rate``, bring it to the
    master ``rate`` (``length`` frames), and level it again; also returns the result
    K-weighted (for the level measurements that follow)."""
    import numpy as np
    import pedalboard as pb
    from scipy import signal

    from audiofn.audio import Audio
    from audiofn.dsp.effects import resample

    rate = rate or voice_rate
    length = len(voice) if length is None else length

    def at_master_rate(samples: Float32) -> Float32:
        out = np.asarray(resample(Audio(samples, voice_rate), rate).samples, dtype=np.float32)
        if len(out) < length:
            out = np.pad(out, (0, length - len(out)))
        return np.ascontiguousarray(out[:length])

    loudness = integrated_loudness(channel_power(k_weight(voice, voice_rate)), voice_rate)
    if not math.isfinite(loudness):
        silent = at_master_rate(voice)
        return silent, k_weight(silent, rate)
    x = voice * np.float32(db_to_gain(VOICE_REFERENCE_LUFS - loudness))
    x = np.asarray(signal.sosfilt(voice_eq(voice_rate, preset), x), dtype=np.float32)
    dynamics = pb.Pedalboard(
        [
            pb.Compressor(
                threshold_db=preset.compressor_threshold_db,
                ratio=preset.compressor_ratio,
                attack_ms=5.0,
                release_ms=80.0,
            ),
            pb.Limiter(threshold_db=preset.voice_ceiling_db, release_ms=60.0),
        ]
    )
    processed = dynamics(x[np.newaxis, :], float(voice_rate))[0]
    processed = at_master_rate(np.ascontiguousarray(processed[: len(x)], dtype=np.float32))
    weighted = k_weight(processed, rate)
    after = integrated_loudness(channel_power(weighted), rate)
    if math.isfinite(after):
        gain = np.float32(db_to_gain(VOICE_REFERENCE_LUFS - after))
        processed *= gain
        weighted *= gain
    return processed, weighted


def process_voice(voice: Float32, rate: int, preset: str | MasteringPreset) -> Float32:
    """The mastering voice chain on a mono voice at ``rate``: levelled, filtered, compressed,
    limited and levelled again to :data:`VOICE_REFERENCE_LUFS`."""
    return run_voice_chain(voice, rate, get_preset(preset))[0]

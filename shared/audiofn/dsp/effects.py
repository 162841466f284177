"""Speech effects and small signal helpers as pure functions over sample arrays.

Every effect is ``(samples, sample_rate) -> samples``: float32, the same shape and length as
its input (reverb and delay tails past the end are dropped; pad with :func:`pad_silence`
first to keep them), finite, and true-peak limited to -1 dBFS. The ``Audio`` wrappers at the
bottom are what the pipeline calls; the array functions are what the tests measure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pedalboard as pb
import soxr

from audiofn.audio import Audio, Samples
from audiofn.dsp.true_peak import true_peak

Effect = Callable[[Samples, int], Samples]

CEILING_DBFS = -1.0
"""Highest true peak any effect may output: headroom for lossy encoders and resampling."""

_LIMITER_MARGIN_DB = 0.3
"""The pedalboard limiter aims this far below the ceiling; it does not guarantee inter-sample
peaks, so a final gain step enforces the ceiling exactly."""


class UnknownEffect(ValueError):
    """The effect name is not one of :data:`EFFECTS`."""

    def __init__(self, name: str) -> None:
        valid = ", ".join(sorted(EFFECTS))
        super().__init__(f"unknown effect {name!r}; valid effects are: {valid}")
        self.name = name


# --- array plumbing -------------------------------------------------------------------------


def _as_float32(samples: npt.ArrayLike) -> Samples:
    return np.ascontiguousarray(samples, dtype=np.float32)


def _run(board: pb.Pedalboard | pb.Plugin, samples: Samples, sample_rate: int) -> Samples:
    """Run pedalboard on (n,) or (n, channels) samples, telling it the layout explicitly.

    Pedalboard guesses channels-first versus channels-last from the shape, which is wrong for
    very short buffers, so the channel axis is always passed first and restored afterwards.
    """
    planar = samples[np.newaxis, :] if samples.ndim == 1 else samples.T
    out = board(np.ascontiguousarray(planar, dtype=np.float32), float(sample_rate))
    out = out[0] if samples.ndim == 1 else out.T
    return _fit_length(_as_float32(out), len(samples))


def _fit_length(samples: Samples, length: int) -> Samples:
    """Cut or zero-pad to exactly ``length`` frames so every effect keeps the input length."""
    if len(samples) >= length:
        return samples[:length]
    pad = [(0, length - len(samples))] + [(0, 0)] * (samples.ndim - 1)
    return np.pad(samples, pad)


def _rms(samples: Samples) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def _match_level(wet: Samples, dry: Samples) -> Samples:
    """Give the processed voice the dry voice's RMS: an effect changes character, not volume."""
    wet_rms, dry_rms = _rms(wet), _rms(dry)
    if wet_rms == 0.0 or dry_rms == 0.0:
        return wet
    return _as_float32(wet * (dry_rms / wet_rms))


def _limit(samples: Samples, sample_rate: int, ceiling_dbfs: float = CEILING_DBFS) -> Samples:
    """Hold the true peak at or below the ceiling: lookahead limiter, then an exact safety gain."""
    ceiling = 10.0 ** (ceiling_dbfs / 20.0)
    if samples.size == 0 or true_peak(samples, sample_rate) <= ceiling:
        return samples
    limiter = pb.BrickwallLimiter(
        ceiling_db=ceiling_dbfs - _LIMITER_MARGIN_DB, release_ms=80.0, true_peak=True
    )
    limited = _run(limiter, samples, sample_rate)
    peak = true_peak(limited, sample_rate)
    if peak > ceiling:
        limited = _as_float32(limited * (ceiling / peak))
    return limited


def _finish(wet: Samples, dry: Samples, sample_rate: int) -> Samples:
    """Common tail of every character effect: same length, same RMS, finite, under the ceiling."""
    wet = np.nan_to_num(_fit_length(wet, len(dry)), nan=0.0, posinf=0.0, neginf=0.0)
    return _limit(_match_level(wet, dry), sample_rate)


def _sine(length: int, sample_rate: int, hz: float) -> npt.NDArray[np.float32]:
    return np.sin(2.0 * np.pi * hz * np.arange(length) / sample_rate).astype(np.float32)


def _broadcast(signal: npt.NDArray[np.float32], samples: Samples) -> npt.NDArray[np.float32]:
    """Shape a per-frame signal so it multiplies mono and multi-channel samples alike."""
    return signal if samples.ndim == 1 else signal[:, np.newaxis]


# --- the api.audio effects -----------------------------------------------------------------


def dark_father(samples: Samples, sample_rate: int) -> Samples:
    """A deep villain: 5 semitones down, darkened, lightly driven, in a large damped room.

    The low-pass stays above 3 kHz: lower, and the consonants go and the words with them.
    """
    dry = _as_float32(samples)
    board = pb.Pedalboard(
        [
            pb.PitchShift(semitones=-5.0),
            pb.LowShelfFilter(cutoff_frequency_hz=200.0, gain_db=4.0),
            pb.LowpassFilter(cutoff_frequency_hz=3500.0),
            pb.Distortion(drive_db=6.0),
            pb.Reverb(room_size=0.7, damping=0.8, wet_level=0.15, dry_level=0.8, width=0.6),
            pb.LowpassFilter(cutoff_frequency_hz=4500.0),
        ]
    )
    return _finish(_run(board, dry, sample_rate), dry, sample_rate)


def chewie(samples: Samples, sample_rate: int) -> Samples:
    """A growling creature: 5 semitones down, thickened by a chorus, driven, with a 30 Hz flutter.

    The chorus stays slow and shallow and the flutter partial: deeper modulation (or a bigger
    shift) turns the voice into a noise with no pitch left, which Whisper can no longer follow.
    """
    dry = _as_float32(samples)
    board = pb.Pedalboard(
        [
            pb.PitchShift(semitones=-5.0),
            pb.Chorus(rate_hz=0.8, depth=0.1, centre_delay_ms=10.0, feedback=0.2, mix=0.25),
            pb.Distortion(drive_db=12.0),
            pb.LowpassFilter(cutoff_frequency_hz=4000.0),
        ]
    )
    wet = _run(board, dry, sample_rate)
    # A fast amplitude flutter is what makes it growl rather than merely sound low.
    flutter = 1.0 - 0.2 * (0.5 + 0.5 * _sine(len(wet), sample_rate, 30.0))
    return _finish(_as_float32(wet * _broadcast(flutter, wet)), dry, sample_rate)


def eighty_eight_b(samples: Samples, sample_rate: int) -> Samples:
    """An 80s radio / vintage telephone: 300-3400 Hz band, 8-bit grit, a little saturation."""
    dry = _as_float32(samples)
    board = pb.Pedalboard(
        [
            pb.LadderFilter(mode=pb.LadderFilter.Mode.HPF24, cutoff_hz=300.0),
            pb.LadderFilter(mode=pb.LadderFilter.Mode.LPF24, cutoff_hz=3400.0),
            pb.PeakFilter(cutoff_frequency_hz=1500.0, gain_db=5.0, q=0.8),
            pb.Bitcrush(bit_depth=7.0),
            pb.Distortion(drive_db=10.0),
            # The crusher and the saturator spray harmonics outside the band: band it again.
            pb.LadderFilter(mode=pb.LadderFilter.Mode.HPF24, cutoff_hz=300.0),
            pb.LadderFilter(mode=pb.LadderFilter.Mode.LPF24, cutoff_hz=3400.0),
        ]
    )
    return _finish(_run(board, dry, sample_rate), dry, sample_rate)


def two_r_two_d(samples: Samples, sample_rate: int) -> Samples:
    """A small robot: pitched up, ring-modulated at 90 Hz, through a short metallic comb."""
    dry = _as_float32(samples)
    shifted = _run(pb.PitchShift(semitones=5.0), dry, sample_rate)
    carrier = _sine(len(shifted), sample_rate, 90.0)
    ringed = _as_float32(0.25 * shifted + 0.75 * shifted * _broadcast(carrier, shifted))
    comb = pb.Pedalboard(
        [
            pb.Delay(delay_seconds=0.008, feedback=0.55, mix=0.4),
            pb.HighpassFilter(cutoff_frequency_hz=180.0),
        ]
    )
    return _finish(_run(comb, ringed, sample_rate), dry, sample_rate)


def _volume_boost(gain_db: float) -> Effect:
    def boost(samples: Samples, sample_rate: int) -> Samples:
        """Raise the level, then limit so the boost never clips (true peak <= -1 dBFS)."""
        louder = _as_float32(np.asarray(samples, dtype=np.float32) * 10.0 ** (gain_db / 20.0))
        return _limit(louder, sample_rate)

    boost.__name__ = f"volume_boost_{gain_db:.0f}db"
    return boost


volume_boost_low = _volume_boost(3.0)
volume_boost_middle = _volume_boost(6.0)
volume_boost_high = _volume_boost(9.0)

EFFECTS: Mapping[str, Effect] = MappingProxyType(
    {
        "dark_father": dark_father,
        "chewie": chewie,
        "88b": eighty_eight_b,
        "2r2d": two_r_two_d,
        "volume_boost_low": volume_boost_low,
        "volume_boost_middle": volume_boost_middle,
        "volume_boost_high": volume_boost_high,
    }
)
"""The api.audio ``effect`` names and the function each one runs."""


def get_effect(name: str) -> Effect:
    """Look an effect up by its api.audio name (case and surrounding spaces ignored)."""
    try:
        return EFFECTS[name.strip().lower()]
    except KeyError:
        raise UnknownEffect(name) from None


def apply_effect(name: str, audio: Audio) -> Audio:
    """Run a named effect over an Audio value; same rate, channels and length."""
    effect = get_effect(name)
    return Audio(effect(_as_float32(audio.samples), audio.sample_rate), audio.sample_rate)


# --- helpers the pipeline shares -----------------------------------------------------------


def pad_silence(audio: Audio, ms: int) -> Audio:
    """api.audio ``silence_padding``: ``ms`` of silence added at BOTH the start and the end.

    Each end gets ``round(ms * rate / 1000)`` frames, so a section's speech never butts
    against its neighbour's.
    """
    if ms < 0:
        raise ValueError(f"silence padding must be >= 0 ms, got {ms}")
    frames = round(ms * audio.sample_rate / 1000)
    if frames == 0:
        return audio
    pad = [(frames, frames)] + [(0, 0)] * (audio.samples.ndim - 1)
    return Audio(_as_float32(np.pad(audio.samples, pad)), audio.sample_rate)


def change_tempo(audio: Audio, factor: float) -> Audio:
    """Speed speech up (factor > 1) or slow it down (< 1) without changing its pitch.

    For engines without native rate control; 2.0 halves the duration, like the TTS ``speed``.
    """
    if not 0.25 <= factor <= 4.0:
        raise ValueError(f"tempo factor must be between 0.25 and 4.0, got {factor}")
    if factor == 1.0 or audio.samples.size == 0:
        return audio
    samples = _as_float32(audio.samples)
    planar = samples[np.newaxis, :] if samples.ndim == 1 else np.ascontiguousarray(samples.T)
    stretched = pb.time_stretch(planar, float(audio.sample_rate), stretch_factor=factor)
    out = stretched[0] if samples.ndim == 1 else stretched.T
    return Audio(_as_float32(out), audio.sample_rate)


def to_mono(audio: Audio) -> Audio:
    """Average the channels into one (speech engines and Whisper want mono)."""
    if audio.samples.ndim == 1:
        return audio
    return Audio(_as_float32(audio.samples.mean(axis=1)), audio.sample_rate)


def resample(audio: Audio, target_rate: int) -> Audio:
    """Change the sample rate with soxr's high-quality filter (keeps channels)."""
    if target_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {target_rate}")
    if target_rate == audio.sample_rate or audio.samples.size == 0:
        return Audio(audio.samples, target_rate)
    out = soxr.resample(_as_float32(audio.samples), audio.sample_rate, target_rate, quality="HQ")
    return Audio(_as_float32(out), target_rate)


def peak_normalize(audio: Audio, peak_dbfs: float = CEILING_DBFS) -> Audio:
    """Scale so the largest sample sits at ``peak_dbfs`` (silence is returned unchanged)."""
    peak = float(np.max(np.abs(audio.samples))) if audio.samples.size else 0.0
    if peak == 0.0:
        return audio
    gain = 10.0 ** (peak_dbfs / 20.0) / peak
    return Audio(_as_float32(audio.samples * gain), audio.sample_rate)


def ensure_headroom(audio: Audio, ceiling_dbfs: float = CEILING_DBFS) -> Audio:
    """Turn the whole file down (never up) until its true peak is at or below the ceiling.

    Neural voices come out normalised to full scale, which clips between samples in players
    and lossy encoders; a plain gain keeps the sound itself untouched.
    """
    from audiofn.dsp.measure import true_peak_dbfs

    peak = true_peak_dbfs(audio.samples, audio.sample_rate)
    if not np.isfinite(peak) or peak <= ceiling_dbfs:
        return audio
    gain = 10.0 ** ((ceiling_dbfs - peak) / 20.0)
    return Audio(_as_float32(audio.samples * gain), audio.sample_rate)

"""Measurements over sample arrays: levels, loudness, brightness and pitch.

Tests and benchmarks use these to prove that a stage did what it claims (an effect lowered
the pitch, a limiter held the ceiling) instead of trusting that it ran.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from audiofn.audio import Audio
from audiofn.dsp.loudness import channel_power, integrated_loudness, k_weight
from audiofn.dsp.true_peak import true_peak

FloatArray = npt.NDArray[np.floating]


_F0_FRAME_SECONDS = 0.04
_F0_HOP_SECONDS = 0.01
_F0_YIN_THRESHOLD = 0.15
_F0_YIN_FALLBACK = 0.3
_F0_MIN_VOICED_FRAMES = 5
_F0_GATE_DB = 35.0


def _mono(samples: FloatArray) -> npt.NDArray[np.float64]:
    """Average the channels: every measure here is of the programme, not of one channel."""
    x = np.asarray(samples, dtype=np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


def _to_db(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0.0 else -math.inf


def rms_dbfs(samples: FloatArray) -> float:
    """RMS level over all samples and channels in dBFS (a full-scale sine reads -3.01)."""
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return -math.inf
    return _to_db(float(np.sqrt(np.mean(np.square(x)))))


def peak_dbfs(samples: FloatArray) -> float:
    """Largest absolute sample value in dBFS (-inf for silence)."""
    x = np.asarray(samples)
    return _to_db(float(np.max(np.abs(x)))) if x.size else -math.inf


def true_peak_dbfs(samples: FloatArray, sample_rate: int) -> float:
    """True peak in dBTP: what an encoder or a DAC actually sees, unlike the sample peak."""
    return _to_db(true_peak(samples, sample_rate))


def integrated_lufs(audio: Audio) -> float:
    """Gated integrated loudness (ITU-R BS.1770-4) in LUFS.

    Audio shorter than one 400 ms gating block, or silent, has no loudness and reads -inf.
    """
    if audio.duration < 0.4:
        return -math.inf
    return integrated_loudness(
        channel_power(k_weight(audio.samples, audio.sample_rate)), audio.sample_rate
    )


def spectral_centroid(samples: FloatArray, sample_rate: int, frame: int = 2048) -> float:
    """Magnitude-weighted mean frequency in Hz of the whole signal: a number for "brightness"."""
    x = _mono(samples)
    if x.size < frame:
        x = np.pad(x, (0, frame - x.size))
    hop = frame // 2
    count = 1 + (x.size - frame) // hop
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop][:count]
    magnitude = np.abs(np.fft.rfft(frames * np.hanning(frame), axis=1)).sum(axis=0)
    total = float(magnitude.sum())
    if total == 0.0:
        return 0.0
    freqs = np.fft.rfftfreq(frame, 1.0 / sample_rate)
    return float((freqs * magnitude).sum() / total)


def band_energy_db(samples: FloatArray, sample_rate: int, low_hz: float, high_hz: float) -> float:
    """Energy between two frequencies relative to the whole signal's energy, in dB."""
    x = _mono(samples)
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1.0 / sample_rate)
    total = float(power.sum())
    band = float(power[(freqs >= low_hz) & (freqs < high_hz)].sum())
    if total == 0.0 or band == 0.0:
        return -math.inf
    return 10.0 * math.log10(band / total)


def _yin_periods(frames: npt.NDArray[np.float64], min_lag: int, max_lag: int) -> list[float]:
    """Period in samples of each voiced frame (YIN: cumulative-mean-normalised difference).

    YIN is autocorrelation with a normalisation that avoids the octave errors plain
    autocorrelation makes on speech. The first dip below 0.15 wins; failing that, the deepest
    dip if it is below 0.3 (rough low voices, e.g. pitched down, rarely reach 0.15, and
    dropping them biases the median upwards); other frames are unvoiced and skipped.
    """
    window = frames.shape[1] - max_lag
    n_fft = 1 << int(np.ceil(np.log2(frames.shape[1] + window)))
    head = frames[:, :window]
    spectrum = np.fft.rfft(frames, n_fft) * np.conj(np.fft.rfft(head, n_fft))
    correlation = np.fft.irfft(spectrum, n_fft)[:, : max_lag + 1]
    energy = np.cumsum(np.square(frames), axis=1)
    energy = np.concatenate([np.zeros((frames.shape[0], 1)), energy], axis=1)
    lags = np.arange(max_lag + 1)
    shifted_energy = energy[:, lags + window] - energy[:, lags]
    difference = energy[:, [window]] + shifted_energy - 2.0 * correlation
    difference[:, 0] = 0.0
    running = np.cumsum(difference[:, 1:], axis=1)
    cmnd = np.ones_like(difference)
    with np.errstate(divide="ignore", invalid="ignore"):
        cmnd[:, 1:] = np.where(running > 0, difference[:, 1:] * lags[1:] / running, 1.0)

    periods: list[float] = []
    for row in cmnd:
        searched = row[min_lag : max_lag + 1]
        below = np.flatnonzero(searched < _F0_YIN_THRESHOLD)
        if below.size:
            lag = min_lag + int(below[0])
            while lag < max_lag and row[lag + 1] < row[lag]:
                lag += 1
        else:
            # No clear dip: take the deepest one if the frame is still mostly periodic.
            lag = min_lag + int(np.argmin(searched))
            if row[lag] >= _F0_YIN_FALLBACK:
                continue
        left, centre, right = row[lag - 1], row[lag], row[min(lag + 1, max_lag)]
        curvature = left - 2.0 * centre + right
        offset = 0.5 * (left - right) / curvature if curvature > 0 else 0.0
        periods.append(lag + float(np.clip(offset, -1.0, 1.0)))
    return periods


def f0_track(
    samples: FloatArray, sample_rate: int, fmin: float = 50.0, fmax: float = 600.0
) -> npt.NDArray[np.float64]:
    """Fundamental frequency in Hz of every voiced 40 ms frame (10 ms hop); quiet frames skipped."""
    x = _mono(samples)
    frame = int(_F0_FRAME_SECONDS * sample_rate)
    hop = int(_F0_HOP_SECONDS * sample_rate)
    min_lag = max(2, int(sample_rate / fmax))
    max_lag = math.ceil(sample_rate / fmin)
    length = frame + max_lag
    if x.size < length:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(x, length)[::hop]
    levels = np.sqrt(np.mean(np.square(frames[:, :frame]), axis=1))
    loudest = float(levels.max())
    if loudest == 0.0:
        return np.zeros(0)
    loud = frames[levels >= loudest * 10.0 ** (-_F0_GATE_DB / 20.0)]
    periods = _yin_periods(loud, min_lag, max_lag)
    return sample_rate / np.asarray(periods, dtype=np.float64)


def median_f0(
    samples: FloatArray, sample_rate: int, fmin: float = 50.0, fmax: float = 600.0
) -> float | None:
    """Median pitch in Hz over voiced frames, or None when too few frames are voiced to say."""
    track = f0_track(samples, sample_rate, fmin, fmax)
    if track.size < _F0_MIN_VOICED_FRAMES:
        return None
    return float(np.median(track))


def semitones(from_hz: float, to_hz: float) -> float:
    """Interval between two frequencies in semitones (positive when to_hz is higher)."""
    return 12.0 * math.log2(to_hz / from_hz)


def is_silent(samples: FloatArray, threshold_dbfs: float = -60.0) -> bool:
    """True when no sample reaches the threshold: nothing a listener would hear."""
    return peak_dbfs(samples) < threshold_dbfs

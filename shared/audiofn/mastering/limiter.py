"""Loudness normalisation and the true-peak look-ahead limiter, iterated until the limited
programme is on target."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from audiofn.dsp.loudness import block_means, channel_power, gated_loudness, k_weight, power_per_hop
from audiofn.dsp.true_peak import true_peak_envelope_db
from audiofn.mastering.ducking import lookahead_ramp, release
from audiofn.mastering.signals import db_to_gain

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


_LIMITER_LOOKAHEAD_SECONDS = 0.005
_LIMITER_RELEASE_DB_PER_SECOND = 60.0
_LIMITER_MARGIN_DB = 0.1
_LOUDNESS_TOLERANCE_LU = 0.02
_MAX_LOUDNESS_ITERATIONS = 8


def limiter_gain_db(envelope_db: Float32, ceiling_db: float, rate: int) -> Float32:
    """Gain (dB, <= 0) that keeps ``envelope + gain`` under the ceiling: a look-ahead attack
    (linear in dB) and a release of :data:`_LIMITER_RELEASE_DB_PER_SECOND`."""
    import numpy as np

    need = np.minimum(np.float32(0.0), np.float32(ceiling_db) - envelope_db)
    if need.min() >= 0.0:
        return need
    attack = lookahead_ramp(need, round(_LIMITER_LOOKAHEAD_SECONDS * rate))
    return np.minimum(release(attack, _LIMITER_RELEASE_DB_PER_SECOND / rate), np.float32(0.0))


@dataclass(frozen=True)
class Limited:
    samples: Float32
    gain_db: float
    max_reduction_db: float
    hop_sums: Float64
    """K-weighted power per 100 ms hop of the limited mix (channels summed)."""
    true_peak_dbtp: float


def normalise_and_limit(
    mix: Float32, power: Float32, rate: int, target_lufs: float, ceiling_dbtp: float
) -> Limited:
    """Gain to the target, limit true peaks to the ceiling, repeat until the limited mix is on
    target.

    The K-weighted power and the 4x oversampled peak envelope are computed once, before any
    gain: the limiter's gain moves slowly against the interpolation filter, so the limited
    mix's true peak is ``max(gain * envelope)``, and while the limiter rests its K-weighted
    power is ``gain^2 * K(x)^2``. Where it acts, its gain moves fast against the K filter's
    38 Hz high-pass, so the final loudness is measured on the output (the tests check both
    against direct measurements of the output).
    """
    import numpy as np

    hop_sums = power_per_hop(power, rate)
    loudness = gated_loudness(block_means(hop_sums, rate, 4))
    envelope_db = true_peak_envelope_db(mix, rate)
    if not math.isfinite(loudness):
        return Limited(mix, 0.0, 0.0, hop_sums, float(envelope_db.max(initial=-math.inf)))
    ceiling = ceiling_dbtp - _LIMITER_MARGIN_DB
    gain_db = target_lufs - loudness
    unlimited_hop_sums = hop_sums
    curve = np.zeros(len(mix), dtype=np.float32)
    limited = False
    for _ in range(_MAX_LOUDNESS_ITERATIONS):
        curve = limiter_gain_db(envelope_db + np.float32(gain_db), ceiling, rate)
        limited = bool(curve.min() < 0.0)
        if limited:
            weights = np.power(np.float32(10.0), curve / np.float32(10.0))
            hop_sums = power_per_hop(power * weights, rate) * 10.0 ** (gain_db / 10.0)
        else:
            hop_sums = unlimited_hop_sums * 10.0 ** (gain_db / 10.0)
        error = target_lufs - gated_loudness(block_means(hop_sums, rate, 4))
        if abs(error) <= _LOUDNESS_TOLERANCE_LU:
            break
        gain_db += error
    if not limited:
        mix *= np.float32(db_to_gain(gain_db))
        return Limited(mix, gain_db, 0.0, hop_sums, float(envelope_db.max()) + gain_db)
    gains = np.power(np.float32(10.0), (curve + np.float32(gain_db)) / np.float32(20.0))
    mix *= gains[:, None]
    # The limiter's gain moves fast where it acts, so K-weighting does not commute with it
    # there: measure what is delivered (one more filter pass, only when it limited).
    hop_sums = power_per_hop(channel_power(k_weight(mix, rate)), rate)
    return Limited(
        samples=mix,
        gain_db=gain_db,
        max_reduction_db=float(-curve.min()),
        hop_sums=hop_sums,
        true_peak_dbtp=float(np.max(envelope_db + curve)) + gain_db,
    )


def limit_true_peak(mix: Float32, rate: int, ceiling_dbtp: float) -> tuple[Float32, float]:
    """``mix`` (stereo) under ``ceiling_dbtp`` true peak by the master's look-ahead limiter;
    the limited copy and its true peak (dBTP)."""
    import numpy as np

    envelope_db = true_peak_envelope_db(mix, rate)
    curve = limiter_gain_db(envelope_db, ceiling_dbtp - _LIMITER_MARGIN_DB, rate)
    if curve.size == 0 or curve.min() >= 0.0:
        return mix, float(envelope_db.max(initial=-math.inf))
    gains = np.power(np.float32(10.0), curve / np.float32(20.0))
    return mix * gains[:, None], float(np.max(envelope_db + curve))

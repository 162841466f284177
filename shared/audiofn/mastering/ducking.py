"""Voice activity and the bed's ducking curve: a side-chain gain that starts going down before
the voice (look-ahead), holds through short pauses and releases slowly. The ramp shapes
(:func:`lookahead_ramp`, :func:`release`) serve the limiter too."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeAlias

from audiofn.dsp.loudness import CHUNK_FRAMES
from audiofn.mastering.presets import MasteringPreset

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


_ACTIVITY_HOP_SECONDS = 0.01
_ACTIVITY_FLOOR_DBFS = -50.0
_ACTIVITY_BELOW_LOUD_DB = 30.0


def voice_activity(voice: Float32, rate: int) -> tuple[npt.NDArray[np.bool_], int]:
    """Which 10 ms frames the voice is speaking in, and the hop in samples.

    A frame speaks when the RMS over it and its two neighbours (30 ms) is above 30 dB under
    the loud frames (95th percentile), and above -50 dBFS whatever the level.
    """
    import numpy as np

    hop = round(_ACTIVITY_HOP_SECONDS * rate)
    count = max(1, math.ceil(len(voice) / hop))
    padded = np.zeros(count * hop, dtype=np.float32)
    padded[: len(voice)] = voice
    energy = np.square(padded).reshape(count, hop).sum(axis=1, dtype=np.float64)
    window = energy + np.concatenate([[0.0], energy[:-1]]) + np.concatenate([energy[1:], [0.0]])
    level = 10.0 * np.log10(np.maximum(window / (3 * hop), 1e-20))
    loud = float(np.percentile(level, 95))
    threshold = max(_ACTIVITY_FLOOR_DBFS, loud - _ACTIVITY_BELOW_LOUD_DB)
    return level > threshold, hop


def _fill_short_gaps(active: npt.NDArray[np.bool_], longest: int) -> npt.NDArray[np.bool_]:
    """Treat pauses of at most ``longest`` frames between two active frames as active."""
    import numpy as np

    out = active.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[1], active.astype(np.int8), [1]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if start > 0 and end < len(active) and end - start <= longest:
            out[start:end] = True
    return out


def lookahead_ramp(target_db: Float32, frames: int) -> Float32:
    """Reach every dip of ``target_db`` by the time it happens: a linear (in dB) ramp that
    starts ``frames`` early. Never above the target, so a dip is always fully met."""
    import numpy as np
    from scipy import ndimage

    if frames <= 0:
        return target_db
    # The minimum over the next `frames` frames (the window reaches forward only) ...
    ahead = ndimage.minimum_filter1d(
        target_db, size=frames + 1, origin=-(frames // 2) - (frames % 2)
    )
    # ... averaged over the last `frames` frames: every term already covers this frame's dip.
    return np.asarray(
        ndimage.uniform_filter1d(ahead, size=frames + 1, origin=frames // 2, mode="nearest"),
        dtype=np.float32,
    )


def release(curve_db: Float32, db_per_frame: float) -> Float32:
    """Let the curve rise no faster than ``db_per_frame`` (falls stay instant): the largest
    curve at or below the input whose rises are rate-limited (a cumulative minimum)."""
    import numpy as np

    out = np.empty(len(curve_db), dtype=np.float32)
    running = math.inf
    # In chunks (the running minimum carries over), so the float64 ramp stays small.
    for start in range(0, len(curve_db), CHUNK_FRAMES):
        end = min(len(curve_db), start + CHUNK_FRAMES)
        ramp = db_per_frame * np.arange(start, end, dtype=np.float64)
        lowest = np.minimum.accumulate(curve_db[start:end] - ramp)
        np.minimum(lowest, running, out=lowest)
        running = float(lowest[-1])
        out[start:end] = ramp + lowest
    return out


def duck_curve(
    active: npt.NDArray[np.bool_], hop: int, length: int, rate: int, preset: MasteringPreset
) -> tuple[Float32, Float32]:
    """Bed gain per sample (linear) and per activity frame (dB) from the voice's activity."""
    import numpy as np

    frames_per_second = rate / hop
    held = _fill_short_gaps(active, round(preset.duck_hold_ms / 1000.0 * frames_per_second))
    target = np.where(held, -preset.duck_db, 0.0).astype(np.float32)
    attack = max(1, round(preset.duck_attack_ms / 1000.0 * frames_per_second))
    curve = lookahead_ramp(target, attack)
    release_frames = max(1.0, preset.duck_release_ms / 1000.0 * frames_per_second)
    curve = release(curve, preset.duck_db / release_frames)
    # A three-frame average rounds the corners of the ramps (no audible kinks).
    rounded = np.convolve(np.pad(curve, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    curve = rounded.astype(np.float32)
    gains = np.power(np.float32(10.0), curve / np.float32(20.0))
    centres = np.arange(len(curve), dtype=np.float64) * hop + hop / 2.0
    per_sample = np.empty(length, dtype=np.float32)
    for start in range(0, length, CHUNK_FRAMES):
        end = min(length, start + CHUNK_FRAMES)
        positions = np.arange(start, end, dtype=np.float64)
        per_sample[start:end] = np.interp(positions, centres, gains)
    return per_sample, curve

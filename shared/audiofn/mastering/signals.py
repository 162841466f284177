"""Small building blocks the mastering stages share: channel layouts at a rate, dB to gain."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from audiofn.audio import Audio

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


def mono_at(audio: Audio, rate: int) -> Float32:
    import numpy as np

    from audiofn.dsp.effects import resample, to_mono

    return np.ascontiguousarray(resample(to_mono(audio), rate).samples, dtype=np.float32)


def stereo_at(audio: Audio, rate: int) -> Float32:
    import numpy as np

    from audiofn.dsp.effects import resample

    samples = resample(audio, rate).samples
    if samples.ndim == 1:
        samples = np.stack([samples, samples], axis=1)
    elif samples.shape[1] == 1:
        samples = np.repeat(samples, 2, axis=1)
    elif samples.shape[1] > 2:
        samples = samples[:, :2]
    return np.ascontiguousarray(samples, dtype=np.float32)


def db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)

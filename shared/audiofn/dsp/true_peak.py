"""True peak (ITU-R BS.1770-4 Annex 2): the 4x oversampled peak, as a per-frame envelope for
the limiter and as one figure for reports."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from audiofn.dsp.loudness import CHUNK_FRAMES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


def _linked_abs(samples: Float32) -> Float32:
    """Largest absolute value across the channels of each frame (column by column: numpy's
    max over a short last axis is twenty times slower)."""
    import numpy as np

    linked = np.abs(samples[:, 0])
    for channel in range(1, samples.shape[1]):
        np.maximum(linked, np.abs(samples[:, channel]), out=linked)
    return linked


def true_peak(samples: npt.ArrayLike, rate: int) -> float:
    """Linear inter-sample peak (BS.1770 true peak) of mono or multichannel samples."""
    import numpy as np

    x = np.asarray(samples, dtype=np.float32)
    if x.size == 0:
        return 0.0
    frames = x.reshape(len(x), -1)
    return float(_true_peak_envelope(np.ascontiguousarray(frames), rate).max())


def true_peak_envelope_db(mix: Float32, rate: int) -> Float32:
    """Per-frame peak (dB, floored at -180) of the 4x oversampled signal, channels linked."""
    import numpy as np

    envelope = _true_peak_envelope(mix, rate)
    np.maximum(envelope, np.float32(1e-9), out=envelope)
    return np.asarray(20.0 * np.log10(envelope), dtype=np.float32)


def _true_peak_envelope(mix: Float32, rate: int) -> Float32:
    """Per-frame peak (linear) of the 4x oversampled signal, channels linked.

    Oversampled a chunk at a time through one soxr stream (identical to one-shot resampling)
    so the 4x copy never exists whole; each chunk's output is folded into frames in place
    (the stream's output does not start on a frame boundary, so the partial frames at either
    end of a chunk are folded one by one).
    """
    import numpy as np
    import soxr

    channels = mix.shape[1]
    stream = soxr.ResampleStream(rate, rate * 4, channels, dtype="float32", quality="HQ")
    envelope = _linked_abs(mix)
    position = 0  # oversampled samples produced so far
    total = 4 * len(mix)
    for start in range(0, len(mix), CHUNK_FRAMES):
        last = start + CHUNK_FRAMES >= len(mix)
        up = stream.resample_chunk(mix[start : start + CHUNK_FRAMES], last=last)
        up = up[: max(0, total - position)]
        np.abs(up, out=up)  # the stream's own output buffer: no copy needed
        linked = up[:, 0].copy()
        for channel in range(1, channels):
            np.maximum(linked, up[:, channel], out=linked)
        head = min(len(linked), (-position) % 4)
        if head:
            frame = position // 4
            envelope[frame] = max(envelope[frame], linked[:head].max())
        whole = (len(linked) - head) // 4
        if whole:
            first = (position + head) // 4
            phases = linked[head : head + 4 * whole].reshape(whole, 4)
            peaks = np.maximum(
                np.maximum(phases[:, 0], phases[:, 1]), np.maximum(phases[:, 2], phases[:, 3])
            )
            np.maximum(envelope[first : first + whole], peaks, out=envelope[first : first + whole])
        if head + 4 * whole < len(linked):
            frame = (position + head) // 4 + whole
            envelope[frame] = max(envelope[frame], linked[head + 4 * whole :].max())
        position += len(up)
    return envelope

"""MP3 masters made by splicing frames: what a batch's listeners share is encoded once, and
per listener only the stretch that differs, with a few frames of shared audio around it.

Three things make MP3 frames splice cleanly:

- **No bit reservoir.** LAME normally lets a frame's data start in the bytes of the frames
  before it; then a frame cannot be replaced alone. Every stream here is encoded with the
  reservoir off, so each frame's data sits in its own bytes (checked: ``main_data_begin`` is 0).
- **One frame grid.** A frame decodes to a fixed stretch of the timeline (LAME's encoder delay
  is the same for every encode), so a listener's encode that starts on a multiple of the frame
  length lines up with the shared one frame for frame. Each personal stretch is padded to whole
  frames (`batch_render.splice_listener`), so the shared frames after it only shift by whole
  frames, bed and all.
- **Overlap.** A frame's audio overlaps its neighbours' (the MDCT windows and the synthesis
  filter bank). The personal encode therefore covers a few frames of shared audio on each side;
  its first frames (the encoder warming up) are dropped, and the switch between streams is made
  where both encoded the same audio and chose window shapes that fit together, so aliasing
  cancels across the seam as it does inside one stream.

The spliced stream gets a LAME Info frame like every MP3 this service writes: decoders that
honour it give back exactly the listener's samples, gapless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audiofn.codecs import LAME_ENCODER_DELAY, MP3_LAME_QUALITY, mp3_info_frame

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Float32 = npt.NDArray[np.float32]

GUARD_FRAMES = 2
"""Frames of shared audio beyond a change that are still taken from the listener's encode: a
frame's audio reaches about one frame (MDCT window plus filter bank) past its own stretch."""
WARM_UP_FRAMES = 4
"""Frames the listener's encode starts before what it replaces; they are dropped (the encoder
starts from silence, and its window and masking decisions need a little history)."""


class SpliceError(Exception):
    """Frames that cannot be spliced (the caller encodes the whole file instead)."""


def frame_samples(rate: int) -> int:
    """Samples per MP3 frame at this rate: 1,152 for MPEG-1 (32 kHz and up), 576 below."""
    return 1152 if rate >= 32000 else 576


@dataclass(frozen=True)
class Mp3Frames:
    """A headerless MP3 stream (no Info frame) and where each frame starts."""

    data: bytes
    offsets: list[int]
    """Byte offset of every frame, and the stream's length last."""
    samples: int
    """PCM samples per channel that were encoded."""
    rate: int
    channels: int
    kbps: int

    @property
    def count(self) -> int:
        return len(self.offsets) - 1

    def frames(self, first: int, end: int) -> bytes:
        return self.data[self.offsets[first] : self.offsets[end]]


def encode_frames(samples: Float32, rate: int, kbps: int) -> Mp3Frames:
    """CBR MP3 frames of ``samples`` (frames x channels) through LAME with its bit reservoir
    off, at the same quality as every other MP3 (`codecs.MP3_LAME_QUALITY`)."""
    import av
    import numpy as np

    if samples.ndim != 2 or samples.shape[1] not in (1, 2):
        raise ValueError("MP3 frames are encoded from mono or stereo (frames x channels)")
    channels = samples.shape[1]
    layout = "mono" if channels == 1 else "stereo"
    context = av.CodecContext.create("libmp3lame", "w")
    context.sample_rate = rate
    context.layout = layout
    context.format = "fltp"
    context.bit_rate = kbps * 1000
    context.options = {"reservoir": "0", "compression_level": str(MP3_LAME_QUALITY)}
    planar = np.ascontiguousarray(np.clip(samples, -1.0, 1.0).T, dtype=np.float32)
    frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
    frame.sample_rate, frame.pts = rate, 0
    packets = [bytes(p) for p in context.encode(frame)]
    packets += [bytes(p) for p in context.encode(None)]
    offsets = [0]
    for packet in packets:
        offsets.append(offsets[-1] + len(packet))
    return Mp3Frames(b"".join(packets), offsets, len(samples), rate, channels, kbps)


@dataclass(frozen=True)
class Change:
    """Where a listener's master differs from the shared one, in the listener's samples."""

    start: int
    end: int
    shift: int
    """How much later the shared audio after this change sits in the listener's master (all
    changes up to this one; a multiple of the frame length)."""


def _granule_blocks(frame: bytes) -> list[tuple[int, ...]]:
    """The block type (0 long, 1 start, 2 short, 3 stop) of each granule, per channel."""
    header = int.from_bytes(frame[:4], "big")
    mpeg1 = (header >> 19) & 3 == 3
    channels = 1 if (header >> 6) & 3 == 3 else 2
    position = 32 if (header >> 16) & 1 else 48  # past the header, and the CRC when present
    bits = int.from_bytes(frame[: 4 + 2 + 32].ljust(4 + 2 + 32, b"\0"), "big")
    width = (4 + 2 + 32) * 8

    def read(count: int) -> int:
        nonlocal position
        value = (bits >> (width - position - count)) & ((1 << count) - 1)
        position += count
        return value

    if read(9 if mpeg1 else 8):
        raise SpliceError("a frame borrows from the bit reservoir")
    read((5 if channels == 1 else 3) if mpeg1 else channels)  # private bits
    if mpeg1:
        read(4 * channels)  # scale factor selection
    granules: list[tuple[int, ...]] = []
    for _ in range(2 if mpeg1 else 1):
        types = []
        for _ in range(channels):
            read(12 + 9 + 8 + (4 if mpeg1 else 9))
            switched = read(1)
            types.append(read(2) if switched else 0)
            read(20 if switched else 22)  # the rest of the window/region fields
            read(3 if mpeg1 else 2)
        granules.append(tuple(types))
    return granules


_RIGHT_HALF_SHORT = {0: False, 1: True, 2: True, 3: False}
_LEFT_HALF_SHORT = {0: False, 1: False, 2: True, 3: True}


def _windows_fit(before: bytes, after: bytes) -> bool:
    """Whether ``after`` may follow ``before``: each channel's last window in ``before`` ends
    with the shape the first window of ``after`` starts with (long or short)."""
    last, first = _granule_blocks(before)[-1], _granule_blocks(after)[0]
    return all(
        _RIGHT_HALF_SHORT[a] == _LEFT_HALF_SHORT[b] for a, b in zip(last, first, strict=True)
    )


@dataclass(frozen=True)
class _Window:
    """Listener frames [first, end) that must come from the listener's own encode."""

    first: int
    end: int
    shift_before: int
    """The shift of the shared frames before the window, in frames."""
    shift_after: int

    @property
    def encoded_from(self) -> int:
        """The listener frame the listener's encode of this window starts at."""
        return max(0, self.first - WARM_UP_FRAMES)


def _windows(changes: Sequence[Change], frame: int) -> list[_Window]:
    """The frames each change reaches, with changes close together in one window."""
    windows: list[_Window] = []
    shift = 0
    for change in changes:
        if change.shift % frame:
            raise ValueError("a change must shift the shared audio by whole frames")
        first = max(0, (change.start + LAME_ENCODER_DELAY) // frame - GUARD_FRAMES)
        end = math.ceil((change.end + LAME_ENCODER_DELAY) / frame) + GUARD_FRAMES
        if windows and first - WARM_UP_FRAMES <= windows[-1].end + WARM_UP_FRAMES:
            last = windows.pop()
            windows.append(_Window(last.first, end, last.shift_before, change.shift // frame))
        else:
            windows.append(_Window(first, end, shift // frame, change.shift // frame))
        shift = change.shift
    return windows


def _seam(before: tuple[Mp3Frames, int], after: tuple[Mp3Frames, int], moves: range) -> int:
    """The first of ``moves`` (offsets in frames) at which frame ``after + move`` of one
    stream may follow frame ``before + move - 1`` of the other."""
    (left, left_at), (right, right_at) = before, after
    for move in moves:
        i, j = left_at + move - 1, right_at + move
        fits = 0 <= i < left.count and 0 <= j < right.count
        if fits and _windows_fit(left.frames(i, i + 1), right.frames(j, j + 1)):
            return move
    raise SpliceError("no seam where the window shapes of both streams fit")


def splice_frames(shared: Mp3Frames, listener: Float32, changes: Sequence[Change]) -> bytes:
    """The listener's MP3 (Info frame first): the shared frames, with the frames around each
    change taken from an encode of the listener's own samples around it.

    Raises :class:`SpliceError` when no seam fits (the caller then encodes the whole file).
    """
    frame = frame_samples(shared.rate)
    total_shift = changes[-1].shift if changes else 0
    if len(listener) != shared.samples + total_shift:
        raise ValueError("the listener's master must be the shared one plus its changes")
    parts: list[bytes] = []
    count = 0
    taken = 0  # listener frames assembled so far
    shift = 0  # of the shared frames at ``taken``, in frames
    for window in _windows(changes, frame):
        start = window.encoded_from
        stop = min(len(listener), (window.end + WARM_UP_FRAMES) * frame)
        own = encode_frames(listener[start * frame : stop], shared.rate, shared.kbps)
        if start == 0:
            seam_in = 0  # the listener's encode starts as the whole file's would: no seam
        else:
            moves = range(0, -(WARM_UP_FRAMES - 2) - 1, -1)  # outwards, keeping 2 warm-up frames
            seam_in = window.first + _seam(
                (shared, window.first - window.shift_before), (own, window.first - start), moves
            )
        parts.append(shared.frames(taken - shift, seam_in - window.shift_before))
        count += seam_in - taken
        if stop == len(listener):  # the encode runs to the end: its last frames are the file's
            parts.append(own.frames(seam_in - start, own.count))
            count += own.count - (seam_in - start)
            break
        moves = range(0, WARM_UP_FRAMES - 1)  # outwards, keeping 2 frames before the encode's end
        seam_out = window.end + _seam(
            (own, window.end - start), (shared, window.end - window.shift_after), moves
        )
        parts.append(own.frames(seam_in - start, seam_out - start))
        count += seam_out - seam_in
        taken, shift = seam_out, window.shift_after
    else:
        parts.append(shared.frames(taken - shift, shared.count))
        count += shared.count - (taken - shift)
    data = b"".join(parts)
    info = mp3_info_frame(
        count,
        len(data),
        len(listener),
        sample_rate=shared.rate,
        channels=shared.channels,
        kbps=shared.kbps,
    )
    return info + data

"""MP3 frames spliced from a shared encode and a listener's own: gapless, aligned, and as close
to the listener's samples as an encode of the whole file."""

from __future__ import annotations

import lameenc
import numpy as np
import pytest

from audiofn import mp3_splice
from audiofn.codecs import decode, mp3_info_frame
from audiofn.mp3_splice import (
    Change,
    SpliceError,
    encode_frames,
    frame_samples,
    splice_frames,
)

RATE = 44100
FRAME = frame_samples(RATE)


def programme(seconds: float, seed: int) -> np.ndarray:
    """A bed of tones with drum-like bursts (they make LAME switch to short windows)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    tones = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 3150 * t + 1.0)
    bursts = np.zeros_like(t)
    for at in rng.integers(0, len(t) - 4000, size=int(seconds * 3)):
        bursts[at : at + 4000] += rng.standard_normal(4000) * np.exp(-np.arange(4000) / 600)
    left = tones + 0.3 * bursts
    return np.stack([left, np.roll(left, 37)], axis=1).astype(np.float32)


def whole_file(samples: np.ndarray) -> bytes:
    frames = encode_frames(samples, RATE, 192)
    return (
        mp3_info_frame(
            frames.count, len(frames.data), len(samples), sample_rate=RATE, channels=2, kbps=192
        )
        + frames.data
    )


def snr_db(reference: np.ndarray, other: np.ndarray) -> float:
    error = np.sum((reference - other) ** 2)
    return float(10 * np.log10(np.sum(reference**2) / error))


def listener_of(shared: np.ndarray, edits: list[tuple[int, int, int]], seed: int):
    """The shared programme with each (start, old length, new length) stretch replaced."""
    pieces, changes, position, shift = [], [], 0, 0
    own = programme(sum(new for _, _, new in edits) / RATE + 0.1, seed)
    used = 0
    for start, old, new in edits:
        pieces += [shared[position:start], own[used : used + new]]
        changes.append(Change(start + shift, start + shift + new, shift + new - old))
        shift += new - old
        position, used = start + old, used + new
    pieces.append(shared[position:])
    return np.concatenate(pieces), changes


SHARED = programme(8.0, seed=1)


@pytest.fixture(scope="module")
def shared_frames() -> mp3_splice.Mp3Frames:
    return encode_frames(SHARED, RATE, 192)


@pytest.mark.parametrize(
    "edits",
    [
        [(3 * RATE, RATE, RATE + 20 * FRAME)],  # in the middle, longer
        [(3 * RATE, RATE, RATE - 9 * FRAME)],  # shorter
        [(2000, RATE, RATE + 3 * FRAME)],  # at the very start: no seam before it
        [(7 * RATE, RATE - 500, RATE - 500 + 2 * FRAME)],  # to the end: no seam after it
        [(RATE, RATE // 2, RATE // 2 + FRAME), (RATE * 2, RATE // 4, RATE // 4)],  # close: one
        [(RATE, RATE // 2, RATE // 2 + FRAME), (RATE * 5, RATE // 4, RATE // 4 + 2 * FRAME)],
    ],
    ids=["longer", "shorter", "at-start", "to-end", "two-close", "two-apart"],
)
def test_a_spliced_listener_decodes_like_an_encode_of_the_whole_file(shared_frames, edits) -> None:
    listener, changes = listener_of(SHARED, edits, seed=2)
    spliced = decode(splice_frames(shared_frames, listener, changes))
    whole = decode(whole_file(listener))
    # gapless: exactly the listener's samples, in place
    assert len(spliced.samples) == len(whole.samples) == len(listener)
    assert snr_db(listener, spliced.samples) >= snr_db(listener, whole.samples) - 0.5
    # and no stretch of it, seams included, much further from the samples than the same
    # stretch of the whole file (half-overlapping frames)
    drops = [
        snr_db(listener[i : i + FRAME], whole.samples[i : i + FRAME])
        - snr_db(listener[i : i + FRAME], spliced.samples[i : i + FRAME])
        for i in range(0, len(listener) - FRAME, FRAME // 2)
    ]
    assert max(drops) < 0.5, max(drops)


def test_the_shared_frames_are_used_as_they_are_outside_the_changes(shared_frames) -> None:
    listener, changes = listener_of(SHARED, [(3 * RATE, RATE, RATE + 4 * FRAME)], seed=2)
    data = splice_frames(shared_frames, listener, changes)
    spliced = data[_offsets(data)[1] :]  # past the Info frame
    # the first 2 s and the last 2 s are the shared encode's own bytes
    head = shared_frames.offsets[2 * RATE // FRAME]
    assert spliced[:head] == shared_frames.data[:head]
    tail = len(shared_frames.data) - shared_frames.offsets[-1 - 2 * RATE // FRAME]
    assert spliced[-tail:] == shared_frames.data[-tail:]


def test_frames_that_borrow_from_the_bit_reservoir_are_refused() -> None:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(2)
    pcm = np.rint(SHARED * 32767).astype("<i2").tobytes()
    data = bytes(encoder.encode(pcm)) + bytes(encoder.flush())
    borrowing = mp3_splice.Mp3Frames(data, _offsets(data), len(SHARED), RATE, 2, 128)
    listener, changes = listener_of(SHARED, [(3 * RATE, RATE, RATE)], seed=2)
    with pytest.raises(SpliceError, match="bit reservoir"):
        splice_frames(borrowing, listener, changes)


def _offsets(data: bytes) -> list[int]:
    from audiofn.codecs import _mp3_frame_lengths

    offsets = [0]
    for length in _mp3_frame_lengths(data):
        offsets.append(offsets[-1] + length)
    return offsets


def test_a_seam_moves_outwards_to_windows_that_fit_and_fails_when_none_do(
    shared_frames, monkeypatch
) -> None:
    listener, changes = listener_of(SHARED, [(3 * RATE, RATE, RATE + FRAME)], seed=2)
    fits = mp3_splice._windows_fit
    tried: list[int] = []

    def first_refused(before: bytes, after: bytes) -> bool:
        tried.append(1)
        return len(tried) > 1 and fits(before, after)

    monkeypatch.setattr(mp3_splice, "_windows_fit", first_refused)
    spliced = decode(splice_frames(shared_frames, listener, changes))
    assert len(spliced.samples) == len(listener)
    assert snr_db(listener, spliced.samples) > 15

    monkeypatch.setattr(mp3_splice, "_windows_fit", lambda before, after: False)
    with pytest.raises(SpliceError, match="window shapes"):
        splice_frames(shared_frames, listener, changes)


def test_short_windows_are_read_from_the_side_information(shared_frames) -> None:
    kinds = {
        block
        for i in range(shared_frames.count)
        for granule in mp3_splice._granule_blocks(shared_frames.frames(i, i + 1))
        for block in granule
    }
    assert kinds == {0, 1, 2, 3}  # long, start, short, stop: the bursts switch windows

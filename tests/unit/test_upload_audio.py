"""Decoding uploads within limits: the header is judged before any sample is decoded, and the
samples come a block at a time, downmixed and resampled as they come."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from audiofn.audio import Audio
from audiofn.codecs import UnsupportedFormat, encode
from audiofn.upload_audio import (
    AudioRefused,
    UploadLimits,
    decode_upload,
    open_upload,
    scan_upload,
)

LIMITS = UploadLimits(max_seconds=600)


def flac(frames: int, channels: int, rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((frames, channels), np.float32), rate, format="FLAC")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """31 KB of FLAC that decodes to 123 MB: 20 s of silence, 8 channels at 192 kHz."""
    return flac(20 * 192_000, 8, 192_000)


def test_the_flac_bomb_is_refused_by_its_header_before_any_large_allocation(bomb):
    assert len(bomb) < 40_000
    with open_upload(
        bomb, UploadLimits(max_seconds=600, max_channels=8, max_sample_rate=192_000)
    ) as r:
        assert r.header.decoded_bytes == 20 * 192_000 * 8 * 4  # what decoding it whole costs

    tracemalloc.start()
    try:
        with pytest.raises(AudioRefused, match="8 channels; uploads may have at most 2"):
            decode_upload(bomb, LIMITS, sample_rate=16_000, mono=True)
        with pytest.raises(AudioRefused, match="8 channels"):
            scan_upload(bomb, LIMITS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak / 1e6:.1f} MB traced"


def test_rate_and_length_are_judged_by_the_header():
    with pytest.raises(AudioRefused, match="192000 Hz; uploads may have at most 96000 Hz"):
        decode_upload(flac(192_000, 1, 192_000), LIMITS)
    with pytest.raises(AudioRefused, match=r"holds 12\.0 s of audio; uploads may be at most 10 s"):
        decode_upload(flac(12 * 8_000, 1, 8_000), UploadLimits(max_seconds=10))


def test_a_header_that_hides_its_length_is_still_stopped_while_decoding():
    # Given a FLAC file whose STREAMINFO says "total samples: unknown" (0), as streams do
    data = bytearray(flac(30 * 8_000, 1, 8_000))
    start = 4 + 4 + 13  # "fLaC", the block header, then the bits before the sample count
    data[start] &= 0xF0
    data[start + 1 : start + 5] = bytes(4)
    with open_upload(bytes(data), LIMITS) as reader:
        assert reader.header.frames is None

    # When it is decoded within 10 s, then the count of decoded frames stops it
    with pytest.raises(AudioRefused, match="at most 10 s"):
        decode_upload(bytes(data), UploadLimits(max_seconds=10))


def test_downmix_and_resampling_while_streaming_match_doing_it_whole():
    from audiofn.dsp.effects import resample, to_mono

    rate = 48_000
    t = np.arange(3 * rate) / rate
    left = 0.4 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([left, 0.5 * left], axis=1).astype(np.float32)
    data = encode(Audio(stereo, rate), "flac")

    streamed = decode_upload(data, LIMITS, sample_rate=16_000, mono=True)
    whole = resample(to_mono(Audio(stereo, rate)), 16_000)

    assert streamed.sample_rate == 16_000 and streamed.samples.ndim == 1
    assert abs(len(streamed.samples) - len(whole.samples)) <= 2
    n = min(len(streamed.samples), len(whole.samples)) - 200
    assert np.max(np.abs(streamed.samples[200:n] - whole.samples[200:n])) < 0.01


def test_formats_libsndfile_cannot_read_go_through_ffmpeg_with_the_same_limits():
    rate = 44_100
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(2 * rate) / rate)).astype(np.float32)
    m4a = encode(Audio(tone, rate), "m4a")

    decoded = decode_upload(m4a, LIMITS)
    assert decoded.sample_rate == rate and abs(len(decoded.samples) / rate - 2.0) < 0.1
    with pytest.raises(AudioRefused, match="at most 1 s"):
        decode_upload(m4a, UploadLimits(max_seconds=1))
    with pytest.raises(UnsupportedFormat):
        decode_upload(b"plain text, not audio\n" * 50, LIMITS)


def test_scan_measures_without_keeping_samples_and_sees_truncation():
    rate = 16_000
    tone = Audio((0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32), rate)
    whole = encode(tone, "wav")
    found = scan_upload(whole, LIMITS)
    assert found.frames == len(tone.samples) and found.declared_frames == found.frames
    assert found.peak == pytest.approx(0.5, abs=0.01) and found.complete and found.finite

    cut = scan_upload(whole[: len(whole) // 2], LIMITS)
    assert cut.declared_frames == len(tone.samples) and cut.frames < len(tone.samples) * 0.6

    with pytest.raises(AudioRefused):
        scan_upload(whole, UploadLimits(max_seconds=0.25))
    with pytest.raises(UnsupportedFormat):
        scan_upload(b"plain text, not audio\n" * 50, LIMITS)


def test_a_file_cut_short_is_unsupported_not_an_internal_error():
    rate = 48_000
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(5 * rate) / rate)).astype(np.float32)
    data = encode(Audio(tone, rate), "flac")

    for cut in (len(data) // 2, 200, 50):
        with pytest.raises(UnsupportedFormat):
            decode_upload(data[:cut], LIMITS)

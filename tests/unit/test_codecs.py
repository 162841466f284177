"""Encode and decode at the edges: every format round-trips a tone it can still be measured on.

Bounds: lossless formats and PCM return exactly the input length. MP3 (LAME tag), Vorbis and
Opus (pre-skip) are gapless in libsndfile and also return the exact length. AAC in ADTS or
M4A as written by FFmpeg carries no gapless metadata the decoder applies, so it comes back
longer: ADTS by the 1024-sample encoder priming plus padding to a whole 1024-sample frame
(under 2048 samples, 46.4 ms at 44.1 kHz); M4A only by the padding, its priming being in an
edit list FFmpeg applies. Every format is held to 50 ms.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.codecs import (
    CONTENT_TYPES,
    FILE_EXTENSIONS,
    FORMATS,
    UnsupportedFormat,
    audio_bitrate_kbps,
    decode,
    encode,
)

RATE = 44_100
DURATION_BOUND_S = 0.050
EXPECTED_RATE = {"opus": 48_000}


def _tone(hz: float = 440.0, seconds: float = 1.0, rate: int = RATE, amp: float = 0.5) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((amp * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)


def _dominant_hz(audio: Audio) -> float:
    mono = audio.samples if audio.samples.ndim == 1 else audio.samples.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / audio.sample_rate)[np.argmax(spectrum)])


@pytest.fixture(scope="module")
def tone() -> Audio:
    return _tone()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_keeps_duration_rate_and_pitch(fmt: str, tone: Audio) -> None:
    # Given a 1 s 440 Hz tone, encoded
    data = encode(tone, fmt)

    # When it is decoded again
    back = decode(data, fmt, sample_rate=RATE)

    # Then the duration, rate and pitch survive, and the level is about the same
    assert abs(back.duration - tone.duration) <= DURATION_BOUND_S
    assert back.sample_rate == EXPECTED_RATE.get(fmt, RATE)
    assert back.samples.dtype == np.float32
    assert back.channels == 1
    assert _dominant_hz(back) == pytest.approx(440.0, abs=2.0)
    level = np.sqrt(np.mean(np.square(back.samples)))
    assert level == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


@pytest.mark.parametrize("fmt", ["wav", "flac", "pcm"])
def test_lossless_formats_are_exact_to_16_bits(fmt: str, tone: Audio) -> None:
    back = decode(encode(tone, fmt), fmt, sample_rate=RATE)
    assert back.samples.shape == tone.samples.shape
    assert np.max(np.abs(back.samples - tone.samples)) <= 1.0 / 32768 + 1e-6


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_stereo_round_trip_keeps_both_channels(fmt: str) -> None:
    left, right = _tone(440.0), _tone(660.0, amp=0.3)
    stereo = Audio(np.stack([left.samples, right.samples], axis=1), RATE)
    back = decode(encode(stereo, fmt), fmt, sample_rate=RATE, channels=2)
    assert back.channels == 2
    assert _dominant_hz(Audio(back.samples[:, 0], back.sample_rate)) == pytest.approx(440, abs=2)
    assert _dominant_hz(Audio(back.samples[:, 1], back.sample_rate)) == pytest.approx(660, abs=2)


def _is_mpeg_sync(data: bytes) -> bool:
    return data[0] == 0xFF and data[1] & 0xE0 == 0xE0


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("wav", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE"),
        ("flac", lambda b: b[:4] == b"fLaC"),
        ("mp3", lambda b: b[:3] == b"ID3" or _is_mpeg_sync(b)),
        ("ogg", lambda b: b[:4] == b"OggS" and b"\x01vorbis" in b[:64]),
        ("opus", lambda b: b[:4] == b"OggS" and b"OpusHead" in b[:64]),
        # ADTS: 12-bit sync 0xFFF, then MPEG version bit, then layer bits that are always 00.
        ("aac", lambda b: b[0] == 0xFF and b[1] & 0xF6 == 0xF0),
        ("m4a", lambda b: b[4:8] == b"ftyp"),
    ],
)
def test_encoded_bytes_start_with_the_format_magic(fmt: str, check, tone: Audio) -> None:
    assert check(encode(tone, fmt))


def test_m4a_puts_its_index_first_for_progressive_playback(tone: Audio) -> None:
    data = encode(tone, "m4a")
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_m4a_starts_on_the_first_sample_and_pads_less_than_a_frame() -> None:
    # Given a tone that starts at full level on its first sample, of an odd length
    tone = _tone(seconds=1.3)
    # When it goes through M4A
    decoded = decode(encode(tone, "m4a"))
    # Then the priming is gone: the tone starts within a sample, and only the last frame's
    # padding is left at the end
    onset = int(np.argmax(np.abs(tone.samples) > 0.05))
    assert abs(int(np.argmax(np.abs(decoded.samples) > 0.05)) - onset) <= 1
    assert 0 <= len(decoded.samples) - len(tone.samples) < 1024


@pytest.mark.parametrize(("fmt", "kbps"), [("mp3", 96), ("m4a", 128)])
def test_audio_bitrate_counts_the_stream_not_tags_in_front(fmt: str, kbps: int) -> None:
    from mutagen.id3 import ID3, TXXX

    rng = np.random.default_rng(6)
    noise = Audio((0.3 * rng.standard_normal(6 * RATE)).astype(np.float32), RATE)
    data = encode(noise, fmt, bitrate_kbps=kbps)
    measured = audio_bitrate_kbps(data)
    assert measured == pytest.approx(kbps, rel=0.1)
    if fmt == "mp3":
        assert measured == pytest.approx(kbps, abs=0.5)  # CBR
        tag = ID3()
        tag.add(TXXX(encoding=3, desc="padding", text=["x" * 50_000]))
        buffer = io.BytesIO()
        tag.save(buffer)
        assert audio_bitrate_kbps(buffer.getvalue() + data) == pytest.approx(measured, abs=0.01)


@pytest.mark.parametrize(("fmt", "kbps"), [("mp3", 64), ("mp3", 192), ("opus", 32), ("aac", 96)])
def test_bitrate_is_respected(fmt: str, kbps: int) -> None:
    rng = np.random.default_rng(5)
    seconds = 4
    noise = Audio((0.3 * rng.standard_normal(seconds * RATE)).astype(np.float32), RATE)
    actual_kbps = len(encode(noise, fmt, bitrate_kbps=kbps)) * 8 / seconds / 1000
    assert actual_kbps == pytest.approx(kbps, rel=0.15)


@pytest.mark.parametrize(
    ("rate", "fmt", "expected"), [(96_000, "mp3", 48_000), (7_000, "aac", 8_000)]
)
def test_lossy_encoders_move_to_a_rate_their_standard_allows(
    rate: int, fmt: str, expected: int
) -> None:
    back = decode(encode(_tone(rate=rate), fmt))
    assert back.sample_rate == expected
    assert _dominant_hz(back) == pytest.approx(440, abs=2)


def test_out_of_range_samples_are_clipped_not_wrapped() -> None:
    hot = Audio(np.array([1.5, -1.5, 0.25] * 1000, dtype=np.float32), RATE)
    for fmt in ("wav", "flac", "pcm"):
        back = decode(encode(hot, fmt), fmt, sample_rate=RATE)
        assert back.samples[0] > 0.99
        assert back.samples[1] < -0.99


def test_pcm_is_headerless_s16le(tone: Audio) -> None:
    data = encode(tone, "pcm")
    assert len(data) == 2 * len(tone.samples)
    assert np.frombuffer(data[:4], "<i2").tolist() == [0, round(tone.samples[1] * 32767)]
    assert encode(Audio(np.zeros(0, np.float32), RATE), "pcm") == b""
    with pytest.raises(UnsupportedFormat, match="sample_rate"):
        decode(data, "pcm")


def test_decode_needs_no_hint_for_self_describing_formats(tone: Audio) -> None:
    for fmt in sorted(FORMATS - {"pcm"}):
        assert abs(decode(encode(tone, fmt)).duration - 1.0) <= DURATION_BOUND_S


def test_unknown_formats_and_garbage_are_refused(tone: Audio) -> None:
    with pytest.raises(UnsupportedFormat, match="wma"):
        encode(tone, "wma")
    with pytest.raises(UnsupportedFormat):
        decode(b"this is not audio at all" * 20)
    with pytest.raises(UnsupportedFormat):
        decode(b"")
    with pytest.raises(ValueError, match="empty"):
        encode(Audio(np.zeros(0, np.float32), RATE), "mp3")
    with pytest.raises(ValueError, match="bitrate"):
        encode(tone, "mp3", bitrate_kbps=0)


def test_format_names_are_forgiving(tone: Audio) -> None:
    assert encode(tone, ".WAV")[:4] == b"RIFF"


def test_content_types_and_extensions_cover_every_format() -> None:
    assert set(CONTENT_TYPES) == set(FILE_EXTENSIONS) == set(FORMATS)
    assert CONTENT_TYPES["wav"] == "audio/wav"
    assert CONTENT_TYPES["mp3"] == "audio/mpeg"
    assert CONTENT_TYPES["aac"] == "audio/aac"
    assert all(ext == f".{fmt}" for fmt, ext in FILE_EXTENSIONS.items())


@pytest.mark.parametrize(
    ("rate", "channels", "kbps"),
    [(44_100, 2, 128), (48_000, 1, 64), (22_050, 1, 32), (24_000, 2, 96), (8_000, 1, 16)],
)
def test_mp3_is_gapless_in_both_decoders_at_every_mpeg_version(
    rate: int, channels: int, kbps: int
) -> None:
    from audiofn.codecs import _decode_pyav

    rng = np.random.default_rng(rate)
    frames = rate + 123
    shape = (frames, channels) if channels == 2 else (frames,)
    audio = Audio((0.2 * rng.standard_normal(shape)).astype(np.float32), rate)

    data = encode(audio, "mp3", bitrate_kbps=kbps)

    for back in (decode(data), _decode_pyav(data)):  # mpg123 (libsndfile) and FFmpeg
        assert back.sample_rate == rate and len(back.samples) == frames
        # ... and in place: the decoded noise lines up with the input
        flat_in, flat_out = audio.samples.reshape(frames, -1), back.samples.reshape(frames, -1)
        assert float(np.corrcoef(flat_in[:, 0], flat_out[:, 0])[0, 1]) > 0.7

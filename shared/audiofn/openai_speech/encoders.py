"""Incremental encoders: audio goes in piece by piece, container bytes come out as they are
ready, and the bytes of one stream, concatenated, are one valid file.

* ``pcm``: raw signed 16-bit little-endian mono, no header (OpenAI's ``pcm``).
* ``wav``: a 44-byte header whose RIFF and data sizes are 0xFFFFFFFF ("until the end of the
  stream", as streamed WAV from other services), then 16-bit PCM.
* ``mp3``, ``aac`` (ADTS) and ``opus`` (Ogg pages) through FFmpeg (PyAV) writing into a
  sink that is never seeked: MP3 frames, ADTS frames and Ogg pages are self-delimiting.
* ``flac`` is written whole, into a seekable buffer, and comes out at the end: a FLAC
  stream's header would have to say "length unknown", which the format allows but
  libsndfile (and so ``soundfile``) cannot read.

Samples are float32 mono in [-1, 1] at the encoder's input rate.
"""

from __future__ import annotations

import io
import struct
from typing import Any, Protocol

import av
import numpy as np

from audiofn.audio import Samples

_BITRATES = {"mp3": 128_000, "aac": 96_000, "opus": 48_000}
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# FFmpeg muxer and codec per response format.
_PYAV = {
    "mp3": ("mp3", "libmp3lame"),
    "aac": ("adts", "aac"),
    "flac": ("flac", "flac"),
    "opus": ("ogg", "libopus"),
}
# Ogg pages are closed at least every 100 ms (FFmpeg's default is 1 s), so a stream's
# pages leave as the audio is encoded.
_OGG_PAGE_MICROSECONDS = "100000"


class StreamEncoder(Protocol):
    sample_rate: int

    def encode(self, samples: Samples) -> bytes:
        """Bytes ready after this audio (may be empty: the codec buffers a frame)."""
        ...

    def finish(self) -> bytes:
        """The last bytes: what the codec still holds, and the container's end."""
        ...


def _pcm16(samples: Samples) -> bytes:
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype("<i2").tobytes()


def wav_stream_header(sample_rate: int, data_bytes: int = 0xFFFFFFFF) -> bytes:
    """A PCM 16-bit mono WAV header; the default sizes mean "to the end of the stream"."""
    riff = 0xFFFFFFFF if data_bytes == 0xFFFFFFFF else 36 + data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class PcmEncoder:
    def __init__(self, sample_rate: int, header: bytes = b"") -> None:
        self.sample_rate = sample_rate
        self._pending = header

    def encode(self, samples: Samples) -> bytes:
        out, self._pending = self._pending + _pcm16(samples), b""
        return out

    def finish(self) -> bytes:
        out, self._pending = self._pending, b""
        return out


class WavEncoder(PcmEncoder):
    def __init__(self, sample_rate: int) -> None:
        super().__init__(sample_rate, header=wav_stream_header(sample_rate))


class _Sink:
    """A write-only file for FFmpeg: no seek, so muxers write for streaming."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks = []
        return out


class PyAvEncoder:
    """One FFmpeg muxer and encoder kept open for the whole stream."""

    def __init__(self, fmt: str, sample_rate: int, *, whole: bool = False) -> None:
        muxer, codec = _PYAV[fmt]
        # Opus encodes at its own rates only: others (22.05, 44.1 kHz) go up to 48 kHz.
        rate = sample_rate if fmt != "opus" or sample_rate in _OPUS_RATES else 48_000
        self.sample_rate = sample_rate
        self._sink = _Sink()
        self._whole = io.BytesIO() if whole else None  # seekable: the muxer fixes its header
        options = {"page_duration": _OGG_PAGE_MICROSECONDS} if muxer == "ogg" else {}
        target = self._whole if self._whole is not None else self._sink
        self._container = av.open(target, mode="w", format=muxer, options=options)
        stream: Any = self._container.add_stream(codec, rate=rate, layout="mono")
        if fmt in _BITRATES:
            stream.bit_rate = _BITRATES[fmt]
        self._stream = stream
        self._pts = 0
        self._closed = False

    def encode(self, samples: Samples) -> bytes:
        if len(samples) == 0:
            return self._sink.take()
        planar = np.ascontiguousarray(np.asarray(samples, dtype=np.float32)[np.newaxis, :])
        frame = av.AudioFrame.from_ndarray(np.clip(planar, -1.0, 1.0), format="fltp", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._pts
        self._pts += planar.shape[1]
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        return self._sink.take()

    def finish(self) -> bytes:
        if not self._closed:
            self._closed = True
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
            if self._whole is not None:
                return self._whole.getvalue()
        return self._sink.take()

    def close(self) -> None:
        """Release FFmpeg's state without finishing (the client went away)."""
        if not self._closed:
            self._closed = True
            self._container.close()


def stream_encoder(fmt: str, sample_rate: int) -> StreamEncoder:
    """The encoder for an OpenAI ``response_format`` at an output rate."""
    if fmt == "pcm":
        return PcmEncoder(sample_rate)
    if fmt == "wav":
        return WavEncoder(sample_rate)
    if fmt in _PYAV:
        return PyAvEncoder(fmt, sample_rate, whole=fmt == "flac")
    raise ValueError(f"unknown response format {fmt!r}")

"""Decoding audio that callers upload, with bounded memory: the one home for it.

A compressed file can promise far more samples than its size suggests: 31 KB of FLAC (20 s,
8 channels, 192 kHz) decodes to 123 MB of float samples. So every upload (voice samples,
``/v1/audio/transcriptions``, media used as a background track) goes through here:

1. the header is read first, and the file is refused by its channels, sample rate and length
   (frames x channels x sample rate) before a single sample is decoded;
2. samples are then decoded a block at a time, counted as they come (a header may lie or say
   nothing), downmixed and resampled while streaming, so memory holds the result at the rate
   the caller wants and never the file at its own rate and width.

libsndfile reads first (WAV, FLAC, MP3, Ogg); FFmpeg (PyAV) reads what it cannot (AAC, M4A).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import av
import numpy as np
import soundfile as sf

from audiofn.audio import Audio
from audiofn.codecs import UnsupportedFormat

MAX_CHANNELS = 2
"""Channels an upload may have: speech and beds are mono or stereo."""
MAX_SAMPLE_RATE = 96_000
"""Highest sample rate an upload may have (studio masters; nothing here uses more)."""
BLOCK_FRAMES = 1 << 15
"""Frames decoded at a time (1 MB of float32 at the channel cap)."""
_UNKNOWN_FRAMES = 1 << 60  # libsndfile's answer when a header does not say


class AudioRefused(UnsupportedFormat):
    """The file is audio, but more of it (channels, rate, length) than an upload may be."""


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may hold; the refusals name these figures."""

    max_seconds: float
    max_channels: int = MAX_CHANNELS
    max_sample_rate: int = MAX_SAMPLE_RATE

    @property
    def max_decoded_bytes(self) -> int:
        """float32 bytes of the longest, widest file allowed, at its own rate."""
        return int(self.max_seconds * self.max_sample_rate) * self.max_channels * 4


@dataclass(frozen=True)
class AudioHeader:
    """What a file says about itself before any sample is decoded."""

    format: str
    """The container (and sample format where libsndfile reads it), e.g. ``FLAC PCM_16``."""
    sample_rate: int
    channels: int
    frames: int | None
    """Frames the header declares; None when it does not say."""
    declared_frames: int | None = None
    """Frames a WAV data chunk declares (a cut-off file has fewer), else None."""

    @property
    def decoded_bytes(self) -> int | None:
        return None if self.frames is None else self.frames * self.channels * 4


def check_header(header: AudioHeader, limits: UploadLimits) -> None:
    """Refuse a file by what its header declares, before decoding it."""
    if header.channels < 1 or header.sample_rate < 1:
        raise UnsupportedFormat("the file declares no channels or no sample rate")
    if header.channels > limits.max_channels:
        raise AudioRefused(
            f"the file has {header.channels} channels; uploads may have at most "
            f"{limits.max_channels}"
        )
    if header.sample_rate > limits.max_sample_rate:
        raise AudioRefused(
            f"the file's sample rate is {header.sample_rate} Hz; uploads may have at most "
            f"{limits.max_sample_rate} Hz"
        )
    if header.frames is not None and header.frames > limits.max_seconds * header.sample_rate:
        raise AudioRefused(_too_long(header.frames / header.sample_rate, limits))


def _too_long(seconds: float | None, limits: UploadLimits) -> str:
    said = f"{seconds:.1f} s" if seconds is not None else "more than that"
    return f"the file holds {said} of audio; uploads may be at most {limits.max_seconds:g} s"


# --- the two readers --------------------------------------------------------------------------


class _Reader:
    header: AudioHeader

    def blocks(self) -> Iterator[np.ndarray]:
        """float32 blocks shaped (frames, channels)."""
        raise NotImplementedError


class _SoundfileReader(_Reader):
    def __init__(self, file: sf.SoundFile, data: bytes) -> None:
        self.file = file
        frames = int(file.frames)
        self.header = AudioHeader(
            format=f"{file.format} {file.subtype}",
            sample_rate=int(file.samplerate),
            channels=int(file.channels),
            frames=frames if 0 < frames < _UNKNOWN_FRAMES else None,
            declared_frames=_wav_declared_frames(data),
        )

    def blocks(self) -> Iterator[np.ndarray]:
        yield from self.file.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True)


class _PyAVReader(_Reader):
    def __init__(self, container: av.container.InputContainer) -> None:
        if not container.streams.audio:
            raise UnsupportedFormat("no audio stream in the data")
        self.container = container
        self.stream = container.streams.audio[0]
        rate = int(self.stream.rate or 0)
        frames: int | None = None
        if self.stream.duration and self.stream.time_base:
            frames = math.ceil(self.stream.duration * self.stream.time_base * rate)
        elif container.duration:
            frames = math.ceil(container.duration / av.time_base * rate)
        self.header = AudioHeader(
            format=f"{container.format.name} {self.stream.codec_context.name}",
            sample_rate=rate,
            channels=int(self.stream.codec_context.channels or 0),
            frames=frames,
        )

    def blocks(self) -> Iterator[np.ndarray]:
        resampler = av.AudioResampler(format="flt")  # packed float32, same rate and layout
        for frame in self.container.decode(self.stream):
            for packed in resampler.resample(frame):
                yield packed.to_ndarray().reshape(-1, len(packed.layout.channels))
        for packed in resampler.resample(None):
            yield packed.to_ndarray().reshape(-1, len(packed.layout.channels))


@contextmanager
def open_upload(data: bytes, limits: UploadLimits) -> Iterator[_Reader]:
    """A reader whose header passed ``limits``; raises :class:`UnsupportedFormat` when the
    bytes are not audio and :class:`AudioRefused` when the header asks for too much."""
    if not data:
        raise UnsupportedFormat("no audio data")
    try:
        file = sf.SoundFile(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        file = None
    if file is not None:
        with file:
            reader: _Reader = _SoundfileReader(file, data)
            check_header(reader.header, limits)
            yield reader
        return
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except av.FFmpegError as error:
        raise UnsupportedFormat(f"could not decode audio: {error}") from error
    with container:
        reader = _PyAVReader(container)
        check_header(reader.header, limits)
        yield reader


def _counted(reader: _Reader, limits: UploadLimits) -> Iterator[np.ndarray]:
    """The reader's blocks, refusing once more frames come than the limit allows."""
    most = math.floor(limits.max_seconds * reader.header.sample_rate)
    frames = 0
    try:
        for block in reader.blocks():
            frames += len(block)
            if frames > most:
                raise AudioRefused(_too_long(None, limits))
            yield block
    except (av.FFmpegError, sf.LibsndfileError) as error:
        raise UnsupportedFormat(f"could not decode audio: {error}") from error


# --- what callers use -------------------------------------------------------------------------


def decode_upload(
    data: bytes,
    limits: UploadLimits,
    *,
    sample_rate: int | None = None,
    mono: bool = False,
) -> Audio:
    """Decode an upload within ``limits``; with ``mono`` and ``sample_rate`` the downmix and
    the resampling happen block by block, so memory holds only the result."""
    import soxr

    with open_upload(data, limits) as reader:
        rate = reader.header.sample_rate
        out_rate = sample_rate or rate
        stream: soxr.ResampleStream | None = None
        chunks: list[np.ndarray] = []
        width = 0
        for decoded in _counted(reader, limits):
            block = decoded
            if mono and block.shape[1] > 1:
                block = block.mean(axis=1, keepdims=True, dtype=np.float32)
            width = block.shape[1]
            if out_rate != rate:
                if stream is None:
                    stream = soxr.ResampleStream(rate, out_rate, width, dtype="float32")
                block = stream.resample_chunk(block)
            chunks.append(np.asarray(block, dtype=np.float32))
        if stream is not None:
            chunks.append(stream.resample_chunk(np.zeros((0, width), np.float32), last=True))
    if not chunks or not any(len(chunk) for chunk in chunks):
        raise UnsupportedFormat("the audio stream decoded to nothing")
    samples = np.concatenate(chunks)
    if samples.shape[1] == 1:
        samples = samples[:, 0].copy()
    return Audio(np.ascontiguousarray(samples, dtype=np.float32), out_rate)


@dataclass(frozen=True)
class AudioScan:
    """What decoding a file from start to end found, without keeping its samples."""

    format: str
    sample_rate: int
    channels: int
    frames: int
    """Frames decoded (stops counting past the limit's length)."""
    declared_frames: int | None
    """Frames the header promises, where it says (WAV): more than decoded means truncated."""
    peak: float
    rms: float
    finite: bool
    """False when a sample is NaN or infinite (float files written by broken tools)."""
    complete: bool
    """False when the scan stopped at the limit's length before the end."""

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def scan_upload(data: bytes, limits: UploadLimits) -> AudioScan:
    """Decode an upload a block at a time and measure it, keeping no samples. A file longer
    than the limit is not refused here: the scan stops there and says it is incomplete."""
    with open_upload(data, limits) as reader:
        header = reader.header
        most = math.floor(limits.max_seconds * header.sample_rate)
        frames, peak, squares, finite, complete = 0, 0.0, 0.0, True, True
        try:
            for decoded in reader.blocks():
                block = decoded
                if block.size:
                    if not np.isfinite(block).all():
                        finite = False
                        block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
                    peak = max(peak, float(np.max(np.abs(block))))
                    squares += float(np.square(block, dtype=np.float64).sum())
                frames += len(block)
                if frames > most:
                    complete = False
                    break
        except (av.FFmpegError, sf.LibsndfileError) as error:
            raise UnsupportedFormat(f"could not decode audio: {error}") from error
    return AudioScan(
        format=header.format,
        sample_rate=header.sample_rate,
        channels=header.channels,
        frames=frames,
        declared_frames=header.declared_frames,
        peak=peak,
        rms=math.sqrt(squares / max(1, frames * header.channels)),
        finite=finite,
        complete=complete,
    )


def _wav_declared_frames(data: bytes) -> int | None:
    """Frames a RIFF/WAVE header declares in its data chunk (None if it is not WAV).

    libsndfile quietly reads what is there when a WAV file is cut short; the header still
    says how long it was meant to be.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    position, block_align = 12, 0
    while position + 8 <= len(data):
        chunk, size = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        body = position + 8
        if chunk == b"fmt " and body + 14 <= len(data):
            block_align = int.from_bytes(data[body + 12 : body + 14], "little")
        elif chunk == b"data":
            return size // block_align if block_align else None
        position = body + size + (size & 1)
    return None

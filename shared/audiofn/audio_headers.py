"""Durations read from file headers in pure Python (the API function imports no audio code)."""

from __future__ import annotations

import io
import wave

_MP3_BITRATES = {  # MPEG-1 and MPEG-2/2.5 Layer III, kbps by index
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def wav_duration(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data)) as reader:
            return reader.getnframes() / float(reader.getframerate())
    except (wave.Error, EOFError):
        return None


def mp3_duration(data: bytes) -> float | None:
    """Sum of Layer III frame durations (works for CBR and VBR)."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = 0
        for byte in data[6:10]:
            size = (size << 7) | (byte & 0x7F)
        pos = 10 + size
    seconds = 0.0
    frames = 0
    while pos + 4 <= len(data):
        header = int.from_bytes(data[pos : pos + 4], "big")
        if header >> 21 != 0x7FF:
            pos += 1
            continue
        version = (header >> 19) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
        layer = (header >> 17) & 3
        bitrate_index = (header >> 12) & 0xF
        rate_index = (header >> 10) & 3
        if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
            pos += 1
            continue
        bitrate = _MP3_BITRATES[1 if version == 3 else 2][bitrate_index] * 1000
        rate = _MP3_RATES[version][rate_index]
        padding = (header >> 9) & 1
        samples = 1152 if version == 3 else 576
        length = samples // 8 * bitrate // rate + padding
        seconds += samples / rate
        frames += 1
        pos += max(length, 1)
    return seconds if frames else None


def duration_of(data: bytes, fmt: str) -> float | None:
    if fmt == "wav":
        return wav_duration(data)
    if fmt == "mp3":
        return mp3_duration(data)
    return None

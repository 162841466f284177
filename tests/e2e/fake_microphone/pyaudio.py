"""A stand-in for PyAudio's capture stream that plays a WAV file, for the realtime example.

Reads block for the chunk's duration, as a microphone does. After the file come
``FAKE_MIC_TAIL_SECONDS`` of silence (a quiet room), then the device fails, as a unplugged
microphone does: the example's sender thread ends and the client falls idle.
"""

import os
import time
import wave

paInt16 = 8  # PyAudio's constant


class _Stream:
    def __init__(self, path: str, rate: int):
        with wave.open(path, "rb") as wav:
            assert wav.getframerate() == rate, "the WAV file must match the example's rate"
            assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
            self._data = wav.readframes(wav.getnframes())
        self._rate = rate
        self._position = 0
        self._tail = int(float(os.environ.get("FAKE_MIC_TAIL_SECONDS", "2")) * rate) * 2
        self._next = time.monotonic()

    def read(self, frames: int) -> bytes:
        size = frames * 2
        if self._position >= len(self._data) + self._tail:
            raise OSError("microphone disconnected")
        chunk = self._data[self._position : self._position + size]
        chunk += b"\x00" * (size - len(chunk))
        self._position += size
        self._next += frames / self._rate
        time.sleep(max(0.0, self._next - time.monotonic()))
        return chunk


class PyAudio:
    def open(self, format, channels, rate, input, frames_per_buffer):
        assert format == paInt16 and channels == 1 and input
        return _Stream(os.environ["FAKE_MIC_WAV"], rate)

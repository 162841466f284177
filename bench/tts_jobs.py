"""python -m bench.tts_jobs: what the TTS job function does with a long text, on one core.

For a text of about 10,000 characters (the 120-word paragraph repeated, in paragraphs), per
voice: chunking, speaking the chunks, joining and MP3 encoding; the audio length, real-time
factor, MP3 size and peak memory.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

PARAGRAPH = (Path(__file__).parent / "texts" / "paragraph-120.txt").read_text().strip()
REPEATS = 15
VOICES = ("joe", "espeak-en-us-male")


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from audiofn.codecs import encode
    from audiofn.dsp.effects import ensure_headroom
    from audiofn.text.chunks import split_into_chunks
    from audiofn.tts.catalogue import resolve_voice
    from audiofn.tts.registry import EngineSettings, synthesize
    from audiofn.workers.tts_job import MP3_BITRATE_KBPS, speak_chunks

    text = "\n\n".join([PARAGRAPH] * REPEATS)
    settings = EngineSettings()
    started = time.perf_counter()
    chunks = split_into_chunks(text)
    chunk_ms = (time.perf_counter() - started) * 1000
    print(f"text: {len(text)} characters, {len(chunks)} chunks (split in {chunk_ms:.1f} ms)")
    for name in VOICES:
        voice = resolve_voice(name, polly_enabled=False, upstream_enabled=False)
        synthesize("Warm up.", voice, 1.0, settings)
        started = time.perf_counter()
        audio = speak_chunks(chunks, voice, settings)
        spoken = time.perf_counter() - started
        mp3 = encode(ensure_headroom(audio), "mp3", bitrate_kbps=MP3_BITRATE_KBPS)
        total = time.perf_counter() - started
        print(
            f"{name:>18}: {audio.duration / 60:5.1f} min of speech in {total:6.2f} s "
            f"({audio.duration / total:5.1f}x real time; speaking {spoken:.2f} s, "
            f"encoding {total - spoken:.2f} s), MP3 {len(mp3) / 1e6:.2f} MB"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()

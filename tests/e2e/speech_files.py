"""WAV files of our own speech (Piper, the default voice) for the speech-to-text tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "intelligibility-en.txt"
REALTIME_LINES = (5, 7, 8, 11, 12)  # corpus lines (1-based): everyday sentences, ~20 s


def corpus_sentences(lines: tuple[int, ...] = REALTIME_LINES) -> list[str]:
    sentences = [line.strip() for line in CORPUS.read_text().splitlines() if line.strip()]
    return [sentences[n - 1] for n in lines]


def speak_to_wav(sentences: list[str], path: Path, gap_seconds: float = 0.8) -> Path:
    """16 kHz mono 16-bit WAV: each sentence, then a pause (a speaker drawing breath)."""
    from audiofn.audio import Audio
    from audiofn.codecs import encode
    from audiofn.dsp.effects import resample, to_mono
    from audiofn.tts.catalogue import DEFAULT_VOICE_ID, resolve_voice
    from audiofn.tts.registry import EngineSettings, synthesize

    voice = resolve_voice(DEFAULT_VOICE_ID, polly_enabled=False, upstream_enabled=False)
    parts = [np.zeros(8000, np.float32)]
    for sentence in sentences:
        audio = resample(to_mono(synthesize(sentence, voice, 1.0, EngineSettings())), 16000)
        parts += [audio.samples, np.zeros(int(gap_seconds * 16000), np.float32)]
    path.write_bytes(encode(Audio(np.concatenate(parts), 16000), "wav"))
    return path

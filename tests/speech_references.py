"""Natural speech from Debian's packages, for speaker-similarity checks and the benchmark.

`make test` and `make bench` unpack them into .cache/speech-references (ops/speech-references.sh):
alsa-utils' nine channel announcements (one woman, "Front Center", "Noise", ...; 48 kHz) and
asterisk-core-sounds-en-g722's prompts (Allison Smith; 16 kHz G.722).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from audiofn.audio import Audio

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = ROOT / ".cache" / "speech-references"
GAP_SECONDS = 0.35


def _folder(name: str) -> Path:
    folder = REFERENCES / name
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder} is missing: run `ops/speech-references.sh {REFERENCES}` (make test does)"
        )
    return folder


@cache
def alsa_words() -> tuple[Audio, ...]:
    """The nine alsa-utils announcements, one recording each."""
    import soundfile as sf

    recordings = []
    for path in sorted(_folder("alsa").glob("*.wav")):
        samples, rate = sf.read(path, dtype="float32")
        recordings.append(Audio(samples, rate))
    return tuple(recordings)


def joined(recordings: tuple[Audio, ...] | list[Audio], gap: float = GAP_SECONDS) -> Audio:
    """Recordings of one rate, one after another with a short pause between them."""
    rate = recordings[0].sample_rate
    pause = np.zeros(int(gap * rate), np.float32)
    pieces = [piece for audio in recordings for piece in (audio.samples, pause)]
    return Audio(np.concatenate(pieces[:-1]).astype(np.float32), rate)


@cache
def allison_prompts(count: int = 24) -> tuple[Audio, ...]:
    """The first `count` Asterisk prompts of at least 2 s (Allison Smith, 16 kHz)."""
    import av

    recordings = []
    for path in sorted(_folder("allison").glob("*.g722")):
        with av.open(str(path), format="g722") as container:
            frames = [frame.to_ndarray() for frame in container.decode(audio=0)]
        samples = np.concatenate(frames, axis=-1).ravel().astype(np.float32) / 32768.0
        if len(samples) >= 2 * 16_000:
            recordings.append(Audio(samples, 16_000))
        if len(recordings) == count:
            break
    return tuple(recordings)

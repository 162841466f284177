"""Amazon Polly: managed voices, asked for raw 16 kHz PCM so no decoder is needed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np

from audiofn.audio import Audio
from audiofn.storage.polly import PollyRefused, PollyUnavailable, synthesize_speech
from audiofn.text.sentences import split_sentences
from audiofn.tts.base import EngineUnavailable, SynthesisError

if TYPE_CHECKING:
    from audiofn.tts.catalogue import Voice

SAMPLE_RATE = 16000
"""The highest rate Polly offers for PCM output."""
MAX_CHARS = 2500
"""Polly bills and accepts at most 3000 characters of text per call; stay under it."""
MIN_RATE, MAX_RATE = 20, 200
"""The prosody rates (in %) that Polly accepts."""


def split_text(text: str, limit: int = MAX_CHARS) -> Iterator[str]:
    """Cut text into pieces of at most ``limit`` characters: at sentence ends where possible,
    inside an over-long sentence at spaces, inside an over-long word anywhere."""
    units: list[str] = []
    for sentence in split_sentences(text.strip()):
        if len(sentence) <= limit:
            units.append(sentence)
            continue
        for word in sentence.split():
            units.extend(word[i : i + limit] for i in range(0, len(word), limit))
    piece = ""
    for unit in units:
        if piece and len(piece) + 1 + len(unit) > limit:
            yield piece
            piece = unit
        else:
            piece = f"{piece} {unit}" if piece else unit
    if piece:
        yield piece


class PollyEngine:
    """Speaks catalogue voices whose ``engine_voice`` is a Polly VoiceId."""

    provider = "polly"

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._client = client_factory()  # boto3 clients are thread-safe: one per engine

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        """Speak text; a speed other than 1.0 becomes an SSML prosody rate (20 %..200 %)."""
        if speed <= 0:
            raise SynthesisError(f"speed must be positive, got {speed}")
        rate = round(min(max(speed * 100, MIN_RATE), MAX_RATE))
        pieces = []
        for piece in split_text(text):
            if rate != 100:
                ssml = f'<speak><prosody rate="{rate}%">{escape(piece)}</prosody></speak>'
                pieces.append(self._call(ssml, "ssml", voice))
            else:
                pieces.append(self._call(piece, "text", voice))
        return _pcm_audio(b"".join(pieces))

    def synthesize_ssml(self, documents: Iterable[str], voice: Voice) -> Audio:
        """Speak SSML documents one after another (each within Polly's size limit)."""
        return _pcm_audio(b"".join(self._call(ssml, "ssml", voice) for ssml in documents))

    def _call(self, text: str, text_type: str, voice: Voice) -> bytes:
        request: dict[str, str] = {
            "Text": text,
            "TextType": text_type,
            "VoiceId": voice.engine_voice,
            "OutputFormat": "pcm",
            "SampleRate": str(SAMPLE_RATE),
            "Engine": "neural" if voice.neural else "standard",
        }
        try:
            return synthesize_speech(self._client, request)
        except PollyUnavailable as error:
            raise EngineUnavailable(str(error)) from error
        except PollyRefused as error:
            raise SynthesisError(str(error)) from error


def _pcm_audio(pcm: bytes) -> Audio:
    """Polly's 16-bit little-endian PCM as float samples."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
    return Audio(samples=samples.astype(np.float32) / 32768.0, sample_rate=SAMPLE_RATE)

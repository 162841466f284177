"""The one interface every TTS engine implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.tts.catalogue import Voice


class SynthesisError(Exception):
    """The engine could not synthesise this text (permanent: retrying will not help)."""


class EngineUnavailable(Exception):
    """The engine is not configured or its upstream is unreachable (may be transient)."""


class TTSEngine(Protocol):
    provider: str

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        """Speak plain text with the voice; speed 1.0 is normal, 2.0 twice as fast (same pitch)."""
        ...

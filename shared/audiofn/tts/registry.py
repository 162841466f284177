"""One engine per provider per process, built on first use.

Engines load models or open connection pools when built, so a warm Lambda reuses them; the
engine modules are imported only here, inside functions, so importing this module stays light.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audiofn.tts.base import EngineUnavailable

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.config import CommonSettings
    from audiofn.tts.base import TTSEngine
    from audiofn.tts.catalogue import Voice


@dataclass(frozen=True)
class EngineSettings:
    """What the deployment offers beyond the always-available local engines."""

    polly_enabled: bool = False
    upstream_url: str = ""
    upstream_api_key: str = ""
    aws_region: str = "us-east-1"

    @property
    def upstream_enabled(self) -> bool:
        return bool(self.upstream_url)


def engine_settings_from(settings: CommonSettings) -> EngineSettings:
    """The engines a deployment offers, read from its settings: the one place this is built.

    The upstream server's key comes from its SSM parameter when one is named."""
    from audiofn.storage.secrets import upstream_tts_api_key

    return EngineSettings(
        polly_enabled=settings.polly_enabled,
        upstream_url=settings.upstream_tts_url,
        upstream_api_key=upstream_tts_api_key(settings),
        aws_region=settings.aws_region,
    )


_engines: dict[tuple[str, ...], TTSEngine] = {}
_lock = threading.Lock()


def _key(provider: str, settings: EngineSettings) -> tuple[str, ...]:
    """Settings that change what an engine talks to are part of its identity."""
    if provider == "polly":
        return (provider, settings.aws_region)
    if provider == "openai":
        return (provider, settings.upstream_url, settings.upstream_api_key)
    if provider == "custom":  # speaks through the other engines, so all settings matter
        return (provider, repr(settings))
    return (provider,)


def _build(provider: str, settings: EngineSettings) -> TTSEngine:
    # Engine imports stay inside: each pulls in heavy libraries the caller may not need.
    if provider == "piper":
        from audiofn.tts.piper_engine import PiperEngine

        return PiperEngine()
    if provider == "kokoro":
        from audiofn.tts.kokoro_engine import KokoroEngine

        return KokoroEngine()
    if provider == "espeak":
        from audiofn.tts.espeak_engine import EspeakEngine

        return EspeakEngine()
    if provider == "polly":
        if not settings.polly_enabled:
            raise EngineUnavailable("Amazon Polly is not enabled on this deployment")
        from audiofn.storage.polly import polly_client
        from audiofn.tts.polly_engine import PollyEngine

        return PollyEngine(lambda: polly_client(settings.aws_region))
    if provider == "openai":
        if not settings.upstream_enabled:
            raise EngineUnavailable("no OpenAI-compatible speech upstream is configured")
        from audiofn.tts.openai_engine import OpenAICompatibleEngine

        return OpenAICompatibleEngine(settings.upstream_url, settings.upstream_api_key or None)
    if provider == "custom":
        from audiofn.tts.custom_voice import CustomVoiceEngine

        return CustomVoiceEngine(settings)
    raise ValueError(f"unknown TTS provider: {provider!r}")


def get_engine(provider: str, settings: EngineSettings) -> TTSEngine:
    """The process's engine for a provider, built (once, even under concurrency) on first use."""
    key = _key(provider, settings)
    engine = _engines.get(key)
    if engine is None:
        with _lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = _build(provider, settings)
    return engine


def synthesize(text: str, voice: Voice, speed: float, settings: EngineSettings) -> Audio:
    """Speak text with the engine that serves the voice's provider."""
    return get_engine(voice.provider, settings).synthesize(text, voice, speed)

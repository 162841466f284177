"""Which of our voices speaks a request: our voice ids, OpenAI's voice names, and a language.

OpenAI's eleven names are spoken by the Kokoro voice of the same name where one exists
(``nova`` by ``af_nova``) and by a Kokoro voice of the same gender and accent otherwise
(:data:`audiofn.tts.voice_names.OPENAI_TO_KOKORO`, the one home of name mapping). When an
OpenAI-compatible upstream is configured, the names it serves (alloy, echo, fable, onyx,
nova, shimmer) go to it instead. Any other name is resolved as everywhere else
(:func:`audiofn.tts.catalogue.resolve_voice`: our ids, blends, Polly and Azure-style names).

``speech_synthesis_language`` ("en-US", "tr-TR") asks for a voice of that language: when the
voice asked for speaks another language, a voice of the asked language with the same gender
speaks instead (neural first, then eSpeak NG).
"""

from __future__ import annotations

from audiofn.errors import InvalidInput
from audiofn.tts.catalogue import InvalidBlend, UnknownVoice, Voice, list_voices, resolve_voice
from audiofn.tts.voice_names import OPENAI_TO_KOKORO

OPENAI_VOICES: dict[str, str] = OPENAI_TO_KOKORO
"""OpenAI voice name -> our voice id (documented in the README)."""


def speech_voice(
    name: str, language: str | None, *, polly_enabled: bool, upstream_enabled: bool
) -> Voice:
    """The voice that speaks for ``voice`` and ``speech_synthesis_language``."""
    wanted = name.strip()
    try:
        voice = resolve_voice(
            wanted, polly_enabled=polly_enabled, upstream_enabled=upstream_enabled
        )
        if voice.provider != "openai" and wanted.casefold() in OPENAI_VOICES:
            voice = resolve_voice(
                OPENAI_VOICES[wanted.casefold()],
                polly_enabled=polly_enabled,
                upstream_enabled=upstream_enabled,
            )
    except InvalidBlend as exc:
        raise InvalidInput(f"voice: {exc}", field="voice") from exc
    except UnknownVoice as exc:
        if wanted.casefold() not in OPENAI_VOICES:
            raise InvalidInput(
                f"voice: unknown voice {name!r}; GET /v1/audio/voices lists the voices",
                field="voice",
            ) from exc
        voice = resolve_voice(
            OPENAI_VOICES[wanted.casefold()],
            polly_enabled=polly_enabled,
            upstream_enabled=upstream_enabled,
        )
    if language and not _speaks(voice, language):
        voice = _voice_for_language(
            voice, language, polly_enabled=polly_enabled, upstream_enabled=upstream_enabled
        )
    return voice


def _speaks(voice: Voice, language: str) -> bool:
    code = language.replace("_", "-").casefold()
    subtag = code.split("-", 1)[0]
    return voice.language_code.casefold() == code or voice.language_subtag == subtag


def _voice_for_language(
    voice: Voice, language: str, *, polly_enabled: bool, upstream_enabled: bool
) -> Voice:
    try:
        candidates = list_voices(
            polly_enabled=polly_enabled, upstream_enabled=upstream_enabled, language=language
        )
    except ValueError:
        candidates = []
    code = language.replace("_", "-").casefold()
    local = [v for v in candidates if v.provider in ("piper", "kokoro", "espeak")] or candidates

    def preference(candidate: Voice) -> tuple[bool, bool, bool, bool]:
        return (
            not candidate.neural,
            candidate.gender != voice.gender,
            candidate.language_code.casefold() != code,
            candidate.age_bracket != "adult",
        )

    if not local:
        raise InvalidInput(
            f"speech_synthesis_language: no voice speaks {language!r} here; "
            "GET /v1/audio/voices lists the languages",
            field="speech_synthesis_language",
        )
    return min(local, key=preference)


def voice_listing(*, polly_enabled: bool, upstream_enabled: bool) -> list[dict[str, object]]:
    """``GET /v1/audio/voices``: our voices, then OpenAI's names with the voice each maps to."""
    ours: list[dict[str, object]] = [
        {
            "id": voice.id,
            "name": voice.id,
            "provider": voice.provider,
            "language": voice.language_code,
            "gender": voice.gender,
            "neural": voice.neural,
            "description": voice.description,
        }
        for voice in list_voices(polly_enabled=polly_enabled, upstream_enabled=upstream_enabled)
    ]
    known = {str(item["id"]).casefold() for item in ours}
    aliases: list[dict[str, object]] = []
    for name in OPENAI_VOICES:
        if name in known:
            continue
        target = speech_voice(
            name, None, polly_enabled=polly_enabled, upstream_enabled=upstream_enabled
        )
        aliases.append(
            {
                "id": name,
                "name": name,
                "provider": target.provider,
                "language": target.language_code,
                "gender": target.gender,
                "neural": target.neural,
                "description": f"OpenAI voice name, spoken by our voice {target.id!r}.",
                "maps_to": target.id,
            }
        )
    return ours + aliases

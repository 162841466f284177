"""Which languages custom voices can be searched in: those of the catalogue's Kokoro voices.

Pure Python (the API function resolves custom voices and imports no numpy).
"""

from __future__ import annotations

from audiofn.tts.catalogue import VOICES, Voice


class LanguageNotCovered(ValueError):
    """Kokoro has no voices of this language (the caller falls back to another method)."""


def kokoro_catalogue() -> list[Voice]:
    """The catalogue's Kokoro voices that custom voices start from (no character voices)."""
    return [v for v in VOICES if v.provider == "kokoro" and v.age_bracket == "adult"]


def kokoro_language(language: str) -> str | None:
    """The language's subtag ('en' for 'en-GB') if Kokoro speaks it, else None."""
    subtag = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return subtag if any(v.language_subtag == subtag for v in kokoro_catalogue()) else None


def language_voice(language: str) -> Voice:
    """The catalogue's first Kokoro voice of this language code, else of its language."""
    code = language.strip().lower().replace("_", "-")
    voices = kokoro_catalogue()
    for voice in voices:
        if voice.language_code.lower() == code:
            return voice
    for voice in voices:
        if voice.language_subtag == code.split("-", 1)[0]:
            return voice
    raise LanguageNotCovered(f"Kokoro has no voices for language '{language}'")

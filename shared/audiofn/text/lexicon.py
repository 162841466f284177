"""Pronunciation dictionaries ("Lexi"): word -> replacement text or IPA, applied before synthesis.

Pure functions over pydantic models; storage and the ``/diction`` API live elsewhere.

An entry applies to a voice when its language is the voice's (``en-US`` matches ``en-US``;
``en`` matches every English voice; ``*`` matches every voice) and its specialisation is
``default``, the voice's id (or an alias) or the voice's provider. When several entries
for one word apply, the most specific wins: voice > provider > exact language (``en-US``) >
language (``en``) > any language; at equal rank the later entry wins (so an organisation's
own dictionary, listed after the built-in ones, overrides them). Words match
case-insensitively on word boundaries; longer entries ("New York") win over shorter ones
they contain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from audiofn.text.ssml import Document, Phoneme, Segment, Text, validate_ipa

__all__ = [
    "ANY_LANGUAGE",
    "DEFAULT_SPECIALIZATION",
    "Lexicon",
    "LexiconEntry",
    "ResolvedLexicon",
    "VoiceLike",
    "apply_lexicon",
    "apply_lexicon_to_text",
]

ANY_LANGUAGE = "*"
DEFAULT_SPECIALIZATION = "default"
MAX_WORD_CHARS = 100
MAX_REPLACEMENT_CHARS = 500


class VoiceLike(Protocol):
    """What a dictionary needs to know about a voice (the catalogue's Voice has it)."""

    @property
    def id(self) -> str: ...

    @property
    def provider(self) -> str: ...

    @property
    def language_code(self) -> str: ...


class LexiconEntry(BaseModel):
    """One dictionary word. ``kind`` "text" replaces the word with other words (a respelling,
    an expansion); "ipa" gives its pronunciation. The API's ``contentType`` "basic" is "text"."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    word: str = Field(min_length=1, max_length=MAX_WORD_CHARS)
    replacement: str = Field(min_length=1, max_length=MAX_REPLACEMENT_CHARS)
    kind: Literal["text", "ipa"] = "text"
    language: str = Field(default=ANY_LANGUAGE, min_length=1, max_length=35)
    specialization: str = Field(default=DEFAULT_SPECIALIZATION, min_length=1, max_length=100)

    @field_validator("word")
    @classmethod
    def _word_has_a_letter_or_digit(cls, word: str) -> str:
        if not re.search(r"\w", word) or re.search(r"[<>&\x00-\x1f]", word):
            raise ValueError("a dictionary word needs letters or digits and no markup")
        return re.sub(r"\s+", " ", word)

    @field_validator("language")
    @classmethod
    def _language_tag(cls, language: str) -> str:
        if language == ANY_LANGUAGE:
            return language
        if not re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*", language):
            raise ValueError(f"'{language}' is not a language code like 'en' or 'en-GB'")
        return language.replace("_", "-")

    @model_validator(mode="after")
    def _check_replacement(self) -> LexiconEntry:
        if self.kind == "ipa":
            object.__setattr__(self, "replacement", validate_ipa(self.replacement))
        elif re.search(r"[<>\x00-\x1f]", self.replacement):
            raise ValueError("a text replacement cannot contain markup")
        return self

    @classmethod
    def from_api(
        cls,
        word: str,
        replacement: str,
        lang: str | None = None,
        specialization: str | None = None,
        content_type: str | None = "basic",
    ) -> LexiconEntry:
        """Build from the SDK's ``register_custom_word`` fields (``contentType`` basic|ipa)."""
        kind: Literal["text", "ipa"] = "ipa" if (content_type or "").lower() == "ipa" else "text"
        return cls(
            word=word,
            replacement=replacement,
            kind=kind,
            language=lang or ANY_LANGUAGE,
            specialization=specialization or DEFAULT_SPECIALIZATION,
        )

    def rank(self, voice: VoiceLike) -> int:
        """How specifically this entry targets the voice; 0: it does not apply."""
        code = voice.language_code.replace("_", "-").lower()
        language = self.language.lower()
        if language == ANY_LANGUAGE:
            language_rank = 1
        elif language == code:
            language_rank = 3
        elif language == code.split("-", 1)[0]:
            language_rank = 2
        else:
            return 0
        special = self.specialization.lower()
        if special == DEFAULT_SPECIALIZATION:
            return language_rank
        names = {voice.id.lower(), *(alias.lower() for alias in getattr(voice, "aliases", ()))}
        if special in names:
            return 20 + language_rank
        if special == voice.provider.lower():
            return 10 + language_rank
        return 0


@dataclass(frozen=True)
class ResolvedLexicon:
    """The entries that apply to one voice, one per word (lower-cased)."""

    entries: dict[str, LexiconEntry]
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = sorted(self.entries, key=len, reverse=True)
        pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(_word_pattern(word) for word in words) + r")(?!\w)",
                re.IGNORECASE,
            )
            if words
            else None
        )
        object.__setattr__(self, "_pattern", pattern)

    def lookup(self, word: str) -> LexiconEntry | None:
        return self.entries.get(_key(word))

    def split(self, text: str) -> list[tuple[str, LexiconEntry | None]]:
        """The text cut into stretches: (matched word, its entry) or (other text, None)."""
        pattern = self._pattern
        if pattern is None or not text:
            return [(text, None)] if text else []
        pieces: list[tuple[str, LexiconEntry | None]] = []
        position = 0
        for match in pattern.finditer(text):
            if match.start() > position:
                pieces.append((text[position : match.start()], None))
            pieces.append((match.group(0), self.entries[_key(match.group(0))]))
            position = match.end()
        if position < len(text):
            pieces.append((text[position:], None))
        return pieces


def _key(word: str) -> str:
    return re.sub(r"\s+", " ", word.strip()).casefold()


def _word_pattern(word: str) -> str:
    return r"\s+".join(re.escape(part) for part in word.split(" "))


class Lexicon:
    """An ordered set of dictionaries (each a sequence of entries; later ones override)."""

    def __init__(self, *dictionaries: Iterable[LexiconEntry]) -> None:
        self.entries: tuple[LexiconEntry, ...] = tuple(
            entry for dictionary in dictionaries for entry in dictionary
        )

    def __bool__(self) -> bool:
        return bool(self.entries)

    def for_voice(self, voice: VoiceLike) -> ResolvedLexicon:
        """Pick, for every word, the entry that applies most specifically to the voice."""
        chosen: dict[str, tuple[int, LexiconEntry]] = {}
        for entry in self.entries:
            rank = entry.rank(voice)
            if rank == 0:
                continue
            key = _key(entry.word)
            known = chosen.get(key)
            if known is None or rank >= known[0]:
                chosen[key] = (rank, entry)
        return ResolvedLexicon({key: entry for key, (_, entry) in chosen.items()})


def apply_lexicon_to_text(text: str, resolved: ResolvedLexicon) -> str:
    """Plain-text form: text entries replaced, IPA entries left as the word (see
    :func:`apply_lexicon` for the form that keeps pronunciations)."""
    return "".join(
        entry.replacement if entry is not None and entry.kind == "text" else piece
        for piece, entry in resolved.split(text)
    )


def apply_lexicon(document: Document, resolved: ResolvedLexicon) -> Document:
    """Replace dictionary words in the document's text: a text entry becomes (verbatim) text
    that remembers the written word, an IPA entry a :class:`Phoneme`. Text that is already
    resolved (say-as output, earlier replacements) and phonemes are left alone."""
    if not resolved.entries:
        return document
    segments: list[Segment] = []
    for segment in document.segments:
        if not isinstance(segment, Text) or segment.verbatim:
            segments.append(segment)
            continue
        for piece, entry in resolved.split(segment.text):
            if entry is None:
                segments.append(replace(segment, text=piece))
            elif entry.kind == "ipa":
                segments.append(Phoneme(entry.replacement, piece, segment.style))
            else:
                segments.append(
                    Text(entry.replacement, segment.style, written=piece, verbatim=True)
                )
    return replace(document, segments=tuple(segments))


def merge_dictionaries(dictionaries: Sequence[Sequence[LexiconEntry]]) -> Lexicon:
    """Convenience: ``Lexicon(*dictionaries)``."""
    return Lexicon(*dictionaries)

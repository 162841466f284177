"""An organisation's pronunciation dictionaries (api.audio "Lexi")."""

from __future__ import annotations

from pydantic import ValidationError

from audiofn.errors import InvalidInput, NotFound
from audiofn.services.context import Services
from audiofn.text.lexicon import DEFAULT_SPECIALIZATION, LexiconEntry

# The protocol's contentType: "basic" replaces the word with other words, "ipa" gives IPA.
CONTENT_TYPES = {"basic": "text", "text": "text", "ipa": "ipa"}


def entry_from_request(
    word: object, replacement: object, lang: object, specialization: object, content_type: object
) -> LexiconEntry:
    kind = CONTENT_TYPES.get(str(content_type or "basic").lower())
    if kind is None:
        raise InvalidInput(
            f"contentType must be one of: {', '.join(CONTENT_TYPES)}", field="contentType"
        )
    try:
        return LexiconEntry(
            word=word,
            replacement=replacement,
            kind=kind,
            language=lang or "*",
            specialization=specialization or DEFAULT_SPECIALIZATION,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        # Checks of the whole entry (markup, IPA) are about the replacement.
        name = str(error["loc"][0]) if error["loc"] else "replacement"
        field = {"language": "lang"}.get(name, name)
        raise InvalidInput(f"{field}: {error['msg']}", field=field) from exc


def register_word(services: Services, org_id: str, entry: LexiconEntry) -> LexiconEntry:
    services.table.put_lexicon_entry(org_id, entry.model_dump())
    return entry


def org_lexicon(services: Services, org_id: str) -> list[LexiconEntry]:
    return [
        LexiconEntry.model_validate(item)
        for item in services.table.list_lexicon_entries(org_id)
        if "word" in item
    ]


def list_words(
    services: Services, org_id: str, lang: str | None, specialization: str | None
) -> list[LexiconEntry]:
    return [
        entry
        for entry in org_lexicon(services, org_id)
        if (lang is None or entry.language == lang)
        and (specialization is None or entry.specialization == specialization)
    ]


def delete_word(
    services: Services,
    org_id: str,
    word: str | None,
    lang: str | None,
    specialization: str | None,
) -> None:
    if not word:
        raise InvalidInput("word is required", field="word")
    key = {
        "word": word.strip(),
        "language": lang or "*",
        "specialization": specialization or DEFAULT_SPECIALIZATION,
    }
    if not services.table.delete_lexicon_entry(org_id, key):
        raise NotFound(
            f"'{word}' is not in the dictionary {key['language']}/{key['specialization']}",
            field="word",
        )


def to_api(entry: LexiconEntry) -> dict[str, str]:
    return {
        "word": entry.word,
        "replacement": entry.replacement,
        "lang": entry.language,
        "specialization": entry.specialization,
        "contentType": "ipa" if entry.kind == "ipa" else "basic",
    }

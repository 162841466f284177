"""Pronunciation dictionaries: the 0.17.1 SDK's `Lexi` calls.

The dictionary service is imported in each route: it loads the SSML and normalisation
modules (num2words, xml), about 100 ms the other routes should not pay at cold start.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn.api.deps import org_id, query, services

router = Router()


@router.put("/diction/custom/item")
def register_custom_word() -> dict[str, Any]:
    from audiofn.services import dictionaries

    body = router.current_event.json_body or {}
    entry = dictionaries.entry_from_request(
        body.get("word"),
        body.get("replacement"),
        body.get("lang"),
        body.get("specialization"),
        body.get("contentType"),
    )
    dictionaries.register_word(services(), org_id(router), entry)
    return {"message": "word registered", "entry": dictionaries.to_api(entry)}


@router.get("/diction/custom/item")
def list_custom_words() -> list[dict[str, str]]:
    from audiofn.services import dictionaries

    params = query(router)
    entries = dictionaries.list_words(
        services(), org_id(router), params.get("lang"), params.get("specialization")
    )
    return [dictionaries.to_api(entry) for entry in entries]


@router.delete("/diction/custom/item")
def delete_custom_word() -> dict[str, str]:
    from audiofn.services import dictionaries

    params = query(router)
    dictionaries.delete_word(
        services(),
        org_id(router),
        params.get("word"),
        params.get("lang"),
        params.get("specialization"),
    )
    return {"message": "word deleted", "word": params.get("word", "")}


@router.get("/diction/custom")
def list_custom_dicts() -> list[dict[str, object]]:
    from audiofn.services import dictionaries

    entries = dictionaries.org_lexicon(services(), org_id(router))
    counts: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (entry.language, entry.specialization)
        counts[key] = counts.get(key, 0) + 1
    return [
        {"lang": lang, "specialization": spec, "words": count}
        for (lang, spec), count in sorted(counts.items())
    ]


@router.get("/diction")
def list_dictionaries() -> list[dict[str, object]]:
    """Built-in dictionaries: each engine's own lexicon, plus the organisation's."""
    return [
        {
            "name": "espeak-ng",
            "description": "eSpeak NG's pronunciation rules and dictionaries "
            "(used by Piper and eSpeak voices)",
            "languages": "per voice",
            "editable": False,
        },
        {
            "name": "custom",
            "description": "this organisation's words (PUT /diction/custom/item)",
            "editable": True,
        },
    ]

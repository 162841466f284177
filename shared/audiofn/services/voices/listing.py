"""The voice listing: filters, paging and the fields the seed's clients read."""

from __future__ import annotations

from typing import Any

from audiofn.errors import InvalidInput
from audiofn.models.voices import (
    VoiceProfileRecord,
)
from audiofn.services.context import Services
from audiofn.services.voices.access import (
    CUSTOM_PREFIX,
    _shared_and_usable,
    settle_stalled,
    voices_table,
)
from audiofn.services.voices.wire import builtin_to_api, profile_to_api
from audiofn.tts import catalogue
from audiofn.tts.catalogue import Voice

MAX_LIMIT = 100  # the audiopod client asks for 100 by default; pages still hold at most 50


MAX_PAGE = 50


def _flag(params: dict[str, str], name: str) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    lowered = value.strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise InvalidInput(f"{name} must be true or false, not '{value}'", field=name)


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, not '{value}'", field=name) from None
    if not low <= number <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return number


_LIST_PARAMS = {
    "voice_type",
    "is_public",
    "include_public",
    "skip",
    "limit",
    "category",
    "language",
    "gender",
    "style",
    "age_range",
}


def list_voice_profiles(services: Services, org_id: str, params: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(params) - _LIST_PARAMS)
    if unknown:
        raise InvalidInput(
            f"unknown parameter '{unknown[0]}'; use {', '.join(sorted(_LIST_PARAMS))}",
            field=unknown[0],
        )
    skip = _int_param(params, "skip", 0, 0, 1_000_000)
    limit = _int_param(params, "limit", MAX_PAGE, 1, MAX_LIMIT)
    voice_type = (params.get("voice_type") or "").strip().upper() or None
    if voice_type not in {None, "CUSTOM", "STANDARD"}:
        raise InvalidInput("voice_type must be CUSTOM or STANDARD", field="voice_type")
    is_public = _flag(params, "is_public")
    include_public = _flag(params, "include_public")
    include_public = True if include_public is None else include_public
    settings = services.settings

    # The organisation's own voices first, then the built-ins, then others' public voices.
    table = voices_table(services)
    own: list[VoiceProfileRecord] = []
    shared: list[VoiceProfileRecord] = []
    if voice_type in {None, "CUSTOM"}:
        own = sorted(
            (settle_stalled(services, p) for p in table.list_profiles(org_id)),
            key=lambda p: p.id,
        )
        if include_public:
            shared = sorted(
                (
                    p
                    for p in table.list_public_profiles()
                    if p.org_id != org_id and _shared_and_usable(p)
                ),
                key=lambda p: p.id,
            )
    builtins: list[Voice] = []
    if voice_type in {None, "STANDARD"} and is_public is not False:
        builtins = catalogue.list_voices(
            polly_enabled=settings.polly_enabled,
            upstream_enabled=bool(settings.upstream_tts_url),
        )
    entries = (
        [profile_to_api(p, settings) for p in own if is_public in (None, p.is_public)]
        + [builtin_to_api(v, settings) for v in builtins]
        + [profile_to_api(p, settings, org_id) for p in shared if is_public is not False]
    )

    filters = {
        name: params[name].strip().casefold()
        for name in ("category", "gender", "style", "age_range")
        if params.get(name)
    }
    language = (params.get("language") or "").strip().casefold()

    def matches(entry: dict[str, Any]) -> bool:
        for name, wanted in filters.items():
            if str(entry.get(name) or "").casefold() != wanted:
                return False
        if language:
            code = str(entry.get("language_code") or entry.get("language") or "").casefold()
            subtag = str(entry.get("language") or "").casefold()
            if language not in {code, subtag} and not code.startswith(language + "-"):
                return False
        return True

    selected = [entry for entry in entries if matches(entry)]
    page = selected[skip : skip + min(limit, MAX_PAGE)]
    from audiofn.services.voice_usage import add_usage_stats

    keys = [CUSTOM_PREFIX + e["uuid"] if e["is_custom"] else str(e["voice_id"]) for e in page]
    add_usage_stats(settings, org_id, page, keys)
    applied: dict[str, Any] = {k: params[k] for k in sorted(filters)}
    if language:
        applied["language"] = params["language"]
    for name in ("voice_type", "is_public", "include_public"):
        if params.get(name):
            applied[name] = params[name]
    return {
        "voices": page,
        "total": len(selected),
        "hasMore": skip + len(page) < len(selected),
        "skip": skip,
        "limit": min(limit, MAX_PAGE),
        "filters_applied": applied,
    }

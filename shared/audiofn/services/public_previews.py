"""Voice previews a player can fetch without a key: the listings' ``preview_url``.

A listing's ``preview_url`` is ``<api>/voice-previews/<token>/<voice id>.mp3``; the token is
the organisation's (random, made once), so the URL reaches only voices that organisation
may hear, like a presigned link that does not expire. Fetching it answers 302 to the cached
preview in S3, rendered first (by the speech function, waited for) when it is missing: one
short text per voice and format, so the work a keyless caller can cause is bounded by the
voices the organisation has.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from audiofn.errors import InvalidInput, NotFound
from audiofn.services.context import Services
from audiofn.storage.voices_table import VoicesTable

PUBLIC_PREVIEW_PATH = "/voice-previews/"


def add_preview_urls(
    services: Services, org_id: str, base_url: str, entries: list[dict[str, Any]]
) -> None:
    """Point each listed voice's ``preview_url`` at its keyless MP3 preview."""
    if not entries:
        return
    token = VoicesTable(services.settings.table).preview_token(org_id)
    for entry in entries:
        voice = quote(str(entry["voice_id"]), safe="")
        entry["preview_url"] = f"{base_url}{PUBLIC_PREVIEW_PATH}{token}/{voice}.mp3"


def public_preview_audio_url(
    services: Services, token: str, file_name: str, wait_seconds: float
) -> str:
    """Where the preview named by a keyless URL is (a presigned S3 URL), rendered if needed."""
    from audiofn.services.voices import PREVIEW_FORMATS, voice_preview

    org_id = VoicesTable(services.settings.table).org_of_preview_token(token)
    identifier, dot, fmt = file_name.rpartition(".")
    if org_id is None or not dot or not identifier:
        raise NotFound("no such preview", field="preview_url")
    if fmt not in PREVIEW_FORMATS:
        raise InvalidInput(
            f"a preview is one of {', '.join(PREVIEW_FORMATS)}, not '{fmt}'", field="format"
        )
    body = voice_preview(
        services,
        org_id,
        identifier,
        audio_format=fmt,
        generate_if_missing=True,
        wait_seconds=wait_seconds,
    )
    return str(body["audio_url"])

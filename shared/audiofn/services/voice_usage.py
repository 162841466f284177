"""Voice usage counters: every synthesis adds one generation, its characters and its seconds
to the voice's day and to the organisation's day (DynamoDB atomic ADD)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from audiofn.config import CommonSettings
from audiofn.observability import logger
from audiofn.storage.voices_table import VoicesTable


def record_synthesis(
    settings: CommonSettings, org_id: str, voice_id: str, characters: int, seconds: float
) -> None:
    """Count one synthesis. Counting never fails the speech it counts: errors are logged."""
    day = datetime.now(UTC).date().isoformat()
    try:
        VoicesTable(settings.table).add_usage(org_id, voice_id, day, characters, seconds)
    except Exception:
        logger.exception("voice usage not recorded", extra={"voice": voice_id, "org": org_id})


def encoded_seconds(data: bytes) -> float:
    """Duration of an encoded audio file (WAV, FLAC, MP3, Ogg) from its header."""
    import soundfile

    try:
        return float(soundfile.info(io.BytesIO(data)).duration)
    except Exception:
        return 0.0


NO_RATING = 0.0
"""Nothing here collects ratings, so every voice's ``avg_rating`` is 0.0 with ``rating_count``
0: a number, as the protocol documents it, that ranks no voice above another."""


def add_usage_stats(
    settings: CommonSettings, org_id: str, entries: list[dict[str, Any]], keys: list[str]
) -> None:
    """Give each listed voice (counted under ``keys``) ``usage_stats``: the organisation's
    generations with it."""
    totals = VoicesTable(settings.table).usage_totals(org_id, keys)
    for entry, key in zip(entries, keys, strict=True):
        entry["usage_stats"] = {
            "total_generations": totals.get(key, 0),
            "avg_rating": NO_RATING,
            "rating_count": 0,
        }

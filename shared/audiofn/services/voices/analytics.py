"""Usage analytics per voice and period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from audiofn.errors import InvalidInput
from audiofn.services.context import Services
from audiofn.services.voices.access import find_voice, voices_table
from audiofn.storage.voices_table import ALL_VOICES

_BREAKDOWNS = ("daily", "weekly", "monthly")


_PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}


def usage_analytics(services: Services, org_id: str, params: dict[str, str]) -> dict[str, Any]:
    from audiofn.services.voice_usage import NO_RATING

    period = params.get("period") or "30d"
    if period not in _PERIOD_DAYS:
        raise InvalidInput(
            f"period must be one of {', '.join(_PERIOD_DAYS)}, not '{period}'", field="period"
        )
    breakdown = params.get("breakdown") or "daily"
    if breakdown not in _BREAKDOWNS:
        raise InvalidInput(
            f"breakdown must be one of {', '.join(_BREAKDOWNS)}, not '{breakdown}'",
            field="breakdown",
        )
    voice_id = params.get("voice_id")
    usage_key = find_voice(services, org_id, voice_id).usage_key if voice_id else ALL_VOICES
    today = datetime.now(UTC).date()
    first = today - timedelta(days=_PERIOD_DAYS[period] - 1)
    days = {
        d.date: d
        for d in voices_table(services).usage_days(org_id, usage_key, first.isoformat())
        if d.date <= today.isoformat()
    }
    buckets: dict[str, dict[str, Any]] = {}
    day = first
    while day <= today:
        label = _bucket_label(day, breakdown)
        bucket = buckets.setdefault(
            label, {"date": label, "generations": 0, "characters": 0, "duration": 0.0}
        )
        found = days.get(day.isoformat())
        if found is not None:
            bucket["generations"] += found.generations
            bucket["characters"] += found.characters
            bucket["duration"] = round(bucket["duration"] + found.seconds, 3)
        day += timedelta(days=1)
    rows = list(buckets.values())
    return {
        "voice_id": voice_id,
        "period": period,
        "breakdown": breakdown,
        "start_date": first.isoformat(),
        "end_date": today.isoformat(),
        "total_generations": sum(r["generations"] for r in rows),
        "total_characters": sum(r["characters"] for r in rows),
        "total_duration": round(sum(r["duration"] for r in rows), 3),
        "avg_rating": NO_RATING,
        "rating_count": 0,
        f"{breakdown}_breakdown": rows,
    }


def _bucket_label(day: date, breakdown: str) -> str:
    if breakdown == "weekly":
        return (day - timedelta(days=day.weekday())).isoformat()
    if breakdown == "monthly":
        return day.strftime("%Y-%m")
    return day.isoformat()

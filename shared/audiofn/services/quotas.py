"""Fairness between organisations: a request rate, running jobs at once, and characters a day.

In AWS the HTTP API's throttle is stage-wide (HTTP APIs have no usage plans), so one tenant
could use all of it. The functions behind it (API, sync speech, transcription) therefore
count each organisation's requests themselves, in the app table, and answer 429 with
``Retry-After`` past its rate; the same for jobs
running at once and characters synthesised a day (UTC). The admin sets each organisation's
figures (``PUT /admin/orgs/{orgId}/limits``); unset ones follow the defaults in
:mod:`audiofn.models.quotas`.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime, timedelta

from audiofn.errors import InvalidInput, NotFound, TooManyRequests
from audiofn.models.quotas import OrgLimits
from audiofn.models.records import utc_now
from audiofn.services.context import Services
from audiofn.storage.quotas_table import QuotasTable

RATE_WINDOW_SECONDS = 10
"""Requests are counted in fixed windows this long: a burst may use a whole window's worth."""
JOB_RETRY_SECONDS = 30
"""What a 429 for running jobs suggests waiting (a short speech job takes about that)."""
LIMITS_CACHE_SECONDS = 60.0
"""How long a function keeps an organisation's limits: an admin's change applies within it."""

_cache: dict[str, tuple[float, OrgLimits]] = {}
_lock = threading.Lock()


def _table(services: Services) -> QuotasTable:
    return QuotasTable(services.settings.table)


def limits_of(services: Services, org_id: str) -> OrgLimits:
    now = time.monotonic()
    with _lock:
        cached = _cache.get(org_id)
    if cached is not None and now - cached[0] < LIMITS_CACHE_SECONDS:
        return cached[1]
    limits = _table(services).get_limits(org_id)
    with _lock:
        _cache[org_id] = (now, limits)
    return limits


def set_limits(services: Services, org_id: str, limits: OrgLimits) -> OrgLimits:
    if services.table.get_org(org_id) is None:
        raise NotFound(f"organisation '{org_id}' not found", field="orgId")
    _table(services).put_limits(org_id, limits)
    with _lock:
        _cache.pop(org_id, None)
    return limits


def usage(services: Services, org_id: str) -> dict[str, object]:
    """What the organisation uses now, next to its limits (for the admin)."""
    table = _table(services)
    limits = table.get_limits(org_id)
    running = [job for job in table.running(org_id) if _still_running(services, org_id, job)]
    return {
        "limits": {
            "requestsPerSecond": limits.rate,
            "maxRunningJobs": limits.running_jobs,
            "dailyCharacters": limits.characters,
        },
        "set": limits.model_dump(by_alias=True),
        "charactersToday": table.used(org_id, "CHARACTERS", _today()),
        "runningJobs": len(running),
    }


def take_request(services: Services, org_id: str, now: float | None = None) -> None:
    """Count one API request of the organisation; 429 past its rate."""
    now = time.time() if now is None else now
    limits = limits_of(services, org_id)
    window = int(now // RATE_WINDOW_SECONDS)
    most = max(1, round(limits.rate * RATE_WINDOW_SECONDS))
    if not _table(services).take(org_id, "REQUESTS", f"{window:012d}", 1, most):
        raise TooManyRequests(
            f"too many requests for this organisation: {limits.rate:g} a second on average "
            f"over {RATE_WINDOW_SECONDS} s; retry later",
            retry_after=math.ceil((window + 1) * RATE_WINDOW_SECONDS - now),
        )


def admit_job(
    services: Services, org_id: str, job_id: str, *, characters: int = 0, hold_slot: bool = True
) -> None:
    """Hold a running-job slot for the job and charge its characters to today's quota; 429
    (with when to retry) when either is used up, 400 when the request alone is over the
    daily quota."""
    limits = limits_of(services, org_id)
    if characters > limits.characters:
        charge_characters(services, org_id, characters)  # the 400, before holding a slot
    if not hold_slot:
        charge_characters(services, org_id, characters)
        return
    _claim_slot(services, org_id, job_id, limits.running_jobs)
    try:
        charge_characters(services, org_id, characters)
    except TooManyRequests:
        _table(services).release(org_id, [job_id])
        raise


def charge_characters(
    services: Services, org_id: str, characters: int, *, field: str = "scriptId"
) -> None:
    """Charge characters to be synthesised to today's quota; 429 until midnight UTC when it
    is used up, 400 when the request alone is over the whole quota."""
    limits = limits_of(services, org_id)
    if characters > limits.characters:
        raise InvalidInput(
            f"the request has {characters} characters to synthesise; this organisation's daily "
            f"quota is {limits.characters}",
            field=field,
        )
    if characters and not _table(services).take(
        org_id, "CHARACTERS", _today(), characters, limits.characters
    ):
        used = _table(services).used(org_id, "CHARACTERS", _today())
        raise TooManyRequests(
            f"this organisation's daily quota of {limits.characters} characters is used up "
            f"({used} today; this request needs {characters}); it renews at 00:00 UTC",
            retry_after=_seconds_to_midnight(),
        )


def _claim_slot(services: Services, org_id: str, job_id: str, most: int) -> None:
    table = _table(services)
    if table.claim(org_id, job_id, utc_now(), most):
        return
    finished = [
        held for held in table.running(org_id) if not _still_running(services, org_id, held)
    ]
    table.release(org_id, finished)
    if finished and table.claim(org_id, job_id, utc_now(), most):
        return
    raise TooManyRequests(
        f"{most} jobs of this organisation are running, its limit; retry when one finishes",
        retry_after=JOB_RETRY_SECONDS,
    )


def _still_running(services: Services, org_id: str, job_id: str) -> bool:
    """A stalled job (see :mod:`audiofn.services.stalls`) holds no slot."""
    from audiofn.services.stalls import JOB_SECONDS, stalled

    job = services.table.get_job(org_id, job_id)
    return job is not None and job.status == "running" and not stalled(job.updated_at, JOB_SECONDS)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _seconds_to_midnight() -> int:
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return max(1, math.ceil((midnight - now).total_seconds()))

"""Work that stopped without a word. A function killed for memory or time runs no handler:
its record keeps saying PROCESSING (or running, or uploading). SQS redelivers the message up
to the queue's maxReceiveCount, one visibility timeout apart; past the last one nothing is
working on it any more. So a read of a record older than that turns it into a failure with a
reason. This works the same in AWS and in the local runtime, and needs no extra function.

Each bound is the template's visibility timeout x maxReceiveCount, with margin (a test reads
the template to keep them in step).
"""

from __future__ import annotations

from datetime import UTC, datetime

VOICE_PROFILE_SECONDS = 5 * 3600
"""Voice-sample queue: 5400 s x 3 receives = 4.5 h (a style search may run 15 minutes)."""
MEDIA_CHECK_SECONDS = 2 * 3600
"""Media-upload queue: 1800 s x 3 receives = 1.5 h, counted from the upload URL's expiry."""
JOB_SECONDS = 3 * 3600 + 1800
"""Mastering queue: 3600 s x 3 receives = 3 h (the speech queue's 1.5 h is within it),
counted from the job's last progress."""

STOPPED = "the function stopped without a result (out of memory or time) on every try"


def seconds_since(timestamp: str, now: datetime | None = None) -> float:
    """Seconds from an ISO 8601 UTC timestamp (as records store them) to now."""
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return ((now or datetime.now(UTC)) - then).total_seconds()


def stalled(timestamp: str, bound_seconds: float) -> bool:
    return seconds_since(timestamp) > bound_seconds

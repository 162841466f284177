"""Events for an organisation's webhook: queued here, signed and delivered by the webhook function.

Producers (queue-fed handlers) call `notify` when something finishes; it is a no-op for
organisations without a webhook. A failure to queue raises, so the producer's message is
retried: its work is idempotent and the event id is stable, so the retry costs nothing twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from audiofn.config import CommonSettings
from audiofn.models.messages import WebhookEvent, WebhookEventType
from audiofn.models.records import utc_now
from audiofn.storage.queues import send_messages
from audiofn.storage.webhooks_table import WebhooksTable


def event_id_for(event_type: str, subject: str) -> str:
    """Stable id: the same subject finishing twice (a redelivered message) is one event."""
    return hashlib.sha256(f"{event_type}|{subject}".encode()).hexdigest()[:32]


def notify(
    settings: CommonSettings,
    org_id: str,
    event_type: WebhookEventType,
    subject: str,
    data: dict[str, Any],
) -> None:
    """Queue `event_type` about `subject` (a job, batch or voice id) for the org's webhook."""
    if not settings.webhook_queue_url:
        return
    if WebhooksTable(settings.table).get_webhook(org_id) is None:
        return
    event = WebhookEvent(
        org_id=org_id,
        event_id=event_id_for(event_type, subject),
        type=event_type,
        created=utc_now(),
        data=data,
    )
    send_messages(settings.webhook_queue_url, [event])

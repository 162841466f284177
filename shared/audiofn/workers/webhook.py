"""The webhook function's core: sign one event the api.audio way and POST it to the receiver.

The signature header is `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, which
`apiaudio.Webhooks.verify(body, header, secret)` accepts. Each attempt is signed afresh, so a
receiver that was down for hours still sees a timestamp inside its tolerance.

Retries: a failed attempt raises, the message is reported as a batch item failure and becomes
visible again after a backoff that doubles with each receive (set on the message itself), up to
the queue's maxReceiveCount; after that it rests in the DLQ until re-driven.

Bounds: the URL is checked against the outbound rule again (`audiofn.outbound`) and the call
goes to the address checked; one delivery has DEADLINE_SECONDS in all and reads at most
MAX_RESPONSE_BYTES of the answer. The function takes one event per invocation (BatchSize 1
in the template), so a slow receiver holds only its own event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from audiofn.config import webhook_settings
from audiofn.models.messages import WebhookEvent
from audiofn.observability import logger
from audiofn.services.webhooks import SIGNATURE_HEADER
from audiofn.storage.queues import retry_later
from audiofn.storage.webhooks_table import WebhooksTable
from audiofn.workers.sqs import process_sqs_batch, receive_count

DEADLINE_SECONDS = 10.0
MAX_RESPONSE_BYTES = 4096
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 900


class DeliveryFailed(Exception):
    """The receiver did not take the event; the message is retried later."""


def signature_header(body: str, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event: WebhookEvent) -> str:
    return json.dumps(
        {"id": event.event_id, "type": event.type, "created": event.created, "data": event.data},
        separators=(",", ":"),
        sort_keys=True,
    )


def backoff_seconds(receive_count: int) -> int:
    """5 s, 10 s, 20 s … capped at 15 minutes."""
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, receive_count - 1)))


Post = Callable[[str, str, dict[str, str]], int]


def http_post(url: str, body: str, headers: dict[str, str]) -> int:
    # On use: the API imports this module for its constants only.
    from audiofn.bounded_post import PostFailed, post_with_deadline
    from audiofn.outbound import OutboundRefused, outbound_policy

    try:
        target = outbound_policy().check(url)
        return post_with_deadline(
            target, body.encode(), headers, DEADLINE_SECONDS, max_response_bytes=MAX_RESPONSE_BYTES
        )
    except (OutboundRefused, PostFailed) as exc:
        raise DeliveryFailed(f"{url}: {exc}") from exc


@dataclass(frozen=True)
class WebhookDeliverer:
    table: WebhooksTable
    post: Post = http_post
    clock: Callable[[], float] = time.time

    def deliver(self, event: WebhookEvent) -> str:
        """Send the event once; returns what happened ("delivered", "duplicate", "no-webhook")."""
        if self.table.was_delivered(event.event_id):
            return "duplicate"
        webhook = self.table.get_webhook(event.org_id)
        if webhook is None:
            logger.info("webhook removed; event dropped", extra={"event": event.event_id})
            return "no-webhook"
        body = event_body(event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "audiofn-webhooks/1",
            SIGNATURE_HEADER: signature_header(body, webhook.secret, int(self.clock())),
            "X-Audiofn-Event": event.type,
            "X-Audiofn-Event-Id": event.event_id,
        }
        status = self.post(webhook.url, body, headers)
        if not 200 <= status < 300:
            raise DeliveryFailed(f"{webhook.url} answered {status}")
        self.table.mark_delivered(event.event_id)
        return "delivered"


def build_deliverer() -> WebhookDeliverer:
    """The deliverer a cold start builds from the function's environment."""
    return WebhookDeliverer(WebhooksTable(webhook_settings().table))


def handle_batch(
    deliverer: WebhookDeliverer, event: dict[str, Any], context: Any
) -> dict[str, Any]:
    """The function's SQS batch: one event per record; a failed delivery is retried after a
    backoff set on the message itself."""

    def handle_record(record: SQSRecord) -> None:
        webhook_event = WebhookEvent.model_validate_json(record.body)
        try:
            outcome = deliverer.deliver(webhook_event)
        except DeliveryFailed as failure:
            attempt = receive_count(record)
            delay = backoff_seconds(attempt)
            logger.warning(
                "webhook delivery failed",
                extra={
                    "event": webhook_event.event_id,
                    "attempt": attempt,
                    "retry_in": delay,
                    "why": str(failure),
                },
            )
            retry_later(webhook_settings().webhook_queue_url, record.receipt_handle, delay)
            raise
        logger.info("webhook event", extra={"event": webhook_event.event_id, "outcome": outcome})

    return process_sqs_batch(event, context, handle_record)

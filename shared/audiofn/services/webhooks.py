"""An organisation's webhook: register (with a fresh signing secret), show, remove."""

from __future__ import annotations

import secrets

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.records import WebhookRecord
from audiofn.outbound import OutboundPolicy, OutboundRefused, outbound_policy
from audiofn.storage.webhooks_table import WebhooksTable

SIGNATURE_HEADER = "X-Audiofn-Signature"
"""Carries `t=<unix time>,v1=<hex HMAC-SHA256>` on every delivery (see audiofn.workers.webhook)."""


def register_webhook(
    table: WebhooksTable, org_id: str, url: str, policy: OutboundPolicy | None = None
) -> WebhookRecord:
    """Replace any existing webhook; the new secret is shown once, in this answer.
    The URL must reach a public address (checked again at each delivery)."""
    try:
        (policy or outbound_policy()).check(url)
    except OutboundRefused as refused:
        raise InvalidInput(str(refused), field="url") from refused
    webhook = WebhookRecord(url=url, secret="whsec_" + secrets.token_hex(24))
    table.put_webhook(org_id, webhook)
    return webhook


def get_webhook(table: WebhooksTable, org_id: str) -> WebhookRecord:
    webhook = table.get_webhook(org_id)
    if webhook is None:
        raise NotFound('no webhook registered: PUT /org/webhook with {"url": ...}')
    return webhook


def remove_webhook(table: WebhooksTable, org_id: str) -> None:
    if not table.delete_webhook(org_id):
        raise NotFound("no webhook registered")

"""An organisation's webhook: register (with a fresh signing secret), show, remove."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.records import WebhookRecord
from audiofn.storage.webhooks_table import WebhooksTable

SIGNATURE_HEADER = "X-Audiofn-Signature"
"""Carries `t=<unix time>,v1=<hex HMAC-SHA256>` on every delivery (see audiofn.workers.webhook)."""
MAX_URL_LENGTH = 2048


def register_webhook(table: WebhooksTable, org_id: str, url: str) -> WebhookRecord:
    """Replace any existing webhook; the new secret is shown once, in this answer."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput("url must be an absolute http:// or https:// URL", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url is longer than {MAX_URL_LENGTH} characters", field="url")
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

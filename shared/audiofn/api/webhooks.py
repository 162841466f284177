"""PUT/GET/DELETE /org/webhook: where the organisation's events are delivered."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from audiofn.api.deps import org_id, services
from audiofn.api.errors import json_response
from audiofn.services import webhooks
from audiofn.services.webhooks import SIGNATURE_HEADER
from audiofn.storage.webhooks_table import WebhooksTable

router = Router()

EVENTS = ["speech.done", "mastering.done", "batch.done", "voice.ready", "job.failed"]


class RegisterWebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1)


def _table() -> WebhooksTable:
    return WebhooksTable(services().settings.table)


def _describe(url: str, created_at: str) -> dict[str, Any]:
    return {
        "url": url,
        "createdAt": created_at,
        "events": EVENTS,
        "signatureHeader": SIGNATURE_HEADER,
    }


@router.put("/org/webhook")
def put_webhook(request: Annotated[RegisterWebhookRequest, Body()]) -> Response[dict[str, Any]]:
    webhook = webhooks.register_webhook(_table(), org_id(router), request.url)
    return json_response(
        200, {**_describe(webhook.url, webhook.created_at), "secret": webhook.secret}
    )


@router.get("/org/webhook")
def show_webhook() -> dict[str, Any]:
    webhook = webhooks.get_webhook(_table(), org_id(router))
    return _describe(webhook.url, webhook.created_at)


@router.delete("/org/webhook")
def delete_webhook() -> Response[str]:
    webhooks.remove_webhook(_table(), org_id(router))
    return Response(status_code=204, body="")

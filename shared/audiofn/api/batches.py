"""Personalisation batches: start one for an audience, follow it, get its manifest."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn.api.deps import org_id, services
from audiofn.api.errors import json_response
from audiofn.models.batches import CreateBatchRequest

router = Router()


@router.post("/batch")
def create_batch(request: CreateBatchRequest) -> Response[dict[str, Any]]:
    from audiofn.services.batches import create_batch as start

    record = start(services(), org_id(router), request)
    return json_response(
        202,
        {
            "batchId": record.batch_id,
            "status": record.status,
            "total": record.total,
            "statusUrl": f"/batch/{record.batch_id}",
        },
    )


@router.get("/batch/<batch_id>")
def get_batch(batch_id: str) -> dict[str, Any]:
    from audiofn.services.batches import get_batch_status

    return get_batch_status(services(), org_id(router), batch_id)

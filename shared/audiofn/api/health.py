"""Liveness for load balancers and the local runtime's readiness check."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn import __version__
from audiofn.config import api_settings

router = Router()


@router.get("/health")
def health() -> dict[str, object]:
    settings = api_settings()
    body: dict[str, object] = {"status": "ok", "version": __version__, "stage": settings.stage}
    if settings.local:
        body["mode"] = "local"
        body["aws"] = json.loads(settings.local_resources or "{}")
    return body

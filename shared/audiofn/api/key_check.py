"""``POST /authentication/validate``: which organisation a key belongs to.

The batch-and-streaming seed's client (the AI Refinery SDK) calls it as its constructor runs
and reads ``organization_id`` from the body (its governance client also reads ``message``).
The key check itself is the authentication middleware's: a wrong key is its 401.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn.api.deps import org_id

router = Router()


@router.post("/authentication/validate")
def validate_key() -> dict[str, str]:
    return {"message": "API key is valid", "organization_id": org_id(router)}

"""Organisations (admin key) and an organisation's own keys and profile."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from audiofn.api.deps import org_id, services
from audiofn.api.errors import json_response
from audiofn.errors import NotFound
from audiofn.models.quotas import OrgLimits
from audiofn.models.records import ApiKeyRecord, ConsentAttestation
from audiofn.services import orgs, quotas

router = Router()


class CreateOrgRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class VoiceConsentRequest(BaseModel):
    """A standing attestation: the person minting the key attests that the speaker of every
    sample sent with it consented to a synthetic voice being made (services.voices.consent)."""

    model_config = ConfigDict(extra="forbid")
    attestedBy: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=10, max_length=2000)


class CreateKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str = Field("", max_length=17)
    name: str = Field("", max_length=100)
    voiceConsent: VoiceConsentRequest | None = None


def _key_body(key: ApiKeyRecord) -> dict[str, Any]:
    consent = key.voice_consent
    return {
        "keyId": key.key_id,
        "prefix": key.prefix,
        "name": key.name,
        "createdAt": key.created_at,
        "voiceConsent": {
            "attestedBy": consent.attested_by,
            "statement": consent.statement,
            "attestedAt": consent.attested_at,
        }
        if consent
        else None,
    }


@router.post("/admin/orgs")
def create_org(request: Annotated[CreateOrgRequest, Body()]) -> Response[dict[str, Any]]:
    table = services().table
    orgs.authenticate_admin(table, orgs.key_from_headers(router.current_event.headers))
    org, key = orgs.create_org(table, request.name)
    return json_response(201, {"orgId": org.org_id, "name": org.name, "apiKey": key})


@router.get("/admin/orgs/<org_id>/limits")
def get_org_limits(org_id: str) -> dict[str, object]:
    table = services().table
    orgs.authenticate_admin(table, orgs.key_from_headers(router.current_event.headers))
    if table.get_org(org_id) is None:
        raise NotFound(f"organisation '{org_id}' not found", field="orgId")
    return {"orgId": org_id, **quotas.usage(services(), org_id)}


@router.put("/admin/orgs/<org_id>/limits")
def set_org_limits(org_id: str, request: Annotated[OrgLimits, Body()]) -> dict[str, object]:
    """Set an organisation's limits; a field left out or null follows the default."""
    table = services().table
    orgs.authenticate_admin(table, orgs.key_from_headers(router.current_event.headers))
    quotas.set_limits(services(), org_id, request)
    return {"orgId": org_id, **quotas.usage(services(), org_id)}


@router.get("/org")
def get_org() -> dict[str, object]:
    org = services().table.get_org(org_id(router))
    if org is None:
        raise NotFound("organisation not found")
    from audiofn.inbox_files import inbox_prefix, outbox_prefix

    settings = services().settings
    return {
        "orgId": org.org_id,
        "orgName": org.name,
        "name": org.name,
        "createdAt": org.created_at,
        # Where to drop text files (and where their masters appear), as s3://bucket/prefix.
        "inbox": {
            "bucket": settings.inbox_bucket,
            "prefix": inbox_prefix(org.org_id),
            "outboxPrefix": outbox_prefix(org.org_id),
        },
    }


@router.post("/keys")
def create_key(request: Annotated[CreateKeyRequest, Body()]) -> Response[dict[str, Any]]:
    consent = request.voiceConsent
    key, secret = orgs.mint_key(
        services().table,
        org_id(router),
        prefix=request.prefix,
        name=request.name,
        voice_consent=ConsentAttestation(
            attested_by=consent.attestedBy.strip(), statement=consent.statement.strip()
        )
        if consent
        else None,
    )
    return json_response(201, {**_key_body(key), "apiKey": secret})


@router.get("/keys")
def list_keys() -> dict[str, object]:
    keys = services().table.list_keys(org_id(router))
    return {
        "keys": [
            {**_key_body(k), "last4": k.last4} for k in sorted(keys, key=lambda k: k.created_at)
        ]
    }


@router.delete("/keys/<key_id>")
def revoke_key(key_id: str) -> dict[str, object]:
    orgs.revoke_key(services().table, org_id(router), key_id)
    return {"keyId": key_id, "revoked": True}

"""``/mastering/provenance``: verify a file's content credentials (C2PA) and show its manifest.

Served by its own function (``ProvenanceFunction``: the c2pa library is too heavy for the API
function), so this module builds a complete resolver with the API's key check and errors.

* ``POST`` with the file as the body (any ``audio/*`` or ``application/octet-stream`` content
  type), or as the ``file`` part of a multipart form.
* ``GET`` with a stored master named as ``GET /mastering`` names it (``scriptId``, the
  listener's parameters, ``endFormat``), or ``deliverySpec`` for one of its deliverables.

And, with the admin key, which certificate signs an organisation's masters
(``/admin/orgs/{orgId}/signing-certificate``): its own from Secrets Manager or SSM, checked
by signing and verifying a test file with the library this function carries, or the default.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from audiofn.api.deps import org_id, query, services
from audiofn.errors import InvalidInput

PROVENANCE_PATH = "/mastering/provenance"
CERTIFICATE_PATH = "/admin/orgs/<org>/signing-certificate"
router = Router()


@router.post(PROVENANCE_PATH)
def verify_sent_file() -> dict[str, Any]:
    from audiofn.services.provenance import verify_upload

    event = router.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    content_type = headers.get("content-type", "")
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("latin-1", "replace")
    declared = query(router).get("format") or content_type
    if content_type.startswith("multipart/form-data"):
        from audiofn.api.forms import UnreadableForm, read_multipart

        try:
            _, files = read_multipart(content_type, body)
        except UnreadableForm as error:
            raise InvalidInput(str(error), field="file") from error
        if not files.get("file"):
            raise InvalidInput(
                "file is required (the audio file as a multipart part)", field="file"
            )
        filename, body = files["file"][0]
        declared = query(router).get("format") or filename.rsplit(".", 1)[-1]
    return verify_upload(body, declared)


@router.get(PROVENANCE_PATH)
def verify_stored_master() -> dict[str, Any]:
    from audiofn.services.provenance import verify_stored_master

    return verify_stored_master(services(), org_id(router), query(router))


class OwnCertificateRequest(BaseModel):
    """Where the organisation's certificate chain and key are kept, as a JSON string
    ``{"certificateChain": "<PEM, leaf first>", "privateKey": "<PEM>"}``: one of the two."""

    model_config = ConfigDict(extra="forbid")
    secretsManager: str | None = Field(None, min_length=1, max_length=2048)
    ssmParameter: str | None = Field(None, min_length=1, max_length=2048)


def _admin() -> None:
    from audiofn.services import orgs

    orgs.authenticate_admin(services().table, orgs.key_from_headers(router.current_event.headers))


@router.get(CERTIFICATE_PATH)
def get_signing_certificate(org: str) -> dict[str, Any]:
    from audiofn.services.provenance import signing_certificate

    _admin()
    return signing_certificate(services(), org)


@router.put(CERTIFICATE_PATH)
def put_signing_certificate(
    org: str, request: Annotated[OwnCertificateRequest, Body()]
) -> dict[str, Any]:
    from audiofn.services.provenance import use_own_certificate

    _admin()
    if (request.secretsManager is None) == (request.ssmParameter is None):
        raise InvalidInput(
            "send one of secretsManager (a secret's name or ARN) or ssmParameter (a "
            "SecureString parameter's name)",
            field="secretsManager",
        )
    if request.secretsManager is not None:
        return use_own_certificate(
            services(), org, "secretsmanager", request.secretsManager, "secretsManager"
        )
    assert request.ssmParameter is not None
    return use_own_certificate(services(), org, "ssm", request.ssmParameter, "ssmParameter")


@router.delete(CERTIFICATE_PATH)
def delete_signing_certificate(org: str) -> dict[str, Any]:
    from audiofn.services.provenance import use_default_certificate

    _admin()
    return use_default_certificate(services(), org)


def build_provenance_resolver() -> APIGatewayHttpResolver:
    from audiofn.api.auth import require_org_key
    from audiofn.api.errors import register_error_handlers

    app = APIGatewayHttpResolver(enable_validation=True)
    app.use(middlewares=[require_org_key])
    app.include_router(router)
    register_error_handlers(app)
    return app

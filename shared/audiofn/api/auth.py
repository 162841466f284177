"""Authentication middleware: every route except the public ones needs an organisation key."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from audiofn.api.deps import services
from audiofn.errors import AudiofnError
from audiofn.services.orgs import authenticate, key_from_headers

PUBLIC_PATHS = {"/", "/health", "/openapi.json", "/docs"}
DOCS_PREFIX = "/docs/"  # the documentation page's own files
ADMIN_PREFIX = "/admin/"  # admin routes check the admin key themselves
TRACKING_PREFIX = "/track/"  # ad players call VAST beacons without any key


def require_org_key(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    path = app.current_event.path
    if (
        path in PUBLIC_PATHS
        or path.startswith((ADMIN_PREFIX, TRACKING_PREFIX, DOCS_PREFIX))
        or app.current_event.http_method == "OPTIONS"
    ):
        return next_middleware(app)
    try:
        org = authenticate(services().table, key_from_headers(app.current_event.headers))
    except AudiofnError as error:
        from audiofn.api.errors import json_response

        return json_response(error.status_code, error.to_body())
    app.append_context(org_id=org)
    return next_middleware(app)

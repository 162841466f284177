"""Authentication middleware: every route except the public ones needs an organisation key."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from audiofn.api.deps import services
from audiofn.errors import AudiofnError, TooManyRequests
from audiofn.services.orgs import authenticate, key_from_headers
from audiofn.services.quotas import take_request

PUBLIC_PATHS = {"/", "/health", "/openapi.json", "/docs", "/studio"}
DOCS_PREFIX = "/docs/"  # the documentation page's own files
STUDIO_PREFIX = "/studio/"  # the web console's static files; its calls carry the key
ADMIN_PREFIX = "/admin/"  # admin routes check the admin key themselves
TRACKING_PREFIX = "/track/"  # ad players call VAST beacons without any key
PREVIEW_PREFIX = "/voice-previews/"  # players fetch previews by a token in the path


def require_org_key(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    path = app.current_event.path
    if (
        path in PUBLIC_PATHS
        or path.startswith(
            (ADMIN_PREFIX, TRACKING_PREFIX, PREVIEW_PREFIX, DOCS_PREFIX, STUDIO_PREFIX)
        )
        or app.current_event.http_method == "OPTIONS"
    ):
        return next_middleware(app)
    try:
        org = authenticate(services().table, key_from_headers(app.current_event.headers))
        take_request(services(), org)  # per organisation: the stage's throttle is shared
    except TooManyRequests as error:
        from audiofn.api.errors import too_many_requests

        return too_many_requests(error)
    except AudiofnError as error:
        from audiofn.api.errors import json_response

        return json_response(error.status_code, error.to_body())
    app.append_context(org_id=org)
    return next_middleware(app)

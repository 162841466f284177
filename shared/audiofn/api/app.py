"""Assembles the resolver: routers, authentication, error mapping, OpenAPI document."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from audiofn import __version__
from audiofn.api import admin, apiaudio, batches, health, lexi, sound_mastering
from audiofn.api.auth import require_org_key
from audiofn.api.errors import register_error_handlers


def build_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    app.use(middlewares=[require_org_key])
    for router in (
        health.router,
        admin.router,
        apiaudio.router,
        lexi.router,
        sound_mastering.router,
        batches.router,
    ):
        app.include_router(router)
    register_error_handlers(app)

    # Built on request rather than with enable_swagger(), which costs ~75 ms of cold start.
    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[str]:
        return Response(
            status_code=200,
            content_type=content_types.APPLICATION_JSON,
            body=app.get_openapi_json_schema(title="audiofn", version=__version__),
        )

    return app

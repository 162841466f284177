"""Assembles the resolver: routers, authentication, error mapping, OpenAPI document."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from audiofn import __version__
from audiofn.api import admin, apiaudio, health
from audiofn.api.auth import require_org_key
from audiofn.api.errors import register_error_handlers


def build_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    app.use(middlewares=[require_org_key])
    for router in (health.router, admin.router, apiaudio.router):
        app.include_router(router)
    register_error_handlers(app)
    app.configure_openapi(title="audiofn", version=__version__)
    app.enable_swagger(path="/openapi")
    return app

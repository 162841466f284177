"""Assembles the resolver: routers, authentication, error mapping, OpenAPI document."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from audiofn import __version__
from audiofn.api import (
    admin,
    apiaudio,
    batches,
    docs,
    health,
    inbox,
    key_check,
    lexi,
    media,
    openai_audio,
    sound_mastering,
    studio,
    tts_jobs,
    voices,
    webhooks,
)
from audiofn.api.auth import require_org_key
from audiofn.api.errors import register_error_handlers
from audiofn.api.openapi_doc import complete_document


def build_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    # tts_jobs first: it gives errors on its paths (the key check's too) the job API's shape.
    app.use(middlewares=[tts_jobs.seed_error_bodies, require_org_key])
    for router in (
        health.router,
        docs.router,
        studio.router,
        admin.router,
        key_check.router,
        apiaudio.router,
        lexi.router,
        sound_mastering.router,
        webhooks.router,
        inbox.router,
        voices.router,
        tts_jobs.router,
        openai_audio.router,
        media.router,
        batches.router,
    ):
        app.include_router(router)
    register_error_handlers(app)

    # Built on request rather than with enable_swagger(), which costs ~75 ms of cold start.
    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[str]:
        document = app.get_openapi_json_schema(title="audiofn", version=__version__)
        return Response(
            status_code=200,
            content_type=content_types.APPLICATION_JSON,
            body=complete_document(document),
        )

    return app

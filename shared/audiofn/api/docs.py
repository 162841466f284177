"""What a newcomer finds without a key: `GET /` (where everything is), `GET /docs` (Swagger UI
on the OpenAPI document) and the UI's own files, served from the PyPI package
`swagger-ui-bundle-v2` so no page loads anything from another address."""

from __future__ import annotations

import html
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn import __version__
from audiofn.errors import NotFound

router = Router()

DOCS_ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
}
_ASSET_CACHE = "public, max-age=86400"

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>audiofn API</title>
<link rel="stylesheet" href="docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});
</script>
</body></html>
"""

# (name, base path, what it is, how a client is pointed at it)
PROTOCOLS: tuple[tuple[str, str, str, str], ...] = (
    (
        "api.audio",
        "/",
        "scripts, speech, mastering, sound templates, media (the apiaudio SDK, 0.8.5 or 0.17.1)",
        'apiaudio.api_base = "<this address>"',
    ),
    (
        "OpenAI-compatible audio",
        "/v1",
        "POST /v1/audio/speech (streamed or whole), POST /v1/audio/transcriptions, "
        "GET /v1/models, GET /v1/audio/voices",
        'OpenAI(base_url="<this address>/v1", api_key=...)',
    ),
    (
        "batch-and-streaming TTS",
        "/v1",
        "the same speech endpoint with extra_body sample_rate and speech_synthesis_language",
        'AsyncAIRefinery(base_url="<this address>", api_key=...)',
    ),
    (
        "realtime transcription",
        "/v1/audio/transcriptions-realtime",
        "websocket: a JSON init message, 16-bit PCM chunks, then PartialTranscript and "
        "FinalTranscript messages (in AWS: the stack's RealtimeUrl output)",
        "ws://<this host>/v1/audio/transcriptions-realtime?model=whisper-1",
    ),
    (
        "voice management",
        "/api/v1/voice",
        "voice profiles from samples, previews, collections, usage analytics",
        'audiopod Client(base_url="<this address>", api_key="ap_...")',
    ),
    (
        "job-based TTS",
        "/api/v1/jobs/",
        "a text or text file in, one MP3 out, as a job",
        "Authorization: Token <key>",
    ),
)
KEY_HELP = (
    "Every route except this index, /docs, /studio/, /openapi.json, /health and the VAST "
    "beacons needs an organisation key, sent as the header x-api-key: <key>, or as "
    "Authorization: Bearer <key> or Authorization: Token <key>. Locally make run prints one; "
    "more come from POST /admin/orgs (with the admin key) and POST /keys."
)


def index() -> dict[str, Any]:
    return {
        "service": "audiofn",
        "version": __version__,
        "docs": "/docs",
        "studio": "/studio/",
        "openapi": "/openapi.json",
        "health": "/health",
        "authentication": KEY_HELP,
        "protocols": [
            {"name": name, "path": path, "what": what, "client": client}
            for name, path, what, client in PROTOCOLS
        ],
    }


def index_page() -> str:
    rows = "\n".join(
        f"<tr><td>{html.escape(name)}</td><td><code>{html.escape(path)}</code></td>"
        f"<td>{html.escape(what)}</td><td><code>{html.escape(client)}</code></td></tr>"
        for name, path, what, client in PROTOCOLS
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>audiofn</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
td{{padding:.3rem .6rem;vertical-align:top;border-top:1px solid #ddd}}</style></head>
<body><h1>audiofn {html.escape(__version__)}</h1>
<p>Text in, finished audio out: scripts, speech, mastering, transcription.</p>
<ul><li><a href="studio/">Studio</a> (audition voices, write, render and hear scripts
in the browser with your key)</li>
<li><a href="docs">API documentation</a> (try every route with your key)</li>
<li><a href="openapi.json">OpenAPI document</a></li>
<li><a href="health">Health</a></li></ul>
<p>{html.escape(KEY_HELP)}</p>
<table><tr><th>protocol</th><th>path</th><th>what</th><th>client</th></tr>
{rows}
</table></body></html>
"""


@router.get("/", include_in_schema=False)
def root() -> Response[Any]:
    """A browser gets the page; any other client the same as JSON."""
    headers = router.current_event.headers
    host = headers.get("host") or "127.0.0.1:3000"
    address = f"{headers.get('x-forwarded-proto') or 'http'}://{host}"
    if "text/html" in (headers.get("accept") or "").lower():
        body, content_type = index_page(), "text/html; charset=utf-8"
    else:
        body, content_type = _json(index()), "application/json"
    body = body.replace("&lt;this address&gt;", address).replace("<this address>", address)
    body = body.replace("&lt;this host&gt;", host).replace("<this host>", host)
    return Response(status_code=200, content_type=content_type, body=body)


@router.get("/docs", include_in_schema=False)
def swagger_page() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=SWAGGER_PAGE)


@router.get("/docs/<asset>", include_in_schema=False, compress=True, cache_control=_ASSET_CACHE)
def swagger_asset(asset: str) -> Response[Any]:
    from swagger_ui_bundle import swagger_ui_path

    if asset not in DOCS_ASSETS:
        raise NotFound(f"no documentation file '{asset}'")
    body = (swagger_ui_path / asset).read_text(encoding="utf-8")
    return Response(status_code=200, content_type=DOCS_ASSETS[asset], body=body)


def _json(value: Any) -> str:
    import json

    return json.dumps(value)

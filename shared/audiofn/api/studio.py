"""The studio: a web console of static files (`audiofn/studio/`) served by the API function.

Served from the same origin as the API, so the page calls the public routes with the key the
person signs in with and no CORS preflight, and the same deployment serves page and API (in
AWS through the HTTP API's `/{proxy+}` route; nothing to upload to a bucket after a deploy).
The files are plain HTML, CSS and JavaScript modules, a few tens of KB, with no build step.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn.errors import NotFound

router = Router()

STUDIO_DIR = Path(__file__).resolve().parent.parent / "studio"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# A file name, never a path: nothing outside the studio's folder can be asked for.
_ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(html|css|js|svg)$")
# Short: a new deployment's page must not run with the old deployment's modules for long.
_ASSET_CACHE = "public, max-age=300"


@router.get("/studio", include_in_schema=False)
def studio_redirect() -> Response[str]:
    """`/studio` to `/studio/`, so the page's relative links resolve inside the folder."""
    return Response(status_code=308, headers={"Location": "/studio/"}, body="")


@router.get("/studio/", include_in_schema=False, compress=True, cache_control="no-cache")
def studio_page() -> Response[Any]:
    return _asset_response("index.html")


@router.get("/studio/<asset>", include_in_schema=False, compress=True, cache_control=_ASSET_CACHE)
def studio_asset(asset: str) -> Response[Any]:
    return _asset_response(asset)


def _asset_response(name: str) -> Response[Any]:
    path = STUDIO_DIR / name
    if not _ASSET_NAME.match(name) or not path.is_file():
        raise NotFound(f"no studio file '{name}'")
    return Response(
        status_code=200,
        content_type=CONTENT_TYPES[path.suffix],
        body=path.read_text(encoding="utf-8"),
    )

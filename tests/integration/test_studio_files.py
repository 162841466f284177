"""The API function serves the studio's files without a key, by name only, as a Lambda
function answers API Gateway: the handler called with HTTP API v2 events."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import pytest

from tests.conftest import http_event, load_function

STUDIO = Path(__file__).resolve().parents[2] / "shared/audiofn/studio"


@pytest.fixture
def api(aws):
    return load_function("api")


def answer_text(response: dict) -> str:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(body)
        return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    return body


def test_the_page_and_its_modules_are_served_without_a_key(api, lambda_context):
    # When the studio's page and every one of its files is asked for without a key
    page = api.lambda_handler(http_event("GET", "/studio/"), lambda_context)

    # Then each comes back whole, with its type
    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert answer_text(page) == (STUDIO / "index.html").read_text(encoding="utf-8")
    for path in STUDIO.iterdir():
        response = api.lambda_handler(http_event("GET", f"/studio/{path.name}"), lambda_context)
        assert response["statusCode"] == 200, path.name
        assert answer_text(response) == path.read_text(encoding="utf-8")
    script = api.lambda_handler(http_event("GET", "/studio/main.js"), lambda_context)
    assert script["headers"]["Content-Type"].startswith("text/javascript")


def test_studio_without_the_slash_redirects_so_relative_links_resolve(api, lambda_context):
    response = api.lambda_handler(http_event("GET", "/studio"), lambda_context)
    assert response["statusCode"] == 308
    assert response["headers"]["Location"] == "/studio/"


@pytest.mark.parametrize("name", ["secrets.txt", "studio.py", "..%2Fapi%2Fauth.py", "INDEX.HTML"])
def test_nothing_but_the_studios_own_files_is_served(api, lambda_context, name):
    response = api.lambda_handler(http_event("GET", f"/studio/{name}"), lambda_context)
    assert response["statusCode"] == 404


def test_the_studio_gives_no_key_free_access_to_the_api(api, lambda_context):
    # The studio's prefix opens its files only: an API route beside it still needs a key
    response = api.lambda_handler(http_event("GET", "/voice"), lambda_context)
    assert response["statusCode"] == 401

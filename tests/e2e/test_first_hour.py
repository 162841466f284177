"""A new user's first hour against `make run`: the root says where everything is, the docs page
works offline with a key, the OpenAPI document covers every protocol, the CLI finds the port."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.parse import urljoin

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_the_root_answers_without_a_key_and_points_everywhere(runtime):
    index = httpx.get(f"{runtime.url}/")
    assert index.status_code == 200
    body = index.json()
    assert {body["docs"], body["health"], body["openapi"]} == {"/docs", "/health", "/openapi.json"}
    names = {protocol["name"] for protocol in body["protocols"]}
    assert {"api.audio", "OpenAI-compatible audio", "voice management", "job-based TTS"} <= names
    assert f"{runtime.url}/v1" in json.dumps(body)  # the client settings name this address

    page = httpx.get(f"{runtime.url}/", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    for link in re.findall(r'href="([^"]+)"', page.text):
        assert httpx.get(urljoin(f"{runtime.url}/", link)).status_code == 200, link


def test_the_docs_page_loads_every_asset_from_the_service(runtime):
    page = httpx.get(f"{runtime.url}/docs")
    assert page.status_code == 200

    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        url = urljoin(f"{runtime.url}/docs", asset)
        assert url.startswith(f"{runtime.url}/"), f"{asset} is loaded from another address"
        answer = httpx.get(url)
        assert answer.status_code == 200, asset
        if asset.endswith(".js"):
            assert "SwaggerUIBundle" in answer.text
    assert httpx.get(f"{runtime.url}/docs/secrets.txt").status_code == 404


def test_the_openapi_document_lets_try_it_out_send_a_key_and_covers_every_protocol(runtime):
    document = httpx.get(f"{runtime.url}/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "in": "header", "name": "x-api-key"}
    assert document["security"]
    assert document["paths"]["/health"]["get"]["security"] == []
    for path in (
        "/v1/audio/speech",
        "/v1/audio/transcriptions",
        "/v1/audio/transcriptions-realtime",
        "/speech/sync",
        "/sync_speech/synthesize",
    ):
        assert path in document["paths"], path
    speech = document["paths"]["/v1/audio/speech"]["post"]["requestBody"]
    assert {"input", "voice", "response_format"} <= set(
        speech["content"]["application/json"]["schema"]["properties"]
    )
    text_job = document["paths"]["/api/v1/jobs/text/"]["post"]["requestBody"]
    assert "text" in text_job["content"]["application/json"]["schema"]["properties"]
    file_job = document["paths"]["/api/v1/jobs/file/"]["post"]["requestBody"]
    assert "file" in file_job["content"]["multipart/form-data"]["schema"]["properties"]

    # "Try it out" sends the key the scheme names, and the route takes it
    voices = httpx.get(f"{runtime.url}/voice", headers={schemes["ApiKey"]["name"]: runtime.api_key})
    assert voices.status_code == 200


def test_create_org_finds_the_runtime_through_audiofn_port(runtime):
    port = runtime.url.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if k != "AUDIOFN_URL"}
    env |= {"AUDIOFN_PORT": port, "AUDIOFN_ADMIN_KEY": runtime.admin_key}

    made = subprocess.run(
        [sys.executable, "-m", "audiofn_local.cli", "create-org", "First Hour Radio"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["apiKey"]
    assert httpx.get(f"{runtime.url}/org", headers={"x-api-key": key}).status_code == 200
    usage = subprocess.run(
        [sys.executable, "-m", "audiofn_local.cli", "create-org", "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "--url URL" in usage and "AUDIOFN_PORT" in usage

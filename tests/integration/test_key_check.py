"""``POST /authentication/validate``, which the AI Refinery SDK's constructor calls first."""

from __future__ import annotations

import json

import pytest

from tests.conftest import http_event, load_function


@pytest.fixture
def api(aws):
    return load_function("api")


def validate(api, lambda_context, authorization: str | None):
    event = http_event("POST", "/authentication/validate")
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    response = api.lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


def test_a_valid_key_answers_the_body_the_sdk_reads(api, lambda_context, org):
    status, body = validate(api, lambda_context, f"Bearer {org.api_key}")

    assert status == 200
    assert body == {"message": "API key is valid", "organization_id": org.org_id}


@pytest.mark.parametrize("authorization", [None, "Bearer " + "x" * 43])
def test_a_missing_or_wrong_key_is_401(api, lambda_context, org, authorization):
    status, body = validate(api, lambda_context, authorization)

    assert status == 401
    assert "API key" in body["message"]

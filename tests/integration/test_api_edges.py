"""Edges of the API found by review and fuzzing: content types, query names, keys."""

from __future__ import annotations

import json
import os

import pytest

from audiofn.api.openapi_extra import FUNCTION_FIELD
from tests.conftest import call_api, http_event, load_function


@pytest.fixture
def api(aws):
    return load_function("api")


def json_body_operations(api, lambda_context) -> list[tuple[str, str]]:
    status, document = call_api(api, lambda_context, "GET", "/openapi.json")
    assert status == 200
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if FUNCTION_FIELD in operation:
                continue  # served by another function (sync speech, transcription, realtime)
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                operations.append((method.upper(), path))
    return operations


def test_a_json_body_sent_as_text_plain_is_a_415_on_every_operation(api, lambda_context, org):
    operations = json_body_operations(api, lambda_context)
    assert len(operations) >= 10
    refused = 0
    for method, path in operations:
        concrete = path.replace("{", "").replace("}", "")  # any id: the type is checked first
        event = http_event(method, concrete, org.api_key, {"name": "x"})
        event["headers"]["content-type"] = "text/plain"
        event["headers"]["authorization"] = f"Bearer {org.api_key}"
        response = api.lambda_handler(event, lambda_context)
        assert response["statusCode"] in (404, 415), (method, path, response)
        if response["statusCode"] == 415:
            body = json.loads(response["body"])
            # The job API keeps its protocol's error shape: {"error": {"code", "message"}}.
            message = body["error"]["message"] if "error" in body else body["message"]
            assert "application/json" in message
            refused += 1
    assert refused >= len(operations) - 2, f"{refused} of {len(operations)}"


def test_settings_named_in_the_voice_query_are_unknown_filters(api, lambda_context, org):
    for name in ("polly_enabled", "upstream_enabled"):
        status, body = call_api(
            api, lambda_context, "GET", "/voice", org.api_key, query={name: "true"}
        )
        assert status == 400 and body["field"] == name


def test_key_ids_have_64_bits_and_are_unique_within_the_organisation(aws, org, monkeypatch):
    import audiofn.services.orgs as orgs
    from audiofn.storage.table import AppTable

    table = AppTable(os.environ["AUDIOFN_TABLE"])
    first, _ = orgs.mint_key(table, org.org_id)
    assert len(first.key_id) == 16 and int(first.key_id, 16) >= 0
    ids = iter([first.key_id, first.key_id, "00000000000000aa"])
    monkeypatch.setattr(orgs.secrets, "token_hex", lambda n: next(ids))
    second, secret = orgs.mint_key(table, org.org_id)
    assert second.key_id == "00000000000000aa"
    assert orgs.authenticate(table, secret) == org.org_id
    assert len({k.key_id for k in table.list_keys(org.org_id)}) == 3


def test_rotating_the_admin_key_invalidates_the_old_one(aws):
    from audiofn.errors import Unauthorized
    from audiofn.services.orgs import authenticate_admin, store_admin_key
    from audiofn.storage.table import AppTable

    table = AppTable(os.environ["AUDIOFN_TABLE"])
    old, new = "a" * 40, "b" * 40
    store_admin_key(table, old)
    store_admin_key(table, old)  # every start stores it again: still valid
    authenticate_admin(table, old)
    store_admin_key(table, new)
    authenticate_admin(table, new)
    with pytest.raises(Unauthorized):
        authenticate_admin(table, old)


def test_an_organisation_cannot_revoke_its_last_key(api, lambda_context, org):
    _, listed = call_api(api, lambda_context, "GET", "/keys", org.api_key)
    [only] = listed["keys"]
    status, body = call_api(api, lambda_context, "DELETE", f"/keys/{only['keyId']}", org.api_key)
    assert status == 409 and "last key" in body["message"]
    assert call_api(api, lambda_context, "GET", "/keys", org.api_key)[0] == 200

    status, created = call_api(api, lambda_context, "POST", "/keys", org.api_key, {})
    assert status == 201
    status, _ = call_api(api, lambda_context, "DELETE", f"/keys/{only['keyId']}", org.api_key)
    assert status == 200
    assert call_api(api, lambda_context, "GET", "/keys", created["apiKey"])[0] == 200

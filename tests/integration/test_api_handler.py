"""The API function, called with the event files, against moto."""

from __future__ import annotations

import io
import json
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import http_event as request
from tests.conftest import load_event, load_function


@pytest.fixture
def api(aws):
    return load_function("api")


def call(api, lambda_context, event):
    response = api.lambda_handler(event, lambda_context)
    body = response.get("body") or "null"
    return response["statusCode"], json.loads(body), response.get("headers", {})


def make_script(api, lambda_context, key):
    status, body, _ = call(api, lambda_context, load_event("api_create_script.json", api_key=key))
    assert status == 200, body
    return body


def test_health_needs_no_key(api, lambda_context):
    # Given the health event, which carries no key
    status, body, _ = call(api, lambda_context, load_event("api_health.json"))

    # Then the function answers 200
    assert status == 200
    assert body["status"] == "ok"


def test_missing_and_wrong_keys_are_401_with_json(api, lambda_context, org):
    status, body, headers = call(api, lambda_context, load_event("api_no_key.json"))
    assert status == 401
    assert "API key" in body["message"]
    assert headers["Content-Type"] == "application/json"

    event = load_event("api_list_voices.json", api_key="x" * 43)
    status, body, _ = call(api, lambda_context, event)
    assert status == 401


@pytest.mark.parametrize(
    "header",
    [
        lambda k: {"x-api-key": k},
        lambda k: {"authorization": f"Bearer {k}"},
        lambda k: {"authorization": f"Token {k}"},
    ],
)
def test_every_supported_key_header_is_accepted(api, lambda_context, org, header):
    event = load_event("api_no_key.json")
    event["headers"].update(header(org.api_key))

    status, _, _ = call(api, lambda_context, event)

    assert status == 200


def test_admin_creates_an_organisation(api, lambda_context, aws):
    from audiofn.services.orgs import store_admin_key
    from audiofn.storage.table import AppTable

    admin = "a" * 40
    store_admin_key(AppTable(aws.table), admin)

    status, body, _ = call(api, lambda_context, load_event("api_create_org.json", admin_key=admin))
    assert status == 201
    assert body["orgId"] and len(body["apiKey"]) >= 32

    # And the new key works, while the admin key is not an organisation key
    event = load_event("api_no_key.json")
    event["headers"]["x-api-key"] = body["apiKey"]
    assert call(api, lambda_context, event)[0] == 200
    event["headers"]["x-api-key"] = admin
    assert call(api, lambda_context, event)[0] == 401


def test_wrong_admin_key_is_401(api, lambda_context, aws):
    status, _, _ = call(api, lambda_context, load_event("api_create_org.json", admin_key="b" * 40))
    assert status == 401


def test_script_create_returns_sections_and_placeholders(api, lambda_context, org):
    body = make_script(api, lambda_context, org.api_key)

    assert body["scriptId"]
    assert [s["sectionName"] for s in body["sections"]] == ["hello", "bye"]
    assert body["placeholders"] == ["username", "location"]


@pytest.mark.parametrize(
    "event_name, field",
    [
        ("api_create_script_unbalanced.json", "scriptText"),
        ("api_create_script_malformed_json.json", None),
    ],
)
def test_bad_scripts_are_400_naming_the_field(api, lambda_context, org, event_name, field):
    status, body, _ = call(api, lambda_context, load_event(event_name, api_key=org.api_key))

    assert status == 400
    assert body.get("field") == field
    assert body["message"]


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"projectName": "../other-org"}, "projectName"),
        ({"scriptName": "a/b"}, "scriptName"),
        ({"scriptText": ""}, "scriptText"),
        ({"scriptText": 42}, "scriptText"),
        ({"voise": "joe"}, "voise"),
        ({"scriptId": "custom-1"}, "moduleName"),
    ],
)
def test_script_fields_are_validated(api, lambda_context, org, patch, field):
    event = load_event("api_create_script.json", api_key=org.api_key)
    body = {"scriptText": "Hello", **patch}
    if patch.get("scriptId"):
        body["projectName"] = "p"
    event["body"] = json.dumps(body)

    status, response, _ = call(api, lambda_context, event)

    assert status == 400, response
    assert response["field"] == field


def test_other_organisations_see_404(api, lambda_context, org, aws):
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    script = make_script(api, lambda_context, org.api_key)
    _, other_key = create_org(AppTable(aws.table), "Other")
    event = request("GET", f"/script/{script['scriptId']}", other_key)

    status, _, _ = call(api, lambda_context, event)
    assert status == 404

    event["headers"]["x-api-key"] = org.api_key
    assert call(api, lambda_context, event)[0] == 200


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"speed": 1000}, "speed"),
        ({"speed": "fast"}, "speed"),
        ({"voice": "NoSuchVoice"}, "voice"),
        ({"effect": "reverse"}, "effect"),
        ({"silence_padding": -1}, "silence_padding"),
        ({"sections": {"nope": {"voice": "joe"}}}, "sections.nope"),
        ({"sections": {"hello": {"voice": "Nobody"}}}, "sections.hello.voice"),
    ],
)
def test_speech_options_are_validated(api, lambda_context, org, patch, field):
    script = make_script(api, lambda_context, org.api_key)
    event = load_event("api_create_speech.json", api_key=org.api_key, script_id=script["scriptId"])
    event["body"] = json.dumps({**json.loads(event["body"]), **patch})

    status, body, _ = call(api, lambda_context, event)

    assert status == 400, body
    assert body["field"] == field


def test_audience_without_value_or_default_is_400(api, lambda_context, org):
    event = load_event("api_create_script.json", api_key=org.api_key)
    event["body"] = json.dumps({"scriptText": "Hi {{name}}"})
    _, script, _ = call(api, lambda_context, event)
    event = load_event("api_create_speech.json", api_key=org.api_key, script_id=script["scriptId"])
    event["body"] = json.dumps({"scriptId": script["scriptId"], "audience": [{"other": "x"}]})

    status, body, _ = call(api, lambda_context, event)

    assert status == 400
    assert body["field"] == "audience[0].name"


@pytest.mark.slow
def test_speech_is_created_through_the_queue_and_retrieved(
    api, lambda_context, org, aws, drain_speech_queue
):
    import boto3
    import soundfile

    from audiofn.dsp.measure import true_peak_dbfs

    # Given a two-section script with placeholders
    script = make_script(api, lambda_context, org.api_key)
    sid = script["scriptId"]

    # When speech is requested (the wait bound is 0 here, so it answers 202 at once)
    event = load_event("api_create_speech.json", api_key=org.api_key, script_id=sid)
    status, body, _ = call(api, lambda_context, event)
    assert status == 202
    assert body["total"] == 2

    # Then retrieve says 202 until the speech function has run
    retrieve = load_event("api_retrieve_speech.json", api_key=org.api_key, script_id=sid)
    assert call(api, lambda_context, retrieve)[0] == 202
    responses = drain_speech_queue()
    assert all(r["batchItemFailures"] == [] for r in responses)

    status, urls, _ = call(api, lambda_context, retrieve)
    assert status == 200
    assert set(urls) == {
        "hello|location=Austin|username=Elon",
        "bye|location=Austin|username=Elon",
    }

    # And each URL points at a real WAV file inside the organisation's prefix
    for url in urls.values():
        key = unquote(urlparse(url).path.split("/", 2)[2])
        assert key.startswith(f"orgs/{org.org_id}/speech/{sid}/")
        data = boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read()
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32")
        assert rate > 8000 and len(samples) / rate > 0.5
        assert true_peak_dbfs(samples, rate) <= -0.9  # headroom for players and encoders

    # And section + parameters select one file
    retrieve["rawQueryString"] = f"scriptId={sid}&section=bye&username=Elon"
    retrieve["queryStringParameters"] = {"scriptId": sid, "section": "bye", "username": "Elon"}
    status, one, _ = call(api, lambda_context, retrieve)
    assert status == 200 and list(one) == ["bye|location=Austin|username=Elon"]


def test_keys_can_be_minted_listed_and_revoked(api, lambda_context, org):
    status, minted, _ = call(
        api, lambda_context, request("POST", "/keys", org.api_key, {"prefix": "ap_"})
    )
    assert status == 201
    assert minted["apiKey"].startswith("ap_")

    status, keys, _ = call(api, lambda_context, request("GET", "/keys", org.api_key))
    assert status == 200
    assert minted["keyId"] in {k["keyId"] for k in keys["keys"]}
    assert all("apiKey" not in k for k in keys["keys"])

    revoke = request("DELETE", f"/keys/{minted['keyId']}", org.api_key)
    assert call(api, lambda_context, revoke)[0] == 200
    assert call(api, lambda_context, request("GET", "/keys", minted["apiKey"]))[0] == 401
    assert call(api, lambda_context, revoke)[0] == 404


def test_org_reports_id_and_name(api, lambda_context, org):
    status, body, _ = call(api, lambda_context, request("GET", "/org", org.api_key))

    assert status == 200
    assert body["orgId"] == org.org_id and body["orgName"] == "Test Org"


def test_unknown_route_is_a_json_404(api, lambda_context, org):
    status, body, _ = call(api, lambda_context, request("GET", "/nope", org.api_key))

    assert status == 404 and "message" in body


def test_openapi_document_is_served_without_a_key(api, lambda_context):
    response = api.lambda_handler(request("GET", "/openapi.json", ""), lambda_context)

    document = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert "/script" in document["paths"] and "/speech" in document["paths"]

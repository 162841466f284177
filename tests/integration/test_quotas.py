"""Fairness between organisations through the API function on moto: a request rate, running
jobs at once and characters a day, each set per organisation by the admin, each a 429 with
Retry-After when used up, and none of them touching another organisation."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from tests.conftest import call_api, http_event, load_function

ADMIN_KEY = "a" * 40


@pytest.fixture
def api(aws):
    from audiofn.services import quotas
    from audiofn.services.orgs import store_admin_key
    from audiofn.storage.table import AppTable

    store_admin_key(AppTable(os.environ["AUDIOFN_TABLE"]), ADMIN_KEY)
    quotas._cache.clear()
    return load_function("api")


@pytest.fixture
def other(aws) -> SimpleNamespace:
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    record, key = create_org(AppTable(os.environ["AUDIOFN_TABLE"]), "Other Org")
    return SimpleNamespace(org_id=record.org_id, api_key=key)


def call(api, ctx, method, path, key=None, body=None, *, bearer=None):
    """(status, body, headers) of one API call."""
    event = http_event(method, path, key, body)
    if bearer:
        event["headers"]["authorization"] = f"Bearer {bearer}"
    response = api.lambda_handler(event, ctx)
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return response["statusCode"], json.loads(response.get("body") or "null"), headers


def set_limits(api, ctx, org, **limits):
    status, body, _ = call(
        api, ctx, "PUT", f"/admin/orgs/{org.org_id}/limits", body=limits, bearer=ADMIN_KEY
    )
    assert status == 200, body
    return body


def speech(api, ctx, org, text="Hello there, this is a short script."):
    status, script = call_api(api, ctx, "POST", "/script", org.api_key, {"scriptText": text})
    assert status in (200, 201), script
    return call(api, ctx, "POST", "/speech", org.api_key, {"scriptId": script["scriptId"]})


def test_the_admin_reads_and_sets_an_organisations_limits(api, lambda_context, org):
    status, body, _ = call(
        api, lambda_context, "GET", f"/admin/orgs/{org.org_id}/limits", bearer=ADMIN_KEY
    )
    assert status == 200
    assert body["limits"] == {
        "requestsPerSecond": 20.0,
        "maxRunningJobs": 5,
        "dailyCharacters": 1_000_000,
    }

    body = set_limits(api, lambda_context, org, maxRunningJobs=2, dailyCharacters=5000)
    assert body["limits"]["maxRunningJobs"] == 2 and body["limits"]["dailyCharacters"] == 5000
    assert body["limits"]["requestsPerSecond"] == 20.0  # left out: the default

    path = f"/admin/orgs/{org.org_id}/limits"
    status, body, _ = call(
        api, lambda_context, "PUT", path, body={"maxRunningJobs": 0}, bearer=ADMIN_KEY
    )
    assert status == 400 and body["field"] == "maxRunningJobs"
    status, body, _ = call(api, lambda_context, "PUT", path, body={"jobs": 3}, bearer=ADMIN_KEY)
    assert status == 400 and body["field"] == "jobs"
    assert call(api, lambda_context, "PUT", path, body={}, bearer=org.api_key)[0] == 401
    status, _, _ = call(
        api, lambda_context, "PUT", "/admin/orgs/nope/limits", body={}, bearer=ADMIN_KEY
    )
    assert status == 404


def test_past_its_request_rate_an_organisation_gets_429_and_others_do_not(
    api, lambda_context, org, other, monkeypatch
):
    from audiofn.services import quotas

    set_limits(api, lambda_context, org, requestsPerSecond=0.3)  # 3 in a 10 s window
    monkeypatch.setattr(quotas.time, "time", lambda: 1_000_003.0)  # 7 s before the window ends

    answers = [call(api, lambda_context, "GET", "/script", org.api_key)[0] for _ in range(3)]
    status, body, headers = call(api, lambda_context, "GET", "/script", org.api_key)

    assert answers == [200, 200, 200]
    assert status == 429 and headers["retry-after"] == "7"
    assert "too many requests for this organisation" in body["message"]
    assert call(api, lambda_context, "GET", "/script", other.api_key)[0] == 200

    monkeypatch.setattr(quotas.time, "time", lambda: 1_000_010.0)  # the next window
    assert call(api, lambda_context, "GET", "/script", org.api_key)[0] == 200


def test_running_jobs_past_the_limit_get_429_until_one_finishes(api, lambda_context, org, other):
    from audiofn.storage.table import AppTable

    set_limits(api, lambda_context, org, maxRunningJobs=1)

    first = speech(api, lambda_context, org)
    second = speech(api, lambda_context, org)

    assert first[0] in (200, 201, 202), first
    assert second[0] == 429 and second[2]["retry-after"] == "30"
    assert "1 jobs of this organisation are running" in second[1]["message"]
    assert speech(api, lambda_context, other)[0] in (200, 201, 202)
    status, usage, _ = call(
        api, lambda_context, "GET", f"/admin/orgs/{org.org_id}/limits", bearer=ADMIN_KEY
    )
    assert (
        status == 200
        and usage["runningJobs"] == 1
        and usage["charactersToday"] == len("Hello there, this is a short script.")
    )

    # When the running job finishes, its slot is free again
    table = AppTable(os.environ["AUDIOFN_TABLE"])
    running = [j for j in _jobs(table, org.org_id) if j.status == "running"]
    assert len(running) == 1
    table.fail_job(org.org_id, running[0].job_id, "stopped by the test", 500)
    assert speech(api, lambda_context, org)[0] in (200, 201, 202)


def test_the_daily_character_quota_is_429_until_midnight_and_a_400_when_too_big(
    api, lambda_context, org, other
):
    set_limits(api, lambda_context, org, dailyCharacters=60, maxRunningJobs=10)
    text = "Hello there, this is a short script of forty-odd."

    assert speech(api, lambda_context, org, text)[0] in (200, 201, 202)
    status, body, headers = speech(api, lambda_context, org, text)

    assert status == 429 and "daily quota of 60 characters is used up" in body["message"]
    assert 0 < int(headers["retry-after"]) <= 86_400
    status, body, _ = speech(api, lambda_context, org, text * 2)
    assert status == 400 and "daily quota is 60" in body["message"]
    assert speech(api, lambda_context, other, text)[0] in (200, 201, 202)


def _jobs(table, org_id):
    from audiofn.storage.table import _job_from_item

    return [_job_from_item(item) for item in table._query(f"ORG#{org_id}", "JOB#")]


def test_the_transcription_and_sync_speech_functions_share_the_organisations_rate(
    api, lambda_context, org, other, monkeypatch
):
    from audiofn.services import quotas

    set_limits(api, lambda_context, org, requestsPerSecond=0.1)  # 1 in a 10 s window
    monkeypatch.setattr(quotas.time, "time", lambda: 2_000_004.0)
    transcriptions, sync_speech = load_function("transcriptions"), load_function("sync_speech")
    assert call(api, lambda_context, "GET", "/script", org.api_key)[0] == 200

    for function, path in (
        (transcriptions, "/v1/audio/transcriptions"),
        (sync_speech, "/v1/audio/speech"),
    ):
        status, body, headers = call(function, lambda_context, "POST", path, org.api_key, {})
        assert status == 429 and headers["retry-after"] == "6", path
        assert body["error"]["type"] == "rate_limit_error", body
        assert call(function, lambda_context, "POST", path, other.api_key, {})[0] != 429


def test_sync_speech_counts_against_the_daily_character_quota(api, lambda_context, org, aws):
    set_limits(api, lambda_context, org, dailyCharacters=8)
    sync_speech = load_function("sync_speech")
    body = {"model": "tts-1", "voice": "alloy", "input": "Hello."}

    event = http_event("POST", "/v1/audio/speech", org.api_key, body)
    first = sync_speech.lambda_handler(event, lambda_context)
    second = call(sync_speech, lambda_context, "POST", "/v1/audio/speech", org.api_key, body)

    assert first["statusCode"] == 200
    assert second[0] == 429 and int(second[2]["retry-after"]) > 0
    assert "daily quota of 8 characters is used up" in second[1]["error"]["message"]


def test_queued_work_holds_no_running_job_slot(api, lambda_context, org):
    from audiofn.api.deps import services
    from audiofn.models.apiaudio import CreateSpeechRequest
    from audiofn.services.speech import create_speech

    set_limits(api, lambda_context, org, maxRunningJobs=1)
    assert speech(api, lambda_context, org)[0] in (200, 201, 202)
    status, script = call_api(
        api, lambda_context, "POST", "/script", org.api_key, {"scriptText": "Hello inbox."}
    )
    assert status in (200, 201), script

    job = create_speech(
        services(), org.org_id, CreateSpeechRequest(scriptId=script["scriptId"]), queued=True
    )

    assert job.status == "running"
    assert speech(api, lambda_context, org)[0] == 429  # the API's request still waits


def test_the_keyless_streaming_url_shares_the_organisations_rate(
    api, lambda_context, org, other, monkeypatch
):
    from starlette.testclient import TestClient

    from audiofn.services import quotas

    # Given an organisation whose one request of the window went to the API function
    set_limits(api, lambda_context, org, requestsPerSecond=0.1)  # 1 in a 10 s window
    monkeypatch.setattr(quotas.time, "time", lambda: 3_000_004.0)
    assert call(api, lambda_context, "GET", "/script", org.api_key)[0] == 200

    # When it asks the streaming function (a Function URL outside the HTTP API's throttle)
    stream = TestClient(load_function("speech_stream").app)
    answer = stream.post("/v1/audio/speech", json={}, headers={"x-api-key": org.api_key})

    # Then it is held to the same rate, and another organisation is not
    assert answer.status_code == 429 and answer.headers["retry-after"] == "6", answer.text
    other_answer = stream.post("/v1/audio/speech", json={}, headers={"x-api-key": other.api_key})
    assert other_answer.status_code == 400, other_answer.text


def test_a_batch_is_charged_for_what_it_will_synthesise(api, lambda_context, org, other):
    from audiofn.services.batches import batch_characters

    # Given a script whose shared sentence is spoken once and whose personal one per listener
    script = "Welcome to the show. Hello {{name|friend}}, good to have you."
    audience = [{"name": f"Listener {i}"} for i in range(40)]
    shared, personal = len("Welcome to the show."), len("Hello {{name|friend}}, good to have you.")
    assert batch_characters(script, 40, cached=True) == shared + 40 * personal
    assert batch_characters(script, 40, cached=False) == 40 * (shared + personal)
    set_limits(api, lambda_context, org, dailyCharacters=1000)
    body = {"scriptText": script, "audience": audience, "endFormat": "wav"}

    # When the organisation starts a batch bigger than its whole daily quota
    status, answer = call_api(api, lambda_context, "POST", "/batch", org.api_key, body)

    # Then it is refused before anything is queued, naming the audience; a smaller one passes
    assert status == 400 and answer["field"] == "audience", answer
    small = {**body, "audience": audience[:5]}
    assert call_api(api, lambda_context, "POST", "/batch", org.api_key, small)[0] == 202
    assert call_api(api, lambda_context, "POST", "/batch", other.api_key, body)[0] == 202


def test_a_request_racing_another_into_a_new_window_is_counted_not_refused(aws, org, monkeypatch):
    """Two functions find the window over at once: one starts the new window, and the other,
    whose reset then fails, counts against it instead of answering a spurious 429."""
    from audiofn.storage.quotas_table import QuotasTable

    quotas = QuotasTable(os.environ["AUDIOFN_TABLE"])
    assert quotas.take(org.org_id, "REQUESTS", "000000000001", 1, 5)
    rival = QuotasTable(os.environ["AUDIOFN_TABLE"])
    real_start = QuotasTable._start

    def start_after_the_rival(self, org_id, counter, period, amount):
        monkeypatch.setattr(QuotasTable, "_start", real_start)  # the rival goes straight through
        assert rival.take(org_id, counter, period, amount, 5)
        return real_start(self, org_id, counter, period, amount)

    monkeypatch.setattr(QuotasTable, "_start", start_after_the_rival)
    assert quotas.take(org.org_id, "REQUESTS", "000000000002", 1, 5)
    assert quotas.used(org.org_id, "REQUESTS", "000000000002") == 2
    # The window still refuses past its room
    assert quotas.take(org.org_id, "REQUESTS", "000000000002", 3, 5)
    assert not quotas.take(org.org_id, "REQUESTS", "000000000002", 1, 5)

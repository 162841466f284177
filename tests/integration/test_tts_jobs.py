"""The job-based TTS API (/api/v1/jobs/) and its queue function, against moto.

Requests go through the API function's handler with `Authorization: Token`, the queue is
drained into the TTS job function as Lambda would feed it, and the MP3 is decoded back.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from audiofn.services.tts_jobs import catalogue_voice_number
from tests.conftest import drain_queue, http_event, load_event, load_function, reset_process_caches

pytestmark = pytest.mark.slow

JOBS = "/api/v1/jobs"


@pytest.fixture
def tts(aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """The template's TtsJobQueue (with its DLQ) and the webhook queue, in moto."""
    queue = aws.resources.queues["TtsJobQueue"].url
    dlq = aws.resources.queues["TtsJobDLQ"].url
    webhooks = aws.webhook_queue_url
    reset_process_caches()
    yield SimpleNamespace(queue_url=queue, dlq_url=dlq, webhook_queue_url=webhooks)
    reset_process_caches()


@pytest.fixture
def api(tts: SimpleNamespace) -> ModuleType:
    return load_function("api")


def request(
    api: ModuleType,
    lambda_context: SimpleNamespace,
    method: str,
    path: str,
    key: str | None,
    *,
    body: bytes | str | None = None,
    content_type: str | None = "application/json",
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The raw API Gateway response of one request authenticated as the job API's clients are."""
    event = http_event(method, path, query=query)
    if key is not None:
        event["headers"]["authorization"] = f"Token {key}"
    if content_type is None:
        event["headers"].pop("content-type", None)
    else:
        event["headers"]["content-type"] = content_type
    event["headers"]["x-forwarded-proto"] = "https"
    if isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    elif body is not None:
        event["body"] = body
    response: dict[str, Any] = api.lambda_handler(event, lambda_context)
    return response


def call(api, lambda_context, method, path, key, **kwargs) -> tuple[int, Any]:
    response = request(api, lambda_context, method, path, key, **kwargs)
    return response["statusCode"], json.loads(response.get("body") or "null")


def submit(api, lambda_context, key, text="salam", lang="az", voice_id="325640") -> dict:
    payload = {"text": text, "lang": lang, "voice_id": voice_id}
    status, body = call(api, lambda_context, "POST", f"{JOBS}/text/", key, body=json.dumps(payload))
    assert status == 200, body
    return body["data"]


def multipart(fields: dict[str, str], file_name: str, data: bytes) -> tuple[bytes, str]:
    from urllib3.filepost import encode_multipart_formdata

    return encode_multipart_formdata({**fields, "file": (file_name, data, "text/plain")})


def drain(tts: SimpleNamespace, lambda_context: SimpleNamespace) -> list[dict[str, Any]]:
    return drain_queue(tts.queue_url, "tts_job", lambda_context)


def decode_mp3(response: dict[str, Any]):
    from audiofn.codecs import decode

    assert response["isBase64Encoded"] is True
    data = base64.b64decode(response["body"])
    assert data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    return decode(data)


# ---------------------------------------------------------------- the happy path


def test_a_text_job_becomes_an_mp3_through_every_status(org, tts, api, lambda_context, monkeypatch):
    from audiofn.storage.tts_jobs_table import TtsJobsTable

    # Given a submitted text, as the job API's curl example sends it
    job = submit(api, lambda_context, org.api_key)

    # Then the job is waiting, with the documented shape
    assert job["id"] == 1 and job["voice_id"] == 325640 and job["language"] == "az"
    assert job["character_count"] == 5 and job["status"] == "waiting"
    assert job["created"].endswith("Z") and len(job["created"]) == len(
        "2020-03-31T11:13:51.942419Z"
    )

    # When the queue is drained, with every status move recorded
    moves: list[str] = []
    original = TtsJobsTable.move_job

    def recording(self, org_id, job_id, status, **kwargs):
        moved = original(self, org_id, job_id, status, **kwargs)
        moves.append(status if moved else f"refused {status}")
        return moved

    monkeypatch.setattr(TtsJobsTable, "move_job", recording)
    responses = drain(tts, lambda_context)

    # Then it went through each documented status in order, and is ready
    assert [r["batchItemFailures"] for r in responses] == [[]]
    assert moves == ["preparing", "processing", "synthesizing", "ready"]
    status, body = call(api, lambda_context, "GET", f"{JOBS}/1/", org.api_key)
    assert status == 200 and body["data"]["status"] == "ready"

    # And the MP3 decodes to speech-length audio
    response = request(api, lambda_context, "GET", f"{JOBS}/1/synthesize/", org.api_key)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "audio/mpeg"
    audio = decode_mp3(response)
    assert 0.3 < audio.duration < 3.0


def test_a_long_text_is_spoken_in_chunks_and_joined(org, tts, api, lambda_context):
    # Given a text of many sentences in two paragraphs (English, the default voice)
    sentence = "This sentence is one of many in a long text. "
    text = sentence * 12 + "\n\n" + sentence * 12
    job = submit(api, lambda_context, org.api_key, text=text, lang="en", voice_id=None)
    assert job["voice_id"] == int(catalogue_voice_number("joe"))  # an integer, as documented

    # When it is synthesised
    drain(tts, lambda_context)

    # Then the one MP3 holds all of it: 24 sentences of about 2.5 s each
    response = request(api, lambda_context, "GET", f"{JOBS}/{job['id']}/synthesize/", org.api_key)
    audio = decode_mp3(response)
    assert 40 < audio.duration < 100


def test_a_utf8_text_file_is_accepted(org, tts, api, lambda_context):
    body, content_type = multipart(
        {"lang": "tr", "voice_id": "325646"}, "myfile.txt", "Merhaba dünya.\n".encode()
    )
    status, result = call(
        api,
        lambda_context,
        "POST",
        f"{JOBS}/file/",
        org.api_key,
        body=body,
        content_type=content_type,
    )
    assert status == 200, result
    assert result["data"]["voice_id"] == 325646 and result["data"]["language"] == "tr"
    assert result["data"]["character_count"] == len("Merhaba dünya.\n")
    drain(tts, lambda_context)
    status, got = call(api, lambda_context, "GET", f"{JOBS}/1/", org.api_key)
    assert got["data"]["status"] == "ready"


# ---------------------------------------------------------------- 406 and delete


def test_synthesize_and_delete_are_not_acceptable_before_the_job_finishes(
    org, tts, api, lambda_context
):
    from audiofn.storage.tts_jobs_table import TtsJobsTable

    job = submit(api, lambda_context, org.api_key)

    status, body = call(api, lambda_context, "GET", f"{JOBS}/{job['id']}/synthesize/", org.api_key)
    assert status == 406
    assert body == {
        "error": {
            "code": 406,
            "message": "Not acceptable",
            "allowedStatuses": "ready",
            "currentStatus": "waiting",
        }
    }

    # A running job cannot be deleted either
    TtsJobsTable(os.environ["AUDIOFN_TABLE"]).move_job(org.org_id, job["id"], "synthesizing")
    status, body = call(api, lambda_context, "DELETE", f"{JOBS}/{job['id']}/", org.api_key)
    assert status == 406
    assert body["error"]["allowedStatuses"] == ["ready", "failed"]
    assert body["error"]["currentStatus"] == "synthesizing"
    assert body["error"]["deleted"] is False


def test_delete_removes_the_text_the_file_and_the_audio(org, tts, api, lambda_context):
    import boto3

    body, content_type = multipart({"lang": "az", "voice_id": "325642"}, "a.txt", b"Salam dunya.")
    call(
        api,
        lambda_context,
        "POST",
        f"{JOBS}/file/",
        org.api_key,
        body=body,
        content_type=content_type,
    )
    drain(tts, lambda_context)
    s3 = boto3.client("s3")
    prefix = f"orgs/{org.org_id}/tts-jobs/1/"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=tts_bucket(), Prefix=prefix)["Contents"]}
    assert keys == {prefix + "text.txt", prefix + "upload", prefix + "speech.mp3"}

    status, result = call(api, lambda_context, "DELETE", f"{JOBS}/1/", org.api_key)

    assert status == 200 and result == {"data": {"code": 200, "deleted": True}}
    assert s3.list_objects_v2(Bucket=tts_bucket(), Prefix=prefix).get("KeyCount") == 0
    status, result = call(api, lambda_context, "GET", f"{JOBS}/1/", org.api_key)
    assert status == 404 and result["error"]["code"] == 404
    assert result["error"]["message"] == "ID not found."


def tts_bucket() -> str:
    return os.environ["AUDIOFN_MEDIA_BUCKET"]


# ---------------------------------------------------------------- pagination


def test_jobs_are_listed_newest_first_with_next_and_previous_urls(org, tts, api, lambda_context):
    for _ in range(5):
        submit(api, lambda_context, org.api_key)

    status, page = call(
        api, lambda_context, "GET", f"{JOBS}/", org.api_key, query={"limit": "2", "offset": "2"}
    )

    assert status == 200
    assert page["count"] == 5
    assert [job["id"] for job in page["results"]] == [3, 2]
    assert page["next"] == "https://127.0.0.1:3000/api/v1/jobs/?limit=2&offset=4"
    assert page["previous"] == "https://127.0.0.1:3000/api/v1/jobs/?limit=2&offset=0"

    status, last = call(
        api, lambda_context, "GET", f"{JOBS}/", org.api_key, query={"limit": "2", "offset": "4"}
    )
    assert [job["id"] for job in last["results"]] == [1] and last["next"] is None

    status, first = call(api, lambda_context, "GET", f"{JOBS}/", org.api_key)
    assert first["previous"] is None and len(first["results"]) == 5

    status, body = call(
        api, lambda_context, "GET", f"{JOBS}/", org.api_key, query={"limit": "zero"}
    )
    assert status == 400 and "limit" in body["error"]["message"]


def test_jobs_of_another_organisation_are_not_found(org, tts, api, lambda_context):
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    submit(api, lambda_context, org.api_key)
    _, other_key = create_org(AppTable(os.environ["AUDIOFN_TABLE"]), "Other Org")

    status, _ = call(api, lambda_context, "GET", f"{JOBS}/1/", other_key)
    assert status == 404
    status, page = call(api, lambda_context, "GET", f"{JOBS}/", other_key)
    assert page["count"] == 0 and page["results"] == []


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"lang": "az", "voice_id": "325640"}, "text"),
        ({"text": "   ", "lang": "az", "voice_id": "325640"}, "text"),
        ({"text": "salam", "voice_id": "325640"}, "lang"),
        ({"text": "salam", "lang": "az", "voice_id": "999999"}, "voice_id"),
        ({"text": "salam", "lang": "en", "voice_id": "325640"}, "lang"),
        ({"text": "salam", "lang": "x!", "voice_id": "325640"}, "lang"),
        ({"text": ["salam"], "lang": "az"}, "text"),
        ({"text": "hello", "lang": "en", "voice_id": "af_bella(0)+af_sky"}, "voice_id"),
        ({"text": "hello", "lang": "en", "voice_id": "af_bella+nobody"}, "voice_id"),
        ({"text": "hello", "lang": "az", "voice_id": "af_bella+af_sky"}, "lang"),
    ],
)
def test_bad_submissions_are_400_naming_the_field(org, tts, api, lambda_context, payload, field):
    status, body = call(
        api, lambda_context, "POST", f"{JOBS}/text/", org.api_key, body=json.dumps(payload)
    )
    assert status == 400, body
    assert body["error"]["code"] == 400
    assert body["error"]["message"].startswith(field), body
    assert body["error"]["field"] == field


def test_a_text_over_the_limit_is_refused(org, tts, api, lambda_context, monkeypatch):
    monkeypatch.setenv("AUDIOFN_TTS_JOB_MAX_CHARACTERS", "20")
    reset_process_caches()
    fresh = load_function("api")
    status, body = call(
        fresh,
        lambda_context,
        "POST",
        f"{JOBS}/text/",
        org.api_key,
        body=json.dumps({"text": "x" * 21, "lang": "en"}),
    )
    assert status == 400 and "limit of 20" in body["error"]["message"]


def test_malformed_and_unsupported_bodies(org, tts, api, lambda_context):
    status, body = call(api, lambda_context, "POST", f"{JOBS}/text/", org.api_key, body="{nope")
    assert status == 400 and "not valid JSON" in body["error"]["message"]

    status, body = call(
        api,
        lambda_context,
        "POST",
        f"{JOBS}/text/",
        org.api_key,
        body="text=salam",
        content_type="application/x-www-form-urlencoded",
    )
    assert status == 415 and body["error"]["code"] == 415

    status, body = call(
        api, lambda_context, "POST", f"{JOBS}/file/", org.api_key, body='{"text": "salam"}'
    )
    assert status == 415 and "multipart/form-data" in body["error"]["message"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "DOCX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "DOC"),
        ("Ça va très bien".encode("latin-1"), "not UTF-8"),
        (b"\x00\x01binary\x00", "binary"),
    ],
)
def test_files_that_are_not_utf8_text_are_415(org, tts, api, lambda_context, data, words):
    body, content_type = multipart({"lang": "az", "voice_id": "325640"}, "upload.bin", data)
    status, result = call(
        api,
        lambda_context,
        "POST",
        f"{JOBS}/file/",
        org.api_key,
        body=body,
        content_type=content_type,
    )
    assert status == 415, result
    assert words in result["error"]["message"] and result["error"]["field"] == "file"


def test_utf16_text_with_a_byte_order_mark_is_read(org, tts, api, lambda_context):
    body, content_type = multipart({"lang": "ru"}, "notes.txt", "Привет.".encode("utf-16"))
    status, result = call(
        api,
        lambda_context,
        "POST",
        f"{JOBS}/file/",
        org.api_key,
        body=body,
        content_type=content_type,
    )
    assert status == 200, result
    assert result["data"]["character_count"] == 7 and result["data"]["voice_id"] == 325645


def test_a_missing_file_field_is_400(org, tts, api, lambda_context):
    from urllib3.filepost import encode_multipart_formdata

    body, content_type = encode_multipart_formdata({"lang": "az", "voice_id": "325640"})
    status, result = call(
        api,
        lambda_context,
        "POST",
        f"{JOBS}/file/",
        org.api_key,
        body=body,
        content_type=content_type,
    )
    assert status == 400 and result["error"]["field"] == "file"


def test_authentication_errors_have_the_job_api_shape_on_its_paths_only(tts, api, lambda_context):
    status, body = call(api, lambda_context, "GET", f"{JOBS}/", None)
    assert status == 401
    assert set(body) == {"error"} and body["error"]["code"] == 401 and body["error"]["message"]

    status, body = call(api, lambda_context, "GET", f"{JOBS}/", "not-a-key")
    assert status == 401 and body["error"]["code"] == 401

    # The rest of the API keeps its own error shape
    status, body = call(api, lambda_context, "GET", "/script", None)
    assert status == 401 and "message" in body and "error" not in body


def test_an_unknown_job_id_is_404(org, tts, api, lambda_context):
    for path in (f"{JOBS}/41/", f"{JOBS}/abc/", f"{JOBS}/41/synthesize/"):
        status, body = call(api, lambda_context, "GET", path, org.api_key)
        assert status == 404 and body["error"] == {
            "code": 404,
            "message": "ID not found.",
            "field": "id",
        }


# ---------------------------------------------------------------- the queue function


def task_event(org_id: str, job_id: int) -> dict:
    return load_event("tts_job_task.json", org_id=org_id, job_id=str(job_id))


def test_a_redelivered_message_yields_one_mp3(org, tts, api, lambda_context):
    import boto3

    submit(api, lambda_context, org.api_key)
    function = load_function("tts_job")
    event = task_event(org.org_id, 1)

    first = function.lambda_handler(event, lambda_context)
    key = f"orgs/{org.org_id}/tts-jobs/1/speech.mp3"
    head = boto3.client("s3").head_object(Bucket=tts_bucket(), Key=key)
    second = function.lambda_handler(event, lambda_context)

    assert first["batchItemFailures"] == [] and second["batchItemFailures"] == []
    again = boto3.client("s3").head_object(Bucket=tts_bucket(), Key=key)
    assert again["LastModified"] == head["LastModified"] and again["ETag"] == head["ETag"]


def test_a_job_whose_mp3_was_stored_before_a_crash_is_only_marked_ready(
    org, tts, api, lambda_context, monkeypatch
):
    from audiofn.storage.tts_jobs_table import TtsJobsTable
    from audiofn.workers.tts_job import TtsJobWorker

    submit(api, lambda_context, org.api_key)
    function = load_function("tts_job")
    function.lambda_handler(task_event(org.org_id, 1), lambda_context)
    table = TtsJobsTable(os.environ["AUDIOFN_TABLE"])
    # As if the worker died after storing the MP3 but before recording it
    table._table.update_item(
        Key={"pk": f"ORG#{org.org_id}", "sk": f"TTSJOB#{1:012d}"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "synthesizing"},
    )

    def must_not_render(self, job):
        raise AssertionError("rendered again")

    monkeypatch.setattr(TtsJobWorker, "render", must_not_render)
    response = function.lambda_handler(task_event(org.org_id, 1), lambda_context)

    assert response["batchItemFailures"] == []
    assert table.get_job(org.org_id, 1).status == "ready"  # type: ignore[union-attr]


def test_a_permanent_failure_fails_the_job_at_once_and_tells_the_webhook(
    org, tts, api, lambda_context
):
    import boto3

    from audiofn.models.records import WebhookRecord
    from audiofn.storage.tts_jobs_table import TtsJobsTable
    from audiofn.storage.webhooks_table import WebhooksTable

    WebhooksTable(os.environ["AUDIOFN_TABLE"]).put_webhook(
        org.org_id, WebhookRecord(url="https://hooks.example.test", secret="s")
    )
    submit(api, lambda_context, org.api_key)
    table = TtsJobsTable(os.environ["AUDIOFN_TABLE"])
    table._table.update_item(
        Key={"pk": f"ORG#{org.org_id}", "sk": f"TTSJOB#{1:012d}"},
        UpdateExpression="SET voice = :v",
        ExpressionAttributeValues={":v": "no-such-voice"},
    )

    responses = drain(tts, lambda_context)

    assert [r["batchItemFailures"] for r in responses] == [[]]  # not retried
    job = table.get_job(org.org_id, 1)
    assert job.status == "failed" and "no-such-voice" in (job.reason or "")  # type: ignore[union-attr]
    status, body = call(api, lambda_context, "GET", f"{JOBS}/1/", org.api_key)
    assert body["data"]["status"] == "failed" and "no-such-voice" in body["data"]["reason"]
    events = boto3.client("sqs").receive_message(QueueUrl=tts.webhook_queue_url)["Messages"]
    event = json.loads(events[0]["Body"])
    assert event["type"] == "job.failed" and event["data"]["id"] == 1
    # A failed job can be deleted
    status, _ = call(api, lambda_context, "DELETE", f"{JOBS}/1/", org.api_key)
    assert status == 200


def test_a_message_that_keeps_failing_fails_the_job_and_lands_in_the_dlq(
    org, tts, api, lambda_context
):
    import boto3

    from audiofn.storage.tts_jobs_table import TtsJobsTable

    submit(api, lambda_context, org.api_key)
    # The stored text vanishes: reading it fails on every attempt (an S3 error, retried)
    boto3.client("s3").delete_object(
        Bucket=tts_bucket(), Key=f"orgs/{org.org_id}/tts-jobs/1/text.txt"
    )

    responses = drain(tts, lambda_context)

    assert len(responses) == 3 and all(len(r["batchItemFailures"]) == 1 for r in responses)
    job = TtsJobsTable(os.environ["AUDIOFN_TABLE"]).get_job(org.org_id, 1)
    assert job.status == "failed" and "gave up after 3 tries" in (job.reason or "")  # type: ignore[union-attr]
    dead = boto3.client("sqs").receive_message(QueueUrl=tts.dlq_url)["Messages"]
    assert json.loads(dead[0]["Body"]) == {"org_id": org.org_id, "job_id": 1}


def test_an_mp3_too_big_for_a_lambda_response_is_a_redirect_to_s3(
    org, tts, api, lambda_context, monkeypatch
):

    from audiofn.api import tts_jobs as routes

    submit(api, lambda_context, org.api_key)
    drain(tts, lambda_context)
    monkeypatch.setattr(routes, "INLINE_AUDIO_BYTES", 100)

    response = request(api, lambda_context, "GET", f"{JOBS}/1/synthesize/", org.api_key)

    assert response["statusCode"] == 302
    location = response["headers"]["Location"]
    assert f"orgs/{org.org_id}/tts-jobs/1/speech.mp3" in location and "Signature" in location


def test_text_jobs_count_against_the_daily_character_quota(org, tts, api, lambda_context):
    from audiofn.api.deps import services
    from audiofn.models.quotas import OrgLimits
    from audiofn.services import quotas

    quotas.set_limits(services(), org.org_id, OrgLimits(dailyCharacters=8))  # type: ignore[call-arg]
    submit(api, lambda_context, org.api_key, text="salam")  # 5 of 8

    payload = json.dumps({"text": "salam", "lang": "az", "voice_id": "325640"})
    response = request(api, lambda_context, "POST", f"{JOBS}/text/", org.api_key, body=payload)

    assert response["statusCode"] == 429
    assert {k.lower(): v for k, v in response["headers"].items()}["retry-after"].isdigit()
    assert "daily quota of 8 characters is used up" in response["body"]


def test_kokoro_names_and_blends_are_job_voices(org, tts, api, lambda_context):
    ids = [
        submit(api, lambda_context, org.api_key, "Hello there.", "en", voice)["id"]
        for voice in ("nova", "af_bella(2)+af_sky(1)")
    ]
    drain(tts, lambda_context)
    for job_id in ids:
        status, body = call(api, lambda_context, "GET", f"{JOBS}/{job_id}/", org.api_key)
        assert status == 200 and body["data"]["status"] == "ready", body

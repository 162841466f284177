"""Voice management through the API and voice-sample handlers on moto: S3 -> SQS -> function."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import call_api, drain_queue, http_event, load_function, reset_process_caches
from tests.voice_corpus import CONSENT, SPOKEN_TEXT_2, bad_corpus, good_sample

V = "/api/v1/voice"


@pytest.fixture
def voice_aws(aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The template's samples bucket, whose manifest uploads notify the voice-sample queue."""
    import boto3

    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket="audiofn-test-voice-samples")
    queue = sqs.create_queue(
        QueueName="audiofn-test-voice-samples", Attributes={"VisibilityTimeout": "0"}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket="audiofn-test-voice-samples",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                {"Name": "prefix", "Value": "voice-samples/"},
                                {"Name": "suffix", "Value": "manifest.json"},
                            ]
                        }
                    },
                }
            ]
        },
    )
    monkeypatch.setenv("AUDIOFN_VOICE_SAMPLES_BUCKET", "audiofn-test-voice-samples")
    # The smallest style search: these tests are about the protocol, not the likeness.
    monkeypatch.setenv("AUDIOFN_VOICE_SEARCH_CANDIDATES", "4")
    reset_process_caches()
    aws.voice_queue_url = queue
    aws.samples_bucket = "audiofn-test-voice-samples"
    return aws


@pytest.fixture
def api(voice_aws: SimpleNamespace) -> Any:
    return load_function("api")


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def post_form(
    api: Any,
    ctx: SimpleNamespace,
    path: str,
    key: str,
    fields: dict[str, str],
    files: list[tuple[str, str, bytes]],
) -> tuple[int, Any]:
    content_type, body = multipart(fields, files)
    event = http_event("POST", path, key)
    event["headers"]["content-type"] = content_type
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True
    response = api.lambda_handler(event, ctx)
    return response["statusCode"], json.loads(response.get("body") or "null")


@pytest.fixture
def process(voice_aws: SimpleNamespace, lambda_context: SimpleNamespace) -> Callable[[], None]:
    def run() -> None:
        responses = drain_queue(voice_aws.voice_queue_url, "voice_sample", lambda_context)
        assert all(not r["batchItemFailures"] for r in responses), responses

    return run


def test_listing_shows_builtins_with_the_seed_shape(api, lambda_context, org) -> None:
    status, body = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/voice-profiles",
        org.api_key,
        query={"limit": "10", "language": "en", "gender": "male"},
    )
    assert status == 200
    assert set(body) >= {"voices", "total", "hasMore", "filters_applied"}
    assert body["filters_applied"] == {"gender": "male", "language": "en"}
    assert len(body["voices"]) <= 10 and body["total"] >= 2
    joe = body["voices"][0]
    assert joe["voice_id"] == "joe" and joe["is_custom"] is False
    assert joe["supported_features"] == {"speed_control": True, "pitch_control": True}
    assert all(v["gender"] == "male" for v in body["voices"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "101"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"skip": "-1"}, "skip"),
        ({"voice_type": "ROBOT"}, "voice_type"),
        ({"is_public": "maybe"}, "is_public"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_field(
    api, lambda_context, org, query, field
) -> None:
    status, body = call_api(
        api, lambda_context, "GET", f"{V}/voice-profiles", org.api_key, query=query
    )
    assert status == 400
    assert body["field"] == field and field in body["message"]


def test_status_update_delete_errors(api, lambda_context, org) -> None:
    status, body = call_api(api, lambda_context, "GET", f"{V}/voices/joe/status", org.api_key)
    assert status == 200 and body["training_status"] == "completed"
    status, body = call_api(api, lambda_context, "GET", f"{V}/voices/999999999/status", org.api_key)
    assert status == 404 and "999999999" in body["message"]
    status, body = call_api(api, lambda_context, "DELETE", f"{V}/voices/joe", org.api_key)
    assert status == 403 and "built-in" in body["message"]
    status, body = call_api(
        api, lambda_context, "DELETE", f"{V}/voices/{uuid.uuid4()}", org.api_key
    )
    assert status == 404
    status, body = call_api(
        api, lambda_context, "PATCH", f"{V}/voices/joe", org.api_key, body={"name": "Mine now"}
    )
    assert status == 403


def test_upload_errors_are_400(api, lambda_context, org) -> None:
    status, body = post_form(
        api, lambda_context, f"{V}/voice-profiles", org.api_key, {"name": "x"}, []
    )
    assert status == 400 and body["field"] == "file"
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "x"},
        [("file", "notes.txt", b"hello")],
    )
    assert status == 400 and "notes.txt" in body["message"]
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles/multi-sample",
        org.api_key,
        {"name": "x"},
        [("voice_files", "a.wav", b"x")],
    )
    assert status == 400 and "2 to 5" in body["message"]
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"description": "no name"},
        [("file", "a.wav", b"x")],
    )
    assert status == 400 and body["field"] == "name"


@pytest.mark.slow
def test_bad_corpus_fails_each_profile_with_its_reason(api, lambda_context, org, process) -> None:
    created = {}
    for sample in bad_corpus():
        status, body = post_form(
            api,
            lambda_context,
            f"{V}/voice-profiles",
            org.api_key,
            {"name": sample.name, **CONSENT},
            [("file", sample.filename, sample.data)],
        )
        assert status == 200, body
        assert body["status"] == "PROCESSING" and isinstance(body["id"], int)
        created[sample.name] = (body["id"], sample.reason)
    process()
    for name, (voice_id, reason) in created.items():
        status, body = call_api(
            api, lambda_context, "GET", f"{V}/voices/{voice_id}/status", org.api_key
        )
        assert body["status"] == "FAILED", name
        assert body["training_status"] == "failed"
        assert reason in body["error_message"], (name, body["error_message"])


@pytest.mark.slow
def test_good_sample_becomes_a_voice_that_speaks(
    api, lambda_context, org, process, voice_aws
) -> None:
    import boto3

    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "Anna", "description": "podcast host", "denoise": "true", **CONSENT},
        [("file", "anna.flac", good_sample("flac"))],
    )
    assert status == 200 and body["status"] == "PROCESSING"
    voice_id, voice_uuid = body["id"], body["uuid"]
    process()
    status, voice = call_api(
        api, lambda_context, "GET", f"{V}/voices/{voice_uuid}/status", org.api_key
    )
    assert voice["status"] == "COMPLETED", voice["error_message"]
    assert voice["synthesis"]["method"] == "style-search"
    assert voice["gender"] == "male"  # joe +3 semitones is still a man's voice
    assert 0.0 < voice["similarity"] <= 1.0
    keys = [
        o["Key"]
        for o in boto3.client("s3").list_objects_v2(Bucket=voice_aws.samples_bucket)["Contents"]
    ]
    assert any(k.endswith("processed/0.wav") for k in keys)
    assert any(k.endswith("style.npy") for k in keys)
    assert any(k.endswith("original/0.flac") for k in keys)

    # listed beside the built-ins; not visible to another organisation
    status, listing = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/voice-profiles",
        org.api_key,
        query={"voice_type": "CUSTOM"},
    )
    assert [v["id"] for v in listing["voices"]] == [voice_id]
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    _, other_key = create_org(AppTable(os.environ["AUDIOFN_TABLE"]), "Other")
    status, other = call_api(
        api, lambda_context, "GET", f"{V}/voice-profiles", other_key, query={"voice_type": "CUSTOM"}
    )
    assert other["voices"] == []
    status, _ = call_api(api, lambda_context, "GET", f"{V}/voices/{voice_id}/status", other_key)
    assert status == 404

    # usable wherever a voice is accepted: the api.audio speech route too
    status, script = call_api(
        api, lambda_context, "POST", "/script", org.api_key, body={"scriptText": "Hi there."}
    )
    status, body = call_api(
        api,
        lambda_context,
        "POST",
        "/speech",
        org.api_key,
        body={"scriptId": script["scriptId"], "voice": str(voice_id)},
    )
    assert status in (200, 202), body
    drain_queue(voice_aws.queue_url, "speech", lambda_context)

    # generate through the speech queue; usage counters follow
    status, job = call_api(
        api,
        lambda_context,
        "POST",
        f"{V}/voices/{voice_id}/generate",
        org.api_key,
        body={"input_text": SPOKEN_TEXT_2, "audio_format": "wav"},
    )
    assert status == 200 and job["status"] == "processing"
    drain_queue(voice_aws.queue_url, "speech", lambda_context)
    status, done = call_api(
        api, lambda_context, "GET", f"{V}/tts-jobs/{job['job_id']}/status", org.api_key
    )
    assert done["status"] == "completed" and done["output_url"]
    assert 5 < done["duration"] < 20
    status, usage = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/analytics/usage",
        org.api_key,
        query={"voice_id": str(voice_id), "period": "7d"},
    )
    assert usage["total_generations"] == 2
    assert usage["total_characters"] == len(SPOKEN_TEXT_2) + len("Hi there.")
    assert done["duration"] < usage["total_duration"] < done["duration"] + 3
    assert len(usage["daily_breakdown"]) == 7

    # public: others may see and use it, not change it
    status, _ = call_api(
        api,
        lambda_context,
        "PATCH",
        f"{V}/voices/{voice_id}",
        org.api_key,
        body={"is_public": True, "tags": ["host"]},
    )
    assert status == 200
    status, seen = call_api(api, lambda_context, "GET", f"{V}/voices/{voice_id}/status", other_key)
    assert status == 200 and seen["tags"] == ["host"]
    status, body = call_api(api, lambda_context, "DELETE", f"{V}/voices/{voice_id}", other_key)
    assert status == 403 and "another organisation" in body["message"]

    status, _ = call_api(api, lambda_context, "DELETE", f"{V}/voices/{voice_id}", org.api_key)
    assert status == 204
    status, _ = call_api(api, lambda_context, "GET", f"{V}/voices/{voice_id}/status", org.api_key)
    assert status == 404


def test_collections(api, lambda_context, org) -> None:
    status, created = call_api(
        api,
        lambda_context,
        "POST",
        f"{V}/collections",
        org.api_key,
        body={"name": "Podcast", "voice_ids": ["joe"], "tags": ["p"]},
    )
    assert status == 201 and created["voice_ids"] == ["joe"]
    cid = created["collection_id"]
    status, added = call_api(
        api,
        lambda_context,
        "POST",
        f"{V}/collections/{cid}/voices",
        org.api_key,
        body={"voice_ids": ["espeak-en-gb-female", "joe"]},
    )
    assert status == 200 and added["voice_ids"] == ["joe", "espeak-en-gb-female"]
    status, listed = call_api(api, lambda_context, "GET", f"{V}/collections", org.api_key)
    assert [c["collection_id"] for c in listed["collections"]] == [cid]
    status, body = call_api(
        api,
        lambda_context,
        "POST",
        f"{V}/collections/{cid}/voices",
        org.api_key,
        body={"voice_ids": ["nobody"]},
    )
    assert status == 404 and body["field"] == "voice_ids[0]"
    status, body = call_api(
        api, lambda_context, "POST", f"{V}/collections", org.api_key, body={"voice_ids": []}
    )
    assert status == 400 and body["field"] == "name"


def test_analytics_parameters(api, lambda_context, org) -> None:
    status, body = call_api(
        api, lambda_context, "GET", f"{V}/analytics/usage", org.api_key, query={"period": "2w"}
    )
    assert status == 400 and body["field"] == "period"
    status, body = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/analytics/usage",
        org.api_key,
        query={"period": "1y", "breakdown": "monthly"},
    )
    assert status == 200 and 12 <= len(body["monthly_breakdown"]) <= 13
    assert body["total_generations"] == 0


def test_kokoro_voices_are_listed_and_a_blend_speaks(api, lambda_context, org, voice_aws) -> None:
    status, body = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/voice-profiles",
        org.api_key,
        query={"limit": "50", "language": "en-GB", "gender": "female"},
    )
    assert status == 200
    kokoro = {v["voice_id"]: v for v in body["voices"] if v["provider"] == "kokoro"}
    assert set(kokoro) == {"bf_emma", "bf_isabella", "bf_alice", "bf_lily"}
    assert kokoro["bf_emma"]["quality_grade"] == "B-" and kokoro["bf_emma"]["accent"] == "british"

    blend = "af_bella(2)+af_sky(1)"
    status, found = call_api(api, lambda_context, "GET", f"{V}/voices/{blend}/status", org.api_key)
    assert status == 200 and found["voice_id"] == blend
    status, job = call_api(
        api,
        lambda_context,
        "POST",
        f"{V}/voices/{blend}/generate",
        org.api_key,
        body={"input_text": "Hello from a blend of two voices.", "audio_format": "wav"},
    )
    assert status == 200, job
    drain_queue(voice_aws.queue_url, "speech", lambda_context)
    status, done = call_api(
        api, lambda_context, "GET", f"{V}/tts-jobs/{job['job_id']}/status", org.api_key
    )
    assert done["status"] == "completed" and 1 < done["duration"] < 6
    status, error = call_api(
        api, lambda_context, "GET", f"{V}/voices/af_bella(0)+af_sky/status", org.api_key
    )
    assert status == 404 and "af_bella(0)+af_sky" in error["message"]

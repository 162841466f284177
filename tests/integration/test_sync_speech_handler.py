"""The sync speech function (buffered OpenAI speech, api.audio SyncTTS) and the API
function's model and voice listings, through their handlers with moto."""

from __future__ import annotations

import base64
import io
import json

import boto3
import pytest
import soundfile as sf

from tests.conftest import call_api, http_event, load_function

pytestmark = pytest.mark.slow


def _invoke(function, lambda_context, path, key, body, headers=None):
    event = http_event("POST", path, key, body)
    event["headers"].update(headers or {})
    return function.lambda_handler(event, lambda_context)


@pytest.fixture
def sync_speech(aws):
    return load_function("sync_speech")


def test_buffered_openai_speech_is_a_wav_with_its_real_sizes(sync_speech, org, lambda_context):
    body = {"model": "tts-1", "voice": "alloy", "input": "Hello there.", "response_format": "wav"}
    response = _invoke(sync_speech, lambda_context, "/v1/audio/speech", org.api_key, body)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "audio/wav"
    data = base64.b64decode(response["body"])
    assert int.from_bytes(data[40:44], "little") == len(data) - 44
    samples, rate = sf.read(io.BytesIO(data))
    assert rate == 24_000 and 0.4 < len(samples) / rate < 3


def test_audio_past_the_response_cap_is_a_redirect_to_a_presigned_url(
    aws, sync_speech, org, lambda_context, monkeypatch
):
    from audiofn.config import reset_settings_cache

    monkeypatch.setenv("AUDIOFN_SYNC_MAX_RESPONSE_BYTES", "1000")
    reset_settings_cache()
    body = {
        "model": "tts-1",
        "voice": "joe",
        "input": "A little too long.",
        "response_format": "mp3",
    }
    response = _invoke(sync_speech, lambda_context, "/v1/audio/speech", org.api_key, body)

    assert response["statusCode"] == 303
    location = response["headers"]["Location"]
    assert json.loads(response["body"])["url"] == location
    key = location.split(f"{aws.bucket}/", 1)[1].split("?", 1)[0]
    stored = boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)
    assert stored["ContentType"] == "audio/mpeg"
    assert len(stored["Body"].read()) > 1000


def test_openai_errors_use_openai_s_shape(sync_speech, org, lambda_context):
    long_input = {"model": "tts-1", "voice": "alloy", "input": "x" * 4097}
    response = _invoke(sync_speech, lambda_context, "/v1/audio/speech", org.api_key, long_input)
    assert response["statusCode"] == 400
    error = json.loads(response["body"])["error"]
    assert error["param"] == "input" and "4096" in error["message"]
    assert error["type"] == "invalid_request_error"

    response = _invoke(sync_speech, lambda_context, "/v1/audio/speech", "wrong", long_input)
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["type"] == "authentication_error"


def test_sync_tts_answers_in_the_accepted_format(sync_speech, org, lambda_context):
    body = {"voice": "joe", "text": "Quick sync speech."}
    response = _invoke(
        sync_speech, lambda_context, "/speech/sync", org.api_key, body, {"accept": "audio/mpeg"}
    )

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "audio/mpeg"
    samples, rate = sf.read(io.BytesIO(base64.b64decode(response["body"])))
    assert rate == 24_000 and len(samples) > rate // 2


def test_sync_tts_names_what_is_wrong(sync_speech, org, lambda_context):
    response = _invoke(
        sync_speech, lambda_context, "/speech/sync", org.api_key, {"voice": "joe"}, {}
    )
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["field"] == "text"

    response = _invoke(
        sync_speech,
        lambda_context,
        "/speech/sync",
        org.api_key,
        {"text": "Hi"},
        {"accept": "text/html"},
    )
    assert response["statusCode"] == 406
    assert json.loads(response["body"])["field"] == "Accept"


def test_legacy_sync_tts_returns_json_with_the_audio(sync_speech, org, lambda_context):
    response = _invoke(
        sync_speech,
        lambda_context,
        "/sync_speech/synthesize",
        org.api_key,
        {"voice": "joe", "text": "Legacy sync speech.", "speed": 150},
    )

    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    samples, rate = sf.read(io.BytesIO(base64.b64decode(body["audio"])))
    assert rate == body["sampleRate"] and abs(len(samples) / rate - body["duration"]) < 0.01


def test_api_function_lists_models_and_voices(aws, org, lambda_context):
    api = load_function("api")

    status, models = call_api(api, lambda_context, "GET", "/v1/models", org.api_key)
    assert status == 200 and models["object"] == "list"
    assert {m["id"] for m in models["data"]} >= {"tts-1", "tts-1-hd", "gpt-4o-mini-tts"}

    status, voices = call_api(api, lambda_context, "GET", "/v1/audio/voices", org.api_key)
    assert status == 200
    by_id = {v["id"]: v for v in voices["data"]}
    assert by_id["shimmer"]["maps_to"] == "af_bella" and "espeak-tr-female" in by_id
    assert by_id["af_bella"]["gender"] == "female"

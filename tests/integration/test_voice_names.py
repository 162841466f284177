"""Voice names on every protocol, through the functions' handlers with moto: a name sounds like
its name (pitch), blends speak, and malformed blends or unknown names are 400s naming the field.
"""

from __future__ import annotations

import base64
import io
import json

import boto3
import numpy as np
import pytest
import soundfile as sf

from audiofn.dsp.measure import median_f0
from tests.conftest import call_api, http_event, load_function

pytestmark = pytest.mark.slow

TEXT = "Please call Stella and ask her to bring these things with her from the store."


@pytest.fixture
def sync_speech(aws):
    return load_function("sync_speech")


def openai_speech(function, lambda_context, key, voice, text=TEXT):
    body = {"model": "tts-1", "voice": voice, "input": text, "response_format": "wav"}
    event = http_event("POST", "/v1/audio/speech", key, body)
    return function.lambda_handler(event, lambda_context)


def pitch(response) -> float:
    samples, rate = sf.read(io.BytesIO(base64.b64decode(response["body"])), dtype="float32")
    found = median_f0(np.asarray(samples), rate)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("voice", "spoken_by", "female"),
    [
        ("nova", "af_nova", True),
        ("onyx", "am_onyx", False),
        ("en-GB-SoniaNeural", "bf_emma", True),
        ("af_bella(2)+af_sky(1)", "af_bella(2)+af_sky(1)", True),
    ],
)
def test_buffered_openai_speech_says_which_voice_spoke(
    sync_speech, org, lambda_context, voice, spoken_by, female
):
    response = openai_speech(sync_speech, lambda_context, org.api_key, voice)

    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["x-audiofn-voice"] == spoken_by
    assert (pitch(response) > 150) is female


@pytest.mark.parametrize(
    ("voice", "reason"),
    [
        ("af_bella(0)", "above 0"),
        ("a+", "(empty)"),
        ("af_bella+nobody", "'nobody' is not a Kokoro voice"),
        ("nobody", "unknown voice"),
    ],
)
def test_openai_speech_refuses_bad_voices_naming_the_field(
    sync_speech, org, lambda_context, voice, reason
):
    response = openai_speech(sync_speech, lambda_context, org.api_key, voice)

    assert response["statusCode"] == 400
    error = json.loads(response["body"])["error"]
    assert error["param"] == "voice" and reason in error["message"], error


def test_sync_tts_speaks_joanna_as_a_woman_and_says_so(sync_speech, org, lambda_context):
    event = http_event("POST", "/speech/sync", org.api_key, {"text": TEXT, "voice": "Joanna"})
    event["headers"]["accept"] = "audio/wav"
    response = sync_speech.lambda_handler(event, lambda_context)

    assert response["statusCode"] == 200
    assert response["headers"]["x-audiofn-voice"] == "af_heart"
    assert pitch(response) > 150


@pytest.mark.parametrize("voice", ["af_bella(0)", "a+", "af_bella+joe"])
def test_api_audio_speech_refuses_malformed_blends_naming_the_field(
    aws, org, lambda_context, voice
):
    api = load_function("api")
    status, script = call_api(
        api, lambda_context, "POST", "/script", org.api_key, {"scriptText": "Hello there."}
    )
    assert status == 200, script
    status, body = call_api(
        api,
        lambda_context,
        "POST",
        "/speech",
        org.api_key,
        {"scriptId": script["scriptId"], "voice": voice},
    )
    assert status == 400, body
    assert "voice" in body["message"] and "blend" in body["message"], body


def test_api_audio_speech_speaks_a_blend_into_its_file(
    aws, org, lambda_context, drain_speech_queue
):
    api = load_function("api")
    _, script = call_api(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": TEXT})
    request = {"scriptId": script["scriptId"], "voice": "nova+onyx"}
    status, _ = call_api(api, lambda_context, "POST", "/speech", org.api_key, request)
    assert status in (200, 202)
    drain_speech_queue()
    status, urls = call_api(
        api, lambda_context, "GET", "/speech", org.api_key, query={"scriptId": script["scriptId"]}
    )
    assert status == 200, urls
    key = urls["default"].split(f"{aws.bucket}/", 1)[1].split("?", 1)[0]
    data = boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read()
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert 3 < len(samples) / rate < 10
    # Between the parts: af_nova 154 Hz, am_onyx 85 Hz
    found = median_f0(samples if samples.ndim == 1 else samples.mean(axis=1), rate)
    assert found is not None and 90 < found < 150

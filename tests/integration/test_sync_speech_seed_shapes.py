"""The buffered speech function (AWS's /v1/audio/speech on the HTTP API) given the
batch-and-streaming seed's client's bodies: nested extra_body, the stream flag, word
boundaries as JSON or NDJSON."""

from __future__ import annotations

import base64
import io
import json

import pytest
import soundfile as sf

from tests.conftest import http_event, load_function

pytestmark = pytest.mark.slow

SDK_BODY = {
    "model": "Azure/AI-Speech",
    "input": "Good morning. Hello there!",
    "voice": "en-US-JennyNeural",
    "response_format": "wav",
    "speed": 1.0,
}


@pytest.fixture
def sync_speech(aws):
    return load_function("sync_speech")


def speak(function, lambda_context, key, body):
    response = function.lambda_handler(
        http_event("POST", "/v1/audio/speech", key, body), lambda_context
    )
    data = response["body"]
    raw = base64.b64decode(data) if response.get("isBase64Encoded") else data.encode()
    return response, raw


def test_nested_extra_body_sets_rate_and_language(sync_speech, org, lambda_context):
    extra = {"sample_rate": 8000, "speech_synthesis_language": "tr-TR"}
    body = {**SDK_BODY, "input": "Merhaba dünya.", "stream": False, "extra_body": extra}

    response, raw = speak(sync_speech, lambda_context, org.api_key, body)

    assert response["statusCode"] == 200, raw
    assert response["headers"]["x-audiofn-voice"].startswith("espeak-tr-")
    assert sf.info(io.BytesIO(raw)).samplerate == 8000


def test_word_boundaries_whole_are_json_with_the_file(sync_speech, org, lambda_context):
    body = {**SDK_BODY, "stream": False, "extra_body": {"enable_word_boundary": True}}

    response, raw = speak(sync_speech, lambda_context, org.api_key, body)

    assert response["headers"]["Content-Type"] == "application/json"
    reply = json.loads(raw)
    audio, rate = sf.read(io.BytesIO(base64.b64decode(reply["audio"])))
    words = [e["text"] for e in reply["word_boundaries"] if e["boundary_type"] == "word"]
    assert words == ["Good", "morning", "Hello", "there"] and rate == 24000
    last = reply["word_boundaries"][-2]  # "there", before the "!" event
    assert last["audio_offset_ms"] + last["duration_ms"] <= len(audio) / rate * 1000


def test_word_boundaries_streamed_are_ndjson_lines(sync_speech, org, lambda_context):
    body = {**SDK_BODY, "stream": True, "extra_body": {"enable_word_boundary": True}}

    response, raw = speak(sync_speech, lambda_context, org.api_key, body)

    assert response["headers"]["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in raw.decode().splitlines()]
    assert {line["type"] for line in lines} == {"audio", "word_boundary"}
    audio = b"".join(base64.b64decode(line["data"]) for line in lines if line["type"] == "audio")
    assert audio[:4] == b"RIFF" and len(audio) > 24000

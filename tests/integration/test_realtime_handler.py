"""The realtime function behind the WebSocket API, with the event files, against moto.

Connection state lives in DynamoDB and S3 between invocations; transcripts go back through
the API Gateway management API (moto records what is posted to each connection).
"""

from __future__ import annotations

import base64
import json
import os

import numpy as np
import pytest

from tests.conftest import load_event, load_function

pytestmark = pytest.mark.slow


def posted(connection_id: str) -> list[dict]:
    """The messages moto's management API holds for a connection, in order."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    data = apigatewaymanagementapi_backends["123456789012"]["us-east-1"]
    text = data.connections[connection_id].data.decode()
    decoder, messages, at = json.JSONDecoder(), [], 0
    while at < len(text):
        message, at = decoder.raw_decode(text, at)
        messages.append(message)
    return messages


CLOSED: set[str] = set()


@pytest.fixture
def realtime(aws, monkeypatch):
    """The function, with moto's management API keeping what a closed connection received
    (moto drops it on close) and noting the close."""
    from moto.apigatewaymanagementapi.models import ApiGatewayManagementApiBackend

    CLOSED.clear()
    monkeypatch.setattr(
        ApiGatewayManagementApiBackend,
        "delete_connection",
        lambda _self, connection_id: CLOSED.add(connection_id),
    )
    return load_function("realtime")


def connect(realtime, lambda_context, cid: str, key: str, model: str = "whisper-1") -> dict:
    event = load_event("realtime_connect.json", connection_id=cid, api_key=key)
    event["queryStringParameters"] = {"model": model}
    return realtime.lambda_handler(event, lambda_context)


def send(realtime, lambda_context, cid: str, body: str | bytes) -> dict:
    event = load_event("realtime_message_init.json", connection_id=cid)
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"] = body
    return realtime.lambda_handler(event, lambda_context)


def state_item(cid: str) -> dict | None:
    import boto3

    table = boto3.resource("dynamodb").Table(os.environ["AUDIOFN_TABLE"])
    return table.get_item(Key={"pk": f"REALTIME#{cid}", "sk": "STATE"}).get("Item")


def test_connect_checks_the_key_and_the_model(realtime, org, lambda_context):
    assert connect(realtime, lambda_context, "c-bad", "not-a-valid-key")["statusCode"] == 401
    refused = connect(realtime, lambda_context, "c-model", org.api_key, "nope")
    assert refused["statusCode"] == 400 and "model" in refused["body"]
    assert state_item("c-bad") is None

    assert connect(realtime, lambda_context, "c-ok", org.api_key)["statusCode"] == 200
    item = state_item("c-ok")
    assert item["org_id"] == org.org_id and item["version"] == 1  # type: ignore[index]


def test_a_stream_is_transcribed_across_invocations(realtime, org, lambda_context, tmp_path):
    # Given a connection and our own speech as 16 kHz PCM
    import soundfile as sf

    from tests.e2e.speech_files import corpus_sentences, speak_to_wav

    cid = "c-stream"
    sentence = corpus_sentences((5,))
    wav = speak_to_wav(sentence, tmp_path / "speech.wav")
    pcm = (np.clip(sf.read(wav, dtype="float32")[0], -1, 1) * 32767).astype("<i2").tobytes()
    connect(realtime, lambda_context, cid, org.api_key)

    # When the init message, 200 ms chunks and the termination message arrive one per call
    assert (
        send(realtime, lambda_context, cid, json.dumps({"sample_rate": 16000}))["statusCode"] == 200
    )
    versions = []
    for offset in range(0, len(pcm), 6400):
        send(realtime, lambda_context, cid, pcm[offset : offset + 6400])
        versions.append(int(state_item(cid)["version"]))  # type: ignore[index]
    send(realtime, lambda_context, cid, json.dumps({"done": True}))

    # Then each call saved a new version, the final transcript says the sentence, and the
    # connection's state is gone once the stream is done
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    messages = posted(cid)
    finals = [m for m in messages if m["message_type"] == "FinalTranscript"]
    from audiofn.stt.wer import word_error_rate

    assert finals and word_error_rate(sentence[0], " ".join(m["text"] for m in finals)) < 0.15
    assert finals[0]["words"][0].keys() == {"start", "end", "confidence", "text"}
    assert state_item(cid) is None
    assert cid in CLOSED


def test_protocol_errors_are_posted_and_close_the_connection(realtime, org, lambda_context):
    connect(realtime, lambda_context, "c-err", org.api_key)
    send(realtime, lambda_context, "c-err", json.dumps({"encoding": "pcm_s16le"}))
    (message,) = posted("c-err")
    assert message["message_type"] == "Error" and "sample_rate is required" in message["error"]
    assert state_item("c-err") is None
    assert "c-err" in CLOSED

    connect(realtime, lambda_context, "c-text", org.api_key)
    send(realtime, lambda_context, "c-text", json.dumps({"sample_rate": 16000}))
    send(realtime, lambda_context, "c-text", b"\x00\x00" * 800)
    send(realtime, lambda_context, "c-text", "hello")
    assert "JSON" in posted("c-text")[-1]["error"]


def test_a_stale_writer_loses(aws):
    from audiofn.storage.realtime_connections import RealtimeConnections, StaleConnectionState

    store = RealtimeConnections(aws.table, aws.bucket)
    audio = np.ones(160, np.float32)
    store.save("c", org_id="o", model="m", snapshot={}, audio=audio, expected_version=None)
    store.save("c", org_id="o", model="m", snapshot={}, audio=audio, expected_version=1)
    with pytest.raises(StaleConnectionState):
        store.save("c", org_id="o", model="m", snapshot={}, audio=audio, expected_version=1)
    loaded = store.load("c")
    assert loaded is not None and loaded.version == 2 and np.array_equal(loaded.audio, audio)


def test_disconnect_forgets_the_connection(realtime, org, lambda_context):
    connect(realtime, lambda_context, "c-gone", org.api_key)
    event = load_event("realtime_disconnect.json", connection_id="c-gone")
    assert realtime.lambda_handler(event, lambda_context)["statusCode"] == 200
    assert state_item("c-gone") is None

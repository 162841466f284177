"""Webhooks against moto and a real HTTP receiver on loopback: registration, api.audio-style
signatures verified with the apiaudio SDK, retries while the receiver is down, no duplicates."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import boto3
import pytest

from tests.conftest import call_api, drain_queue, load_function


class Receiver:
    """An HTTP endpoint that verifies each delivery with apiaudio.Webhooks.verify."""

    def __init__(self) -> None:
        self.secret = ""
        self.up = True
        self.events: list[dict] = []
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                from apiaudio import Webhooks

                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not receiver.up:
                    receiver.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                Webhooks.verify(body, self.headers["X-Audiofn-Signature"], receiver.secret)
                receiver.events.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def api(aws):
    return load_function("api")


@pytest.fixture
def registered(api, lambda_context, org, receiver, loopback_allowed) -> SimpleNamespace:
    status, body = call_api(
        api, lambda_context, "PUT", "/org/webhook", org.api_key, {"url": receiver.url}
    )
    assert status == 200 and body["secret"].startswith("whsec_")
    receiver.secret = body["secret"]
    return org


def speech_for(api, lambda_context, org, text: str) -> str:
    _, script = call_api(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": text})
    status, _ = call_api(
        api, lambda_context, "POST", "/speech", org.api_key, {"scriptId": script["scriptId"]}
    )
    assert status in (200, 202)
    return script["scriptId"]


def test_register_show_and_remove(api, lambda_context, org, public_names):
    status, body = call_api(
        api, lambda_context, "PUT", "/org/webhook", org.api_key, {"url": "ftp://x"}
    )
    assert status == 400 and body["field"] == "url"

    call_api(api, lambda_context, "PUT", "/org/webhook", org.api_key, {"url": "https://a.test/h"})
    status, shown = call_api(api, lambda_context, "GET", "/org/webhook", org.api_key)
    assert status == 200 and shown["url"] == "https://a.test/h" and "secret" not in shown

    assert call_api(api, lambda_context, "DELETE", "/org/webhook", org.api_key)[0] == 204
    assert call_api(api, lambda_context, "GET", "/org/webhook", org.api_key)[0] == 404


@pytest.mark.slow
def test_speech_done_reaches_the_receiver_signed(
    aws, api, lambda_context, registered, receiver, drain_speech_queue
):
    script_id = speech_for(api, lambda_context, registered, "Hello hooks.")
    drain_speech_queue()
    drain_queue(aws.webhook_queue_url, "webhook", lambda_context)

    assert [e["type"] for e in receiver.events] == ["speech.done"]
    assert receiver.events[0]["data"]["scriptId"] == script_id


@pytest.mark.slow
def test_a_receiver_that_was_down_gets_every_event_once(
    aws, api, lambda_context, registered, receiver, drain_speech_queue, monkeypatch
):
    import audiofn.workers.webhook

    monkeypatch.setattr(audiofn.workers.webhook, "BACKOFF_BASE_SECONDS", 0)
    speech_for(api, lambda_context, registered, "First.")
    speech_for(api, lambda_context, registered, "Second.")
    drain_speech_queue()
    receiver.up = False
    for _ in range(2):  # failed rounds (the test queue sends to its DLQ on the third)
        responses = drain_queue_once(aws.webhook_queue_url, lambda_context)
        assert responses and all(r["batchItemFailures"] for r in responses)
    assert receiver.refused == 4 and not receiver.events

    receiver.up = True
    drain_queue(aws.webhook_queue_url, "webhook", lambda_context)
    # The same events again (a producer retried), after delivery: nothing new is sent.
    from audiofn.models.messages import WebhookEvent

    events = list(receiver.events)
    assert sorted(e["type"] for e in events) == ["speech.done", "speech.done"]
    for event in events:
        boto3.client("sqs").send_message(
            QueueUrl=aws.webhook_queue_url,
            MessageBody=WebhookEvent(
                org_id=registered.org_id,
                event_id=event["id"],
                type=event["type"],
                created=event["created"],
                data=event["data"],
            ).model_dump_json(),
        )
    drain_queue(aws.webhook_queue_url, "webhook", lambda_context)
    assert len(receiver.events) == 2


def drain_queue_once(queue_url: str, lambda_context) -> list[dict]:
    """One receive-and-handle round (drain_queue would spin on messages that keep failing)."""
    from tests.conftest import sqs_event

    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", [])
    if not messages:
        return []
    function = load_function("webhook")
    response = function.lambda_handler(sqs_event(messages, arn), lambda_context)
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [response]

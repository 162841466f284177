"""Fixtures shared by the unit and integration tests: moto in-process, event files, handlers."""

from __future__ import annotations

import importlib.util
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
# The queue URLs moto answers with inside mock_aws (its default account follows).
MOTO_SQS_ENDPOINT = "https://sqs.us-east-1.amazonaws.com"


@pytest.fixture
def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="test",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:test",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 30_000,
    )


def load_event(name: str, **replacements: str) -> dict[str, Any]:
    """An event file from events/, with its REPLACE_WITH_<NAME> markers filled in."""
    text = (EVENTS / name).read_text()
    for marker, value in replacements.items():
        text = text.replace(f"REPLACE_WITH_{marker.upper()}", value)
    return json.loads(text)


def http_event(
    method: str,
    path: str,
    key: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API v2 event for any route, shaped like the files in events/."""
    event = load_event("api_no_key.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    if key is not None:
        event["headers"]["x-api-key"] = key
    if body is not None:
        event["body"] = json.dumps(body)
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    return event


def call_api(
    api: ModuleType,
    lambda_context: SimpleNamespace,
    method: str,
    path: str,
    key: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Invoke the API function's handler; (status, decoded JSON body)."""
    response = api.lambda_handler(http_event(method, path, key, body, query), lambda_context)
    return response["statusCode"], json.loads(response.get("body") or "null")


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py afresh, as a cold start would."""
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"function_{name}_{uuid.uuid4().hex}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reset_process_caches() -> None:
    from audiofn.api import deps
    from audiofn.config import reset_settings_cache
    from audiofn.storage.aws import reset_clients
    from audiofn.storage.content_credentials import reset_signing_identities
    from audiofn.storage.signing_keys import reset_signing_keys

    reset_settings_cache()
    reset_clients()
    reset_signing_keys()
    reset_signing_identities()
    deps.services.cache_clear()


def serialise_dynamodb_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto applies a failed transaction by putting back a copy of each table it touched, taken
    when it began: writes other threads made meanwhile are undone (two writers then get the same
    id). DynamoDB's transactions are atomic, so here, as in the local runtime (one lock around
    every write), writes and transactions run one at a time."""
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in (
        "put_item",
        "update_item",
        "delete_item",
        "batch_write_item",
        "transact_write_items",
    ):
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def serialised(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialised)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """moto's mock_aws with the template's buckets, queues and table, provisioned by the local
    runtime's own code, and the functions' environment as the template sets it."""
    import boto3
    from moto import mock_aws

    from audiofn_local.environment import merged_function_environment
    from audiofn_local.provisioning import provision
    from audiofn_local.resources import build_resolver
    from audiofn_local.template_model import load_template

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AUDIOFN_LOCAL", raising=False)
    serialise_dynamodb_writes(monkeypatch)
    with mock_aws():
        template = load_template(ROOT / "template.yaml", environ={})
        resources = provision(
            template, boto3.client, endpoint_url=MOTO_SQS_ENDPOINT, region="us-east-1"
        )
        for name, value in merged_function_environment(
            template, build_resolver(template, resources)
        ).items():
            monkeypatch.setenv(name, value)
        # What the tests need otherwise: no waiting for speech inside a request, fixed public
        # and API addresses, and failed messages visible again at once (not after minutes).
        monkeypatch.setenv("AUDIOFN_SPEECH_WAIT_SECONDS", "0")
        monkeypatch.setenv("AUDIOFN_PUBLIC_BASE_URL", "https://public.example.test")
        monkeypatch.setenv("AUDIOFN_API_URL", "https://api.example.test")
        sqs = boto3.client("sqs")
        for queue in resources.queues.values():
            sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"VisibilityTimeout": "0"})
        queues = {logical: queue.url for logical, queue in resources.queues.items()}
        reset_process_caches()
        yield SimpleNamespace(
            queue_url=queues["SpeechQueue"],
            dlq_url=queues["SpeechDLQ"],
            mastering_queue_url=queues["MasteringQueue"],
            batch_queue_url=queues["BatchQueue"],
            batch_dlq_url=queues["BatchDLQ"],
            batch_chunk_queue_url=queues["BatchChunkQueue"],
            batch_chunk_dlq_url=queues["BatchChunkDLQ"],
            bucket=resources.buckets["MediaBucket"],
            public_bucket=resources.buckets["PublicBucket"],
            inbox_bucket=resources.buckets["InboxBucket"],
            inbox_queue_url=queues["InboxQueue"],
            inbox_dlq_url=queues["InboxDLQ"],
            webhook_queue_url=queues["WebhookQueue"],
            webhook_dlq_url=queues["WebhookDLQ"],
            table=resources.tables["AppTable"],
            resources=resources,
        )
        reset_process_caches()


@pytest.fixture
def org(aws: SimpleNamespace) -> SimpleNamespace:
    """An organisation with a key, created through the core."""
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    record, key = create_org(AppTable(os.environ["AUDIOFN_TABLE"]), "Test Org")
    return SimpleNamespace(org_id=record.org_id, api_key=key)


PUBLIC_TEST_ADDRESS = "93.184.215.14"
"""What made-up `*.test` host names resolve to under `public_names` (a public address)."""


@pytest.fixture
def public_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """`*.test` names resolve to a public address (no DNS here); others resolve as usual."""
    import audiofn.outbound

    real = audiofn.outbound.resolve_host

    def resolve(host: str, port: int) -> list[str]:
        return [PUBLIC_TEST_ADDRESS] if host.endswith(".test") else real(host, port)

    monkeypatch.setattr(audiofn.outbound, "resolve_host", resolve)


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Outbound calls may reach a receiver on this machine (the local runtime's setting)."""
    from audiofn.config import reset_settings_cache

    monkeypatch.setenv("AUDIOFN_WEBHOOK_ALLOW_LOOPBACK", "true")
    reset_settings_cache()
    yield
    monkeypatch.delenv("AUDIOFN_WEBHOOK_ALLOW_LOOPBACK")
    reset_settings_cache()


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda SQS event for messages received with AttributeNames=All."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def drain_queue(
    queue_url: str, function_name: str, lambda_context: SimpleNamespace
) -> list[dict[str, Any]]:
    """Feed every message on a queue to its function, as Lambda would; the responses."""
    import boto3

    function = load_function(function_name)
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    responses = []  # type: ignore[var-annotated]
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=4, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return responses
        response = function.lambda_handler(sqs_event(messages, arn), lambda_context)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        responses.append(response)


@pytest.fixture
def drain_mastering_queue(
    aws: SimpleNamespace, lambda_context: SimpleNamespace
) -> Callable[[], list[dict[str, Any]]]:
    return lambda: drain_queue(aws.mastering_queue_url, "mastering", lambda_context)


@pytest.fixture
def drain_speech_queue(
    aws: SimpleNamespace, lambda_context: SimpleNamespace
) -> Callable[[], list[dict[str, Any]]]:
    """Feed every message on the speech queue to the speech function, as Lambda would."""

    def drain() -> list[dict[str, Any]]:
        return drain_queue(aws.queue_url, "speech", lambda_context)

    return drain

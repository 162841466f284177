"""Fault injection against moto: duplicate deliveries, a crash midway through a message, an S3
write that fails once, a message that keeps failing (DLQ, job failed with the reason) and a
DLQ re-drive. Each must end with one output and one set of counters."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from tests.conftest import call_api, drain_queue, load_function, sqs_event

pytestmark = pytest.mark.slow


@pytest.fixture
def api(aws):
    return load_function("api")


def start_speech(api, lambda_context, org, audience: list[dict] | None = None) -> dict:
    text = "<<sectionName::a>> Hello {{name|friend}}. <<sectionName::b>> Goodbye."
    _, script = call_api(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": text})
    body: dict = {"scriptId": script["scriptId"], "voice": "joe"}
    if audience:
        body["audience"] = audience
    status, job = call_api(api, lambda_context, "POST", "/speech", org.api_key, body)
    assert status == 202, job
    return script


def job_of(org, script_id: str):
    from audiofn.storage.table import AppTable

    table = AppTable(os.environ["AUDIOFN_TABLE"])
    script = table.get_script(org.org_id, script_id)
    return table.get_job(org.org_id, script.latest_speech_job_id)  # type: ignore[arg-type, union-attr]


def speech_files(aws, org) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(
        Bucket=aws.bucket, Prefix=f"orgs/{org.org_id}/speech/"
    )
    return [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".wav")]


def test_every_message_delivered_twice_yields_one_file_and_one_count(aws, api, lambda_context, org):
    script = start_speech(api, lambda_context, org, [{"name": "Ada"}, {"name": "Bo"}])
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 4
    for message in messages:  # every message arrives a second time
        sqs.send_message(QueueUrl=aws.queue_url, MessageBody=message["Body"])
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )

    drain_queue(aws.queue_url, "speech", lambda_context)

    job = job_of(org, script["scriptId"])
    assert (job.status, job.done, job.total) == ("done", 4, 4)
    assert len(speech_files(aws, org)) == 4


def test_a_crash_after_writing_and_before_recording_is_repaired_by_the_retry(
    aws, api, lambda_context, org, monkeypatch
):
    from audiofn.storage.table import AppTable

    script = start_speech(api, lambda_context, org)
    real = AppTable.mark_task_done
    crashes = []  # type: ignore[var-annotated]

    def crash_once(self, org_id, job_id, task_index):
        if not crashes:
            crashes.append(task_index)
            raise RuntimeError("the function died here")
        return real(self, org_id, job_id, task_index)

    monkeypatch.setattr(AppTable, "mark_task_done", crash_once)

    responses = drain_queue(aws.queue_url, "speech", lambda_context)

    assert crashes and any(r["batchItemFailures"] for r in responses)
    job = job_of(org, script["scriptId"])
    assert (job.status, job.done, job.total) == ("done", 2, 2)
    assert len(speech_files(aws, org)) == 2


def test_an_s3_write_that_fails_once_is_retried(aws, api, lambda_context, org):
    from audiofn.storage.aws import client

    script = start_speech(api, lambda_context, org)
    failures = []  # type: ignore[var-annotated]

    def fail_first_put(params, **kwargs):
        # the speech file itself (the fragment cache's own writes are best-effort)
        if "/speech/" in params["Key"] and params["Key"].endswith(".wav") and not failures:
            failures.append(params["Key"])
            raise client("s3").exceptions.ClientError(
                {"Error": {"Code": "SlowDown", "Message": "injected"}}, "PutObject"
            )

    client("s3").meta.events.register("provide-client-params.s3.PutObject", fail_first_put)
    try:
        responses = drain_queue(aws.queue_url, "speech", lambda_context)
    finally:
        client("s3").meta.events.unregister("provide-client-params.s3.PutObject", fail_first_put)

    assert failures and any(r["batchItemFailures"] for r in responses)
    job = job_of(org, script["scriptId"])
    assert (job.status, job.done) == ("done", 2)
    assert len(speech_files(aws, org)) == 2


def test_a_message_that_keeps_failing_ends_in_the_dlq_and_fails_its_job(
    aws, api, lambda_context, org, monkeypatch
):
    from audiofn.workers.speech import SpeechWorker

    script = start_speech(api, lambda_context, org)

    def broken(self, task):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(SpeechWorker, "render", broken)
    drain_queue(aws.queue_url, "speech", lambda_context)

    job = job_of(org, script["scriptId"])
    assert job.status == "failed" and "gave up after 3 tries: engine crashed" in job.reason
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    # The task that gave up rests in the DLQ; its sibling saw the failed job and stopped.
    assert int(attributes["ApproximateNumberOfMessages"]) >= 1
    status, body = call_api(
        api, lambda_context, "GET", "/speech", org.api_key, query={"scriptId": script["scriptId"]}
    )
    assert status == 422 and "engine crashed" in body["message"]


def test_redriving_a_dlq_delivers_what_the_receiver_missed(aws, lambda_context, org):
    """Webhook events that exhausted their tries while the receiver was away come back."""
    from audiofn.models.messages import WebhookEvent
    from audiofn.models.records import WebhookRecord
    from audiofn.storage.redrive import redrive, source_queues
    from audiofn.storage.webhooks_table import WebhooksTable
    from audiofn.workers.webhook import WebhookDeliverer

    delivered: list[str] = []
    up = {"value": False}

    def post(url, body, headers):
        if not up["value"]:
            return 503
        delivered.append(json.loads(body)["id"])
        return 200

    table = WebhooksTable(aws.table)
    table.put_webhook(org.org_id, WebhookRecord(url="https://receiver.test/h", secret="s"))
    event = WebhookEvent(
        org_id=org.org_id, event_id="e1", type="speech.done", created="2026-01-01T00:00:00Z"
    )
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=aws.webhook_queue_url, MessageBody=event.model_dump_json())
    deliverer = WebhookDeliverer(table, post=post)

    def one_round() -> None:
        arn = sqs.get_queue_attributes(QueueUrl=aws.webhook_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        messages = sqs.receive_message(
            QueueUrl=aws.webhook_queue_url, AttributeNames=["All"], MaxNumberOfMessages=10
        ).get("Messages", [])
        if not messages:
            return
        function = load_function("webhook")
        function.deliverer = deliverer  # type: ignore[attr-defined]
        response = function.lambda_handler(sqs_event(messages, arn), lambda_context)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(
                    QueueUrl=aws.webhook_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    import audiofn.workers.webhook

    audiofn.workers.webhook.BACKOFF_BASE_SECONDS = 0
    try:
        policy = sqs.get_queue_attributes(
            QueueUrl=aws.webhook_queue_url, AttributeNames=["RedrivePolicy"]
        )["Attributes"]["RedrivePolicy"]
        tries = int(json.loads(policy)["maxReceiveCount"])
        for _ in range(tries + 1):  # every try fails, then SQS moves it to the DLQ
            one_round()
    finally:
        audiofn.workers.webhook.BACKOFF_BASE_SECONDS = 5
    assert not delivered
    assert source_queues(aws.webhook_dlq_url) == [aws.webhook_queue_url]

    up["value"] = True
    assert redrive(aws.webhook_dlq_url, aws.webhook_queue_url) == 1
    one_round()

    assert delivered == ["e1"]

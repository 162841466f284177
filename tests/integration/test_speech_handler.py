"""The speech function with the event file, against moto: idempotency and failure reasons."""

from __future__ import annotations

import json
import os

import pytest

from audiofn.models.records import JobRecord
from audiofn.storage.table import AppTable
from tests.conftest import load_event, load_function

pytestmark = pytest.mark.slow


@pytest.fixture
def job(org):
    table = AppTable(os.environ["AUDIOFN_TABLE"])
    record = JobRecord(
        job_id="job-1", org_id=org.org_id, script_id="script-1", total=2, manifest_key="m.json"
    )
    table.put_job(record)
    return table, record


def task_event(org_id: str, **changes) -> dict:
    event = load_event("speech_task.json", org_id=org_id, job_id="job-1", script_id="script-1")
    body = json.loads(event["Records"][0]["body"])
    event["Records"][0]["body"] = json.dumps({**body, **changes})
    return event


def test_a_redelivered_task_is_counted_once(org, job, lambda_context):
    import boto3

    table, _ = job
    speech = load_function("speech")
    event = task_event(org.org_id)

    # When the same message is delivered twice
    first = speech.lambda_handler(event, lambda_context)
    key = json.loads(event["Records"][0]["body"])["output_key"]
    head = boto3.client("s3").head_object(Bucket=os.environ["AUDIOFN_MEDIA_BUCKET"], Key=key)
    second = speech.lambda_handler(event, lambda_context)

    # Then both succeed, the file was written once, and progress counts one task
    assert first["batchItemFailures"] == [] and second["batchItemFailures"] == []
    again = boto3.client("s3").head_object(Bucket=os.environ["AUDIOFN_MEDIA_BUCKET"], Key=key)
    assert again["ETag"] == head["ETag"]
    assert table.get_job(org.org_id, "job-1").done == 1

    # And the second task finishes the job
    speech.lambda_handler(
        task_event(org.org_id, task_index=1, output_key=key + "2"), lambda_context
    )
    assert table.get_job(org.org_id, "job-1").status == "done"


def test_a_permanent_failure_fails_the_job_with_its_reason(org, job, lambda_context):
    table, _ = job
    speech = load_function("speech")

    response = speech.lambda_handler(task_event(org.org_id, voice="nobody"), lambda_context)

    # Not retried (retrying cannot help), and the job says why
    assert response["batchItemFailures"] == []
    failed = table.get_job(org.org_id, "job-1")
    assert failed.status == "failed"
    assert "nobody" in failed.reason and "section 'hello'" in failed.reason
    assert failed.failure_status == 422


def test_a_malformed_message_is_reported_as_a_batch_item_failure(org, job, lambda_context):
    speech = load_function("speech")
    event = task_event(org.org_id)
    event["Records"][0]["body"] = "{not json"

    response = speech.lambda_handler(event, lambda_context)

    assert response["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]


def test_retrieve_reports_the_failure(org, aws, lambda_context, drain_speech_queue):
    api = load_function("api")
    created = api.lambda_handler(
        load_event("api_create_script.json", api_key=org.api_key), lambda_context
    )
    script_id = json.loads(created["body"])["scriptId"]
    event = load_event("api_create_speech.json", api_key=org.api_key, script_id=script_id)
    event["body"] = json.dumps({"scriptId": script_id, "voice": "joe", "effect": "chewie"})
    assert api.lambda_handler(event, lambda_context)["statusCode"] == 202

    import boto3

    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    # The queued task names a voice no engine knows (as if the catalogue changed meanwhile)
    for message in messages:
        sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
        body = json.loads(message["Body"])
        sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps({**body, "voice": "x"}))
    drain_speech_queue()

    retrieve = load_event("api_retrieve_speech.json", api_key=org.api_key, script_id=script_id)
    response = api.lambda_handler(retrieve, lambda_context)
    assert response["statusCode"] == 422
    assert "speech failed" in json.loads(response["body"])["message"]

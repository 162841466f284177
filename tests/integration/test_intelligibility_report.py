"""Opt-in intelligibility score: the speech function transcribes its own output."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from audiofn.models.records import JobRecord
from audiofn.storage.table import AppTable
from tests.conftest import load_event, load_function, reset_process_caches

pytestmark = pytest.mark.slow
SENTENCE = "Remember to water the tomatoes before the afternoon sun gets too strong."


def speech_event(org_id: str) -> dict:
    AppTable(os.environ["AUDIOFN_TABLE"]).put_job(
        JobRecord(job_id="job-1", org_id=org_id, script_id="s-1", total=1, manifest_key="m")
    )
    event = load_event("speech_task.json", org_id=org_id, job_id="job-1", script_id="s-1")
    body = json.loads(event["Records"][0]["body"])
    event["Records"][0]["body"] = json.dumps({**body, "text": SENTENCE})
    return event


def report(key: str) -> dict | None:
    s3 = boto3.client("s3")
    try:
        body = s3.get_object(Bucket=os.environ["AUDIOFN_MEDIA_BUCKET"], Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def test_speech_files_carry_their_word_error_rate_when_asked(org, lambda_context, monkeypatch):
    monkeypatch.setenv("AUDIOFN_INTELLIGIBILITY", "true")
    reset_process_caches()
    event = speech_event(org.org_id)
    load_function("speech").lambda_handler(event, lambda_context)
    key = json.loads(event["Records"][0]["body"])["output_key"]

    score = report(key.removesuffix(".wav") + ".report.json")["intelligibility"]  # type: ignore[index]
    assert score["wer"] < 0.1 and "tomatoes" in score["transcript"].lower()
    assert score["model"] == "faster-whisper/tiny.en"


def test_no_report_by_default(org, lambda_context):
    event = speech_event(org.org_id)
    load_function("speech").lambda_handler(event, lambda_context)
    key = json.loads(event["Records"][0]["body"])["output_key"]
    assert report(key.removesuffix(".wav") + ".report.json") is None

"""What the voice-sample function reads from S3 notifications delivered by SQS."""

from __future__ import annotations

import json

from audiofn.workers.voice_sample import manifest_keys
from tests.conftest import load_event


def _notification(key: str, event: str = "ObjectCreated:Put") -> str:
    return json.dumps(
        {"Records": [{"eventName": event, "s3": {"object": {"key": key, "size": 10}}}]}
    )


def test_the_s3_test_event_is_ignored() -> None:
    body = load_event("voice_sample_s3_test_event.json")["Records"][0]["body"]
    assert manifest_keys(body) == []


def test_manifest_keys_are_url_decoded() -> None:
    key = "voice-samples/org+1/v%C3%A9/manifest.json"
    assert manifest_keys(_notification(key)) == ["voice-samples/org 1/vé/manifest.json"]


def test_other_objects_and_events_are_skipped() -> None:
    assert manifest_keys(_notification("voice-samples/o/v/original/0.wav")) == []
    assert (
        manifest_keys(_notification("voice-samples/o/v/manifest.json", "ObjectRemoved:Delete"))
        == []
    )

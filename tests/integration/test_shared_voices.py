"""Another organisation's public voice: usable, never written into, and shown without the
owner's internals; a public voice that failed is not offered at all."""

from __future__ import annotations

import json
import os
import uuid
from types import SimpleNamespace

import boto3
import pytest

from tests.conftest import call_api, load_function

V = "/api/v1/voice"


@pytest.fixture
def api(aws):
    return load_function("api")


@pytest.fixture
def voices(aws, org) -> SimpleNamespace:
    """Org A (the `org` fixture) owns a finished public voice, a failed public one and a
    private one; org B owns nothing."""
    from audiofn.models.voices import SampleRecord, VoiceProfileRecord
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable
    from audiofn.storage.voices_table import VoicesTable

    table = VoicesTable(os.environ["AUDIOFN_TABLE"])
    made = {}
    for name, status, public in (
        ("Shared", "COMPLETED", True),
        ("Broken", "FAILED", True),
        ("Private", "COMPLETED", False),
    ):
        profile = VoiceProfileRecord(
            id=table.next_voice_id(),
            uuid=str(uuid.uuid4()),
            org_id=org.org_id,
            name=name,
            status=status,
            is_public=public,
            error_message="too quiet" if status == "FAILED" else None,
            base_voice_id="joe",
            processed_at="2026-01-01T00:00:00Z",
            samples=[SampleRecord(filename="ceo-interview.wav", original_key="k")],
        )
        table.put_profile(profile)
        made[name] = profile
    _, b_key = create_org(AppTable(os.environ["AUDIOFN_TABLE"]), "Org B")
    return SimpleNamespace(b_key=b_key, **made)


def test_b_lists_only_usable_public_voices_without_the_owner_s_internals(
    api, lambda_context, org, voices
):
    status, listed = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/voice-profiles",
        voices.b_key,
        query={"voice_type": "CUSTOM"},
    )
    assert status == 200
    custom = [v for v in listed["voices"] if v.get("is_custom")]
    assert [v["name"] for v in custom] == ["Shared"]
    [shared] = custom
    assert shared["created_by"] is None and shared["samples"] == [] and not shared["file_path"]
    assert org.org_id not in json.dumps(listed) and "ceo-interview" not in json.dumps(listed)

    status, shown = call_api(
        api, lambda_context, "GET", f"{V}/voices/{voices.Shared.id}/status", voices.b_key
    )
    assert status == 200 and shown["created_by"] is None and shown["samples"] == []
    status, _ = call_api(
        api, lambda_context, "GET", f"{V}/voices/{voices.Broken.id}/status", voices.b_key
    )
    assert status == 404
    # The owner still sees everything of its own voices
    status, own = call_api(
        api, lambda_context, "GET", f"{V}/voices/{voices.Broken.id}/status", org.api_key
    )
    assert status == 200 and own["created_by"] == org.org_id and own["error_message"]


def test_a_preview_of_another_org_s_voice_is_written_under_the_caller_s_prefix(
    api, lambda_context, aws, org, voices
):
    from audiofn.services.orgs import authenticate
    from audiofn.storage.table import AppTable

    b_org = authenticate(AppTable(os.environ["AUDIOFN_TABLE"]), voices.b_key)
    status, body = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/voice-profiles/{voices.Shared.id}/preview",
        voices.b_key,
        query={"generate_if_missing": "true"},
    )
    assert status == 202, body
    messages = boto3.client("sqs").receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)[
        "Messages"
    ]
    keys = [json.loads(m["Body"])["output_key"] for m in messages]
    assert keys and all(k.startswith(f"orgs/{b_org}/") for k in keys), keys

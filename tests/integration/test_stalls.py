"""Work whose function was killed (for memory or time) runs no handler and writes nothing.
Once every redelivery could have ended, a read turns the record into a failure with a reason:
a voice profile, a media upload and a job. The bounds follow the template's queues."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import requests

from audiofn.services.stalls import JOB_SECONDS, MEDIA_CHECK_SECONDS, VOICE_PROFILE_SECONDS
from audiofn_local.cfn_yaml import load_template_file
from tests.conftest import call_api
from tests.integration.test_voice_api import V, api, post_form, voice_aws  # noqa: F401
from tests.voice_corpus import CONSENT, good_sample

ROOT = Path(__file__).resolve().parents[2]


def hours_ago(hours: float) -> str:
    then = datetime.now(UTC) - timedelta(hours=hours)
    return then.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_each_bound_outlasts_every_redelivery_of_its_queue():
    template = load_template_file(ROOT / "template.yaml")
    resources, parameters = template["Resources"], template["Parameters"]

    def redeliveries(queue: str) -> int:
        properties = resources[queue]["Properties"]
        receives = properties["RedrivePolicy"]["maxReceiveCount"]
        if isinstance(receives, dict):  # a parameter of the template, at its default
            receives = parameters[receives["Ref"]]["Default"]
        receives = int(receives)
        return int(properties["VisibilityTimeout"]) * receives

    assert redeliveries("VoiceSampleQueue") < VOICE_PROFILE_SECONDS
    assert redeliveries("MediaUploadQueue") < MEDIA_CHECK_SECONDS
    assert max(redeliveries("MasteringQueue"), redeliveries("SpeechQueue")) < JOB_SECONDS


def test_a_voice_profile_left_processing_by_a_killed_function_reads_as_failed(
    api,  # noqa: F811
    lambda_context,
    org,
):
    from audiofn.api.deps import services
    from audiofn.services.voices import voices_table

    # Given a profile whose samples were never processed (the function died: no handler ran)
    sample = good_sample()
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "stalled", **CONSENT},
        [("file", "sample.wav", sample)],
    )
    assert status == 200 and body["status"] == "PROCESSING"
    path = f"{V}/voices/{body['id']}/status"
    assert call_api(api, lambda_context, "GET", path, org.api_key)[1]["status"] == "PROCESSING"

    # When every redelivery could have ended
    table = voices_table(services())
    profile = table.get_profile(org.org_id, body["uuid"])
    table.put_profile(profile.model_copy(update={"updated_at": hours_ago(5.5)}))  # type: ignore[union-attr]

    # Then it reads as FAILED with a reason, and stays so
    status, found = call_api(api, lambda_context, "GET", path, org.api_key)
    assert found["status"] == "FAILED"
    assert "processing did not finish" in found["error_message"]
    assert "out of memory or time" in found["error_message"]
    assert table.get_profile(org.org_id, body["uuid"]).status == "FAILED"  # type: ignore[union-attr]


def test_an_upload_whose_check_never_finished_is_listed_unusable(api, lambda_context, org):  # noqa: F811
    from audiofn.api.deps import services
    from audiofn.storage.media_table import MediaTable

    def upload_url(name: str) -> dict:
        status, body = call_api(
            api,
            lambda_context,
            "GET",
            "/file/customaudio/uploadurl",
            org.api_key,
            query={"filename": name},
        )
        assert status == 200, body
        return body

    arrived, never = upload_url("arrived.wav"), upload_url("never.wav")
    assert requests.put(arrived["fileUploadUrl"], data=b"RIFF....").status_code == 200
    table = MediaTable(services().settings.table)
    for body in (arrived, never):
        record = table.get_media(org.org_id, body["mediaId"])
        hours = services().settings.presign_seconds / 3600 + 2.5
        table.put_media(record.model_copy(update={"created_at": hours_ago(hours)}))  # type: ignore[union-attr]

    status, listing = call_api(api, lambda_context, "GET", "/file/customaudio", org.api_key)

    assert status == 200
    files = {f["mediaId"]: f for f in listing["savedAudioFiles"]}
    assert files[arrived["mediaId"]]["status"] == "unusable"
    assert "the check of this file did not finish" in files[arrived["mediaId"]]["reason"]
    assert files[never["mediaId"]]["status"] == "unusable"
    assert files[never["mediaId"]]["reason"] == "no file arrived before the upload URL expired"


def test_a_job_with_no_progress_past_every_redelivery_is_failed(api, lambda_context, org):  # noqa: F811
    status, script = call_api(
        api, lambda_context, "POST", "/script", org.api_key, {"scriptText": "Hello there."}
    )
    assert status in (200, 201)
    status, body = call_api(
        api, lambda_context, "POST", "/speech", org.api_key, {"scriptId": script["scriptId"]}
    )
    assert status == 202, body
    boto3.resource("dynamodb").Table(os.environ["AUDIOFN_TABLE"]).update_item(
        Key={"pk": f"ORG#{org.org_id}", "sk": f"JOB#{body['jobId']}"},
        UpdateExpression="SET updated_at = :then",
        ExpressionAttributeValues={":then": hours_ago(4)},
    )

    status, body = call_api(
        api, lambda_context, "GET", "/speech", org.api_key, query={"scriptId": script["scriptId"]}
    )

    assert status == 422, body
    assert "a task did not finish" in body["message"] and "out of memory" in body["message"]

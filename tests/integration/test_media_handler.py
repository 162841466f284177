"""The Media resource through the API and the media-check function, against moto: presigned
upload, the check of what arrived (good, corrupt, truncated, silent), listing, tags, delete,
and an uploaded file as the bed of a master."""

from __future__ import annotations

import io

import numpy as np
import pytest
import requests
import soundfile as sf

from tests.conftest import call_api as call
from tests.conftest import load_event, load_function

RATE = 44_100


@pytest.fixture
def api(aws):
    return load_function("api")


@pytest.fixture
def media_check(aws):
    return load_function("media_check")


def tone_wav(hz: float = 220.0, seconds: float = 6.0, amplitude: float = 0.3) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    left = amplitude * np.sin(2 * np.pi * hz * t)
    samples = np.stack([left, 0.8 * left], axis=1).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, samples, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def upload(api, lambda_context, org, aws, media_check, filename, data, tags=None):
    """What Media.upload does (ask for a URL, PUT the bytes), then the bucket's event to the
    media-check function, as S3 and SQS would deliver it."""
    query = {"filename": filename, **({"tags": tags} if tags else {})}
    status, body = call(
        api, lambda_context, "GET", "/file/customaudio/uploadurl", org.api_key, query=query
    )
    assert status == 200, body
    put = requests.put(body["fileUploadUrl"], data=data, headers={"Content-Type": "audio/mpeg"})
    assert put.status_code == 200
    key = f"orgs/{org.org_id}/media/{body['mediaId']}.upload"
    event = load_event("media_check_upload.json", bucket=aws.bucket, key=key)
    response = media_check.lambda_handler(event, lambda_context)
    assert response["batchItemFailures"] == []
    return body["mediaId"]


def listed(api, lambda_context, org, **query):
    status, body = call(api, lambda_context, "GET", "/file/customaudio", org.api_key, query=query)
    assert status == 200, body
    return body


def test_upload_check_list_tags_and_delete(api, lambda_context, org, aws, media_check):
    # Given a WAV bed, uploaded with tags
    media_id = upload(
        api, lambda_context, org, aws, media_check, "my bed.wav", tone_wav(), "music,Calm"
    )

    # Then it is listed as usable, with what the check measured
    (item,) = listed(api, lambda_context, org)["savedAudioFiles"]
    assert item["mediaId"] == media_id and item["filename"] == "my bed.wav"
    assert item["status"] == "ready" and item["usable"] and item["reason"] is None
    assert item["duration"] == pytest.approx(6.0, abs=0.01)
    assert (item["sampleRate"], item["channels"]) == (RATE, 2)
    assert item["peakDbfs"] == pytest.approx(20 * np.log10(0.3), abs=0.1)
    assert item["tags"] == ["music", "Calm"]

    # ... its download URL gives back the same bytes, under its own name
    one = listed(api, lambda_context, org, mediaId=media_id, target="download")
    url = one["savedAudioFiles"][0]["downloadUrl"]
    assert "/my%20bed.wav" in url.split("?")[0]
    assert requests.get(url).content == tone_wav()

    # ... tags filter (case-insensitively) and are listed once
    assert (
        listed(api, lambda_context, org, tags="calm")["savedAudioFiles"][0]["mediaId"] == media_id
    )
    assert listed(api, lambda_context, org, tags="calm,speech")["savedAudioFiles"] == []
    assert call(api, lambda_context, "GET", "/file/customaudio/tags", org.api_key) == (
        200,
        ["Calm", "music"],
    )

    # When it is deleted, it is gone (an unknown id lists as an empty object)
    status, body = call(
        api, lambda_context, "DELETE", "/file/customaudio", org.api_key, query={"mediaId": media_id}
    )
    assert status == 200 and body["mediaId"] == media_id
    assert listed(api, lambda_context, org, mediaId=media_id) == {}
    status, body = call(
        api, lambda_context, "DELETE", "/file/customaudio", org.api_key, query={"mediaId": media_id}
    )
    assert status == 404 and body["field"] == "mediaId"


def test_upload_url_needs_a_filename(api, lambda_context, org):
    status, body = call(api, lambda_context, "GET", "/file/customaudio/uploadurl", org.api_key)
    assert status == 400 and body["field"] == "filename"


def test_media_of_another_org_is_invisible(api, lambda_context, org, aws, media_check):
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    media_id = upload(api, lambda_context, org, aws, media_check, "bed.wav", tone_wav())
    _, other_key = create_org(AppTable(aws_table_name()), "Other Org")

    status, body = call(
        api, lambda_context, "GET", "/file/customaudio", other_key, query={"mediaId": media_id}
    )
    assert status == 200 and body == {}


def aws_table_name() -> str:
    import os

    return os.environ["AUDIOFN_TABLE"]


def truncated_wav() -> bytes:
    whole = tone_wav(seconds=4.0)
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("notes.mp3", b"These are my notes, not a song.\n" * 200, "not an audio file"),
        ("cut.wav", truncated_wav(), "truncated"),
        ("quiet.wav", tone_wav(amplitude=0.0), "silent"),
        ("blip.wav", tone_wav(seconds=0.2), "too short"),
    ],
)
def test_unusable_uploads_are_listed_with_the_reason(
    api, lambda_context, org, aws, media_check, filename, data, reason
):
    good = upload(api, lambda_context, org, aws, media_check, "good.wav", tone_wav())

    bad = upload(api, lambda_context, org, aws, media_check, filename, data)

    files = {f["mediaId"]: f for f in listed(api, lambda_context, org)["savedAudioFiles"]}
    assert files[bad]["status"] == "unusable" and not files[bad]["usable"]
    assert reason in files[bad]["reason"]
    assert files[good]["status"] == "ready"  # nothing else is affected


def test_public_media_are_the_template_beds(api, lambda_context, org):
    body = listed(api, lambda_context, org, public="true")
    ids = {f["mediaId"] for f in body["savedAudioFiles"]}
    assert {"calm", "corporate"} <= ids and all(f["public"] for f in body["savedAudioFiles"])


# --- an uploaded file as the bed of a master -------------------------------------------------


@pytest.fixture
def spoken_script(api, lambda_context, org, drain_speech_queue):
    _, script = call(
        api,
        lambda_context,
        "POST",
        "/script",
        org.api_key,
        {"scriptText": "Good morning, here is the news. That is all for today."},
    )
    assert call(
        api, lambda_context, "POST", "/speech", org.api_key, {"scriptId": script["scriptId"]}
    )[0] in {200, 202}
    drain_speech_queue()
    return script["scriptId"]


@pytest.mark.slow
def test_an_uploaded_file_is_the_bed_under_the_ducking_chain(
    api, lambda_context, org, aws, media_check, spoken_script, drain_mastering_queue
):
    from audiofn.codecs import decode
    from audiofn.dsp.measure import integrated_lufs, true_peak_dbfs

    media_id = upload(api, lambda_context, org, aws, media_check, "bed.wav", tone_wav(hz=220.0))

    body = {"scriptId": spoken_script, "backgroundTrackId": media_id, "endFormat": "wav"}
    status, created = call(api, lambda_context, "POST", "/mastering", org.api_key, body)
    assert status == 202, created
    assert all(r["batchItemFailures"] == [] for r in drain_mastering_queue())

    status, got = call(
        api, lambda_context, "GET", "/mastering", org.api_key, query={"scriptId": spoken_script}
    )
    assert status == 200, got
    report = got["report"]
    master = decode(requests.get(got["url"]).content)
    assert abs(integrated_lufs(master) + 16) <= 0.5
    assert true_peak_dbfs(master.samples, master.sample_rate) <= -0.9
    assert report["ducking_db"] > 6 and report["speech_to_bed_db"] > 6
    # The lead-in, before the first word, is the uploaded tone (looped to fit the programme)
    lead_in = master.samples[: int(report["speech_start"] * master.sample_rate)].mean(axis=1)
    spectrum = np.abs(np.fft.rfft(lead_in * np.hanning(len(lead_in))))
    peak_hz = np.fft.rfftfreq(len(lead_in), 1 / master.sample_rate)[np.argmax(spectrum)]
    assert peak_hz == pytest.approx(220, abs=3)
    assert master.duration > report["speech_end"] + 2  # the bed plays out and fades


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"These are my notes, not a song.\n" * 200, "not an audio file"),
        (truncated_wav(), "truncated"),
    ],
)
def test_mastering_over_an_unusable_upload_is_a_400_naming_the_field(
    api, lambda_context, org, aws, media_check, spoken_script, data, reason
):
    media_id = upload(api, lambda_context, org, aws, media_check, "bad.mp3", data)

    body = {"scriptId": spoken_script, "backgroundTrackId": media_id}
    status, response = call(api, lambda_context, "POST", "/mastering", org.api_key, body)

    assert status == 400, response
    assert response["field"] == "backgroundTrackId" and reason in response["message"]


def test_mastering_over_unknown_or_missing_media_is_a_400(api, lambda_context, org, spoken_script):
    status, response = call(
        api,
        lambda_context,
        "POST",
        "/mastering",
        org.api_key,
        {"scriptId": spoken_script, "backgroundTrackId": "no-such-media"},
    )
    assert status == 400 and response["field"] == "backgroundTrackId"

    # An upload URL was handed out but nothing was PUT yet
    _, upload_url = call(
        api,
        lambda_context,
        "GET",
        "/file/customaudio/uploadurl",
        org.api_key,
        query={"filename": "later.wav"},
    )
    status, response = call(
        api,
        lambda_context,
        "POST",
        "/mastering",
        org.api_key,
        {"scriptId": spoken_script, "backgroundTrackId": upload_url["mediaId"]},
    )
    assert status == 400 and "not been uploaded" in response["message"]


def test_the_mastering_function_refuses_a_bad_file_even_if_not_checked_yet(
    api, lambda_context, org, aws, spoken_script, drain_mastering_queue
):
    # Given an upload whose check has not run yet (its S3 event is still on its way)
    _, body = call(
        api,
        lambda_context,
        "GET",
        "/file/customaudio/uploadurl",
        org.api_key,
        query={"filename": "notes.mp3"},
    )
    requests.put(body["fileUploadUrl"], data=b"not audio at all\n" * 100)

    # When it is used as a bed, the request is accepted, and the job fails with the reason
    request = {"scriptId": spoken_script, "backgroundTrackId": body["mediaId"]}
    status, created = call(api, lambda_context, "POST", "/mastering", org.api_key, request)
    assert status == 202, created
    drain_mastering_queue()
    status, got = call(
        api, lambda_context, "GET", "/mastering", org.api_key, query={"scriptId": spoken_script}
    )
    assert status == 422 and "not an audio file" in got["message"]


def stored_objects(aws, org) -> list[str]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(
        Bucket=aws.bucket, Prefix=f"orgs/{org.org_id}/media/"
    )
    return sorted(o["Key"] for o in listed.get("Contents", []))


def arrive(media_check, lambda_context, aws, key):
    """The bucket's event for an object written under `key`, as S3 and SQS deliver it."""
    event = load_event("media_check_upload.json", bucket=aws.bucket, key=key)
    assert media_check.lambda_handler(event, lambda_context)["batchItemFailures"] == []


def test_an_unusable_upload_is_deleted_and_only_its_reason_stays(
    api, lambda_context, org, aws, media_check
):
    junk = np.random.default_rng(3).bytes(300_000)
    media_id = upload(api, lambda_context, org, aws, media_check, "payload.exe", junk)
    (item,) = listed(api, lambda_context, org, mediaId=media_id, target="download")[
        "savedAudioFiles"
    ]
    assert item["status"] == "unusable" and item["reason"] and "downloadUrl" not in item
    assert stored_objects(aws, org) == []


def test_writes_after_the_check_or_after_delete_are_removed_on_arrival(
    api, lambda_context, org, aws, media_check
):
    # Given a checked upload, and the URL it was uploaded with (still within its lifetime)
    status, body = call(
        api,
        lambda_context,
        "GET",
        "/file/customaudio/uploadurl",
        org.api_key,
        query={"filename": "bed.wav"},
    )
    assert status == 200
    url, key = body["fileUploadUrl"], f"orgs/{org.org_id}/media/{body['mediaId']}.upload"
    assert requests.put(url, data=tone_wav(), headers={"Content-Type": "audio/mpeg"}).ok
    arrive(media_check, lambda_context, aws, key)
    checked = stored_objects(aws, org)
    assert checked == [f"orgs/{org.org_id}/media/{body['mediaId']}/bed.wav"]

    # When the URL is used again: the write is removed and the checked file is unchanged
    assert requests.put(url, data=b"not the bed" * 1000).ok
    arrive(media_check, lambda_context, aws, key)
    assert stored_objects(aws, org) == checked
    (item,) = listed(api, lambda_context, org)["savedAudioFiles"]
    assert item["status"] == "ready" and item["duration"] == pytest.approx(6.0, abs=0.01)

    # When the file is deleted and the URL used once more: nothing stays that nothing lists
    call(
        api,
        lambda_context,
        "DELETE",
        "/file/customaudio",
        org.api_key,
        query={"mediaId": body["mediaId"]},
    )
    assert requests.put(url, data=tone_wav()).ok
    arrive(media_check, lambda_context, aws, key)
    assert stored_objects(aws, org) == []


def test_the_upload_form_binds_size_type_and_key_and_the_urls_are_short_lived(
    api, lambda_context, org, aws, media_check
):
    import base64
    import json
    from urllib.parse import parse_qs, urlsplit

    status, body = call(
        api,
        lambda_context,
        "GET",
        "/file/customaudio/uploadurl",
        org.api_key,
        query={"filename": "bed.wav"},
    )
    assert status == 200
    form = body["fileUploadForm"]
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 200 * 1024 * 1024] in conditions
    assert {"Content-Type": "audio/x-wav"} in conditions and form["fields"]["Content-Type"]
    key = f"orgs/{org.org_id}/media/{body['mediaId']}.upload"
    assert {"key": key} in conditions and form["fields"]["key"] == key
    assert int(parse_qs(urlsplit(body["fileUploadUrl"]).query)["X-Amz-Expires"][0]) <= 900

    # The form works: a POST of the file is checked like a PUT
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("bed.wav", tone_wav(), "audio/x-wav")}
    )
    assert posted.status_code in (200, 201, 204), posted.text
    arrive(media_check, lambda_context, aws, key)
    (item,) = listed(api, lambda_context, org)["savedAudioFiles"]
    assert item["status"] == "ready"

    # A declared type that is not audio is refused, naming the field
    status, body = call(
        api,
        lambda_context,
        "GET",
        "/file/customaudio/uploadurl",
        org.api_key,
        query={"filename": "x.wav", "contentType": "text/html"},
    )
    assert status == 400 and body["field"] == "contentType"

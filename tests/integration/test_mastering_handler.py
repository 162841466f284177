"""Mastering through the API and the mastering function, against moto: loudness on target,
report, captions, public copy, VAST and its tracking beacons."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyloudnorm
import pytest

from tests.conftest import call_api as call
from tests.conftest import load_function
from tests.vast_media import check_media, listed_media

pytestmark = pytest.mark.slow
XSD = Path(__file__).resolve().parents[3] / "shared" / "vast" / "vast_4.2.xsd"


@pytest.fixture
def api(aws):
    return load_function("api")


def s3_bytes(bucket, url):
    import boto3

    key = unquote(urlparse(url).path.lstrip("/"))
    if key.startswith(bucket + "/"):
        key = key[len(bucket) + 1 :]
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def spoken_script(api, lambda_context, org, drain_speech_queue):
    text = (
        "<<sectionName::intro>> Good morning {{name|friend}}, here is your news. "
        "<<sectionName::outro>> That is all for today. Goodbye."
    )
    _, script = call(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": text})
    body = {"scriptId": script["scriptId"], "voice": "joe", "audience": [{"name": "Ada"}]}
    assert call(api, lambda_context, "POST", "/speech", org.api_key, body)[0] == 202
    drain_speech_queue()
    return script["scriptId"]


def test_mastering_before_speech_is_a_conflict(api, lambda_context, org):
    _, script = call(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": "Hi."})

    status, body = call(
        api,
        lambda_context,
        "POST",
        "/mastering",
        org.api_key,
        {"scriptId": script["scriptId"], "soundTemplate": "calm"},
    )

    assert status == 409 and "speech first" in body["message"]


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"soundTemplate": "polka"}, "soundTemplate"),
        ({"endFormat": "aiff"}, "endFormat"),
        ({"masteringPreset": "megaloud"}, "masteringPreset"),
        ({"vast": True}, "vast"),
        ({"universalAdId": {"idRegistry": "ad-id.org", "value": "ABCD0123456"}}, "universalAdId"),
        (
            {
                "public": True,
                "vast": True,
                "universalAdId": {"idRegistry": "ad-id.org", "value": "x"},
            },
            "universalAdId.value",
        ),
        ({"audience": [{"name": "Nobody"}]}, "audience[0]"),
    ],
)
def test_bad_mastering_requests_are_400(api, lambda_context, org, spoken_script, patch, field):
    body = {"scriptId": spoken_script, "soundTemplate": "calm", **patch}

    status, response = call(api, lambda_context, "POST", "/mastering", org.api_key, body)

    assert status == 400, response
    assert response["field"] == field


def test_public_master_with_vast(
    api, lambda_context, org, aws, spoken_script, drain_mastering_queue
):
    from lxml import etree

    from audiofn.codecs import decode
    from audiofn.dsp.measure import integrated_lufs, true_peak_dbfs
    from audiofn.vast import parse_duration

    body = {
        "scriptId": spoken_script,
        "soundTemplate": "corporate",
        "public": True,
        "vast": True,
        "endFormat": ["mp3", "wav"],
        "audience": [{"name": "Ada"}],
    }
    status, created = call(api, lambda_context, "POST", "/mastering", org.api_key, body)
    assert status == 202, created
    retrieve = {"scriptId": spoken_script, "name": "Ada"}
    assert call(api, lambda_context, "GET", "/mastering", org.api_key, query=retrieve)[0] == 202
    responses = drain_mastering_queue()
    assert all(r["batchItemFailures"] == [] for r in responses)

    # The private master: on target, and its report says so
    status, got = call(
        api,
        lambda_context,
        "GET",
        "/mastering",
        org.api_key,
        query={**retrieve, "endFormat": "wav"},
    )
    assert status == 200, got
    audio = decode(s3_bytes(aws.bucket, got["url"]))
    assert abs(integrated_lufs(audio) + 16) <= 0.5
    assert true_peak_dbfs(audio.samples, audio.sample_rate) <= -0.9
    report = got["report"]
    assert abs(report["integrated_lufs"] + 16) <= 0.5 and report["speech_to_bed_db"] > 6
    # And its loudness over time, every half second, is that of the delivered file
    series = report["short_term_loudness"]
    assert series["step"] == 0.5 and series["window"] == series["start"] == 3.0
    assert len(series["lufs"]) == math.floor((audio.duration - 3.0) / 0.5) + 1
    meter = pyloudnorm.Meter(audio.sample_rate, block_size=3.0)
    for index in (0, len(series["lufs"]) // 2, len(series["lufs"]) - 1):
        end = round((3.0 + index * 0.5) * audio.sample_rate)
        window = audio.samples[end - 3 * audio.sample_rate : end].astype("float64")
        assert series["lufs"][index] == pytest.approx(meter.integrated_loudness(window), abs=0.1)
    assert {"vtt", "srt"} <= set(got["captions"])
    vtt = s3_bytes(aws.bucket, got["captions"]["vtt"]).decode()
    assert vtt.startswith("WEBVTT") and "Ada" in vtt

    # The public copy and its VAST file
    status, public = call(
        api,
        lambda_context,
        "GET",
        "/mastering",
        org.api_key,
        query={**retrieve, "public": "true", "vast": "true"},
    )
    assert status == 200
    assert public["url"].startswith("https://public.example.test/")
    vast = s3_bytes(aws.public_bucket, public["vastUrl"])
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(vast)
    assert schema.validate(document), schema.error_log
    ns = {"v": "http://www.iab.com/VAST"}
    media_url = document.findtext(".//v:MediaFile", namespaces=ns).strip()
    mp3 = decode(s3_bytes(aws.public_bucket, media_url))
    stated = parse_duration(document.findtext(".//v:Duration", namespaces=ns))
    assert abs(stated - mp3.duration) < 0.05

    # ... listing the renditions, each the type, bitrate and duration it says, and a mezzanine
    duration, listed = listed_media(vast)
    assert [(m.tag, m.type) for m in listed] == [
        ("MediaFile", "audio/mpeg"),
        ("MediaFile", "audio/mpeg"),
        ("MediaFile", "audio/mp4"),
        ("Mezzanine", "audio/flac"),
    ]
    # CBR MP3 at its rate; FFmpeg's AAC near its 128 kbps target, declared as measured
    assert (listed[0].bitrate_kbps, listed[1].bitrate_kbps) == (192, 96)
    assert 0.8 <= (listed[2].bitrate_kbps or 0) / 128 <= 1.2 and listed[3].bitrate_kbps is None
    assert listed[0].url == media_url  # the end format's MP3 is the first, not made twice
    for media in listed:
        measured = check_media(media, s3_bytes(aws.public_bucket, media.url), duration)
        assert measured.sample_rate == report["sample_rate"]
    described = public["report"]["vast"]
    assert [m["url"] for m in described["mediaFiles"]] == [m.url for m in listed[:3]]
    assert all(abs(m["integratedLufs"] + 16) <= 0.1 for m in described["mediaFiles"])
    assert described["mezzanine"]["url"] == listed[3].url
    assert described["universalAdId"]["idRegistry"] == "audiofn"
    universal = document.find(".//v:UniversalAdId", ns)
    assert (universal.get("idRegistry"), universal.text) == (
        "audiofn",
        document.find(".//v:Ad", ns).get("id"),
    )

    # Public names carry a hash of the listener, never the values
    assert "Ada" not in public["url"] and "Ada" not in public["vastUrl"]
    assert "Ada" not in media_url

    # Tracking beacons need no key; a client's repeats count once, another client counts
    tracking = document.findtext(".//v:Tracking[@event='start']", namespaces=ns).strip()
    path = urlparse(tracking).path
    assert beacon(api, lambda_context, path, "player/1") == 204
    assert beacon(api, lambda_context, path, "player/1") == 204
    assert beacon(api, lambda_context, path, "player/2") == 204
    status, counts = call(
        api,
        lambda_context,
        "GET",
        "/mastering/tracking",
        org.api_key,
        query={"scriptId": spoken_script},
    )
    assert counts["files"][0]["counts"] == {"start": 2}

    # Deleting the script deletes every file made from it, public ones and counts included
    assert call(api, lambda_context, "DELETE", f"/script/{spoken_script}", org.api_key)[0] in (
        200,
        204,
    )
    assert objects(aws.bucket, f"orgs/{org.org_id}/") == []
    assert objects(aws.public_bucket, f"{org.org_id}/") == []
    assert beacon(api, lambda_context, path, "player/3") == 404
    assert table_items("TRACK#") == []


def beacon(api, lambda_context, path: str, user_agent: str) -> int:
    from tests.conftest import http_event

    event = http_event("GET", path)
    event["headers"]["user-agent"] = user_agent
    return api.lambda_handler(event, lambda_context)["statusCode"]


def objects(bucket: str, prefix: str) -> list[str]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def table_items(pk_prefix: str) -> list[dict]:
    import os

    import boto3

    items = boto3.resource("dynamodb").Table(os.environ["AUDIOFN_TABLE"]).scan()["Items"]
    return [i for i in items if str(i["pk"]).startswith(pk_prefix)]


def test_beacons_for_made_up_or_overlong_tokens_are_404_and_write_nothing(api, lambda_context):
    for token in ("made-up", "a" * 20 + "." + "b" * 22, "x" * 3000):
        for event in ("start", "impression"):
            assert beacon(api, lambda_context, f"/track/{token}/{event}", "p") == 404
    assert table_items("TRACK#") == []


def test_presets_and_templates_are_listed(api, lambda_context, org):
    status, presets = call(api, lambda_context, "GET", "/mastering-presets", org.api_key)
    assert status == 200 and {"podcast", "broadcast"} <= {p["name"] for p in presets}

    status, templates = call(api, lambda_context, "GET", "/sound/template", org.api_key)
    assert status == 200 and len(templates["templates"]) >= 6

    status, params = call(api, lambda_context, "GET", "/sound/parameter", org.api_key)
    assert status == 200 and params["genre"]


def test_sound_project_zips_speech_stems_and_project(api, lambda_context, org, aws, spoken_script):
    import io
    import zipfile

    from audiofn.config import api_settings
    from audiofn.services.context import Services
    from audiofn.services.sound_library import ensure_template

    status, body = call(
        api,
        lambda_context,
        "POST",
        "/sound",
        org.api_key,
        {"scriptId": spoken_script, "backgroundTrackId": "calm"},
    )
    assert status == 409  # the library has not been rendered yet in this fresh bucket

    ensure_template(Services.from_settings(api_settings()).media, "calm")
    status, body = call(
        api,
        lambda_context,
        "POST",
        "/sound",
        org.api_key,
        {"scriptId": spoken_script, "backgroundTrackId": "calm"},
    )
    assert status == 200, body
    archive = zipfile.ZipFile(io.BytesIO(s3_bytes(aws.bucket, body["url"])))
    names = archive.namelist()
    assert "project.json" in names
    assert sum(n.startswith("speech/") for n in names) == 2
    assert {"bed/intro.flac", "bed/outro.flac"} <= set(names)

    status, again = call(
        api, lambda_context, "GET", "/file/sound", org.api_key, query={"scriptId": spoken_script}
    )
    assert status == 200 and again["url"]


def test_the_report_describes_each_delivered_file(
    api, lambda_context, org, aws, spoken_script, drain_mastering_queue
):
    from audiofn.codecs import decode
    from audiofn.dsp.measure import integrated_lufs, true_peak_dbfs

    # Given a master made in two lossy formats (LAME moves the level) and a lossless one
    body = {
        "scriptId": spoken_script,
        "soundTemplate": "news",
        "endFormat": ["mp3", "mp3_low", "flac"],
        "audience": [{"name": "Ada"}],
    }
    assert call(api, lambda_context, "POST", "/mastering", org.api_key, body)[0] == 202
    assert all(r["batchItemFailures"] == [] for r in drain_mastering_queue())

    # When each file is decoded and measured
    retrieve = {"scriptId": spoken_script, "name": "Ada"}
    for fmt in ("mp3", "mp3_low", "flac"):
        status, got = call(
            api,
            lambda_context,
            "GET",
            "/mastering",
            org.api_key,
            query={**retrieve, "endFormat": fmt},
        )
        assert status == 200, got
        audio = decode(s3_bytes(aws.bucket, got["url"]))
        measured = integrated_lufs(audio)
        stated = got["report"]["formats"][fmt]

        # Then it is on target, and the report says what the file measures
        assert abs(measured + 16) <= 0.06, (fmt, measured)
        assert abs(stated["integratedLufs"] - measured) <= 0.01, (fmt, stated, measured)
        peak = true_peak_dbfs(audio.samples, audio.sample_rate)
        assert abs(stated["truePeakDbtp"] - peak) <= 0.05 and peak <= -0.9
    # ... the top-level figures are the default (first) format's
    report = got["report"]
    assert report["integrated_lufs"] == report["formats"]["mp3"]["integratedLufs"]
    assert (
        report["formats"]["mp3_low"]["codecGainDb"] > report["formats"]["mp3"]["codecGainDb"] > 0.1
    )


def _keys(bucket: str, prefix: str) -> list[str]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_masters_accumulate_until_deleted(
    api, lambda_context, org, aws, drain_speech_queue, drain_mastering_queue
):
    key = org.api_key
    text = "<<sectionName::intro>> Good morning {{name|friend}}."
    _, script = call(api, lambda_context, "POST", "/script", key, {"scriptText": text})
    script_id = script["scriptId"]
    audience = [{"name": "Ada"}, {"name": "Bo"}]
    body = {"scriptId": script_id, "voice": "joe", "audience": audience}
    call(api, lambda_context, "POST", "/speech", key, body)
    drain_speech_queue()

    def master(**settings):
        status, made = call(
            api, lambda_context, "POST", "/mastering", key, {"scriptId": script_id, **settings}
        )
        assert status == 202, made
        assert all(r["batchItemFailures"] == [] for r in drain_mastering_queue())

    def get(**query):
        return call(
            api, lambda_context, "GET", "/mastering", key, query={"scriptId": script_id, **query}
        )

    # Given both listeners mastered as public MP3, then Ada again as FLAC over another bed
    master(soundTemplate="news", audience=audience, endFormat="mp3", public=True)
    master(soundTemplate="calm", audience=[{"name": "Ada"}], endFormat="flac")

    # Then Bo's earlier master, Ada's earlier format and the public copy are all still there
    status, bo = get(name="Bo")
    assert status == 200, bo
    assert bo["report"]["formats"].keys() == {"mp3"}
    assert get(name="Ada", endFormat="mp3")[0] == 200
    assert get(name="Ada", public="true")[0] == 200
    status, ada = get(name="Ada")
    assert status == 200 and ada["report"]["formats"].keys() == {"flac"}  # the newest
    assert get(name="Cy")[0] == 404
    status, missing = get(name="Ada", endFormat="wav")
    assert status == 404 and "made: flac, mp3" in missing["message"]

    # ... and the listing shows all three, newest job first
    status, listed = call(
        api, lambda_context, "GET", "/mastering/list", key, query={"scriptId": script_id}
    )
    assert status == 200
    masters = listed["masters"]
    assert [(m["parameters"]["name"], m["formats"]) for m in masters] == [
        ("Ada", ["flac"]),
        ("Ada", ["mp3"]),
        ("Bo", ["mp3"]),
    ]
    assert masters[0]["soundTemplate"] == "calm" and masters[1]["public"] is True
    assert all(m["status"] == "done" and m["urls"] for m in masters)

    # When the first job is deleted, its private and public files go, the newer job stays
    first = masters[1]["jobId"]
    status, deleted = call(
        api, lambda_context, "DELETE", "/mastering", key,
        query={"scriptId": script_id, "jobId": first},
    )  # fmt: skip
    assert status == 200 and deleted == {"deletedJobs": 1}
    assert get(name="Bo")[0] == 404
    assert not _keys(aws.public_bucket, f"{org.org_id}/{script_id}/")
    assert get(name="Ada")[0] == 200

    # ... and deleting the script deletes every master it has
    assert call(api, lambda_context, "DELETE", f"/script/{script_id}", key)[0] in {200, 204}
    assert not _keys(aws.bucket, f"orgs/{org.org_id}/mastering/{script_id}/")

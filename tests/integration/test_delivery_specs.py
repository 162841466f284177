"""Named delivery specifications through the API and the mastering function, against moto:
one deliverable per spec from one render, each decoded and measured with pyloudnorm, and a
verdict that never says pass for a file that misses a limit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import call_api as call
from tests.conftest import load_function
from tests.integration.test_inbox import drop, read_json, run_pipeline  # noqa: F401 (fixture)
from tests.integration.test_mastering_handler import s3_bytes

pytestmark = pytest.mark.slow

# About 40 s of speech: longer than the audio-ad spec's 30 s, so that deliverable must fail.
LONG_TEXT = (
    "<<sectionName::intro>> Good morning {{name|friend}}. This is the weekly briefing from the "
    "harbour office, with the tides, the weather and the work on the new quay. "
    "<<sectionName::news>> The tide turns at six in the morning and again just after six in "
    "the evening. Winds stay light from the west, with some rain later in the week. The new "
    "quay is on schedule: the piles are in, and the deck will be poured next month. The ferry "
    "keeps its summer timetable until the end of September, and the harbour café opens at "
    "seven every day. That is all for this week. Thank you for listening, and goodbye."
)


@pytest.fixture
def api(aws):
    return load_function("api")


@pytest.fixture
def long_script(api, lambda_context, org, drain_speech_queue):
    _, script = call(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": LONG_TEXT})
    body = {"scriptId": script["scriptId"], "voice": "joe", "audience": [{"name": "Ada"}]}
    assert call(api, lambda_context, "POST", "/speech", org.api_key, body)[0] == 202
    drain_speech_queue()
    return script["scriptId"]


def test_delivery_specs_are_listed_with_their_sources(api, lambda_context, org):
    status, body = call(api, lambda_context, "GET", "/mastering/delivery-specs", org.api_key)

    assert status == 200
    specs = {spec["name"]: spec for spec in body["deliverySpecs"]}
    assert {"Apple Podcasts", "Spotify", "EBU R128", "ATSC A/85", "SoundCloud audio ad"} <= set(
        specs
    )
    assert specs["EBU R128"]["integratedLufs"] == -23.0
    assert specs["ATSC A/85"]["truePeakDbtp"] == -2.0
    assert specs["Apple Podcasts"]["toleranceLu"] == 1.0
    assert all(spec["source"].startswith("https://") for spec in specs.values())


def test_an_unknown_delivery_spec_is_a_400_naming_it(api, lambda_context, org, long_script):
    body = {"scriptId": long_script, "deliverySpecs": ["EBU R 128", "Netflix"]}

    status, response = call(api, lambda_context, "POST", "/mastering", org.api_key, body)

    assert status == 400, response
    assert response["field"] == "deliverySpecs[1]" and "Netflix" in response["message"]


def test_each_spec_gets_its_own_measured_deliverable_and_an_honest_verdict(
    api, lambda_context, org, aws, long_script, drain_mastering_queue
):
    import pyloudnorm

    from audiofn.codecs import decode
    from audiofn.dsp.measure import true_peak_dbfs

    # Given one master asked for in four specifications, one of which it cannot meet (the
    # programme is longer than the audio ad's 30 s)
    asked = ["Apple Podcasts", "ebu-r128", "ATSC A/85", "SoundCloud audio ad"]
    body = {
        "scriptId": long_script,
        "soundTemplate": "news",
        "audience": [{"name": "Ada"}],
        "captions": False,
        "deliverySpecs": asked,
    }
    assert call(api, lambda_context, "POST", "/mastering", org.api_key, body)[0] == 202
    assert all(r["batchItemFailures"] == [] for r in drain_mastering_queue())

    # When the master is retrieved
    query = {"scriptId": long_script, "name": "Ada"}
    status, got = call(api, lambda_context, "GET", "/mastering", org.api_key, query=query)
    assert status == 200, got
    deliverables = {item["spec"]: item for item in got["deliverables"]}
    assert list(deliverables) == ["Apple Podcasts", "EBU R128", "ATSC A/85", "SoundCloud audio ad"]

    for name, item in deliverables.items():
        data = s3_bytes(aws.bucket, item["url"])
        audio = decode(data)
        limits = item["limits"]
        # Then each file is the spec's format and rate...
        if item["format"] == "wav":
            assert data[:4] == b"RIFF"
        else:
            assert data[:3] == b"ID3" or data[0] == 0xFF
        assert audio.sample_rate == item["measured"]["sampleRate"]
        assert audio.sample_rate == (48_000 if item["format"] == "wav" else 44_100)
        # ... what the report says is what pyloudnorm reads from the decoded bytes ...
        meter = pyloudnorm.Meter(audio.sample_rate)
        lufs = meter.integrated_loudness(np.asarray(audio.samples, dtype=np.float64))
        assert abs(item["measured"]["integratedLufs"] - lufs) <= 0.05, (name, item, lufs)
        peak = true_peak_dbfs(audio.samples, audio.sample_rate)
        assert abs(item["measured"]["truePeakDbtp"] - peak) <= 0.05, (name, item, peak)
        assert item["measured"]["durationS"] == pytest.approx(audio.duration, abs=0.01)
        # ... and the loudness lands on the spec's target, under its ceiling
        assert abs(lufs - limits["integratedLufs"]) <= limits["toleranceLu"], (name, lufs)
        assert peak <= limits["truePeakDbtp"] + 0.05, (name, peak)
        # ... and the verdict agrees with the independent measurements
        duration_ok = limits["maxDurationS"] is None or audio.duration <= limits["maxDurationS"]
        expected = "pass" if duration_ok else "fail"
        assert item["verdict"] == expected, (name, item)
        assert item["reasons"]

    # The programme is longer than 30 s: the ad deliverable fails, and says why
    ad = deliverables["SoundCloud audio ad"]
    assert ad["measured"]["durationS"] > 30.0
    assert ad["verdict"] == "fail"
    assert any("duration" in reason and "over 30 s" in reason for reason in ad["reasons"])
    assert deliverables["EBU R128"]["gainDb"] == pytest.approx(-7.0, abs=0.1)
    # The retrieve answer's report carries the same figures
    assert [d["specId"] for d in got["report"]["deliverables"]] == [
        "apple-podcasts",
        "ebu-r128",
        "atsc-a85",
        "soundcloud-audio-ad",
    ]


def test_a_batch_makes_each_listener_a_deliverable_per_spec(aws, org, lambda_context):
    import boto3
    import pyloudnorm

    from audiofn.codecs import decode
    from tests.integration.test_batches import run_batch, start, status_of

    # Given a batch of two listeners asked for in two specifications
    batch_id = start(
        aws,
        lambda_context,
        org,
        audience=[{"name": "Ada"}, {"name": "Grace"}],
        soundTemplate="news",
        deliverySpecs=["Spotify", "EBU R128"],
    )

    # When the batch function works through its queues
    run_batch(aws, lambda_context, load_function("batch"))

    # Then every listener's manifest entry links a file per spec, on that spec's target
    assert status_of(lambda_context, org, batch_id)["status"] == "done"
    key = f"orgs/{org.org_id}/batches/{batch_id}/manifest.json"
    manifest = json.loads(boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read())
    assert len(manifest) == 2
    for entry in manifest:
        made = {d["spec"]: d for d in entry["deliverables"]}
        assert list(made) == ["Spotify", "EBU R128"]
        for name, target in (("Spotify", -14.0), ("EBU R128", -23.0)):
            audio = decode(s3_bytes(aws.bucket, made[name]["url"]))
            meter = pyloudnorm.Meter(audio.sample_rate)
            lufs = meter.integrated_loudness(np.asarray(audio.samples, dtype=np.float64))
            assert abs(lufs - target) <= 0.5, (name, lufs)
            assert made[name]["verdict"] == "pass", made[name]


def test_a_batch_with_an_unknown_delivery_spec_is_a_400(aws, org, lambda_context, api):
    body = {
        "scriptText": "Hello {{name}}.",
        "audience": [{"name": "a"}],
        "deliverySpecs": ["Apple Podcasts", "Radio Luxembourg"],
    }

    status, answer = call(api, lambda_context, "POST", "/batch", org.api_key, body)

    assert status == 400, answer
    assert answer["field"] == "deliverySpecs[1]"


def test_an_inbox_file_names_its_delivery_specs_in_front_matter(aws, org, run_pipeline):  # noqa: F811
    import boto3

    from audiofn.codecs import decode

    # Given a text file whose front matter asks for two specifications
    text = (
        "---\n"
        "voice: joe\n"
        "soundTemplate: calm\n"
        "captions: false\n"
        "deliverySpecs: Apple Podcasts, ATSC A/85\n"
        "---\n"
        "Good morning. The inbox turned this file into a finished programme.\n"
    )
    drop(aws, org.org_id, "show/episode.txt", text.encode())

    # When the pipeline runs
    run_pipeline()

    # Then the outbox holds a file per spec beside the master, on each spec's target
    status = read_json(aws, f"orgs/{org.org_id}/outbox/show/episode/status.json")
    assert status["status"] == "done", status
    files = status["outputs"][0]["files"]
    assert files["apple-podcasts"].endswith("/episode.apple-podcasts.mp3")
    assert files["atsc-a85"].endswith("/episode.atsc-a85.wav")
    report = read_json(aws, files["report"])
    verdicts = {d["specId"]: d for d in report["deliverables"]}
    for spec_id, target in (("apple-podcasts", -16.0), ("atsc-a85", -24.0)):
        body = boto3.client("s3").get_object(Bucket=aws.inbox_bucket, Key=files[spec_id])["Body"]
        audio = decode(body.read())
        assert abs(verdicts[spec_id]["measured"]["integratedLufs"] - target) <= 0.1
        assert audio.sample_rate == verdicts[spec_id]["measured"]["sampleRate"]
        assert verdicts[spec_id]["verdict"] == "pass"


def test_the_master_list_names_each_jobs_delivery_specs(
    api, lambda_context, org, long_script, drain_mastering_queue
):
    body = {
        "scriptId": long_script,
        "soundTemplate": "calm",
        "captions": False,
        "endFormat": "flac",
        "deliverySpecs": ["EBU R128 s1"],
    }
    assert call(api, lambda_context, "POST", "/mastering", org.api_key, body)[0] == 202
    drain_mastering_queue()

    status, listed = call(
        api, lambda_context, "GET", "/mastering/list", org.api_key, query={"scriptId": long_script}
    )

    assert status == 200, listed
    (item,) = listed["masters"]
    assert item["deliverySpecs"] == ["ebu-r128-s1"]
    assert set(item["deliverableUrls"]) == {"ebu-r128-s1"}

"""Podcast metadata through the API and the mastering function, against moto: ID3v2.4 tags and
chapters read back by mutagen at the sections' times on the master, and the podcast
namespace's JSON chapters and transcript beside it."""

from __future__ import annotations

import io
import json

import pytest

from tests.conftest import call_api as call
from tests.integration.test_delivery_specs import api, long_script  # noqa: F401 (fixtures)
from tests.integration.test_mastering_handler import s3_bytes

pytestmark = pytest.mark.slow


def test_mp3_masters_carry_id3_chapters_and_json_chapters_and_transcript(
    api,  # noqa: F811
    lambda_context,
    org,
    aws,
    long_script,  # noqa: F811
    drain_mastering_queue,
):
    from mutagen.id3 import ID3

    from audiofn.codecs import decode

    # Given a master in MP3 and as an Apple Podcasts deliverable, with captions
    body = {
        "scriptId": long_script,
        "soundTemplate": "news",
        "audience": [{"name": "Ada"}],
        "endFormat": ["mp3", "wav"],
        "deliverySpecs": ["Apple Podcasts"],
    }
    assert call(api, lambda_context, "POST", "/mastering", org.api_key, body)[0] == 202
    assert all(r["batchItemFailures"] == [] for r in drain_mastering_queue())
    query = {"scriptId": long_script, "name": "Ada"}
    status, got = call(api, lambda_context, "GET", "/mastering", org.api_key, query=query)
    assert status == 200, got
    timeline = got["report"]["timeline"]
    assert len(timeline) == 2

    # When the MP3 files are read back with mutagen
    files = [s3_bytes(aws.bucket, got["url"]), s3_bytes(aws.bucket, got["deliverables"][0]["url"])]
    for data in files:
        tags = ID3(io.BytesIO(data))

        # Then they are ID3v2.4 with the script's title and the organisation as artist
        assert tags.version[:2] == (2, 4)
        assert str(tags["TIT2"]) == "default / default"
        assert str(tags["TPE1"]) == "Test Org" == str(tags["TPUB"])
        # ... and one chapter per section at its start on the mastered timeline
        chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
        assert [str(c.sub_frames["TIT2"]) for c in chapters] == ["intro", "news"]
        assert [c.start_time for c in chapters] == [round(s["start"] * 1000) for s in timeline]
        assert chapters[0].end_time == chapters[1].start_time
        (toc,) = tags.getall("CTOC")
        assert toc.child_element_ids == [c.element_id for c in chapters]
        # ... and the audio is untouched by the tag
        assert abs(decode(data).duration - got["report"]["duration"]) < 0.05

    # The JSON chapters and transcript (podcast namespace) come from the same timeline
    chapters_doc = json.loads(s3_bytes(aws.bucket, got["podcast"]["chapters"]))
    assert [c["startTime"] for c in chapters_doc["chapters"]] == [s["start"] for s in timeline]
    transcript = json.loads(s3_bytes(aws.bucket, got["podcast"]["transcript"]))
    words = " ".join(segment["body"] for segment in transcript["segments"]).lower()
    assert "harbour office" in words and "goodbye" in words
    first = transcript["segments"][0]["startTime"]
    assert timeline[0]["start"] <= first < timeline[0]["start"] + 2.0

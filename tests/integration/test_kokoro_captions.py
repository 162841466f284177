"""A Kokoro master's captions come from Kokoro's own word timings, not from Whisper, and land
where the words are heard in the master (sections, an SSML pause, speed, padding, lead-in)."""

from __future__ import annotations

import json
import re
import statistics
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import call_api as call
from tests.conftest import load_function

pytestmark = pytest.mark.slow


def s3_bytes(bucket: str, url: str) -> bytes:
    import boto3

    key = unquote(urlparse(url).path.lstrip("/"))
    if key.startswith(bucket + "/"):
        key = key[len(bucket) + 1 :]
    data: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def cue_starts(vtt: str) -> list[tuple[float, str]]:
    """(start seconds, first word) of each cue."""
    cues = []
    for block in vtt.split("\n\n")[1:]:
        lines = block.strip().splitlines()
        hours, minutes, seconds = lines[1].split(" --> ")[0].split(":")
        start = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        cues.append((start, lines[2].split()[0]))
    return cues


def bare(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def test_a_kokoro_master_is_captioned_from_kokoro_timings(
    aws, lambda_context, org, drain_speech_queue, drain_mastering_queue, monkeypatch
):
    import boto3

    from audiofn.codecs import decode
    from audiofn.stt.whisper import transcribe
    from audiofn.tts import word_timings

    api = load_function("api")
    # Given a two-section script with a pause, spoken by a Kokoro voice faster and padded
    text = (
        "<<sectionName::intro>> Good morning {{name|friend}}, here is your briefing. "
        "The package left the warehouse early. "
        "<<sectionName::outro>> Turn left at the second traffic light. "
        '<break time="1500ms"/> Then follow the signs to the harbour.'
    )
    _, script = call(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": text})
    body = {
        "scriptId": script["scriptId"],
        "voice": "nova",
        "speed": 115,
        "silence_padding": 400,
        "audience": [{"name": "Ada"}],
    }
    assert call(api, lambda_context, "POST", "/speech", org.api_key, body)[0] == 202
    drain_speech_queue()
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=aws.bucket)["Contents"]
    timed = [item["Key"] for item in listed if item["Key"].endswith(".words.json")]
    timed = [key for key in timed if not key.startswith("cache/")]  # the speech files'
    assert len(timed) == 2, timed

    # When it is mastered with Whisper unavailable to the captions
    def no_whisper(audio):
        raise AssertionError("captions of a Kokoro voice must not need Whisper")

    monkeypatch.setattr(word_timings, "heard_words", no_whisper)
    master = {"scriptId": script["scriptId"], "endFormat": ["wav"], "audience": [{"name": "Ada"}]}
    assert call(api, lambda_context, "POST", "/mastering", org.api_key, master)[0] == 202
    responses = drain_mastering_queue()
    assert all(r["batchItemFailures"] == [] for r in responses), responses
    monkeypatch.undo()

    # Then each cue starts where Kokoro timed its first word, on the master's timeline
    query = {"scriptId": script["scriptId"], "name": "Ada", "endFormat": "wav"}
    status, got = call(api, lambda_context, "GET", "/mastering", org.api_key, query=query)
    assert status == 200, got
    vtt = s3_bytes(aws.bucket, got["captions"]["vtt"]).decode()
    starts = [span["start"] for span in got["report"]["timeline"]]
    stored = [json.loads(s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read()) for key in timed]
    stored.sort(key=lambda doc: doc["words"][0][0] != "Good")  # the intro's words first
    placed = [
        (word, start + offset)
        for doc, offset in zip(stored, starts, strict=True)
        for word, start, _ in doc["words"]
    ]
    cues = cue_starts(vtt)
    assert len(cues) >= 4 and "Ada" in vtt, vtt
    for start, first in cues:
        assert any(
            bare(word) == bare(first) and abs(at - start) <= 0.0015 for word, at in placed
        ), f"{start} {first} {placed} {vtt}"

    # And those times are where Whisper hears the words in the master (speed, padding, the
    # pause and the lead-in all counted)
    heard = transcribe(decode(s3_bytes(aws.bucket, got["url"])), word_timestamps=True).words
    offsets, cursor = [], 0
    for word, at in placed:
        for index in range(cursor, min(cursor + 3, len(heard))):
            if bare(heard[index].word) == bare(word):
                offsets.append(abs(heard[index].start - at))
                cursor = index + 1
                break
    assert len(offsets) >= 0.8 * len(placed), (placed, [w.word for w in heard])
    assert statistics.median(offsets) <= 0.08, offsets

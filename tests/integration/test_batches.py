"""Personalisation batches through the batch function on moto's SQS, S3 and DynamoDB, with
faults injected: duplicate deliveries, a crash midway through a chunk, an S3 write that fails
once, a chunk that never succeeds, and a 1,000-listener audience with 5 % poison rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest

from audiofn.codecs import decode
from audiofn.services.context import Services
from audiofn.storage.media import MediaStore
from audiofn.workers.batch import BatchPlan
from tests.conftest import call_api, load_function, sqs_event

VOICE = "espeak-en-us-female"  # the fast engine: these tests are about the plumbing
SCRIPT = (
    "<<sectionName::hello>> Good morning {{name}}! Here is the news of the day. "
    "<<sectionName::bye>> That was all. Thank you for listening."
)


class Crash(BaseException):
    """The process dies: nothing is reported, the message comes back after its timeout."""


def queue_arn(url: str) -> str:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"]
    )["Attributes"]
    return str(attributes["QueueArn"])


def deliver(
    function: ModuleType,
    queue_url: str,
    lambda_context: SimpleNamespace,
    *,
    duplicate: bool = False,
    limit: int = 10_000,
) -> dict[str, int]:
    """Feed the queue to the function until it is empty, as Lambda would; a crash leaves the
    message on the queue. `duplicate` delivers every message twice (SQS is at least once)."""
    sqs = boto3.client("sqs")
    arn = queue_arn(queue_url)
    seen = {"batches": 0, "failures": 0, "crashes": 0}
    for _ in range(limit):
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=1, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return seen
        seen["batches"] += 1
        try:
            for _ in range(2 if duplicate else 1):
                response = function.lambda_handler(sqs_event(messages, arn), lambda_context)
        except Crash:
            seen["crashes"] += 1
            continue
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        seen["failures"] += len(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("the queue did not drain")


def run_batch(
    aws: SimpleNamespace, lambda_context: SimpleNamespace, function: ModuleType, **kwargs: Any
) -> dict[str, int]:
    started = deliver(function, aws.batch_queue_url, lambda_context, **kwargs)
    chunks = deliver(function, aws.batch_chunk_queue_url, lambda_context, **kwargs)
    return {f"start_{k}": v for k, v in started.items()} | chunks


def listed(bucket: str, prefix: str) -> list[dict[str, Any]]:
    pages = (
        boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    )
    return [item for page in pages for item in page.get("Contents", [])]


def masters(aws: SimpleNamespace, org_id: str) -> list[str]:
    return [
        item["Key"]
        for item in listed(aws.bucket, f"orgs/{org_id}/batches/masters/")
        if not item["Key"].endswith(".json")
    ]


def queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


class FaultyMedia(MediaStore):
    """The media bucket with a fault injected into writes of masters."""

    def __init__(self, bucket: str, fault: Callable[[str, int], None]) -> None:
        super().__init__(bucket)
        object.__setattr__(self, "_fault", fault)
        object.__setattr__(self, "_writes", [0])

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        if "/batches/masters/" in key and not key.endswith(".json"):
            self._writes[0] += 1  # type: ignore[attr-defined]
            self._fault(key, self._writes[0])  # type: ignore[attr-defined]
        super().put_bytes(key, data, content_type)


def inject(function: ModuleType, fault: Callable[[str, int], None]) -> None:
    worker = function.worker
    media = FaultyMedia(worker.services.media.bucket, fault)
    worker.services = Services(worker.services.settings, worker.services.table, media)


def start(
    aws: SimpleNamespace, lambda_context: SimpleNamespace, org: SimpleNamespace, **body: Any
) -> str:
    api = load_function("api")
    status, created = call_api(
        api,
        lambda_context,
        "POST",
        "/batch",
        org.api_key,
        {"scriptText": SCRIPT, "voice": VOICE, "endFormat": "wav", **body},
    )
    assert status == 202, created
    return str(created["batchId"])


def status_of(lambda_context: SimpleNamespace, org: SimpleNamespace, batch_id: str) -> Any:
    status, body = call_api(
        load_function("api"), lambda_context, "GET", f"/batch/{batch_id}", org.api_key
    )
    assert status == 200, body
    return body


def test_a_batch_from_the_api_masters_each_listener_and_writes_the_manifest(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    # Given an audience with two listeners of the same name, and one without a name
    audience = [{"name": "Ada", "id": "1"}, {"name": "Grace"}, {"id": "3"}, {"name": "Ada"}]
    batch_id = start(aws, lambda_context, org, audience=audience, soundTemplate="news")
    assert status_of(lambda_context, org, batch_id)["status"] == "queued"

    # When the batch function works through its queues
    run_batch(aws, lambda_context, load_function("batch"))

    # Then the batch is done and the counts add up
    body = status_of(lambda_context, org, batch_id)
    assert (body["status"], body["total"], body["done"], body["failed"]) == ("done", 4, 3, 1)
    assert body["failures"] == [
        {
            "index": 2,
            "parameters": {"id": "3"},
            "reason": "audience[2] has no value for placeholder 'name' (section 'hello'), "
            "and the script gives it no default",
        }
    ]
    # and the manifest, as JSON and CSV, maps every listener to a master or an error
    manifest = json.loads(
        boto3.client("s3")
        .get_object(Bucket=aws.bucket, Key=f"orgs/{org.org_id}/batches/{batch_id}/manifest.json")[
            "Body"
        ]
        .read()
    )
    assert [m["status"] for m in manifest] == ["done", "done", "failed", "done"]
    assert manifest[0]["key"] == manifest[3]["key"] != manifest[1]["key"]  # same name, one master
    assert "placeholder 'name'" in manifest[2]["error"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                boto3.client("s3")
                .get_object(
                    Bucket=aws.bucket, Key=f"orgs/{org.org_id}/batches/{batch_id}/manifest.csv"
                )["Body"]
                .read()
                .decode()
            )
        )
    )
    assert [(r["name"], r["id"], r["status"]) for r in rows] == [
        ("Ada", "1", "done"),
        ("Grace", "", "done"),
        ("", "3", "failed"),
        ("Ada", "", "done"),
    ]
    assert set(body["manifest"]) == {"json", "csv"}
    # and every master is a stereo WAV at the preset's loudness
    keys = masters(aws, org.org_id)
    assert len(keys) == 2
    for key in keys:
        audio = decode(boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read())
        assert audio.channels == 2 and audio.duration > 3
    reports = [m["report"] for m in manifest if m["status"] == "done"]
    assert all(abs(r["integrated_lufs"] - -16.0) < 0.6 for r in reports), reports
    assert all(r["true_peak_dbtp"] <= -0.9 for r in reports), reports


def test_duplicate_deliveries_make_one_output_and_one_set_of_counts(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    audience = [{"name": f"Listener {i}"} for i in range(7)] + [{"nom": "x"}]
    batch_id = start(aws, lambda_context, org, audience=audience)

    # When every message (the start and each chunk) is delivered twice
    run_batch(aws, lambda_context, load_function("batch"), duplicate=True)

    # Then each listener has one master and was counted once
    body = status_of(lambda_context, org, batch_id)
    assert (body["status"], body["total"], body["done"], body["failed"]) == ("done", 8, 7, 1)
    assert len(masters(aws, org.org_id)) == 7
    assert len(body["failures"]) == 1


def test_a_crash_midway_through_a_chunk_succeeds_on_retry_reusing_finished_work(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    audience = [{"name": f"Listener {i}"} for i in range(6)]
    batch_id = start(aws, lambda_context, org, audience=audience)
    function = load_function("batch")
    writes: list[str] = []

    def crash_on_the_fourth_master(key: str, count: int) -> None:
        writes.append(key)
        if count == 4:
            raise Crash()

    inject(function, crash_on_the_fourth_master)

    # When the process dies while writing the fourth master, and the message comes back
    seen = run_batch(aws, lambda_context, function)

    # Then the retry finishes the chunk: each master written once, except the one lost
    assert seen["crashes"] == 1
    assert len(writes) == 7 and len(set(writes)) == 6 and writes[3] == writes[4]
    body = status_of(lambda_context, org, batch_id)
    assert (body["status"], body["done"], body["failed"]) == ("done", 6, 0)
    assert len(masters(aws, org.org_id)) == 6


def test_an_s3_write_that_fails_once_is_retried_through_the_queue(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    audience = [{"name": f"Listener {i}"} for i in range(5)]
    batch_id = start(aws, lambda_context, org, audience=audience)
    function = load_function("batch")

    def fail_the_second_write(key: str, count: int) -> None:
        if count == 2:
            raise ConnectionError("S3 is unreachable")

    inject(function, fail_the_second_write)

    seen = run_batch(aws, lambda_context, function)

    # Then the failure was reported for that message alone, and the retry completed it
    assert seen["failures"] == 1
    body = status_of(lambda_context, org, batch_id)
    assert (body["status"], body["done"], body["failed"]) == ("done", 5, 0)
    assert len(masters(aws, org.org_id)) == 5
    assert queue_depth(aws.batch_chunk_dlq_url) == 0


def test_a_chunk_that_keeps_failing_ends_in_the_dlq_and_fails_the_batch_with_the_reason(
    aws: SimpleNamespace,
    org: SimpleNamespace,
    lambda_context: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUDIOFN_BATCH_CHUNK_SIZE", "3")
    from audiofn.config import reset_settings_cache

    reset_settings_cache()
    audience = [{"name": f"Listener {i}"} for i in range(6)]
    batch_id = start(aws, lambda_context, org, audience=audience)
    function = load_function("batch")

    # Given the first chunk's masters can never be written (the second chunk's can)
    deliver(function, aws.batch_queue_url, lambda_context)
    plan_key = f"orgs/{org.org_id}/batches/{batch_id}/plan.json"
    plan = BatchPlan.model_validate(function.worker.services.media.get_json(plan_key))
    refused = {plan.listener_keys({"name": f"Listener {i}"})[0] for i in range(3)}

    def fault(key: str, count: int) -> None:
        if key in refused:
            raise OSError("the bucket refuses writes")

    inject(function, fault)

    seen = deliver(function, aws.batch_chunk_queue_url, lambda_context)

    # Then the chunk was tried three times, went to the DLQ, and the batch says why
    assert seen["failures"] == 3
    assert queue_depth(aws.batch_chunk_dlq_url) == 1
    body = status_of(lambda_context, org, batch_id)
    assert body["status"] == "failed"
    assert "gave up after 3 tries: the bucket refuses writes" in body["reason"]
    assert (body["total"], body["done"], body["failed"]) == (6, 3, 3)
    assert {f["index"] for f in body["failures"]} == {0, 1, 2}
    assert all("the bucket refuses writes" in f["reason"] for f in body["failures"])
    assert set(body["manifest"]) == {"json", "csv"}


def test_bad_batch_requests_are_4xx_naming_the_field(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    api = load_function("api")
    cases = [
        ({"scriptText": SCRIPT, "audience": []}, "audience"),
        ({"scriptText": SCRIPT, "audience": [{"name": "a"}], "voice": "nobody"}, "voice"),
        ({"scriptText": SCRIPT, "audience": [{"name": "a"}], "endFormat": "xyz"}, "endFormat"),
        ({"scriptText": SCRIPT, "audience": [{"name": "a"}], "effect": "nope"}, "effect"),
        (
            {"scriptText": SCRIPT, "audience": [{"name": "a"}], "masteringPreset": "x"},
            "masteringPreset",
        ),
        ({"scriptText": "<<sectionName::a>> {{", "audience": [{"name": "a"}]}, "scriptText"),
        ({"scriptId": "missing", "audience": [{"name": "a"}]}, "scriptId"),
    ]
    for body, field in cases:
        status, answer = call_api(api, lambda_context, "POST", "/batch", org.api_key, body)
        assert 400 <= status < 500, (body, answer)
        assert field in answer["message"] or answer.get("field") == field, (body, answer)
    status, answer = call_api(api, lambda_context, "GET", "/batch/nope", org.api_key)
    assert status == 404


def test_an_audience_file_starts_a_batch(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    from audiofn.config import api_settings
    from audiofn.services.batches import start_batch_from_audience_file

    body = b'name,city\nAda,London\nGrace,New York,extra\n"Linus",Helsinki\n'
    record = start_batch_from_audience_file(
        api_settings(),
        org.org_id,
        f"inbox/{org.org_id}/batches/monday.csv",
        body,
        {"scriptText": SCRIPT, "voice": VOICE, "endFormat": "flac"},
    )
    run_batch(aws, lambda_context, load_function("batch"))
    answer = status_of(lambda_context, org, record.batch_id)
    assert (answer["status"], answer["total"], answer["done"], answer["failed"]) == (
        "done",
        3,
        2,
        1,
    )
    assert "line 3: more fields than the header has" in answer["failures"][0]["reason"]
    assert all(key.endswith(".flac") for key in masters(aws, org.org_id))


@pytest.mark.slow
def test_a_thousand_listeners_from_one_sqs_message_with_five_percent_poison_rows(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    # Given 1,000 listeners, every twentieth of them unusable in a different way
    poison_kinds = [
        {"city": "no name"},  # a placeholder without a value or default
        {"name": ["a", "list"]},  # not text
        {"name": "x" * 1001},  # too long
        {"bad key!": "x", "name": "y"},  # not a placeholder name
    ]
    audience: list[dict[str, Any]] = []
    poison: set[int] = set()
    for index in range(1000):
        if index % 20 == 7:
            poison.add(index)
            audience.append(poison_kinds[len(poison) % len(poison_kinds)])  # type: ignore[arg-type]
        else:
            audience.append({"name": f"Listener {index}"})
    # When one message on the batch queue starts it (the event-triggered road)
    message = json.loads(load_event_text("batch_start_message.json"))
    message.update(
        orgId=org.org_id, audience=audience, voice=VOICE, endFormat="wav", scriptText=SCRIPT
    )
    for key in ("audienceKey", "soundTemplate"):
        message.pop(key)
    boto3.client("sqs").send_message(QueueUrl=aws.batch_queue_url, MessageBody=json.dumps(message))
    function = load_function("batch")
    run_batch(aws, lambda_context, function)

    # Then every good listener has exactly one master, every poison row is reported
    batch_id = message["batchId"]
    body = status_of(lambda_context, org, batch_id)
    assert (body["status"], body["total"], body["done"], body["failed"]) == ("done", 1000, 950, 50)
    assert {f["index"] for f in body["failures"]} == poison
    assert len(masters(aws, org.org_id)) == 950
    manifest = json.loads(
        boto3.client("s3")
        .get_object(Bucket=aws.bucket, Key=f"orgs/{org.org_id}/batches/{batch_id}/manifest.json")[
            "Body"
        ]
        .read()
    )
    assert [m["index"] for m in manifest] == list(range(1000))
    assert {m["index"] for m in manifest if m["status"] == "failed"} == poison
    assert len({m["key"] for m in manifest if m["status"] == "done"}) == 950
    assert queue_depth(aws.batch_chunk_dlq_url) == queue_depth(aws.batch_dlq_url) == 0


def load_event_text(name: str) -> str:
    from tests.conftest import EVENTS

    return (EVENTS / name).read_text()


class RefusingMedia(MediaStore):
    """The media bucket refusing every write of keys that end with `suffix`."""

    def __init__(self, bucket: str, suffix: str) -> None:
        super().__init__(bucket)
        object.__setattr__(self, "_suffix", suffix)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        if key.endswith(self._suffix):  # type: ignore[attr-defined]
            raise OSError("the bucket refuses writes")
        super().put_bytes(key, data, content_type)


def test_a_start_message_that_keeps_failing_ends_in_the_dlq_and_fails_the_batch(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    batch_id = start(aws, lambda_context, org, audience=[{"name": "Ada"}])
    function = load_function("batch")
    worker = function.worker
    media = RefusingMedia(worker.services.media.bucket, "plan.json")
    worker.services = Services(worker.services.settings, worker.services.table, media)

    seen = deliver(function, aws.batch_queue_url, lambda_context)

    assert seen["failures"] == 3
    assert queue_depth(aws.batch_dlq_url) == 1
    assert queue_depth(aws.batch_chunk_queue_url) == 0
    body = status_of(lambda_context, org, batch_id)
    assert body["status"] == "failed"
    assert body["reason"] == "start: gave up after 3 tries: the bucket refuses writes"


def test_batch_masters_and_deliverables_are_tagged_and_carry_content_credentials(
    aws: SimpleNamespace, org: SimpleNamespace, lambda_context: SimpleNamespace
) -> None:
    from mutagen.id3 import ID3

    from audiofn.provenance import verify

    # Given a batch of a stored script, in MP3, with an EBU R128 WAV per listener
    status, script = call_api(
        load_function("api"),
        lambda_context,
        "POST",
        "/script",
        org.api_key,
        {"scriptText": SCRIPT, "projectName": "campaign", "scriptName": "welcome"},
    )
    assert status in (200, 201), script
    batch_id = start(
        aws,
        lambda_context,
        org,
        scriptText=None,
        scriptId=script["scriptId"],
        endFormat="mp3",
        deliverySpecs=["ebu-r128"],
        audience=[{"name": "Ada"}, {"name": "Grace"}],
    )
    run_batch(aws, lambda_context, load_function("batch"))
    assert status_of(lambda_context, org, batch_id)["status"] == "done"

    s3 = boto3.client("s3")
    keys = masters(aws, org.org_id)
    assert sorted(k.rsplit(".", 1)[-1] for k in keys) == ["mp3", "mp3", "wav", "wav"]
    for key in keys:
        data = s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read()
        fmt = key.rsplit(".", 1)[-1]
        # Then every file verifies, states synthetic speech and names the script
        checked = verify(data, fmt)
        assert checked["valid"], checked
        assertions = {a["label"]: a["data"] for a in checked["manifest"]["assertions"]}
        speech = assertions["com.audiofn.speech"]
        assert speech["synthetic"] is True and speech["scriptId"] == script["scriptId"]
        assert checked["manifest"]["title"] == "campaign / welcome"
        if fmt == "mp3":  # and the MP3s are tagged with the script's title and the organisation
            tags = ID3(io.BytesIO(data))
            assert str(tags["TIT2"]) == "campaign / welcome"
            assert str(tags["TPE1"]) == str(tags["TPUB"]) != ""
        assert decode(data).duration > 3  # and still decode


NAMES = [
    "David", "James", "Sarah", "Peter", "Laura", "Daniel", "Thomas", "Michael", "Sophie", "Robert",
    "Grace", "William", "George", "Lucy", "Henry", "Kevin", "Rachel", "Susan", "Victor", "Nathan",
]  # fmt: skip


def test_a_20_listener_mp3_batch_spliced_from_frames_equals_whole_file_encodes(
    aws: SimpleNamespace,
    org: SimpleNamespace,
    lambda_context: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np
    import pyloudnorm

    from audiofn.audio import Audio
    from audiofn.stt.whisper import get_transcriber

    # Given an MP3 batch of 20 listeners over a bed, spliced from the shared render's frames,
    # and the same batch with each listener's master encoded whole (the fragment cache gives
    # both the same speech)
    settings = {
        "voice": "af_heart",  # Kokoro: the same speech every time
        "soundTemplate": "news",
        "endFormat": "mp3",
        "audience": [{"name": name} for name in NAMES],
    }
    function = load_function("batch")
    spliced_id = start(aws, lambda_context, org, **settings)
    run_batch(aws, lambda_context, function)
    worker = function.worker
    monkeypatch.setattr(
        worker, "settings", worker.settings.model_copy(update={"mp3_frame_splice": False})
    )
    whole_id = start(aws, lambda_context, org, **settings)
    run_batch(aws, lambda_context, function)

    s3 = boto3.client("s3")

    def listeners(batch_id: str) -> list[tuple[dict[str, Any], Audio]]:
        assert status_of(lambda_context, org, batch_id)["status"] == "done"
        manifest = json.loads(
            s3.get_object(
                Bucket=aws.bucket, Key=f"orgs/{org.org_id}/batches/{batch_id}/manifest.json"
            )["Body"].read()
        )
        return [
            (m["report"], decode(s3.get_object(Bucket=aws.bucket, Key=m["key"])["Body"].read()))
            for m in manifest
        ]

    transcriber = get_transcriber()
    frame = 1152
    spliced_masters, whole_masters = listeners(spliced_id), listeners(whole_id)
    assert len({len(audio.samples) for _, audio in spliced_masters}) > 1  # names differ in length
    for name, (report, spliced), (_, whole) in zip(
        NAMES, spliced_masters, whole_masters, strict=True
    ):
        rate = spliced.sample_rate
        # Then each decodes to the whole-file encode's duration, within one frame (the personal
        # stretch is padded to whole frames),
        assert 0 <= len(spliced.samples) - len(whole.samples) < frame, name
        # its integrated loudness (pyloudnorm, decoded) within 0.3 LU of the whole file's,
        meter = pyloudnorm.Meter(rate)
        loudness = [meter.integrated_loudness(a.samples) for a in (spliced, whole)]
        assert abs(loudness[0] - loudness[1]) <= 0.3, (name, loudness)
        # no step around a seam larger than the largest of the whole file there, give or take
        # what the two encoders' largest steps differ by where nothing is spliced (windows of
        # the same length before the stretch): the frame seams sit within six frames outside
        # the personal stretch, in the pauses around it, and its own crossfades at its ends,
        begin, end = (round(t * rate) for t in report["personal_spans"][0])
        reach = 6 * frame + rate // 20

        def largest_step(audio: Audio, first: int, reach: int = reach) -> float:
            stretch = audio.samples[max(0, first) : first + reach]
            return float(np.abs(np.diff(stretch, axis=0)).max())

        noise = max(
            largest_step(spliced, first) - largest_step(whole, first)
            for first in range(0, begin - 2 * reach, frame)
        )
        pad = len(spliced.samples) - len(whole.samples)  # whole's timeline after the stretch
        for first, offset in ((begin - 6 * frame, 0), (end - rate // 20, pad)):
            steps = [largest_step(spliced, first), largest_step(whole, first - offset)]
            assert steps[0] <= steps[1] + max(noise, 0.0), (name, first, steps, noise)
        # and, frame by frame, the spliced file is as close to the whole file around the seams
        # as the two encoders' files are anywhere else (the samples are the same but for the
        # padding before the stretch's last crossfade)
        cut = end - rate // 10 - pad
        aligned = [
            np.concatenate([audio.samples[:cut], audio.samples[end - offset :]])
            for audio, offset in ((spliced, 0), (whole, pad))
        ]
        count = len(aligned[0]) // frame
        power, error = (
            np.sum(np.reshape(x[: count * frame], (count, -1)) ** 2, axis=1)
            for x in (aligned[1], aligned[0] - aligned[1])
        )
        audible = power > frame * 2 * 1e-6  # above -60 dBFS
        snr = 10 * np.log10(power / np.maximum(error, 1e-20))
        around = np.zeros(count, dtype=bool)
        around[begin // frame - 8 : begin // frame + 4] = True  # the seams before the stretch
        around[cut // frame - 2 : cut // frame + 8] = True  # and after it
        worst = (snr[around & audible].min(), snr[~around & audible].min())
        assert worst[0] >= worst[1], (name, worst)
        # and Whisper hears the listener's name in the personal stretch
        heard = transcriber.transcribe(Audio(spliced.samples[:end], rate)).text
        assert name.lower() in heard.lower(), (name, heard)


def test_mp3_frames_that_do_not_splice_give_a_master_encoded_whole(
    aws: SimpleNamespace,
    org: SimpleNamespace,
    lambda_context: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from audiofn import mp3_splice

    # Given a batch whose frames find no seam where the window shapes fit
    monkeypatch.setattr(mp3_splice, "_windows_fit", lambda before, after: False)
    batch_id = start(
        aws, lambda_context, org, endFormat="mp3", audience=[{"name": "Ada"}, {"name": "Bo"}]
    )
    run_batch(aws, lambda_context, load_function("batch"))

    # Then every listener still gets a whole MP3 master
    assert status_of(lambda_context, org, batch_id)["done"] == 2
    for key in masters(aws, org.org_id):
        data = boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read()
        assert decode(data).duration > 3

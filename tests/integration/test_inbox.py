"""The inbox road against moto: a text file dropped into the bucket becomes a master and a
status object, with no API call; unusable files get an error object and change nothing else."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from tests.conftest import drain_queue

pytestmark = pytest.mark.slow


@pytest.fixture
def run_pipeline(aws, lambda_context):
    """Drain the inbox, speech and mastering queues until all are empty, as Lambda would."""

    def run() -> None:
        for _ in range(20):
            handled = 0
            for queue, function in (
                (aws.inbox_queue_url, "inbox"),
                (aws.queue_url, "speech"),
                (aws.mastering_queue_url, "mastering"),
            ):
                handled += len(drain_queue(queue, function, lambda_context))
            if not handled:
                return
        raise AssertionError("the pipeline did not settle")

    return run


def drop(aws, org_id: str, relative: str, data: bytes) -> str:
    key = f"orgs/{org_id}/inbox/{relative}"
    boto3.client("s3").put_object(Bucket=aws.inbox_bucket, Key=key, Body=data)
    return key


def read_json(aws, key: str):
    body = boto3.client("s3").get_object(Bucket=aws.inbox_bucket, Key=key)["Body"].read()
    return json.loads(body)


def keys_under(aws, prefix: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=aws.inbox_bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_text_file_with_front_matter_becomes_a_master_and_a_status(aws, org, run_pipeline):
    import soundfile as sf

    text = (
        "---\n"
        "voice: joe\n"
        "endFormat: wav, mp3\n"
        "soundTemplate: calm\n"
        "---\n"
        "Good morning. The inbox turned this file into a finished programme.\n"
    )
    drop(aws, org.org_id, "news/monday.txt", text.encode())

    run_pipeline()

    status = read_json(aws, f"orgs/{org.org_id}/outbox/news/monday/status.json")
    assert status["status"] == "done", status
    files = status["outputs"][0]["files"]
    assert set(files) >= {"wav", "mp3", "vtt", "srt", "report"}
    assert files["wav"] == f"orgs/{org.org_id}/outbox/news/monday/monday.wav"
    wav = boto3.client("s3").get_object(Bucket=aws.inbox_bucket, Key=files["wav"])["Body"].read()
    audio, rate = sf.read(io.BytesIO(wav))
    assert rate in (44100, 48000) and len(audio) / rate > 3.0
    report = read_json(aws, files["report"])
    assert abs(report["integrated_lufs"] - (-16.0)) <= 0.5
    # The input is kept, and nothing else appears beside it.
    assert keys_under(aws, f"orgs/{org.org_id}/inbox/") == [
        f"orgs/{org.org_id}/inbox/news/monday.txt"
    ]


def test_sidecar_and_org_defaults_set_what_front_matter_does_not(aws, org, run_pipeline):
    from audiofn.storage.inbox_table import InboxTable

    InboxTable(aws.table).put_defaults(org.org_id, {"endFormat": "flac"})
    drop(aws, org.org_id, "promo.json", json.dumps({"speed": 120}).encode())
    drop(aws, org.org_id, "promo.txt", b"Short and quick.")

    run_pipeline()

    status = read_json(aws, f"orgs/{org.org_id}/outbox/promo/status.json")
    assert status["status"] == "done", status
    assert set(status["outputs"][0]["files"]) >= {"flac"}


def test_markdown_headings_become_sections(aws, org, run_pipeline):
    from audiofn.storage.table import AppTable

    drop(
        aws,
        org.org_id,
        "brief.md",
        b"# Headlines\nRain **today**, see [the map](http://x).\n\n"
        b"## Sport\n- The home team won.\n",
    )

    run_pipeline()

    status = read_json(aws, f"orgs/{org.org_id}/outbox/brief/status.json")
    assert status["status"] == "done", status
    script = AppTable(aws.table).get_script(org.org_id, status["scriptId"])
    assert [s.name for s in script.sections] == ["headlines", "sport"]  # type: ignore[union-attr]
    assert "the map" in script.script_text and "**" not in script.script_text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("latin1.txt", "Café crème".encode("latin-1"), "not UTF-8"),
        ("empty.txt", b"  \n\n", "empty"),
        ("huge.txt", b"word " * 50_000, "too large"),
        ("picture.png", b"\x89PNG", "unknown extension"),
        ("bad-speed.txt", b"---\nspeed: 9999\n---\nHello.", "speed"),
        ("bad-voice.txt", b"---\nvoice: nobody\n---\nHello.", "voice"),
    ],
)
def test_unusable_files_get_an_error_object_and_nothing_else_changes(
    aws, org, run_pipeline, name, data, reason
):
    key = drop(aws, org.org_id, name, data)
    good = drop(aws, org.org_id, "fine.txt", b"This one is fine.")

    run_pipeline()

    error = read_json(aws, key + ".error.json")
    assert reason in error["error"]
    assert boto3.client("s3").head_object(Bucket=aws.inbox_bucket, Key=key)  # input kept
    stem = name.rsplit(".", 1)[0]
    assert read_json(aws, f"orgs/{org.org_id}/outbox/{stem}/status.json")["status"] == "failed"
    good_status = read_json(aws, f"orgs/{org.org_id}/outbox/fine/status.json")
    assert good_status["status"] == "done" and good


def test_duplicate_notifications_and_test_events_are_ignored(
    aws, org, run_pipeline, lambda_context
):
    from audiofn.storage.table import AppTable

    sqs = boto3.client("sqs")
    drop(aws, org.org_id, "once.txt", b"Only once, please.")
    notification = sqs.receive_message(QueueUrl=aws.inbox_queue_url, MaxNumberOfMessages=10)
    bodies = [m["Body"] for m in notification["Messages"]]
    for message in notification["Messages"]:
        sqs.change_message_visibility(
            QueueUrl=aws.inbox_queue_url,
            ReceiptHandle=message["ReceiptHandle"],
            VisibilityTimeout=0,
        )
    for body in bodies:  # S3 delivers at least once: the same notification again
        sqs.send_message(QueueUrl=aws.inbox_queue_url, MessageBody=body)
    sqs.send_message(
        QueueUrl=aws.inbox_queue_url,
        MessageBody=json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
    )

    run_pipeline()

    scripts = list(AppTable(aws.table).list_scripts(org.org_id))
    assert len(scripts) == 1
    status = read_json(aws, f"orgs/{org.org_id}/outbox/once/status.json")
    assert status["status"] == "done"


def test_get_org_says_where_to_drop_files(aws, org, lambda_context):
    from tests.conftest import call_api, load_function

    status, body = call_api(load_function("api"), lambda_context, "GET", "/org", org.api_key)

    assert status == 200
    assert body["inbox"] == {
        "bucket": aws.inbox_bucket,
        "prefix": f"orgs/{org.org_id}/inbox/",
        "outboxPrefix": f"orgs/{org.org_id}/outbox/",
    }


def test_the_event_file_drives_the_inbox_function(aws, org, lambda_context):
    """events/inbox_s3_notification.json is what S3 -> SQS delivers (key URL-encoded)."""
    from tests.conftest import load_event, load_function

    put = boto3.client("s3").put_object(
        Bucket=aws.inbox_bucket,
        Key=f"orgs/{org.org_id}/inbox/morning news.txt",
        Body=b"Morning news.",
    )
    event = load_event(
        "inbox_s3_notification.json",
        bucket=aws.inbox_bucket,
        org_id=org.org_id,
        etag=put["ETag"].strip('"'),
    )

    response = load_function("inbox").lambda_handler(event, lambda_context)

    assert response == {"batchItemFailures": []}
    status = read_json(aws, f"orgs/{org.org_id}/outbox/morning news/status.json")
    assert status["status"] == "processing" and status["speechJobId"]


def test_an_audience_file_with_its_sidecar_starts_a_batch(aws, org, lambda_context):
    from tests.conftest import call_api, load_function

    drop(
        aws,
        org.org_id,
        "promo.json",
        json.dumps(
            {"scriptText": "Hello {{name}}, this is for you.", "voice": "joe", "endFormat": "wav"}
        ).encode(),
    )
    drop(aws, org.org_id, "promo.csv", b"name,id\nAda,1\nGrace,2\n")
    lonely = drop(aws, org.org_id, "lonely.jsonl", b'{"name": "Bo"}\n')

    drain_queue(aws.inbox_queue_url, "inbox", lambda_context)

    status = read_json(aws, f"orgs/{org.org_id}/outbox/promo/status.json")
    assert status["status"] == "batch started" and status["total"] == 2
    assert "lonely.json" in read_json(aws, lonely + ".error.json")["error"]
    code, batch = call_api(
        load_function("api"), lambda_context, "GET", f"/batch/{status['batchId']}", org.api_key
    )
    assert code == 200 and batch["total"] == 2

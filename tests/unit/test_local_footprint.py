"""The local runtime stays small: object bodies live in the state file, idle pollers wait,
and a start reads no object body.

The figures (memory after storing a gigabyte, CPU at rest, start on 10,000 objects) are
measured by `make bench SECTIONS=footprint`; these tests check the mechanisms behind them.
"""

from __future__ import annotations

import gc
import hashlib
import sqlite3
import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from audiofn_local.aws_server import LocalAws
from audiofn_local.folder_mirror import OUTBOX_IDLE_SECONDS, FolderMirror
from audiofn_local.moto_state import StoredBody, s3_backend
from audiofn_local.resources import LocalQueue
from audiofn_local.sqs_poller import WAIT_SECONDS, SqsPoller
from audiofn_local.state_store import STATE_FILE, StateStore, encode
from audiofn_local.template_model import SqsEvent


@contextmanager
def local_aws(data_dir: Path) -> Iterator[LocalAws]:
    aws = LocalAws(data_dir=data_dir)
    aws.start()
    try:
        yield aws
    finally:
        aws.stop()


def _body(index: int, size: int) -> bytes:
    return index.to_bytes(4, "big") * (size // 4)


def test_stored_bodies_do_not_stay_in_the_server_process(tmp_path):
    size, count = 4 * 1024 * 1024, 6
    with local_aws(tmp_path / "data") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="masters")
        s3.put_object(Bucket="masters", Key="warm-up", Body=b"x" * 1000)
        gc.collect()
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            for index in range(count):
                s3.put_object(Bucket="masters", Key=f"m/{index}.wav", Body=_body(index, size))
            gc.collect()
            after, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # 24 MB were stored; what the process still holds is bookkeeping.
        assert after - before < size // 2
        key = s3_backend().buckets["masters"].keys[f"m/{count - 1}.wav"]
        assert isinstance(key._value_buffer, StoredBody)
        for index in range(count):
            got = s3.get_object(Bucket="masters", Key=f"m/{index}.wav")["Body"].read()
            assert got == _body(index, size)
        head = s3.head_object(Bucket="masters", Key="m/0.wav")
        assert head["ContentLength"] == size
    # and after a restart they are read from the file as well
    with local_aws(tmp_path / "data") as aws:
        key = s3_backend().buckets["masters"].keys["m/3.wav"]
        assert isinstance(key._value_buffer, StoredBody)
        got = aws.client("s3").get_object(Bucket="masters", Key="m/3.wav")["Body"].read()
        assert got == _body(3, size)


def test_copies_ranges_and_overwrites_read_the_right_body(tmp_path):
    with local_aws(tmp_path / "data") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="media")
        s3.put_object(Bucket="media", Key="a", Body=b"first body")
        s3.copy_object(Bucket="media", Key="b", CopySource={"Bucket": "media", "Key": "a"})
        s3.put_object(Bucket="media", Key="a", Body=b"second body")
        assert s3.get_object(Bucket="media", Key="a")["Body"].read() == b"second body"
        assert s3.get_object(Bucket="media", Key="b")["Body"].read() == b"first body"
        ranged = s3.get_object(Bucket="media", Key="a", Range="bytes=0-5")["Body"].read()
        assert ranged == b"second"
        s3.delete_object(Bucket="media", Key="b")
        assert s3.list_objects_v2(Bucket="media")["KeyCount"] == 1


def test_a_noncurrent_version_keeps_its_own_body(tmp_path):
    with local_aws(tmp_path / "data") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="versioned")
        s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
        first = s3.put_object(Bucket="versioned", Key="k", Body=b"version one")["VersionId"]
        s3.put_object(Bucket="versioned", Key="k", Body=b"version two")
        old = s3.get_object(Bucket="versioned", Key="k", VersionId=first)["Body"].read()
        assert old == b"version one"
        assert s3.get_object(Bucket="versioned", Key="k")["Body"].read() == b"version two"
        s3.delete_object(Bucket="versioned", Key="k")  # a delete marker: both stay versions
        old = s3.get_object(Bucket="versioned", Key="k", VersionId=first)["Body"].read()
        assert old == b"version one"


def _bytes_read() -> int:
    """What this process has read through read()/pread() so far (page cache included)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_a_start_restores_objects_without_reading_their_bodies(tmp_path):
    # Given a data directory holding 24 MB of object bodies
    size, count = 4 * 1024 * 1024, 6
    with local_aws(tmp_path / "data") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="masters")
        for index in range(count):
            s3.put_object(Bucket="masters", Key=f"m/{index}.wav", Body=_body(index, size))
    # When the runtime's AWS starts on it again
    before = _bytes_read()
    with local_aws(tmp_path / "data") as aws:
        read = _bytes_read() - before
        # Then every object is back, with its size, and less than one body was read
        assert aws.restored is not None and aws.restored.objects == count
        assert aws.restored.object_bytes == count * size
        assert read < size, f"the start read {read / 1e6:.1f} MB"
        s3 = aws.client("s3")
        listed = s3.list_objects_v2(Bucket="masters")["Contents"]
        assert [item["Size"] for item in listed] == [size] * count
        assert s3.head_object(Bucket="masters", Key="m/2.wav")["ContentLength"] == size
        # and a body is read when it is asked for
        assert s3.get_object(Bucket="masters", Key="m/2.wav")["Body"].read() == _body(2, size)


def test_a_state_file_with_bodies_inside_its_entries_is_moved_over_once(tmp_path):
    # Given a state file of the first format: the body inside the object's record
    data_dir = tmp_path / "data"
    store = StateStore.open(data_dir / STATE_FILE)
    store.put_container("s3", "masters", {"region": "us-east-1"})
    body = b"an old master" * 1000
    record = {
        "body": body,
        "etag": hashlib.md5(body).hexdigest(),
        "last_modified": "2026-01-02T03:04:05+00:00",
        "metadata": {"Content-Type": "audio/wav"},
        "version_id": "null",
        "tags": {},
    }
    store.put_entry("s3", "masters", "old.wav", record)
    store.close()
    with sqlite3.connect(data_dir / STATE_FILE) as db:
        db.execute("UPDATE info SET value = '1' WHERE name = 'format'")
        db.execute("UPDATE entries SET value = ?", (encode(record),))
    db.close()
    # When the runtime starts on it
    with local_aws(data_dir) as aws:
        s3 = aws.client("s3")
        # Then the object reads as before, and the file is in the new format
        got = s3.get_object(Bucket="masters", Key="old.wav")
        assert got["Body"].read() == body and got["ContentType"] == "audio/wav"
        assert got["ETag"] == f'"{record["etag"]}"'
    store = StateStore.open(data_dir / STATE_FILE)
    try:
        saved = store.entry("s3", "masters", "old.wav")
        assert saved is not None and "body" not in saved and saved["size"] == len(body)
        assert store.body("s3", "masters", "old.wav") == body
    finally:
        store.close()


class _Calls:
    """Counts a client's calls of one operation (paginated ones too)."""

    def __init__(self, client: Any, operation: str):
        self.count = 0
        self._lock = threading.Lock()
        service = client.meta.service_model.endpoint_prefix
        client.meta.events.register(f"before-call.{service}.{operation}", self._seen)

    def _seen(self, **_: Any) -> None:
        with self._lock:
            self.count += 1


def test_an_idle_poller_waits_in_one_long_poll_and_still_stops_at_once(tmp_path):
    assert WAIT_SECONDS == 20  # the longest SQS allows
    with local_aws(tmp_path / "data") as aws:
        sqs = aws.client("sqs")
        url = sqs.create_queue(QueueName="work")["QueueUrl"]
        receives = _Calls(sqs, "ReceiveMessage")
        handled: list[list[str]] = []
        delivered = threading.Event()

        def invoke(event: dict[str, Any]) -> None:
            handled.append([record["body"] for record in event["Records"]])
            delivered.set()

        function = SimpleNamespace(spec=SimpleNamespace(logical_id="Worker"), invoke=invoke)
        poller = SqsPoller(
            function,  # type: ignore[arg-type]
            SqsEvent(name="Work", queue_id="WorkQueue", batch_size=1),
            queue=LocalQueue(name="work", url=url, arn="arn:aws:sqs:us-east-1:1:work"),
            client_factory=lambda: sqs,
            region="us-east-1",
            threads=2,
        )
        poller.start()
        try:
            # A message wakes a waiting poll: delivered well inside one poll's length.
            sqs.send_message(QueueUrl=url, MessageBody="hello")
            assert delivered.wait(WAIT_SECONDS / 2)
            assert handled == [["hello"]]
            threading.Event().wait(2.0)  # idle: each thread is in one long poll
            # two threads: their first polls, the one that delivered, and its next poll
            assert receives.count <= 4
            assert poller.idle
        finally:
            poller.request_stop()
            assert poller.join(timeout=5)  # no batch in hand: the polls need not end


def test_an_idle_folder_mirror_lists_the_outbox_less_and_less_often(tmp_path):
    with local_aws(tmp_path / "data") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="inbox")
        listings = _Calls(s3, "ListObjectsV2")
        mirror = FolderMirror(
            inbox_dir=tmp_path / "inbox",
            outbox_dir=tmp_path / "outbox",
            bucket="inbox",
            org_id="org1",
            state_path=tmp_path / "mirror.json",
            s3_factory=lambda: s3,
        )
        mirror.start()
        try:
            threading.Event().wait(4.5)
            # listed at 1 s, then 2 s later, then 4 s later: not once a second
            assert 1 <= listings.count <= 3
            # a new output is still fetched, within the longest interval
            s3.put_object(Bucket="inbox", Key="orgs/org1/outbox/show/status.json", Body=b"{}")
            target = tmp_path / "outbox" / "show" / "status.json"
            deadline = OUTBOX_IDLE_SECONDS + 5
            while not target.exists() and deadline > 0:
                threading.Event().wait(0.5)
                deadline -= 0.5
            assert target.read_bytes() == b"{}"
        finally:
            mirror.stop()


def test_a_watched_folder_mirror_lists_the_outbox_once_and_fetches_what_is_written(tmp_path):
    with local_aws(tmp_path / "data") as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="inbox")
        # Given outputs made while the runtime was stopped
        for index in range(3):
            s3.put_object(Bucket="inbox", Key=f"orgs/org1/outbox/old{index}/m.mp3", Body=b"old")
        listings, gets = _Calls(s3, "ListObjectsV2"), _Calls(s3, "GetObject")
        mirror = FolderMirror(
            inbox_dir=tmp_path / "inbox",
            outbox_dir=tmp_path / "outbox",
            bucket="inbox",
            org_id="org1",
            state_path=tmp_path / "mirror.json",
            s3_factory=lambda: s3,
        )
        mirror.watched = aws.watch_objects(mirror.object_changed)
        assert mirror.watched
        mirror.start()
        try:
            # When it starts, they are fetched by one listing
            assert _appears(tmp_path / "outbox" / "old2" / "m.mp3", 5)
            assert listings.count == 1 and gets.count == 3
            # and a new output (and another organisation's, and an inbox file) is written
            s3.put_object(Bucket="inbox", Key="orgs/org1/outbox/new/status.json", Body=b"{}")
            s3.put_object(Bucket="inbox", Key="orgs/org2/outbox/new/status.json", Body=b"{}")
            s3.put_object(Bucket="inbox", Key="orgs/org1/inbox/brief.txt", Body=b"hi")
            # Then only the new output is fetched, at the next round, without a listing
            assert _appears(tmp_path / "outbox" / "new" / "status.json", 5)
            threading.Event().wait(2.5)  # idle rounds: nothing is listed or fetched
            assert listings.count == 1 and gets.count == 4
            assert not (tmp_path / "outbox" / "brief.txt").exists()
        finally:
            mirror.stop()


def _appears(path: Path, seconds: float) -> bool:
    for _ in range(int(seconds / 0.1)):
        if path.exists():
            return True
        threading.Event().wait(0.1)
    return path.exists()

"""The local runtime's durable state: the SQLite store, and moto's state saved and restored.

The store tests run without moto. The others start moto in this process with a data
directory (`LocalAws(data_dir=...)`), write through boto3 as handlers do, stop it, start it
again on the same directory, and compare; the crash tests kill a child process with SIGKILL
and restore what it left behind.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from audiofn_local import cli
from audiofn_local.aws_server import LocalAws
from audiofn_local.durable_moto import classify
from audiofn_local.keys import KEYS_FILE
from audiofn_local.state_store import (
    STATE_FILE,
    DataDirBusy,
    StateFormatError,
    StateStore,
    data_dir_holder,
    decode,
    encode,
    state_files,
)
from audiofn_local.template_model import load_template

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "local_runtime" / "template.yaml"


@contextmanager
def local_aws(data_dir: Path) -> Iterator[LocalAws]:
    aws = LocalAws(data_dir=data_dir)
    aws.start()
    try:
        yield aws
    finally:
        aws.stop()


def run_child(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


# ---------------------------------------------------------------------- values and store


def test_values_are_builtins_only():
    value = {"body": b"\x00\xff" * 10, "n": [1, 2.5, None, True], "s": {"a"}, "t": ("x",)}
    assert decode(encode(value)) == value
    with pytest.raises(TypeError):
        encode({"when": datetime.now(UTC)})
    foreign = io.BytesIO()
    pickle.dump(datetime.now(UTC), foreign)
    with pytest.raises(StateFormatError):
        decode(foreign.getvalue())


def test_store_round_trip_keeps_entry_order(tmp_path):
    path = tmp_path / STATE_FILE
    store = StateStore.open(path)
    store.put_container("sqs", "us-east-1/q", {"attributes": {"VisibilityTimeout": "30"}})
    for name in ("first", "second", "third"):
        store.put_entry("sqs", "us-east-1/q", name, {"body": name, "count": 0})
    store.put_entry("sqs", "us-east-1/q", "first", {"body": "first", "count": 1})  # in place
    store.delete_entry("sqs", "us-east-1/q", "second")
    store.close()

    store = StateStore.open(path)
    assert store.containers("sqs") == [("us-east-1/q", {"attributes": {"VisibilityTimeout": "30"}})]
    assert list(store.entries("sqs", "us-east-1/q")) == [
        ("first", {"body": "first", "count": 1}),
        ("third", {"body": "third", "count": 0}),
    ]
    store.delete_container("sqs", "us-east-1/q")
    assert store.containers("sqs") == [] and list(store.entries("sqs", "us-east-1/q")) == []
    store.close()


def test_a_failed_transaction_leaves_the_previous_state(tmp_path):
    store = StateStore.open(tmp_path / STATE_FILE)
    store.put_entry("s3", "bucket", "key", {"v": 1})
    with pytest.raises(RuntimeError), store.transaction():
        store.put_entry("s3", "bucket", "key", {"v": 2})
        store.put_entry("s3", "bucket", "other", {"v": 2})
        raise RuntimeError("interrupted")
    assert list(store.entries("s3", "bucket")) == [("key", {"v": 1})]
    store.close()


def test_a_kill_during_a_write_leaves_the_previous_state_intact(tmp_path):
    # Given a committed state, and a process killed (SIGKILL) in the middle of a bigger write
    path = tmp_path / STATE_FILE
    result = run_child(
        """
        import os, signal, sys
        from pathlib import Path
        from audiofn_local.state_store import StateStore

        store = StateStore.open(Path(sys.argv[1]))
        with store.transaction():
            for i in range(200):
                store.put_entry("s3", "bucket", f"k{i:03d}", {"v": 1, "body": b"x" * 5000})
        with store.transaction():
            for i in range(200):
                store.put_entry("s3", "bucket", f"k{i:03d}", {"v": 2, "body": b"y" * 5000})
            store.put_entry("s3", "bucket", "partial", {"v": 2})
            os.kill(os.getpid(), signal.SIGKILL)
        """,
        str(path),
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    # Then the state file opens, with the last committed state and nothing of the cut write
    store = StateStore.open(path)
    entries = dict(store.entries("s3", "bucket"))
    assert len(entries) == 200 and "partial" not in entries
    assert {value["v"] for value in entries.values()} == {1}
    store.close()


def test_state_files_from_the_future_or_garbage_are_refused(tmp_path):
    store = StateStore.open(tmp_path / STATE_FILE)
    store._db.execute("UPDATE info SET value = '99' WHERE name = 'format'")
    store.close()
    with pytest.raises(StateFormatError, match="newer audiofn"):
        StateStore.open(tmp_path / STATE_FILE)
    garbage = tmp_path / "garbage" / STATE_FILE
    garbage.parent.mkdir()
    garbage.write_bytes(b"not a database" * 100)
    with pytest.raises(StateFormatError):
        StateStore.open(garbage)


# ---------------------------------------------------------------------- S3


def test_s3_objects_and_bucket_settings_survive_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    names = ["plain.txt", "a b/c+d.wav", "ünï/cödé.bin", "dir/50%.txt", "deep/x=1&y=2"]
    with local_aws(data_dir) as aws:
        s3, sqs = aws.client("s3"), aws.client("sqs")
        queue_url = sqs.create_queue(QueueName="announced")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        s3.create_bucket(Bucket="media-bucket")
        cors = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 60}]
        s3.put_bucket_cors(Bucket="media-bucket", CORSConfiguration={"CORSRules": cors})
        notification = {
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        }
        s3.put_bucket_notification_configuration(
            Bucket="media-bucket", NotificationConfiguration=notification
        )
        for index, name in enumerate(names):
            s3.put_object(
                Bucket="media-bucket",
                Key=name,
                Body=bytes([index]) * (1000 + index),
                ContentType="audio/wav",
                Metadata={"listener": f"n{index}"},
            )
        s3.put_object_tagging(
            Bucket="media-bucket", Key=names[0], Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
        )
        s3.copy_object(
            Bucket="media-bucket",
            Key="copy.txt",
            CopySource={"Bucket": "media-bucket", "Key": names[0]},
        )
        s3.put_object(Bucket="media-bucket", Key="gone.txt", Body=b"x")
        s3.delete_object(Bucket="media-bucket", Key="gone.txt")
        s3.put_object(Bucket="media-bucket", Key="bulk-gone.txt", Body=b"x")
        s3.delete_objects(Bucket="media-bucket", Delete={"Objects": [{"Key": "bulk-gone.txt"}]})
        before = {
            name: s3.get_object(Bucket="media-bucket", Key=name) for name in [*names, "copy.txt"]
        }
        before = {
            name: (o["Body"].read(), o["ETag"], o["ContentType"], o["Metadata"], o["LastModified"])
            for name, o in before.items()
        }
        queued = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]

    with local_aws(data_dir) as aws:
        s3, sqs = aws.client("s3"), aws.client("sqs")
        listed = s3.list_objects_v2(Bucket="media-bucket")["Contents"]
        assert sorted(o["Key"] for o in listed) == sorted([*names, "copy.txt"])
        for name, expected in before.items():
            got = s3.get_object(Bucket="media-bucket", Key=name)
            assert (
                got["Body"].read(),
                got["ETag"],
                got["ContentType"],
                got["Metadata"],
                got["LastModified"],
            ) == expected, name
        tags = s3.get_object_tagging(Bucket="media-bucket", Key=names[0])["TagSet"]
        assert tags == [{"Key": "k", "Value": "v"}]
        assert s3.get_bucket_cors(Bucket="media-bucket")["CORSRules"][0]["AllowedMethods"] == [
            "GET"
        ]
        restored = s3.get_bucket_notification_configuration(Bucket="media-bucket")
        assert restored["QueueConfigurations"][0]["QueueArn"] == queue_arn
        # The notifications were restored without announcing them again (no new s3:TestEvent)
        queue_url = sqs.get_queue_url(QueueName="announced")["QueueUrl"]
        assert (
            sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            == queued
        )
        assert aws.restored is not None and aws.restored.objects == len(names) + 1


def test_a_deleted_bucket_stays_deleted(tmp_path):
    data_dir = tmp_path / "data"
    with local_aws(data_dir) as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="kept-bucket")
        s3.create_bucket(Bucket="dropped-bucket")
        s3.put_object(Bucket="dropped-bucket", Key="x", Body=b"x")
        s3.delete_object(Bucket="dropped-bucket", Key="x")
        s3.delete_bucket(Bucket="dropped-bucket")
    with local_aws(data_dir) as aws:
        names = [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]
        assert names == ["kept-bucket"]


# ---------------------------------------------------------------------- SQS


def test_messages_survive_and_in_flight_ones_are_delivered_again(tmp_path):
    data_dir = tmp_path / "data"
    with local_aws(data_dir) as aws:
        sqs = aws.client("sqs")
        dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
        queue = sqs.create_queue(
            QueueName="work",
            Attributes={"VisibilityTimeout": "1800", "RedrivePolicy": redrive},
            tags={"team": "audio"},
        )["QueueUrl"]
        sent = []
        for index in range(5):
            sent.append(
                sqs.send_message(
                    QueueUrl=queue,
                    MessageBody=f"task {index}",
                    MessageAttributes={"n": {"DataType": "Number", "StringValue": str(index)}},
                )["MessageId"]
            )
        # two received (in flight for 30 minutes), one of them finished and deleted
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=2)["Messages"]
        assert len(received) == 2
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=received[1]["ReceiptHandle"])
        in_flight = received[0]["MessageId"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"

    with local_aws(data_dir) as aws:
        sqs = aws.client("sqs")
        queue = sqs.get_queue_url(QueueName="work")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "1800"
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2
        assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"team": "audio"}
        # every message not deleted is visible now, the one in flight included
        messages = sqs.receive_message(
            QueueUrl=queue,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )["Messages"]
        by_id = {m["MessageId"]: m for m in messages}
        assert set(by_id) == set(sent) - {received[1]["MessageId"]}
        assert by_id[in_flight]["Attributes"]["ApproximateReceiveCount"] == "2"
        for message_id, message in by_id.items():
            index = sent.index(message_id)
            assert message["Body"] == f"task {index}"
            assert message["MessageAttributes"]["n"]["StringValue"] == str(index)
            sqs.change_message_visibility(
                QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    # The receive counts were kept: the message received twice goes to the DLQ on the next try
    with local_aws(data_dir) as aws:
        sqs = aws.client("sqs")
        queue = sqs.get_queue_url(QueueName="work")["QueueUrl"]
        dlq = sqs.get_queue_url(QueueName="work-dlq")["QueueUrl"]
        again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        assert in_flight not in {m["MessageId"] for m in again}
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
        assert [m["MessageId"] for m in dead] == [in_flight]


# ---------------------------------------------------------------------- DynamoDB


def test_items_and_table_settings_survive_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    with local_aws(data_dir) as aws:
        ddb = aws.client("dynamodb")
        ddb.create_table(
            TableName="app",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "gsi1pk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            Tags=[{"Key": "team", "Value": "audio"}],
        )
        ddb.update_time_to_live(
            TableName="app", TimeToLiveSpecification={"AttributeName": "expires", "Enabled": True}
        )
        ddb.put_item(
            TableName="app",
            Item={
                "pk": {"S": "ORG#1"},
                "sk": {"S": "JOB#1"},
                "gsi1pk": {"S": "jobs"},
                "blob": {"B": b"\x00\x01\xff"},
                "n": {"N": "1.50"},
                "tags": {"SS": ["a", "b"]},
                "doc": {"M": {"list": {"L": [{"N": "1"}, {"S": "x"}, {"NULL": True}]}}},
            },
        )
        ddb.update_item(
            TableName="app",
            Key={"pk": {"S": "ORG#1"}, "sk": {"S": "JOB#1"}},
            UpdateExpression="ADD done_tasks :t SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":t": {"NS": ["0", "3"]}, ":s": {"S": "running"}},
        )
        ddb.batch_write_item(
            RequestItems={
                "app": [
                    {"PutRequest": {"Item": {"pk": {"S": "ORG#1"}, "sk": {"S": f"KEY#{i}"}}}}
                    for i in range(5)
                ]
            }
        )
        ddb.batch_write_item(
            RequestItems={
                "app": [{"DeleteRequest": {"Key": {"pk": {"S": "ORG#1"}, "sk": {"S": "KEY#4"}}}}]
            }
        )
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "app", "Item": {"pk": {"S": "ORG#2"}, "sk": {"S": "ORG"}}}},
                {
                    "Delete": {
                        "TableName": "app",
                        "Key": {"pk": {"S": "ORG#1"}, "sk": {"S": "KEY#3"}},
                    }
                },
                {
                    "Update": {
                        "TableName": "app",
                        "Key": {"pk": {"S": "ORG#1"}, "sk": {"S": "KEY#0"}},
                        "UpdateExpression": "SET revoked = :r",
                        "ExpressionAttributeValues": {":r": {"BOOL": True}},
                    }
                },
            ]
        )
        with pytest.raises(ClientError):  # a failed condition changes nothing
            ddb.put_item(
                TableName="app",
                Item={"pk": {"S": "ORG#2"}, "sk": {"S": "ORG"}, "x": {"S": "y"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        # A number key written as 1.0 and updated as 1 is one item (DynamoDB compares numbers)
        ddb.create_table(
            TableName="counters",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 2},
        )
        ddb.put_item(TableName="counters", Item={"id": {"N": "1.0"}, "c": {"N": "1"}})
        ddb.update_item(
            TableName="counters",
            Key={"id": {"N": "1"}},
            UpdateExpression="ADD c :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        before = {t: sorted_items(ddb, t) for t in ("app", "counters")}

    with local_aws(data_dir) as aws:
        ddb = aws.client("dynamodb")
        assert {t: sorted_items(ddb, t) for t in ("app", "counters")} == before
        assert len(before["app"]) == 5 and before["counters"][0]["c"] == {"N": "2"}
        table = ddb.describe_table(TableName="app")["Table"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        jobs = ddb.query(
            TableName="app",
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": "jobs"}},
        )["Items"]
        assert [j["sk"]["S"] for j in jobs] == ["JOB#1"]
        ttl = ddb.describe_time_to_live(TableName="app")["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires")
        tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
        assert tags == [{"Key": "team", "Value": "audio"}]
        counters = ddb.describe_table(TableName="counters")["Table"]["ProvisionedThroughput"]
        assert (counters["ReadCapacityUnits"], counters["WriteCapacityUnits"]) == (3, 2)


def sorted_items(ddb: Any, table: str) -> list[dict[str, Any]]:
    items = ddb.scan(TableName=table)["Items"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))


# ---------------------------------------------------------------------- the runtime's view


def test_provisioning_a_restored_state_keeps_the_data_and_adds_what_is_new(tmp_path):
    data_dir = tmp_path / "data"
    template = load_template(FIXTURE, environ={})
    smaller = tmp_path / "smaller.yaml"
    text = FIXTURE.read_text()
    smaller.write_text(text.split("  ResultsTable:", 1)[0])  # everything but the table
    with local_aws(data_dir) as aws:
        first = aws.provision(load_template(smaller, environ={}))
        assert "ResultsTable" not in first.tables
        s3, sqs = aws.client("s3"), aws.client("sqs")
        s3.put_object(Bucket=first.buckets["ResultsBucket"], Key="result.json", Body=b"{}")
        sqs.send_message(QueueUrl=first.queues["WorkDLQ"].url, MessageBody="dead")
        inbox = first.queues["InboxQueue"].url
        s3.put_object(Bucket=first.buckets["InboxBucket"], Key="incoming/a.txt", Body=b"a")
        inbox_count = queue_length(sqs, inbox)
        assert inbox_count == 2  # s3:TestEvent and the object's notification

    with local_aws(data_dir) as aws:
        # the template gained a table: provisioning adds it, and changes nothing else
        second = aws.provision(template)
        assert second.tables["ResultsTable"] == "audiofn-local-resultstable"
        s3, sqs = aws.client("s3"), aws.client("sqs")
        body = s3.get_object(Bucket=second.buckets["ResultsBucket"], Key="result.json")["Body"]
        assert body.read() == b"{}"
        assert queue_length(sqs, second.queues["WorkDLQ"].url) == 1
        assert queue_length(sqs, second.queues["InboxQueue"].url) == inbox_count
        assert aws.provision(template) == second
        aws.client("dynamodb").put_item(
            TableName=second.tables["ResultsTable"], Item={"pk": {"S": "x"}}
        )

    with local_aws(data_dir) as aws:
        third = aws.provision(template)
        items = aws.client("dynamodb").scan(TableName=third.tables["ResultsTable"])["Items"]
        assert items == [{"pk": {"S": "x"}}]


def queue_length(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_a_kill_loses_nothing_that_was_answered(tmp_path):
    # Given a process that wrote through moto and was killed right after the last answer
    data_dir = tmp_path / "data"
    result = run_child(
        """
        import os, signal, sys
        from pathlib import Path
        from audiofn_local.aws_server import LocalAws

        aws = LocalAws(data_dir=Path(sys.argv[1]))
        aws.start()
        s3, ddb, sqs = aws.client("s3"), aws.client("dynamodb"), aws.client("sqs")
        s3.create_bucket(Bucket="crash-bucket")
        ddb.create_table(
            TableName="crash",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        queue = sqs.create_queue(QueueName="crash")["QueueUrl"]
        for i in range(40):
            s3.put_object(Bucket="crash-bucket", Key=f"file-{i}", Body=str(i).encode())
            ddb.put_item(TableName="crash", Item={"pk": {"S": str(i)}})
            sqs.send_message(QueueUrl=queue, MessageBody=str(i))
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        str(data_dir),
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    # Then every answered write is there after a restart
    with local_aws(data_dir) as aws:
        s3, ddb, sqs = aws.client("s3"), aws.client("dynamodb"), aws.client("sqs")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="crash-bucket")["Contents"]]
        assert sorted(keys) == sorted(f"file-{i}" for i in range(40))
        assert s3.get_object(Bucket="crash-bucket", Key="file-39")["Body"].read() == b"39"
        assert ddb.scan(TableName="crash")["Count"] == 40
        assert queue_length(sqs, sqs.get_queue_url(QueueName="crash")["QueueUrl"]) == 40


def test_thousands_of_objects_restore_quickly(tmp_path):
    # A smaller cousin of the 10,000-object measurement (see the report in durable_moto).
    data_dir = tmp_path / "data"
    count = 2000
    with local_aws(data_dir) as aws:
        aws.client("s3").create_bucket(Bucket="many-objects")
        from audiofn_local.moto_state import s3_backend

        # Written straight into moto, then saved by one request (the bucket compare)
        assert aws.state is not None
        with aws.state.lock:
            for index in range(count):
                s3_backend().put_object("many-objects", f"k/{index:05d}", b"z" * 2000)
            aws.state.sync_objects("many-objects")
    started = time.perf_counter()
    with local_aws(data_dir) as aws:
        elapsed = time.perf_counter() - started
        assert aws.restored is not None and aws.restored.objects == count
        got = aws.client("s3").get_object(Bucket="many-objects", Key="k/01999")["Body"].read()
        assert got == b"z" * 2000
    assert elapsed < 20, f"restoring {count} objects took {elapsed:.1f} s"


# ---------------------------------------------------------------------- one runtime per dir


def test_one_runtime_per_data_directory(tmp_path):
    data_dir = tmp_path / "data"
    with local_aws(data_dir):
        assert data_dir_holder(data_dir) == str(os.getpid())
        with pytest.raises(DataDirBusy, match="in use"):
            LocalAws(data_dir=data_dir).start()
    assert data_dir_holder(data_dir) is None


def test_reset_data_forgets_the_state_but_keeps_the_keys(tmp_path, capsys):
    data_dir = tmp_path / "data"
    with local_aws(data_dir) as aws:
        aws.client("s3").create_bucket(Bucket="to-forget")
        (data_dir / KEYS_FILE).write_text("{}")
        # refused while a runtime uses the directory
        assert cli.main(["reset-data", "--data-dir", str(data_dir), "--yes"]) == 1
    assert state_files(data_dir)
    assert cli.main(["reset-data", "--data-dir", str(data_dir), "--yes"]) == 0
    assert not state_files(data_dir) and (data_dir / KEYS_FILE).exists()
    with local_aws(data_dir) as aws:
        assert aws.client("s3").list_buckets()["Buckets"] == []
    (data_dir / "notes.txt").write_text("not the runtime's")
    assert cli.main(["reset-data", "--data-dir", str(data_dir), "--all", "--yes"]) == 1
    (data_dir / "notes.txt").unlink()
    assert cli.main(["reset-data", "--data-dir", str(data_dir), "--all", "--yes"]) == 0
    assert not data_dir.exists()
    assert "removed" in capsys.readouterr().out


# ---------------------------------------------------------------------- what a request changes


def environ(method: str, path: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.split("?", 1)[0],
        "QUERY_STRING": path.split("?", 1)[1] if "?" in path else "",
        "RAW_URI": path,
        "HTTP_HOST": "127.0.0.1:5000",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    env.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return env


def sigv4(service: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential=testing/20250101/eu-west-1/{service}/aws4_request, x"


def test_classify_tells_reads_from_writes():
    s3 = sigv4("s3")
    assert classify(environ("GET", "/bucket/key", AUTHORIZATION=s3), "us-east-1") is None
    put = classify(environ("PUT", "/bucket/a%20b/c%2Bd.wav", AUTHORIZATION=s3), "us-east-1")
    assert put is not None and (put.bucket, put.key, put.new_object) == (
        "bucket",
        "a b/c+d.wav",
        True,
    )
    tagging = classify(environ("PUT", "/bucket/k?tagging", AUTHORIZATION=s3), "us-east-1")
    assert tagging is not None and not tagging.new_object
    bulk = classify(environ("POST", "/bucket?delete", AUTHORIZATION=s3), "us-east-1")
    assert bulk is not None and (bulk.bucket, bulk.key, bulk.bucket_settings) == (
        "bucket",
        None,
        False,
    )
    settings = classify(environ("PUT", "/bucket?cors", AUTHORIZATION=s3), "us-east-1")
    assert settings is not None and settings.bucket_settings

    ddb = {"AUTHORIZATION": sigv4("dynamodb")}
    get = environ("POST", "/", b"{}", X_AMZ_TARGET="DynamoDB_20120810.GetItem", **ddb)
    assert classify(get, "us-east-1") is None
    body = json.dumps({"TableName": "t", "Key": {"pk": {"S": "a"}}}).encode()
    update = environ("POST", "/", body, X_AMZ_TARGET="DynamoDB_20120810.UpdateItem", **ddb)
    change = classify(update, "us-east-1")
    assert change is not None and change.items == (("t", {"pk": {"S": "a"}}),)
    assert change.region == "eu-west-1"
    assert update["wsgi.input"].read() == body  # the body is still there for moto
    select = json.dumps({"Statement": "SELECT * FROM t"}).encode()
    partiql = environ("POST", "/", select, X_AMZ_TARGET="DynamoDB_20120810.ExecuteStatement")
    assert classify(partiql, "us-east-1") is None

    sqs = {"AUTHORIZATION": sigv4("sqs")}
    visibility = environ("POST", "/", X_AMZ_TARGET="AmazonSQS.ChangeMessageVisibility", **sqs)  # type: ignore[arg-type]
    assert classify(visibility, "us-east-1") is None
    receive = classify(environ("POST", "/", X_AMZ_TARGET="AmazonSQS.ReceiveMessage", **sqs), "x")  # type: ignore[arg-type]
    assert receive is not None and receive.concurrent
    create = classify(environ("POST", "/", X_AMZ_TARGET="AmazonSQS.CreateQueue", **sqs), "x")  # type: ignore[arg-type]
    assert create is not None and create.queue_settings
    reset = classify(environ("POST", "/moto-api/reset"), "us-east-1")
    assert reset is not None and reset.everything


def test_a_write_that_cannot_be_saved_is_refused_and_its_retry_is_saved(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    with local_aws(data_dir) as aws:
        s3 = aws.client("s3")  # boto3 retries a 503 once (max_attempts=2)
        s3.create_bucket(Bucket="flaky-bucket")
        assert aws.state is not None
        store = aws.state.store
        real_put_entry = store.put_entry
        failures = []  # type: ignore[var-annotated]

        def put_entry_failing_once(*args: Any) -> None:
            if not failures:
                failures.append(args)
                raise OSError("disk full")
            real_put_entry(*args)

        monkeypatch.setattr(store, "put_entry", put_entry_failing_once)
        s3.put_object(Bucket="flaky-bucket", Key="retried", Body=b"second time lucky")
        assert failures  # the first attempt was answered 503, the retry was saved
        monkeypatch.setattr(store, "put_entry", real_put_entry)

        # and an index change of a failed transaction is undone with it
        from audiofn_local.moto_state import s3_backend

        with aws.state.lock:
            s3_backend().put_object("flaky-bucket", "direct", b"x")
            monkeypatch.setattr(store, "put_entry", lambda *args: (_ for _ in ()).throw(OSError()))
            with pytest.raises(OSError):
                aws.state.save_object("flaky-bucket", "direct")
            assert "direct" not in aws.state._objects["flaky-bucket"]
            monkeypatch.setattr(store, "put_entry", real_put_entry)
            aws.state.save_object("flaky-bucket", "direct")
            assert store.entry("s3", "flaky-bucket", "direct") is not None

    with local_aws(data_dir) as aws:
        body = aws.client("s3").get_object(Bucket="flaky-bucket", Key="retried")["Body"].read()
        assert body == b"second time lucky"

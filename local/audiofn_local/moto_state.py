"""Between moto's in-memory models and the state store: what is saved, and how it comes back.

Two layers, chosen for speed where the volume is and for stability everywhere else:

- Containers (buckets, queues, tables) are read and re-created through the AWS API, with
  boto3 against the local server: `GetBucket*`, `GetQueueAttributes`, `DescribeTable`, ...
  and the matching `Put*`/`Create*` calls. Their settings are saved in the API's own shapes,
  so a newer moto reads them as any AWS client would write them.
- Contents (objects, messages, items) are many, so they are read from and written into
  moto's backends directly, as plain records: an object's body, metadata, ETag and
  timestamps; a message's id, body, attributes and receive count; an item's attributes in
  DynamoDB JSON. Restoring 10,200 objects (350 MB), 10,000 items and 1,000 messages this
  way takes 3.5 s on a 2-vCPU VM; 10,000 `PutObject` calls through HTTP take over a minute
  there, and would change every timestamp.

What is kept, and what is not:

- S3: every bucket with its versioning, encryption, public access block, CORS, policy,
  lifecycle, tags and notifications; the current version of every object (with its
  metadata, content type, tags, ETag and Last-Modified). Older versions, delete markers and
  unfinished multipart uploads are not kept.
- SQS: every queue with its attributes and tags; every message with its id, body,
  attributes, sent time and receive count. Visibility is not kept: a message that was in
  flight (received, not deleted) when the runtime stopped is visible again after a restart
  and is delivered again (at-least-once, as after a visibility timeout in AWS; the receive
  count keeps growing, so the redrive policy still applies).
- DynamoDB: every table with its keys, indexes, billing mode, streams setting, TTL and
  tags; every item.

Object bodies live in the state file, not in this process: once an object is saved (or
restored), `StoredBody` takes the place of the body moto keeps in memory, and reads it from
the state file when a request asks for it. So storing a gigabyte of masters leaves the
server's memory where it was (before, every body stayed in memory as long as the object did).
A restore does not read the bodies either (they have a table of their own in the store, and
an object's record holds its size): with 10,000 objects of 256 kB, restoring read 2.6 GB
and took 6.8 s of a 14.6 s start when the bodies sat inside the records, 1.1 s of 5.5 s now.

`MotoState` keeps an index of what was saved (the moto object of each saved S3 object, the
receive count of each saved message, each container's saved settings), so that after a
request only what changed is written: `durable_moto` calls its `sync_*`/`save_*` methods.
"""

from __future__ import annotations

import base64
import io
import json
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError
from moto.backends import get_backend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.s3.models import FakeKey
from moto.sqs.models import Message

from audiofn_local.logs import runtime_logger
from audiofn_local.naming import ACCOUNT_ID, PARTITION
from audiofn_local.state_store import EntryReader, StateStore

LOG = runtime_logger(__name__)
S3, SQS, DYNAMODB = "s3", "sqs", "dynamodb"
_ABSENT = object()
ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client of the server

# SQS attributes CreateQueue/SetQueueAttributes accept (the others are read-only).
SETTABLE_QUEUE_ATTRIBUTES = frozenset(
    {
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "DelaySeconds",
        "FifoQueue",
        "FifoThroughputLimit",
        "KmsDataKeyReusePeriodSeconds",
        "KmsMasterKeyId",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "Policy",
        "ReceiveMessageWaitTimeSeconds",
        "RedriveAllowPolicy",
        "RedrivePolicy",
        "SqsManagedSseEnabled",
        "VisibilityTimeout",
    }
)
_REDRIVE_ATTRIBUTES = ("RedrivePolicy", "RedriveAllowPolicy")
_MISSING_CODES = {
    "404",
    "NoSuchBucket",
    "NotFound",
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
}


def _is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in _MISSING_CODES


# ---------------------------------------------------------------------- moto's backends


def _backend_dict(service: str) -> Any:
    return get_backend(service)  # type: ignore[call-overload]


def s3_backend() -> Any:
    return _backend_dict(S3)[ACCOUNT_ID][PARTITION]


def regional_backends(service: str) -> Iterator[tuple[str, Any]]:
    """(region, backend) for every region of the local account that moto has created."""
    for account_id, region, backend in list(_backend_dict(service).iter_backends()):
        if account_id == ACCOUNT_ID:
            yield region, backend


def regional_backend(service: str, region: str) -> Any:
    return _backend_dict(service)[ACCOUNT_ID][region]


def container_name(region: str, name: str) -> str:
    """How a queue or table is named in the store: regions are separate namespaces."""
    return f"{region}/{name}"


def split_container(container: str) -> tuple[str, str]:
    region, _, name = container.partition("/")
    return region, name


def reset_moto() -> None:
    """Forget every backend of moto in this process (as `POST /moto-api/reset` does)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


# ---------------------------------------------------------------------- S3 objects


def current_object(versions: list[Any] | None) -> Any | None:
    """The current version of a key, or None (no versions, or a delete marker)."""
    if not versions:
        return None
    latest = versions[-1]
    return latest if isinstance(latest, FakeKey) else None


def object_record(backend: Any, key: Any) -> dict[str, Any]:
    """What is saved of an object besides its body (saved beside it, see `StateStore`)."""
    return {
        "size": key.size,
        "etag": key.etag.strip('"'),
        "last_modified": key.last_modified.isoformat(),
        "metadata": dict(key.metadata),
        "storage_class": key.storage_class,
        "version_id": key.version_id,
        "encryption": key.encryption,
        "kms_key_id": key.kms_key_id,
        "bucket_key_enabled": key.bucket_key_enabled,
        "checksum_algorithm": key.checksum_algorithm,
        "checksum_value": key.checksum_value,
        "website_redirect_location": key.website_redirect_location,
        "lock_mode": key.lock_mode,
        "lock_legal_status": key.lock_legal_status,
        "lock_until": key.lock_until,
        "tags": dict(backend.tagger.get_tag_dict_for_resource(key.arn)),
    }


def restore_object(backend: Any, bucket_name: str, name: str, record: dict[str, Any]) -> Any:
    """The object as moto's key, with an empty body: the caller gives it its `StoredBody`."""
    key = backend.put_object(
        bucket_name,
        name,
        b"",
        storage=record.get("storage_class"),
        etag=record.get("etag"),
        encryption=record.get("encryption"),
        kms_key_id=record.get("kms_key_id"),
        bucket_key_enabled=record.get("bucket_key_enabled"),
        lock_mode=record.get("lock_mode"),
        lock_legal_status=record.get("lock_legal_status"),
        lock_until=record.get("lock_until"),
        checksum_value=record.get("checksum_value"),
        disable_notification=True,
    )
    key.contentsize = record["size"]
    key.metadata.clear()
    key.metadata.update(record.get("metadata") or {})
    key.last_modified = datetime.fromisoformat(record["last_modified"])
    key.checksum_algorithm = record.get("checksum_algorithm")
    key.website_redirect_location = record.get("website_redirect_location")
    if key.version_id != "null" and record.get("version_id"):
        key._version_id = record["version_id"]
    if record.get("tags"):
        backend.tagger.tag_resource(
            key.arn, [{"Key": k, "Value": v} for k, v in record["tags"].items()]
        )
    return key


class StoredBody:
    """An S3 object's body, read from the state file whenever moto asks for it.

    It stands in for `FakeKey._value_buffer` (a `SpooledTemporaryFile` that moto fills at
    the PUT) and offers what moto uses of it: seek, read, truncate, write, close. The row
    must hold this version (`etag`): a noncurrent version is given its body back in memory
    before its row changes (`load_body_into_memory`). A write (moto setting a new value)
    turns it into an in-memory buffer again.
    """

    def __init__(self, reader: EntryReader, bucket: str, name: str, etag: str):
        self._reader = reader
        self.bucket = bucket
        self.name = name
        self.etag = etag
        self._position = 0
        self._memory: io.BytesIO | None = None
        self.closed = False

    def body(self) -> bytes:
        found = self._reader.entry_with_body(S3, self.bucket, self.name)
        if found is None or found[0].get("etag") != self.etag or found[1] is None:
            raise ValueError(f"s3://{self.bucket}/{self.name}: this version is no longer stored")
        return found[1]

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self._memory is not None:
            return self._memory.seek(offset, whence)
        if whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a stored body seeks from its start only")
        self._position = offset
        return offset

    def read(self, size: int | None = -1) -> bytes:
        if self._memory is not None:
            return self._memory.read(size)
        body = self.body()
        end = len(body) if size is None or size < 0 else self._position + size
        chunk = body[self._position : end]
        self._position += len(chunk)
        return chunk

    def truncate(self, size: int | None = None) -> int:
        if self._memory is None:
            keep = self._position if size is None else size
            self._memory = io.BytesIO(self.body()[:keep] if keep else b"")
            self._memory.seek(self._position)
        return self._memory.truncate(size)

    def write(self, data: bytes) -> int:
        if self._memory is None:
            self._memory = io.BytesIO(self.body())
            self._memory.seek(self._position)
        return self._memory.write(data)

    def close(self) -> None:
        self.closed = True
        self._memory = None


def keep_body_in_store(key: Any, body: StoredBody) -> None:
    """Let `key` read its body from the state file, and free the copy moto kept."""
    with key.lock:
        previous, key._value_buffer = key._value_buffer, body
    previous.close()


def load_body_into_memory(key: Any) -> None:
    """Give a version whose row is about to change (or go) its body back in memory."""
    with key.lock:
        stored = key._value_buffer
        if not isinstance(stored, StoredBody) or stored.closed:
            return
        buffer = tempfile.SpooledTemporaryFile(key._max_buffer_size)  # noqa: SIM115 (moto's)
        buffer.write(stored.body())
        key._value_buffer = buffer


# ---------------------------------------------------------------------- SQS messages

_MESSAGE_FIELDS = (
    "message_attributes",
    "sender_id",
    "sent_timestamp",
    "approximate_first_receive_timestamp",
    "approximate_receive_count",
    "deduplication_id",
    "group_id",
    "sequence_number",
    "delayed_until",
)


def queue_messages(queue: Any) -> list[Any]:
    """Every message of a queue, visible, delayed or in flight."""
    return list(queue._messages)


def message_record(message: Any) -> dict[str, Any]:
    record = {name: getattr(message, name) for name in _MESSAGE_FIELDS}
    record["body"] = message.body
    record["system_attributes"] = dict(message.system_attributes or {})
    return record


def restore_message(queue: Any, message_id: str, record: dict[str, Any]) -> Any:
    """Append the message to the queue, visible now (an in-flight message comes back)."""
    message = Message(message_id, record["body"], record.get("system_attributes") or None)
    for name in _MESSAGE_FIELDS:
        if name in record:
            setattr(message, name, record[name])
    message.visible_at = 0.0
    queue._messages.append(message)
    return message


# ---------------------------------------------------------------------- DynamoDB items


def _canonical(value: dict[str, Any]) -> list[Any]:
    """A key attribute (`{"N": "1.0"}`) as moto compares it: numbers by value."""
    ((kind, raw),) = value.items()
    if kind == "N":
        try:
            return [kind, str(Decimal(str(raw)).normalize())]
        except InvalidOperation:
            return [kind, str(raw)]
    if isinstance(raw, bytes | bytearray):
        return [kind, base64.b64encode(raw).decode("ascii")]
    return [kind, raw]


def item_row_key(table: Any, attributes: dict[str, Any]) -> str | None:
    """The store key of the item with these key attributes (None if they are incomplete)."""
    hash_value = attributes.get(table.hash_key_attr)
    range_value = attributes.get(table.range_key_attr) if table.range_key_attr else None
    if hash_value is None or (table.range_key_attr and range_value is None):
        return None
    parts = [_canonical(hash_value), _canonical(range_value) if range_value else None]
    return json.dumps(parts, separators=(",", ":"))


def find_item(table: Any, attributes: dict[str, Any]) -> Any | None:
    hash_key = DynamoType(attributes[table.hash_key_attr])
    range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    return table.get_item(hash_key, range_key)


def table_items(table: Any) -> Iterator[Any]:
    for value in list(table.items.values()):
        if table.range_key_attr:
            yield from list(value.values())
        else:
            yield value


def item_record(item: Any) -> dict[str, Any]:
    return {"attributes": item.to_json()["Attributes"]}


def item_key_attributes(table: Any, item: Any) -> dict[str, Any]:
    attributes = item.to_json()["Attributes"]
    return {name: attributes[name] for name in table.table_key_attrs}


def restore_item(table: Any, record: dict[str, Any]) -> Any:
    return table.put_item(record["attributes"])


# ---------------------------------------------------------------------- containers (AWS API)


# Bucket settings that are saved: spec field -> (S3 subresource, getter, result key).
BUCKET_SETTINGS: dict[str, tuple[str, str, str]] = {
    "versioning": ("versioning", "get_bucket_versioning", "Status"),
    "encryption": (
        "encryption",
        "get_bucket_encryption",
        "ServerSideEncryptionConfiguration",
    ),
    "public_access_block": (
        "publicAccessBlock",
        "get_public_access_block",
        "PublicAccessBlockConfiguration",
    ),
    "cors": ("cors", "get_bucket_cors", "CORSRules"),
    "policy": ("policy", "get_bucket_policy", "Policy"),
    "lifecycle": ("lifecycle", "get_bucket_lifecycle_configuration", "Rules"),
    "tags": ("tagging", "get_bucket_tagging", "TagSet"),
    "notification": ("notification", "get_bucket_notification_configuration", ""),
}
SUBRESOURCE_SETTINGS = {subresource: name for name, (subresource, _, _) in BUCKET_SETTINGS.items()}


def bucket_setting(s3: Any, name: str, setting: str) -> Any | None:
    """One saved setting of a bucket in the S3 API's shape; None when it is not set."""
    _, getter, result_key = BUCKET_SETTINGS[setting]
    try:
        response = getattr(s3, getter)(Bucket=name)
    except ClientError:  # not configured: NoSuchCORSConfiguration, ...
        return None
    if not result_key:
        return {k: v for k, v in response.items() if k != "ResponseMetadata" and v} or None
    return response.get(result_key) or None


def bucket_spec(
    s3: Any,
    name: str,
    settings: Iterable[str] | None = None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """A bucket's settings in the S3 API's shapes, or None if there is no such bucket.

    With `settings` and the `previous` spec, only those settings are read again.
    """
    try:
        location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
    except ClientError as error:
        if _is_missing(error):
            return None
        raise
    if previous is not None and settings is not None:
        spec = dict(previous)
    else:
        spec, settings = {}, list(BUCKET_SETTINGS)
    spec["region"] = location or "us-east-1"
    for setting in settings:
        value = bucket_setting(s3, name, setting)
        if value is None:
            spec.pop(setting, None)
        else:
            spec[setting] = value
    return spec


def restore_bucket(s3: Any, name: str, spec: dict[str, Any]) -> None:
    from audiofn_local.provisioning import ensure_bucket

    ensure_bucket(s3, name, spec.get("region") or "us-east-1")
    calls: list[tuple[str, str, dict[str, Any]]] = []
    if "versioning" in spec:
        calls.append(
            ("put_bucket_versioning", "VersioningConfiguration", {"Status": spec["versioning"]})
        )
    if "encryption" in spec:
        calls.append(
            ("put_bucket_encryption", "ServerSideEncryptionConfiguration", spec["encryption"])
        )
    if "public_access_block" in spec:
        calls.append(
            (
                "put_public_access_block",
                "PublicAccessBlockConfiguration",
                spec["public_access_block"],
            )
        )
    if "cors" in spec:
        calls.append(("put_bucket_cors", "CORSConfiguration", {"CORSRules": spec["cors"]}))
    if "lifecycle" in spec:
        calls.append(
            (
                "put_bucket_lifecycle_configuration",
                "LifecycleConfiguration",
                {"Rules": spec["lifecycle"]},
            )
        )
    if "tags" in spec:
        calls.append(("put_bucket_tagging", "Tagging", {"TagSet": spec["tags"]}))
    if "notification" in spec:
        calls.append(
            (
                "put_bucket_notification_configuration",
                "NotificationConfiguration",
                spec["notification"],
            )
        )
    for method, argument, value in calls:
        try:
            getattr(s3, method)(Bucket=name, **{argument: value})
        except ClientError as error:
            LOG.warning("bucket %s: could not restore %s: %s", name, argument, error)
    if "policy" in spec:
        try:
            s3.put_bucket_policy(Bucket=name, Policy=spec["policy"])
        except ClientError as error:
            LOG.warning("bucket %s: could not restore its policy: %s", name, error)


def queue_spec(sqs: Any, name: str) -> dict[str, Any] | None:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        tags = sqs.list_queue_tags(QueueUrl=url).get("Tags") or {}
    except ClientError as error:
        if _is_missing(error):
            return None
        raise
    return {
        "attributes": {k: v for k, v in attributes.items() if k in SETTABLE_QUEUE_ATTRIBUTES},
        "tags": tags,
    }


def restore_queues(sqs: Any, specs: dict[str, dict[str, Any]]) -> None:
    """Create every queue, then set redrive policies (their dead-letter queues exist by then)."""
    urls = {}
    for name, spec in specs.items():
        attributes = {k: v for k, v in spec["attributes"].items() if k not in _REDRIVE_ATTRIBUTES}
        try:
            urls[name] = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as error:
            if not _is_missing(error):
                raise
            arguments: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
            if spec.get("tags"):
                arguments["tags"] = spec["tags"]
            urls[name] = sqs.create_queue(**arguments)["QueueUrl"]
    for name, spec in specs.items():
        redrive = {k: v for k, v in spec["attributes"].items() if k in _REDRIVE_ATTRIBUTES}
        if redrive:
            try:
                sqs.set_queue_attributes(QueueUrl=urls[name], Attributes=redrive)
            except ClientError as error:
                LOG.warning("queue %s: could not restore its redrive policy: %s", name, error)


def table_spec(dynamodb: Any, name: str) -> dict[str, Any] | None:
    """`CreateTable` arguments (and TTL) that make the table again, or None if it is gone."""
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        tags = dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags") or []
    except ClientError as error:
        if _is_missing(error):
            return None
        raise
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
    provisioned = billing == "PROVISIONED"

    def throughput(value: dict[str, Any] | None) -> dict[str, int]:
        value = value or {}
        return {
            "ReadCapacityUnits": int(value.get("ReadCapacityUnits") or 1),
            "WriteCapacityUnits": int(value.get("WriteCapacityUnits") or 1),
        }

    create: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": table["AttributeDefinitions"],
        "KeySchema": table["KeySchema"],
        "BillingMode": billing,
    }
    if provisioned:
        create["ProvisionedThroughput"] = throughput(table.get("ProvisionedThroughput"))
    global_indexes = []
    for index in table.get("GlobalSecondaryIndexes") or []:
        entry = {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
        if provisioned:
            entry["ProvisionedThroughput"] = throughput(index.get("ProvisionedThroughput"))
        global_indexes.append(entry)
    if global_indexes:
        create["GlobalSecondaryIndexes"] = global_indexes
    local_indexes = [
        {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
        for index in table.get("LocalSecondaryIndexes") or []
    ]
    if local_indexes:
        create["LocalSecondaryIndexes"] = local_indexes
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        create["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    if table.get("DeletionProtectionEnabled"):
        create["DeletionProtectionEnabled"] = True
    if tags:
        create["Tags"] = tags
    spec: dict[str, Any] = {"create": create}
    if ttl.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"} and ttl.get("AttributeName"):
        spec["ttl_attribute"] = ttl["AttributeName"]
    return spec


def restore_table(dynamodb: Any, name: str, spec: dict[str, Any]) -> None:
    try:
        dynamodb.describe_table(TableName=name)
    except ClientError as error:
        if not _is_missing(error):
            raise
        dynamodb.create_table(**spec["create"])
    if spec.get("ttl_attribute"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": spec["ttl_attribute"], "Enabled": True},
        )


# ---------------------------------------------------------------------- the saved state


@dataclass
class RestoreSummary:
    buckets: int = 0
    objects: int = 0
    object_bytes: int = 0
    queues: int = 0
    messages: int = 0
    delivered_before: int = 0  # messages received at least once before the restart
    tables: int = 0
    items: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.buckets or self.queues or self.tables)

    def describe(self) -> str:
        return (
            f"{self.objects} objects ({self.object_bytes / 1e6:.1f} MB) in {self.buckets} "
            f"buckets, {self.messages} messages in {self.queues} queues, {self.items} items in "
            f"{self.tables} tables"
        )


class MotoState:
    """The saved state of moto's S3, SQS and DynamoDB, and the index of what was saved.

    Every method that writes runs under `lock` (the caller holds it around moto's handling
    of a request, so the rows written match what moto answered) and in one transaction.
    """

    def __init__(self, store: StateStore, client: ClientFactory, region: str):
        self.store = store
        self._client = client
        self.region = region
        self.lock = threading.RLock()
        self.paused = True  # until restore() has run: nothing is saved while restoring
        self._objects: dict[str, dict[str, Any]] = defaultdict(dict)  # bucket -> name -> key
        self._hidden: dict[str, int] = {}  # bucket -> keys whose current version is deleted
        self._messages: dict[str, dict[str, int]] = defaultdict(dict)  # queue -> id -> count
        self._specs: dict[tuple[str, str], Any] = {}  # (service, container) -> settings
        self._undo: list[tuple[dict[Any, Any], Any, Any]] = []
        self._bodies: list[tuple[Any, StoredBody]] = []  # to read from the file once committed
        self._reader = EntryReader(store.path)
        self._depth = 0

    @property
    def closed(self) -> bool:
        return self.store.closed

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A store transaction that also undoes this index's changes if it rolls back, so
        the index never claims a row that is not on disk."""
        outermost = self._depth == 0
        self._depth += 1
        try:
            with self.store.transaction():
                yield
        except BaseException:
            if outermost:
                for mapping, key, old in reversed(self._undo):
                    if old is _ABSENT:
                        mapping.pop(key, None)
                    else:
                        mapping[key] = old
            raise
        else:
            if outermost:
                for key, body in self._bodies:
                    keep_body_in_store(key, body)
        finally:
            self._depth -= 1
            if outermost:
                self._undo.clear()
                self._bodies.clear()

    def _save_object_row(self, bucket_name: str, name: str, key: Any, old: Any | None) -> None:
        """Write the object's row; once committed, its body is read from the file."""
        if old is not None and old is not key:
            load_body_into_memory(old)  # a noncurrent version moto still holds (versioning)
        record = object_record(s3_backend(), key)
        self.store.put_entry(S3, bucket_name, name, record, key.value)
        self._bodies.append((key, StoredBody(self._reader, bucket_name, name, record["etag"])))

    def _delete_object_row(self, bucket_name: str, name: str, old: Any | None) -> None:
        if old is not None:
            load_body_into_memory(old)
        self.store.delete_entry(S3, bucket_name, name)

    def _remember(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        self._undo.append((mapping, key, mapping.get(key, _ABSENT)))
        mapping[key] = value

    def _forget(self, mapping: dict[Any, Any], key: Any) -> None:
        if key in mapping:
            self._undo.append((mapping, key, mapping[key]))
            del mapping[key]

    def close(self) -> None:
        with self.lock:
            self.paused = True
            self.store.close()
            self._reader.close()

    # ------------------------------------------------------------------ restore

    def restore(self) -> RestoreSummary:
        """Re-create what the store holds in moto (which should be empty); then save changes."""
        started = time.perf_counter()
        summary = RestoreSummary()
        with self.lock:
            self.paused = True
            self._restore_containers(summary)
            self._restore_objects(summary)
            self._restore_messages(summary)
            self._restore_items(summary)
            self.paused = False
        summary.seconds = time.perf_counter() - started
        return summary

    def _restore_containers(self, summary: RestoreSummary) -> None:
        by_region: dict[str, dict[str, Any]] = defaultdict(dict)
        for container, spec in self.store.containers(SQS):
            region, name = split_container(container)
            by_region[region][name] = spec
            self._specs[(SQS, container)] = spec
        for region, specs in by_region.items():
            restore_queues(self._client(SQS, region), specs)
            summary.queues += len(specs)
        for container, spec in self.store.containers(DYNAMODB):
            region, name = split_container(container)
            restore_table(self._client(DYNAMODB, region), name, spec)
            self._specs[(DYNAMODB, container)] = spec
            summary.tables += 1
        s3 = self._client(S3, self.region)
        for name, spec in self.store.containers(S3):
            restore_bucket(s3, name, spec)
            self._specs[(S3, name)] = spec
            summary.buckets += 1
        # Setting a bucket's notifications sends an s3:TestEvent to its queues; that event
        # was delivered when the configuration was first set, so the restored queues start
        # empty and get exactly their saved messages.
        for region, specs in by_region.items():
            backend = regional_backend(SQS, region)
            for name in specs:
                backend.queues[name]._messages = []

    def _restore_objects(self, summary: RestoreSummary) -> None:
        backend = s3_backend()
        for bucket_name, _ in self.store.containers(S3):
            saved = self._objects[bucket_name]
            for name, record in self.store.entries(S3, bucket_name):
                try:
                    saved[name] = key = restore_object(backend, bucket_name, name, record)
                except Exception as error:
                    summary.problems.append(f"s3://{bucket_name}/{name}: {error!r}")
                    continue
                etag = key.etag.strip('"')
                keep_body_in_store(key, StoredBody(self._reader, bucket_name, name, etag))
                summary.objects += 1
                summary.object_bytes += record["size"]

    def _restore_messages(self, summary: RestoreSummary) -> None:
        for container, _ in self.store.containers(SQS):
            region, name = split_container(container)
            queue = regional_backend(SQS, region).queues[name]
            saved = self._messages[container]
            for message_id, record in self.store.entries(SQS, container):
                try:
                    restore_message(queue, message_id, record)
                except Exception as error:
                    summary.problems.append(f"message {message_id} of {name}: {error!r}")
                    continue
                saved[message_id] = record["approximate_receive_count"]
                summary.messages += 1
                summary.delivered_before += bool(record["approximate_receive_count"])

    def _restore_items(self, summary: RestoreSummary) -> None:
        for container, _ in self.store.containers(DYNAMODB):
            region, name = split_container(container)
            table = regional_backend(DYNAMODB, region).tables[name]
            for key, record in self.store.entries(DYNAMODB, container):
                try:
                    restore_item(table, record)
                except Exception as error:
                    summary.problems.append(f"dynamodb {name} {key}: {error!r}")
                    continue
                summary.items += 1

    # ------------------------------------------------------------------ S3

    def sync_buckets(
        self, names: Iterable[str] | None = None, settings: Iterable[str] | None = None
    ) -> None:
        """Save the settings of these buckets (all when None); forget deleted buckets.

        `settings` (fields of `BUCKET_SETTINGS`) limits what is read again for a bucket that
        is already saved; a new bucket is read whole.
        """
        backend = s3_backend()
        if names is None:
            names = set(backend.buckets) | {n for (s, n) in self._specs if s == S3}
        s3 = self._client(S3, self.region)
        with self.transaction():
            for name in names:
                spec = None
                if name in backend.buckets:
                    spec = bucket_spec(s3, name, settings, self._specs.get((S3, name)))
                self._save_spec(S3, name, spec)
                if spec is None:
                    self._forget(self._objects, name)
                    self._forget(self._hidden, name)
                else:
                    self.sync_objects(name)

    def sync_objects(self, bucket_name: str) -> None:
        """Save the bucket's objects that changed since they were saved, forget deleted ones.

        Changed means a different key object: moto makes a new one for every write. This
        compares every key of the bucket (about 2 microseconds each here, so 20 ms at 10,000
        objects), which is why a request that names its object uses `save_object` instead.
        """
        backend = s3_backend()
        bucket = backend.buckets.get(bucket_name)
        if bucket is None or (S3, bucket_name) not in self._specs:
            return
        saved = self._objects[bucket_name]
        current = {}
        hidden = 0
        for name, versions in list(dict.items(bucket.keys)):
            key = current_object(versions)
            if key is None:
                hidden += 1  # a delete marker (versioned bucket): no current object
            else:
                current[name] = key
        self._remember(self._hidden, bucket_name, hidden)
        with self.transaction():
            for name, key in current.items():
                if saved.get(name) is not key:
                    self._save_object_row(bucket_name, name, key, saved.get(name))
                    self._remember(saved, name, key)
            for name in [name for name in saved if name not in current]:
                self._delete_object_row(bucket_name, name, saved.get(name))
                self._forget(saved, name)

    def save_object(self, bucket_name: str, name: str, expect_new: bool = False) -> None:
        """Save (or forget) one object, named by the request that changed it.

        The request's bucket and key are parsed from its URL (`durable_moto`). Should that
        parse ever disagree with moto's, the bucket no longer matches the index (a count
        differs, or a write left the named object as it was); then the whole bucket is
        compared (`sync_objects`), so a misparse costs time, never data.
        """
        backend = s3_backend()
        bucket = backend.buckets.get(bucket_name)
        if bucket is None or (S3, bucket_name) not in self._specs:
            return
        saved = self._objects[bucket_name]
        versions = dict.get(bucket.keys, name)
        key = current_object(versions)
        if key is None and versions:
            self.sync_objects(bucket_name)  # a delete marker: let the full comparison count it
            return
        changed = saved.get(name) is not key
        with self.transaction():
            if key is None:
                if name in saved:
                    self._delete_object_row(bucket_name, name, saved.get(name))
                    self._forget(saved, name)
            else:
                self._save_object_row(bucket_name, name, key, saved.get(name))
                self._remember(saved, name, key)
            in_step = dict.__len__(bucket.keys) == len(saved) + self._hidden.get(bucket_name, 0)
            if not in_step or (expect_new and not changed):
                LOG.debug("s3://%s/%s: index out of step; comparing the bucket", bucket_name, name)
                self.sync_objects(bucket_name)

    # ------------------------------------------------------------------ SQS

    def sync_queues(self, region: str | None = None, name: str | None = None) -> None:
        """Save the settings of one queue (or of every queue); forget deleted queues."""
        present: dict[str, tuple[str, str]] = {}
        for queue_region, backend in regional_backends(SQS):
            for queue_name in list(backend.queues):
                present[container_name(queue_region, queue_name)] = (queue_region, queue_name)
        if region is not None and name is not None:
            containers = {container_name(region, name)}
        else:
            containers = {c for (s, c) in self._specs if s == SQS} | set(present)
        with self.transaction():
            for container in containers:
                spec = None
                if container in present:
                    queue_region, queue_name = present[container]
                    spec = queue_spec(self._client(SQS, queue_region), queue_name)
                self._save_spec(SQS, container, spec)
                if spec is None:
                    self._forget(self._messages, container)

    def sync_messages(self) -> None:
        """Save new messages and new receive counts; forget deleted (and moved) messages."""
        with self.transaction():
            for region, backend in regional_backends(SQS):
                for name, queue in list(backend.queues.items()):
                    container = container_name(region, name)
                    if (SQS, container) not in self._specs:
                        continue  # saved once sync_queues has seen the queue
                    saved = self._messages[container]
                    current = {m.id: m for m in queue_messages(queue)}
                    for message_id, message in current.items():
                        count = message.approximate_receive_count
                        if saved.get(message_id) != count:
                            record = message_record(message)
                            self.store.put_entry(SQS, container, message_id, record)
                            self._remember(saved, message_id, count)
                    for message_id in [m for m in saved if m not in current]:
                        self.store.delete_entry(SQS, container, message_id)
                        self._forget(saved, message_id)

    # ------------------------------------------------------------------ DynamoDB

    def sync_tables(self, resave_items: bool = False) -> None:
        """Save the settings of every table (and the items of new tables); forget deleted
        tables. `resave_items` rewrites every item too (after a PartiQL write)."""
        present: dict[str, tuple[str, str, Any]] = {}
        for region, backend in regional_backends(DYNAMODB):
            for name, table in list(backend.tables.items()):
                present[container_name(region, name)] = (region, name, table)
        known = {c for (s, c) in self._specs if s == DYNAMODB}
        with self.transaction():
            for container in known | set(present):
                spec = None
                if container in present:
                    region, name, table = present[container]
                    spec = table_spec(self._client(DYNAMODB, region), name)
                is_new = (DYNAMODB, container) not in self._specs
                self._save_spec(DYNAMODB, container, spec)
                if spec is not None and (is_new or resave_items):
                    self._resave_items(container, present[container][2])

    def save_items(self, region: str, targets: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Save (or forget) the items with these key attributes: (table name, attributes)."""
        backend = regional_backend(DYNAMODB, region)
        with self.transaction():
            for table_name, attributes in targets:
                table = backend.tables.get(table_name)
                container = container_name(region, table_name)
                if table is None or (DYNAMODB, container) not in self._specs:
                    continue
                row_key = item_row_key(table, attributes)
                if row_key is None:
                    continue
                item = find_item(table, attributes)
                if item is None:
                    self.store.delete_entry(DYNAMODB, container, row_key)
                else:
                    self.store.put_entry(DYNAMODB, container, row_key, item_record(item))

    def _resave_items(self, container: str, table: Any) -> None:
        self.store.delete_entries(DYNAMODB, container)
        for item in table_items(table):
            row_key = item_row_key(table, item_key_attributes(table, item))
            if row_key is not None:
                self.store.put_entry(DYNAMODB, container, row_key, item_record(item))

    # ------------------------------------------------------------------ everything

    def sync_everything(self) -> None:
        """After a request of unknown effect: settings of every container, every S3 object
        by identity, every message. (Items are saved by their requests; see durable_moto.)"""
        with self.transaction():
            self.sync_queues()
            self.sync_tables()
            self.sync_buckets()
            self.sync_messages()

    def _save_spec(self, service: str, container: str, spec: Any | None) -> None:
        key = (service, container)
        if spec is None:
            if key in self._specs:
                self.store.delete_container(service, container)
                self._forget(self._specs, key)
            return
        if self._specs.get(key) != spec:
            self.store.put_container(service, container, spec)
            self._remember(self._specs, key, spec)

"""Lambda's SQS event (what an event source mapping sends) and its batch-response rules."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# The message system attributes Lambda copies into a record, in Lambda's order.
RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "DeadLetterQueueSourceArn",
)


class InvalidBatchResponse(ValueError):
    """A `batchItemFailures` answer Lambda would treat as failing the whole batch."""


def message_attributes(attributes: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """SQS API message attributes (`StringValue`, bytes) in Lambda's camelCase, base64 shape."""
    converted: dict[str, dict[str, Any]] = {}
    for name, attribute in attributes.items():
        item: dict[str, Any] = {}
        if "StringValue" in attribute:
            item["stringValue"] = attribute["StringValue"]
        if "BinaryValue" in attribute:
            item["binaryValue"] = _b64(attribute["BinaryValue"])
        item["stringListValues"] = list(attribute.get("StringListValues", []))
        item["binaryListValues"] = [_b64(v) for v in attribute.get("BinaryListValues", [])]
        item["dataType"] = attribute["DataType"]
        converted[name] = item
    return converted


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One `Records[]` entry from a `ReceiveMessage` result message."""
    attributes = message.get("Attributes") or {}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {name: attributes[name] for name in RECORD_ATTRIBUTES if name in attributes},
        "messageAttributes": message_attributes(message.get("MessageAttributes") or {}),
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def build_sqs_event(
    messages: Iterable[Mapping[str, Any]], queue_arn: str, region: str
) -> dict[str, Any]:
    return {"Records": [sqs_record(message, queue_arn, region) for message in messages]}


def failed_message_ids(
    result: Any, message_ids: Sequence[str], report_batch_item_failures: bool
) -> set[str]:
    """Which messages failed, judging a returned result as Lambda does.

    Without `ReportBatchItemFailures` a normal return means every message succeeded. With it,
    an empty or missing `batchItemFailures` means success; an identifier that is missing,
    empty or not in the batch fails the whole batch.
    """
    if not report_batch_item_failures or result is None:
        return set()
    if not isinstance(result, dict):
        raise InvalidBatchResponse(f"expected a dict with batchItemFailures, got {result!r}")
    failures = result.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        raise InvalidBatchResponse("batchItemFailures must be a list")
    known = set(message_ids)
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in known:
            raise InvalidBatchResponse(f"{failure!r} does not name a message of this batch")
        failed.add(identifier)
    return failed


def _b64(value: bytes | str) -> str:
    return base64.b64encode(value.encode() if isinstance(value, str) else value).decode()

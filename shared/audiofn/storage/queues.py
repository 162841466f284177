"""Sending work to SQS queues in batches of ten (SQS's limit per call)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel

from audiofn.storage.aws import client

_SQS_BATCH = 10


def send_messages(queue_url: str, messages: Sequence[BaseModel]) -> None:
    sqs = client("sqs")
    for start in range(0, len(messages), _SQS_BATCH):
        chunk = messages[start : start + _SQS_BATCH]
        entries = [
            {"Id": str(index), "MessageBody": message.model_dump_json(by_alias=True)}
            for index, message in enumerate(chunk)
        ]
        result = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        failed = result.get("Failed", [])
        if failed:
            raise RuntimeError(f"SQS refused {len(failed)} messages: {json.dumps(failed)[:500]}")


def retry_later(queue_url: str, receipt_handle: str, seconds: int) -> None:
    """Make a received message visible again after `seconds` (SQS caps it at 12 hours)."""
    client("sqs").change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=min(seconds, 43200)
    )

"""Moving messages from a dead-letter queue back to the queue that feeds it."""

from __future__ import annotations

from audiofn.storage.aws import client


def source_queues(dlq_url: str) -> list[str]:
    """The queues whose RedrivePolicy names this DLQ (SQS keeps that index itself)."""
    urls: list[str] = client("sqs").list_dead_letter_source_queues(QueueUrl=dlq_url)["queueUrls"]
    return urls


def redrive(dlq_url: str, target_url: str, limit: int | None = None) -> int:
    """Send each message of the DLQ to `target_url`, deleting it only once sent; returns the
    count. At-least-once, like SQS: a crash between send and delete re-drives one message
    twice, which the idempotent handlers absorb."""
    sqs = client("sqs")
    moved = 0
    while limit is None or moved < limit:
        wanted = 10 if limit is None else max(1, min(10, limit - moved))
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=wanted,
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return moved
        for message in messages:
            sqs.send_message(
                QueueUrl=target_url,
                MessageBody=message["Body"],
                MessageAttributes=message.get("MessageAttributes", {}),
            )
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved

"""The SQS side every queue-fed function shares: Powertools' batch processor with partial
batch failures (the template's event sources set `ReportBatchItemFailures`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def process_sqs_batch(
    event: dict[str, Any], context: Any, handle_record: Callable[[SQSRecord], None]
) -> dict[str, Any]:
    """Handle each record; the ones that raise are reported back to SQS for redelivery."""
    # A batch whose every record failed is reported like any other partial failure, not raised.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
    )


def receive_count(record: SQSRecord) -> int:
    """How many times SQS has handed this message out (1 on the first delivery)."""
    return int(record.attributes.approximate_receive_count)

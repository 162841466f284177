"""Inbox function: S3 notifications (through SQS) and follow-ups -> scripts, speech, masters."""

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.config import inbox_settings
from audiofn.inbox_worker import InboxWorker
from audiofn.observability import logger
from audiofn.services.context import Services

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
worker = InboxWorker(Services.from_settings(inbox_settings()), inbox_settings())


def record_handler(record: SQSRecord) -> None:
    worker.handle_message(record.body)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

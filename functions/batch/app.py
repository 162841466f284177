"""Batch function: starts batches (batch queue) and renders their chunks (chunk queue).

Both queues report partial batch failures; a start message and a chunk task are told apart
by their shape (a chunk task has a `chunk_index`).
"""

import json

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from audiofn.config import batch_settings
from audiofn.models.batches import BatchChunkTask, BatchStartMessage
from audiofn.observability import logger
from audiofn.services.batches import BatchWorker
from audiofn.services.context import Services

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
worker = BatchWorker(Services.from_settings(batch_settings()), batch_settings())


def record_handler(record: SQSRecord) -> None:
    receive_count = int(record.attributes.approximate_receive_count)
    body = json.loads(record.body)
    if isinstance(body, dict) and "chunk_index" in body:
        worker.handle_chunk(BatchChunkTask.model_validate(body), receive_count)
        return
    try:
        message = BatchStartMessage.model_validate(body)
    except ValidationError as error:
        # No retry can fix a malformed message: it is logged and dropped, not dead-lettered.
        logger.error("batch message refused", extra={"errors": error.errors(include_url=False)})
        return
    worker.handle_start(message, record.message_id, receive_count)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

"""Webhook function: SQS batch of events -> signed POSTs to each organisation's receiver."""

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.config import webhook_settings
from audiofn.models.messages import WebhookEvent
from audiofn.observability import logger
from audiofn.storage.queues import retry_later
from audiofn.storage.webhooks_table import WebhooksTable
from audiofn.webhook_delivery import DeliveryFailed, WebhookDeliverer, backoff_seconds

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
deliverer = WebhookDeliverer(WebhooksTable(webhook_settings().table))


def record_handler(record: SQSRecord) -> None:
    event = WebhookEvent.model_validate_json(record.body)
    try:
        outcome = deliverer.deliver(event)
    except DeliveryFailed as failure:
        attempt = int(record.attributes.approximate_receive_count)
        delay = backoff_seconds(attempt)
        logger.warning(
            "webhook delivery failed",
            extra={
                "event": event.event_id,
                "attempt": attempt,
                "retry_in": delay,
                "why": str(failure),
            },
        )
        retry_later(webhook_settings().webhook_queue_url, record.receipt_handle, delay)
        raise
    logger.info("webhook event", extra={"event": event.event_id, "outcome": outcome})


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

"""Media-check function: S3 uploads (events through SQS) -> each file decoded, checked and
recorded as usable or not, with the reason (partial batch failures)."""

import json
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.config import CommonSettings, load_settings
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.services.media_library import check_upload, parse_upload_key

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
services = Services.from_settings(load_settings(CommonSettings))


def record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    # S3 sends an s3:TestEvent when the notification is configured: nothing to check.
    for event in body.get("Records", []):
        if not str(event.get("eventName", "")).startswith("ObjectCreated"):
            continue
        key = unquote_plus(event["s3"]["object"]["key"])
        ids = parse_upload_key(key)
        if ids is None:
            continue
        checked = check_upload(services, *ids)
        if checked is not None:
            logger.info(
                "media checked",
                extra={
                    "media": checked.media_id,
                    "status": checked.status,
                    "reason": checked.reason,
                },
            )


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

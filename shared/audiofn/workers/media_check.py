"""The media-check function's core: each uploaded file named by an S3 notification (through
SQS) is decoded, checked and recorded as usable or not, with the reason
(:func:`audiofn.services.media_library.check_upload`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from audiofn.config import CommonSettings, load_settings
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.services.media_library import check_upload, parse_upload_key
from audiofn.workers.s3_events import objects_created
from audiofn.workers.sqs import process_sqs_batch


def build_services() -> Services:
    """The services a cold start builds from the function's environment."""
    return Services.from_settings(load_settings(CommonSettings))


def check_uploads(services: Services, body: str) -> None:
    """Check every upload an S3 notification names (other objects and test events: none)."""
    for created in objects_created(body):
        ids = parse_upload_key(created.key)
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


def handle_batch(services: Services, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's SQS batch: one S3 notification per record."""

    def handle_record(record: SQSRecord) -> None:
        check_uploads(services, record.body)

    return process_sqs_batch(event, context, handle_record)

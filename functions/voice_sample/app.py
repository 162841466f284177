"""Voice-sample function: S3 notifications (through SQS) of a voice's sample manifest ->
checked, cleaned and measured samples; the profile becomes COMPLETED or FAILED."""

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.config import voice_sample_settings
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.voice_sample_worker import VoiceSampleWorker

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
worker = VoiceSampleWorker(Services.from_settings(voice_sample_settings()), voice_sample_settings())


def record_handler(record: SQSRecord) -> None:
    worker.handle(record.body, receive_count=int(record.attributes.approximate_receive_count))


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

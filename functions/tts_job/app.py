"""TTS job function: SQS batch of job ids -> one MP3 per job in S3 (partial batch failures)."""

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.config import tts_job_settings
from audiofn.models.tts_jobs import TtsJobTask
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.tts_job_worker import TtsJobWorker

# A batch whose every record failed is reported like any other partial failure, not raised.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
worker = TtsJobWorker(Services.from_settings(tts_job_settings()), tts_job_settings())


def record_handler(record: SQSRecord) -> None:
    task = TtsJobTask.model_validate_json(record.body)
    worker.handle(task, receive_count=int(record.attributes.approximate_receive_count))


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

"""Speech function: SQS batch of speech tasks -> speech files in S3 (partial batch failures)."""

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.config import speech_settings
from audiofn.models.messages import SpeechTask
from audiofn.observability import logger, metrics
from audiofn.services.context import Services
from audiofn.speech_worker import SpeechWorker

# A batch whose every record failed is reported like any other partial failure, not raised.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
worker = SpeechWorker(Services.from_settings(speech_settings()), speech_settings())


def record_handler(record: SQSRecord) -> None:
    task = SpeechTask.model_validate_json(record.body)
    logger.set_correlation_id(task.job_id)  # the id the API returned for this job
    worker.handle(task, receive_count=int(record.attributes.approximate_receive_count))


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

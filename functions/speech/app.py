"""Speech function: SQS batch of speech tasks -> speech files in S3 (partial batch failures)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger, metrics
from audiofn.workers import speech

worker = speech.build_worker()


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return speech.handle_batch(worker, event, context)

"""Mastering function: SQS batch of mastering tasks -> masters in S3 (partial batch failures)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger, metrics
from audiofn.workers import mastering

worker = mastering.build_worker()


@metrics.log_metrics(capture_cold_start_metric=True)
@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return mastering.handle_batch(worker, event, context)

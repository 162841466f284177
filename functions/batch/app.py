"""Batch function: starts batches (batch queue) and renders their chunks (chunk queue).

Both queues report partial batch failures.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger
from audiofn.workers import batch

worker = batch.build_worker()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return batch.handle_batch(worker, event, context)

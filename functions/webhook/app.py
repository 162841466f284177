"""Webhook function: SQS batch of events -> signed POSTs to each organisation's receiver."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger
from audiofn.workers import webhook

deliverer = webhook.build_deliverer()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return webhook.handle_batch(deliverer, event, context)

"""Inbox function: S3 notifications (through SQS) and follow-ups -> scripts, speech, masters."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger
from audiofn.workers import inbox

worker = inbox.build_worker()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return inbox.handle_batch(worker, event, context)

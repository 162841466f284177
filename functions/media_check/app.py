"""Media-check function: S3 uploads (events through SQS) -> each file decoded, checked and
recorded as usable or not, with the reason (partial batch failures)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger
from audiofn.workers import media_check

services = media_check.build_services()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return media_check.handle_batch(services, event, context)

"""Voice-sample function: S3 notifications (through SQS) of a voice's sample manifest ->
checked, cleaned and measured samples; the profile becomes COMPLETED or FAILED."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger
from audiofn.workers import voice_sample

worker = voice_sample.build_worker()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return voice_sample.handle_batch(worker, event, context)

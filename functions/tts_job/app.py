"""TTS job function: SQS batch of job ids -> one MP3 per job in S3 (partial batch failures)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger
from audiofn.workers import tts_job

worker = tts_job.build_worker()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return tts_job.handle_batch(worker, event, context)

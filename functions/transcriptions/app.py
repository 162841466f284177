"""Transcription function: OpenAI-compatible POST /v1/audio/transcriptions."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.api.openai_transcriptions import build_transcriptions_resolver
from audiofn.observability import logger

app = build_transcriptions_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)

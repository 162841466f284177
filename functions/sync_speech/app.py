"""Sync speech function: short speech answered in the response (OpenAI buffered, api.audio
sync TTS); resolved by audiofn.api.openai_audio."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.api.openai_audio import build_sync_speech_resolver
from audiofn.observability import logger

app = build_sync_speech_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)

"""Realtime transcription function: the WebSocket API's $connect, $default and $disconnect."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.observability import logger
from audiofn.workers import realtime

service = realtime.build_service()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return realtime.handle_event(service, event)

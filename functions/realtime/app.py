"""Realtime transcription function: the WebSocket API's $connect, $default and $disconnect."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from audiofn.config import RealtimeSettings, load_settings
from audiofn.observability import logger
from audiofn.services.realtime import RealtimeService
from audiofn.storage.realtime_connections import ConnectionPoster, RealtimeConnections

settings = load_settings(RealtimeSettings)
service = RealtimeService(settings, RealtimeConnections(settings.table, settings.media_bucket))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event["requestContext"]
    connection_id = request["connectionId"]
    route = request.get("routeKey", "$default")
    if route == "$connect":
        headers = event.get("headers") or {}
        query = event.get("queryStringParameters") or {}
        return service.connect(connection_id, headers, query).to_dict()
    if route == "$disconnect":
        return service.disconnect(connection_id).to_dict()
    poster = ConnectionPoster(f"https://{request['domainName']}/{request['stage']}")
    body, is_base64 = event.get("body"), bool(event.get("isBase64Encoded"))
    return service.message(connection_id, body, is_base64, poster).to_dict()

"""The realtime transcription function's core: the WebSocket API's `$connect`, `$default` and
`$disconnect` routes, handed to :class:`audiofn.services.realtime.RealtimeService`."""

from __future__ import annotations

from typing import Any

from audiofn.config import RealtimeSettings, load_settings
from audiofn.services.realtime import RealtimeService
from audiofn.storage.realtime_connections import ConnectionPoster, RealtimeConnections


def build_service() -> RealtimeService:
    """The service a cold start builds from the function's environment."""
    settings = load_settings(RealtimeSettings)
    return RealtimeService(settings, RealtimeConnections(settings.table, settings.media_bucket))


def handle_event(service: RealtimeService, event: dict[str, Any]) -> dict[str, Any]:
    """One WebSocket API event, routed by its route key."""
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

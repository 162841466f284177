"""Opening a realtime session: the caller's key and the model, checked before any audio.

Shared by the local websocket route and the WebSocket API's ``$connect`` route, so both
refuse the same connections with the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from audiofn.errors import AudiofnError
from audiofn.stt.realtime import ProtocolError, RealtimeSession

CLOSE_UNAUTHORIZED = 4001
CLOSE_BAD_REQUEST = 4000


@dataclass(frozen=True)
class ConnectionGrant:
    org_id: str
    model: str  # the engine id serving the requested model


def authorize_connection(
    table_name: str, headers: Mapping[str, str], query: Mapping[str, str]
) -> ConnectionGrant:
    """The organisation and engine for a connection request; ProtocolError when refused."""
    from audiofn.services.orgs import authenticate, key_from_headers
    from audiofn.storage.table import AppTable
    from audiofn.stt.engines import UnknownModel, resolve_model

    try:
        org_id = authenticate(AppTable(table_name), key_from_headers(headers))
    except AudiofnError as error:
        raise ProtocolError(str(error.message), CLOSE_UNAUTHORIZED) from None
    try:
        model = resolve_model(query.get("model"))
    except UnknownModel as error:
        raise ProtocolError(f"query parameter {error}", CLOSE_BAD_REQUEST) from None
    return ConnectionGrant(org_id=org_id, model=model)


def open_session(
    headers: Mapping[str, str], query: Mapping[str, str], endpoint_ms: int | None = None
) -> RealtimeSession:
    """An authorised session with its engine loaded (the first call loads the model)."""
    from audiofn.config import realtime_settings
    from audiofn.stt.engines import get_stt_engine
    from audiofn.stt.streaming import EndpointSettings

    settings = realtime_settings()
    grant = authorize_connection(settings.table, headers, query)
    endpointing = replace(EndpointSettings(), endpoint_ms=endpoint_ms or settings.endpoint_ms)
    return RealtimeSession(get_stt_engine(grant.model), endpointing)

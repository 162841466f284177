"""Realtime transcription behind the WebSocket API: one Lambda invocation per message.

``$connect`` checks the key and the model and stores an empty session; ``$default`` loads
the session, feeds it the message, decodes what is due, saves it and posts the transcripts;
``$disconnect`` forgets it. A protocol error posts the error message and closes the
connection, as the local websocket does.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from typing import Any, Protocol

from audiofn.config import RealtimeSettings
from audiofn.observability import logger
from audiofn.storage.realtime_connections import RealtimeConnections, StaleConnectionState
from audiofn.stt.realtime import (
    ProtocolError,
    RealtimeSession,
    SessionSnapshot,
    error_message,
)

SAVE_ATTEMPTS = 4


class Poster(Protocol):
    def post(self, connection_id: str, messages: list[dict[str, Any]]) -> bool: ...

    def close(self, connection_id: str) -> None: ...


@dataclass(frozen=True)
class Reply:
    """What API Gateway gets back from the integration (the route's response)."""

    status: int
    body: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"statusCode": self.status, "body": self.body}


@dataclass(frozen=True)
class RealtimeService:
    settings: RealtimeSettings
    connections: RealtimeConnections

    def connect(self, connection_id: str, headers: dict[str, str], query: dict[str, str]) -> Reply:
        from audiofn.stt.realtime_service import CLOSE_UNAUTHORIZED, authorize_connection

        try:
            grant = authorize_connection(self.settings.table, headers, query)
        except ProtocolError as error:
            status = 401 if error.code == CLOSE_UNAUTHORIZED else 400
            return Reply(status, error.message)
        self.connections.save(
            connection_id,
            org_id=grant.org_id,
            model=grant.model,
            snapshot=SessionSnapshot().model_dump(),
            audio=_empty(),
            expected_version=None,
        )
        return Reply(200)

    def message(
        self, connection_id: str, body: str | None, is_base64: bool, poster: Poster
    ) -> Reply:
        for _ in range(SAVE_ATTEMPTS):
            try:
                return self._message_once(connection_id, body, is_base64, poster)
            except StaleConnectionState:
                logger.info("realtime state changed; retrying", extra={"c": connection_id})
        poster.post(connection_id, [error_message("too many concurrent messages")])
        poster.close(connection_id)
        return Reply(409)

    def disconnect(self, connection_id: str) -> Reply:
        self.connections.delete(connection_id)
        return Reply(200)

    def _message_once(
        self, connection_id: str, body: str | None, is_base64: bool, poster: Poster
    ) -> Reply:
        from audiofn.stt.engines import get_stt_engine
        from audiofn.stt.streaming import EndpointSettings

        state = self.connections.load(connection_id)
        if state is None:
            poster.post(connection_id, [error_message("unknown connection; connect again")])
            poster.close(connection_id)
            return Reply(410)
        session = RealtimeSession(
            get_stt_engine(state.model),
            replace(EndpointSettings(), endpoint_ms=self.settings.endpoint_ms),
            SessionSnapshot.model_validate(state.snapshot),
            state.audio,
        )
        try:
            if is_base64:
                session.receive_audio(base64.b64decode(body or ""))
                replies = session.step()
            else:
                replies = session.receive_text(body or "")
        except ProtocolError as error:
            self.connections.delete(connection_id)
            poster.post(connection_id, [error_message(error.message)])
            poster.close(connection_id)
            return Reply(200)
        if session.phase == "closed":
            self.connections.delete(connection_id)
            poster.post(connection_id, replies)
            poster.close(connection_id)
            return Reply(200)
        self.connections.save(
            connection_id,
            org_id=state.org_id,
            model=state.model,
            snapshot=session.snapshot().model_dump(),
            audio=session.buffered_audio,
            expected_version=state.version,
        )
        if replies and not poster.post(connection_id, replies):
            self.connections.delete(connection_id)
        return Reply(200)


def _empty() -> Any:
    import numpy as np

    return np.zeros(0, np.float32)

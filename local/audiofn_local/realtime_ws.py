"""The realtime transcription websocket, served in front of the local HTTP gateway.

In AWS the template's WebSocket API (``RealtimeWebSocketApi``) invokes the realtime function
once per message; locally one coroutine per connection drives the same
:class:`~audiofn.stt.realtime.RealtimeSession`, with the model loaded once in this process.

A reader task queues what the client sends; the session loop takes everything queued at once,
feeds all of its audio and decodes once, so a client sending faster than the model decodes
builds no backlog of decodes. Decoding runs on a worker thread, so other connections and the
HTTP gateway keep being served.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from audiofn.stt.realtime import (
    CLOSE_NORMAL,
    CLOSE_SERVER_ERROR,
    ProtocolError,
    RealtimeSession,
    error_message,
)
from audiofn_local.cfn_yaml import load_template_file
from audiofn_local.logs import runtime_logger

LOG = runtime_logger(__name__)
REALTIME_PATH = "/v1/audio/transcriptions-realtime"
_CLOSED = object()


@dataclass(frozen=True)
class RealtimeOptions:
    idle_seconds: float = 15.0
    endpoint_ms: int = 300


def websocket_api_ids(template_path: Path) -> list[str]:
    """The template's WebSocket APIs (``AWS::ApiGatewayV2::Api`` with ProtocolType WEBSOCKET)."""
    resources: Mapping[str, Any] = load_template_file(template_path).get("Resources") or {}
    return [
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::ApiGatewayV2::Api"
        and str((resource.get("Properties") or {}).get("ProtocolType", "")).upper() == "WEBSOCKET"
    ]


def realtime_routes(options: RealtimeOptions) -> list[WebSocketRoute]:
    async def endpoint(websocket: WebSocket) -> None:
        await serve_realtime(websocket, options)

    return [WebSocketRoute(REALTIME_PATH, endpoint)]


async def serve_realtime(websocket: WebSocket, options: RealtimeOptions) -> None:
    from audiofn.stt.realtime_service import open_session

    try:
        session = await run_in_threadpool(
            open_session,
            dict(websocket.headers),
            dict(websocket.query_params),
            options.endpoint_ms,
        )
    except ProtocolError as error:
        # Refused at the handshake, as the WebSocket API's $connect route refuses it.
        LOG.info("realtime connection refused: %s", error.message)
        await websocket.close(code=error.code, reason=error.message[:120])
        return
    await websocket.accept()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    reader = asyncio.create_task(_read(websocket, inbox))
    try:
        await _run(websocket, session, inbox, options)
    finally:
        reader.cancel()


async def _read(websocket: WebSocket, inbox: asyncio.Queue[Any]) -> None:
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            inbox.put_nowait(message)
    except (WebSocketDisconnect, RuntimeError):
        pass
    inbox.put_nowait(_CLOSED)


async def _run(
    websocket: WebSocket,
    session: RealtimeSession,
    inbox: asyncio.Queue[Any],
    options: RealtimeOptions,
) -> None:
    try:
        while True:
            try:
                first = await asyncio.wait_for(inbox.get(), timeout=options.idle_seconds)
            except TimeoutError:
                raise ProtocolError(
                    f"no message for {options.idle_seconds:g} s; the session has ended"
                ) from None
            batch = [first]
            while not inbox.empty():
                batch.append(inbox.get_nowait())
            finished = False
            for message in batch:
                if message is _CLOSED:
                    return  # the client went away; nothing to send
                if message.get("bytes") is not None:
                    session.receive_audio(message["bytes"])
                elif message.get("text") is not None:
                    replies = await run_in_threadpool(session.receive_text, message["text"])
                    await _send_all(websocket, replies)
                    finished = session.phase == "closed"
                    if finished:
                        break
            if finished:
                await websocket.close(code=CLOSE_NORMAL)
                return
            await _send_all(websocket, await run_in_threadpool(session.step))
    except ProtocolError as error:
        await _fail(websocket, error.message, error.code)
    except Exception:
        LOG.exception("realtime session failed")
        await _fail(websocket, "internal error while transcribing", CLOSE_SERVER_ERROR)


async def _send_all(websocket: WebSocket, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        await websocket.send_text(json.dumps(message))


async def _fail(websocket: WebSocket, message: str, code: int) -> None:
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    try:
        await websocket.send_text(json.dumps(error_message(message)))
        await websocket.close(code=code, reason=message[:120])
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client left first

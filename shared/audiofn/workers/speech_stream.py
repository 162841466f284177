"""The streaming speech function's web app (ASGI): ``POST /v1/audio/speech`` streamed.

In AWS it runs behind a Function URL in ``RESPONSE_STREAM`` mode, started by the Lambda Web
Adapter (API Gateway would buffer the response and cap it at 6 MB). Locally the runtime
serves the same app in front of the HTTP API gateway. It checks the organisation key itself
(a Function URL with ``AuthType: NONE`` has no authorizer).

WAV is the exception: its header must give the sizes, so it is answered whole unless the body
asks for a stream (``"stream": true``). Each chunk is produced on a worker thread only when the
previous one has been sent, so a client that goes away stops the synthesis after the piece
being spoken.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from audiofn import __version__
from audiofn.config import api_settings
from audiofn.errors import AudiofnError, InvalidInput, TooManyRequests
from audiofn.observability import logger
from audiofn.openai_speech.service import (
    error_body,
    model_entry,
    models_listing,
    plan_request,
)
from audiofn.openai_speech.voices import voice_listing
from audiofn.services.context import Services
from audiofn.services.orgs import authenticate, key_from_headers
from audiofn.services.quotas import take_request
from audiofn.tts.registry import engine_settings_from

if TYPE_CHECKING:
    from audiofn.openai_speech.request import SpeechRequest
    from audiofn.openai_speech.synthesis import SpeechPlan
    from audiofn.tts.registry import EngineSettings

SPEECH_PATH = "/v1/audio/speech"


@cache
def _services() -> Services:
    return Services.from_settings(api_settings())


def _error(error: AudiofnError) -> JSONResponse:
    response = JSONResponse(error_body(error), status_code=error.status_code)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _authorised_org(key: str | None) -> str:
    """The key's organisation, counted against its request rate: the keyless Function URL is
    outside the HTTP API's throttle, so the stream shares the API's per-organisation limit."""
    org_id = authenticate(_services().table, key)
    take_request(_services(), org_id)
    return org_id


async def _org(request: Request) -> str:
    key = key_from_headers(dict(request.headers))
    return await run_in_threadpool(_authorised_org, key)


async def create_speech(request: Request) -> Response:
    started = time.perf_counter()
    try:
        org_id = await _org(request)
        raw = await request.body()
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError as exc:
            raise InvalidInput(f"the request body is not valid JSON: {exc}") from exc
        speech, plan = await run_in_threadpool(plan_request, _services(), org_id, body)
    except AudiofnError as error:
        return _error(error)
    from audiofn.openai_speech.synthesis import SpeechProgress, iter_body

    settings = engine_settings_from(_services().settings)
    if speech.buffered:  # the seed's client asked for the whole reply (``stream: false``)
        return await _buffered(speech, plan, settings)
    progress = SpeechProgress(len(plan.pieces))
    if speech.enable_word_boundary:
        from audiofn.openai_speech.word_boundaries import iter_ndjson

        chunks = iter_ndjson(plan, settings, speech.input, progress)
    else:
        chunks = iter_body(plan, settings, progress)
    context = {
        "org": org_id,
        "voice": plan.voice.id,
        "format": plan.response_format,
        "stream_format": plan.stream_format,
        "characters": plan.input_chars,
        "pieces": len(plan.pieces),
    }
    request.app.state.last_speech = progress
    return StreamingResponse(
        _relay(chunks, progress, context, started),
        media_type=speech.content_type,
        headers={"x-audiofn-voice": plan.voice.id, "cache-control": "no-store"},
    )


async def _buffered(speech: SpeechRequest, plan: SpeechPlan, settings: EngineSettings) -> Response:
    """The whole file (a WAV with its real sizes), or the word-boundary JSON."""
    from audiofn.openai_speech.synthesis import synthesize_bytes
    from audiofn.openai_speech.word_boundaries import boundaries_json

    if speech.enable_word_boundary:
        body = await run_in_threadpool(boundaries_json, plan, settings, speech.input)
    else:
        body = await run_in_threadpool(synthesize_bytes, plan, settings)
    return Response(
        body,
        media_type=speech.content_type,
        headers={"x-audiofn-voice": plan.voice.id, "cache-control": "no-store"},
    )


async def _relay(
    chunks: Iterator[bytes], progress: Any, context: dict[str, Any], started: float
) -> AsyncIterator[bytes]:
    """Pull one chunk at a time on a worker thread; stop pulling when the client leaves."""
    first: float | None = None
    sent = 0
    try:
        while True:
            chunk = await run_in_threadpool(next, chunks, None)
            if chunk is None:
                break
            if first is None:
                first = time.perf_counter() - started
            sent += len(chunk)
            yield chunk
    except Exception:
        logger.exception("speech stream failed", extra=context)
        raise
    finally:
        seconds = round(time.perf_counter() - started, 3)
        extra = {
            **context,
            "bytes": sent,
            "first_byte_seconds": round(first, 3) if first is not None else None,
            "seconds": seconds,
            "pieces_spoken": progress.pieces_spoken,
        }
        if progress.finished:
            logger.info("speech streamed", extra=extra)
        else:
            progress.stopped_early = True
            logger.info(
                f"speech stream stopped by the client after {progress.pieces_spoken} of "
                f"{progress.pieces_total} pieces",
                extra=extra,
            )


async def list_models(request: Request) -> Response:
    try:
        await _org(request)
    except AudiofnError as error:
        return _error(error)
    return JSONResponse(models_listing())


async def get_model(request: Request) -> Response:
    try:
        await _org(request)
    except AudiofnError as error:
        return _error(error)
    return JSONResponse(model_entry(request.path_params["model"]))


async def list_voices(request: Request) -> Response:
    try:
        await _org(request)
    except AudiofnError as error:
        return _error(error)
    settings = _services().settings
    voices = voice_listing(
        polly_enabled=settings.polly_enabled, upstream_enabled=bool(settings.upstream_tts_url)
    )
    return JSONResponse({"object": "list", "data": voices})


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


def build_stream_app() -> Starlette:
    app = Starlette(
        routes=[
            Route(SPEECH_PATH, create_speech, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", get_model, methods=["GET"]),
            Route("/v1/audio/voices", list_voices, methods=["GET"]),
            Route("/stream/health", health, methods=["GET"]),
        ]
    )
    app.state.last_speech = None
    return app


def warm_up() -> None:
    """Load the voice model and the encoders before the first request (init phase)."""
    from audiofn.openai_speech.request import SpeechRequest
    from audiofn.openai_speech.synthesis import plan_speech, synthesize_bytes

    settings = engine_settings_from(_services().settings)
    request = SpeechRequest(model="tts-1", input="Ready.", voice="joe", response_format="mp3")
    synthesize_bytes(plan_speech(request, engine_settings=settings), settings)

"""OpenAI-style audio on the HTTP API: models and voices (light, on the API function), and
speech answered whole (the sync speech function): OpenAI's ``POST /v1/audio/speech``
buffered, and api.audio's sync TTS (``/speech/sync`` of SDK 0.17.1, ``/sync_speech/synthesize``
of 0.8.5).

API Gateway buffers responses and Lambda caps them at 6 MB, so audio larger than
``AUDIOFN_SYNC_MAX_RESPONSE_BYTES`` is stored and answered with ``303 See Other`` to a
presigned URL (HTTP clients, the ``openai`` package among them, follow it). Streaming is the
streaming function's (:mod:`audiofn.workers.speech_stream`).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from audiofn.api.deps import org_id, services
from audiofn.api.errors import json_response, register_error_handlers
from audiofn.errors import AudiofnError, InvalidInput, TooManyRequests
from audiofn.openai_speech.service import error_body, model_entry, models_listing
from audiofn.openai_speech.voices import voice_listing
from audiofn.services.orgs import authenticate, key_from_headers
from audiofn.services.quotas import take_request

router = Router()
"""Light routes for the API function."""

speech_router = Router()
"""Synthesis routes for the sync speech function."""

OPENAI_PREFIX = "/v1/"
SYNC_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/flac": "flac",
    "audio/ogg": "opus",
    "audio/opus": "opus",
    "audio/aac": "aac",
    "audio/pcm": "pcm",
}


class NotAcceptable(AudiofnError):
    status_code = 406


# ---------------------------------------------------------------- light
@router.get("/v1/models")
def list_models() -> dict[str, Any]:
    return models_listing()


@router.get("/v1/models/<model>")
def get_model(model: str) -> dict[str, Any]:
    return model_entry(model)


@router.get("/v1/audio/voices")
def list_voices() -> dict[str, Any]:
    settings = services().settings
    voices = voice_listing(
        polly_enabled=settings.polly_enabled, upstream_enabled=bool(settings.upstream_tts_url)
    )
    return {"object": "list", "data": voices}


# ---------------------------------------------------------------- speech
def _json_body() -> Any:
    raw = speech_router.current_event.decoded_body or "null"
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}") from exc


def _audio_response(data: bytes, content_type: str, extension: str, voice: str) -> Response[Any]:
    """The audio itself, or a redirect to a stored copy when it would exceed Lambda's cap;
    ``x-audiofn-voice`` names the voice that spoke."""
    from audiofn.config import sync_speech_settings
    from audiofn.naming import new_id
    from audiofn.storage.media import org_prefix

    if len(data) <= sync_speech_settings().max_response_bytes:
        # JSON replies (word boundaries) go as text: the resolver would encode bytes as JSON
        text = content_type.startswith("application/")
        return Response(
            status_code=200,
            content_type=content_type,
            body=data.decode() if text else data,
            headers={"x-audiofn-voice": voice},
        )
    org = org_id(speech_router)
    key = f"{org_prefix(org)}speech/sync/{new_id()}.{extension}"
    media = services().media
    media.put_bytes(key, data, content_type)
    return Response(
        status_code=303,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"url": media.presigned_get(key), "bytes": len(data)}),
        headers={"Location": media.presigned_get(key), "x-audiofn-voice": voice},
    )


@speech_router.post("/v1/audio/speech")
def create_speech() -> Response[Any]:
    """OpenAI's speech endpoint, answered whole (stream_format "sse" as a finished stream)."""
    from audiofn.openai_speech.service import plan_request
    from audiofn.openai_speech.synthesis import synthesize_bytes
    from audiofn.tts.registry import engine_settings_from

    svc = services()
    request, plan = plan_request(svc, org_id(speech_router), _json_body())
    if request.enable_word_boundary:  # the batch-and-streaming seed's JSON (or NDJSON) reply
        from audiofn.openai_speech.synthesis import SpeechProgress
        from audiofn.openai_speech.word_boundaries import boundaries_json, iter_ndjson

        settings = engine_settings_from(svc.settings)
        if request.buffered:
            body = boundaries_json(plan, settings, request.input)
        else:  # a stream asked of the buffered API: the same lines, all at once
            progress = SpeechProgress(len(plan.pieces))
            body = b"".join(iter_ndjson(plan, settings, request.input, progress))
        response = _audio_response(body, request.content_type, "json", plan.voice.id)
    else:
        data = synthesize_bytes(plan, engine_settings_from(svc.settings))
        extension = "sse" if request.stream_format == "sse" else request.response_format
        response = _audio_response(data, request.content_type, extension, plan.voice.id)
    return response


def _sync_request(body: Any, fmt: str) -> dict[str, Any]:
    """api.audio's sync TTS fields as an OpenAI speech request (speed in percent)."""
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    text = body.get("text") or body.get("scriptText") or body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("text is required", field="text")
    speed = body.get("speed", 100)
    if not isinstance(speed, int | float) or not 25 <= float(speed) <= 400:
        raise InvalidInput(
            "speed must be a percentage from 25 to 400 (100 is normal)", field="speed"
        )
    request: dict[str, Any] = {
        "model": "sync",
        "input": text,
        "voice": body.get("voice") or body.get("voiceName") or "joe",
        "response_format": fmt,
        "speed": float(speed) / 100.0,
    }
    rate = body.get("sampleRate", body.get("sample_rate"))
    if rate is not None:
        request["sample_rate"] = rate
    return request


def _field_name(error: AudiofnError) -> AudiofnError:
    """OpenAI's names in messages become api.audio's (input -> text)."""
    if error.field == "input":
        return InvalidInput(error.message.replace("input", "text"), field="text")
    if error.field == "sample_rate":
        return InvalidInput(error.message.replace("sample_rate", "sampleRate"), field="sampleRate")
    return error


def _sync_plan(body: Any, fmt: str) -> tuple[Any, Any]:
    from audiofn.openai_speech.service import plan_request

    try:
        return plan_request(services(), org_id(speech_router), _sync_request(body, fmt))
    except AudiofnError as error:
        raise _field_name(error) from error


@speech_router.post("/speech/sync")
def sync_speech() -> Response[Any]:
    """SDK 0.17.1 ``SyncTTS.create``: the audio, in the format its ``Accept`` header names."""
    from audiofn.openai_speech.synthesis import synthesize_bytes
    from audiofn.tts.registry import engine_settings_from

    accept = (speech_router.current_event.headers.get("accept") or "audio/wav").lower()
    fmt = next(
        (SYNC_FORMATS[kind.split(";")[0].strip()] for kind in accept.split(",")
         if kind.split(";")[0].strip() in SYNC_FORMATS),
        "wav" if "*/*" in accept or "audio/*" in accept else None,
    )  # fmt: skip
    if fmt is None:
        raise NotAcceptable(
            f"Accept: cannot answer {accept!r}; ask for one of {', '.join(sorted(SYNC_FORMATS))}",
            field="Accept",
        )
    request, plan = _sync_plan(_json_body(), fmt)
    data = synthesize_bytes(plan, engine_settings_from(services().settings))
    return _audio_response(data, request.content_type, fmt, plan.voice.id)


@speech_router.post("/sync_speech/synthesize")
def sync_speech_legacy() -> dict[str, Any]:
    """SDK 0.8.5 ``SyncTTS.create``: JSON with the WAV as base64 (the SDK returns the JSON)."""
    from audiofn.openai_speech.synthesis import synthesize_bytes
    from audiofn.tts.registry import engine_settings_from

    request, plan = _sync_plan(_json_body(), "wav")
    data = synthesize_bytes(plan, engine_settings_from(services().settings))
    samples = (len(data) - 44) // 2
    body: dict[str, Any] = {
        "message": "speech synthesised",
        "voice": plan.voice.id,
        "format": "wav",
        "contentType": request.content_type,
        "sampleRate": plan.sample_rate,
        "duration": round(samples / plan.sample_rate, 3),
    }
    from audiofn.config import sync_speech_settings

    if len(data) <= sync_speech_settings().max_response_bytes * 3 // 4:
        body["audio"] = base64.b64encode(data).decode()
    else:
        from audiofn.naming import new_id
        from audiofn.storage.media import org_prefix

        key = f"{org_prefix(org_id(speech_router))}speech/sync/{new_id()}.wav"
        services().media.put_bytes(key, data, request.content_type)
        body["url"] = services().media.presigned_get(key)
    return body


def _error_response(app: APIGatewayHttpResolver, error: AudiofnError) -> Response[Any]:
    if app.current_event.path.startswith(OPENAI_PREFIX):
        response = json_response(error.status_code, error_body(error))
    else:
        response = json_response(error.status_code, error.to_body())
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _require_org_key(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Every route here needs an organisation key; errors in the path's protocol's shape."""
    try:
        org = authenticate(services().table, key_from_headers(app.current_event.headers))
        take_request(services(), org)  # the organisation's rate, shared with the API function
    except AudiofnError as error:
        return _error_response(app, error)
    app.append_context(org_id=org)
    return next_middleware(app)


def build_sync_speech_resolver() -> APIGatewayHttpResolver:
    """The sync speech function's resolver: OpenAI's error shape under /v1/."""
    app = APIGatewayHttpResolver(enable_validation=False)
    app.use(middlewares=[_require_org_key])
    app.include_router(speech_router)
    register_error_handlers(app)

    @app.exception_handler(AudiofnError)
    def handle_domain_error(error: AudiofnError) -> Response[Any]:
        return _error_response(app, error)

    return app

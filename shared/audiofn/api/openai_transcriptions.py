"""`POST /v1/audio/transcriptions`: OpenAI's transcription API (multipart upload).

Served by its own function (it loads the Whisper model), so this module builds a complete
resolver: organisation-key authentication and errors in OpenAI's shape,
``{"error": {"message", "type", "param", "code"}}``, which OpenAI's SDKs turn into their
exception classes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from pydantic import ValidationError

from audiofn.api.errors import describe_validation_errors
from audiofn.api.forms import UnreadableForm, read_multipart
from audiofn.errors import AudiofnError
from audiofn.observability import logger

TRANSCRIPTIONS_PATH = "/v1/audio/transcriptions"
router = Router()

_ERROR_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def openai_error(
    status: int, message: str, param: str | None = None, code: str | None = None
) -> Response[dict[str, Any]]:
    fallback = "invalid_request_error" if status < 500 else "server_error"
    error_type = _ERROR_TYPES.get(status, fallback)
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"message": message, "type": error_type, "param": param, "code": code}},
    )


class FormError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """multipart/form-data to (fields, files); files map a name to (filename, bytes)."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise FormError("the request must be multipart/form-data with a 'file' part", "file")
    try:
        fields, parts = read_multipart(content_type, body)
    except UnreadableForm as error:
        raise FormError(str(error), "file") from error
    # One file per name (the last one wins, as in a form).
    files: dict[str, Any] = {name: found[-1] for name, found in parts.items()}
    return fields, files


def _json_list(value: str) -> list[str]:
    try:
        decoded = json.loads(value)
    except ValueError:
        return [value]  # not JSON after all: the model names the bad value
    return [str(item) for item in decoded] if isinstance(decoded, list) else [value]


@router.post(TRANSCRIPTIONS_PATH)
def create_transcription() -> Response[Any]:
    from audiofn.services.transcriptions import TranscriptionRequest, transcribe_upload

    event = router.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    try:
        fields, files = parse_form(event.headers.get("content-type", ""), body)
    except FormError as error:
        return openai_error(400, str(error), error.field)
    if "file" not in files:
        return openai_error(400, "file is required (a multipart file part)", "file")
    if "model" not in fields:
        return openai_error(400, "model is required", "model")
    values: dict[str, Any] = {name: value[-1] for name, value in fields.items()}
    granularities = fields.get("timestamp_granularities[]") or fields.get("timestamp_granularities")
    if granularities and len(granularities) == 1 and granularities[0].startswith("["):
        granularities = _json_list(granularities[0])  # the AI Refinery SDK sends '["word"]'
    values.pop("timestamp_granularities[]", None)
    values.pop("timestamp_granularities", None)
    if granularities:
        values["timestamp_granularities"] = granularities
    try:
        request = TranscriptionRequest.model_validate(values)
    except ValidationError as error:
        message, field = describe_validation_errors(error.errors())
        return openai_error(400, message, field)
    filename, data = files["file"]
    result = transcribe_upload(data, filename, request)
    return Response(status_code=200, content_type=result.content_type, body=result.body)


def require_key(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    from audiofn.api.deps import services
    from audiofn.errors import TooManyRequests
    from audiofn.services.orgs import authenticate, key_from_headers
    from audiofn.services.quotas import take_request

    try:
        org = authenticate(services().table, key_from_headers(app.current_event.headers))
    except AudiofnError as error:
        return openai_error(error.status_code, error.message, None, "invalid_api_key")
    try:
        take_request(services(), org)  # the organisation's rate, shared with the API function
    except TooManyRequests as error:
        response = openai_error(429, error.message, None, "rate_limit_exceeded")
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    app.append_context(org_id=org)
    return next_middleware(app)


def build_transcriptions_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()
    app.use(middlewares=[require_key])
    app.include_router(router)

    @app.exception_handler(AudiofnError)
    def handle_domain_error(error: AudiofnError) -> Response[Any]:
        return openai_error(error.status_code, error.message, error.field)

    @app.not_found
    def handle_not_found(_: Exception) -> Response[Any]:
        return openai_error(404, f"no route for {app.current_event.path}")

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return openai_error(500, "internal error; the request id is in the logs")

    return app

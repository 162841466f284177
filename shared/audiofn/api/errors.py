"""One mapping from domain errors and validation failures to JSON error responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from audiofn.errors import AudiofnError, TooManyRequests
from audiofn.observability import logger
from audiofn.services.jobs import JobPending


def json_response(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def too_many_requests(error: TooManyRequests) -> Response[dict[str, Any]]:
    response = json_response(error.status_code, error.to_body())
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, str | None]:
    """A message that names the field, from pydantic's error list."""
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    kind = first.get("type", "")
    if kind == "json_invalid":
        detail = first.get("ctx", {}).get("error", "invalid JSON")
        return f"the request body is not valid JSON: {detail}", None
    field = ".".join(location) or None
    if kind == "extra_forbidden":
        return f"unknown field '{field}'", field
    if kind == "missing":
        return f"{field} is required", field
    message = first.get("msg", "invalid value")
    return (f"{field}: {message}" if field else message), field


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(AudiofnError)
    def handle_domain_error(error: AudiofnError) -> Response[dict[str, Any]]:
        if isinstance(error, TooManyRequests):
            return too_many_requests(error)
        return json_response(error.status_code, error.to_body())

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(error: RequestValidationError) -> Response[dict[str, Any]]:
        message, field = describe_validation_errors(error.errors())
        body: dict[str, Any] = {"message": message}
        if field:
            body["field"] = field
        return json_response(400, body)

    @app.exception_handler(RequestUnsupportedContentType)
    def handle_unsupported_content_type(_: Exception) -> Response[dict[str, Any]]:
        sent = app.current_event.headers.get("content-type") or "none"
        return json_response(
            415,
            {
                "message": f"this operation takes a JSON body: send Content-Type: "
                f"application/json (got {sent})",
                "field": "Content-Type",
            },
        )

    @app.exception_handler(UnicodeDecodeError)
    def handle_undecodable_body(error: UnicodeDecodeError) -> Response[dict[str, Any]]:
        return json_response(
            400, {"message": f"the request body is not UTF-8 (byte {error.start})", "field": "body"}
        )

    @app.exception_handler(JobPending)
    def handle_pending(pending: JobPending) -> Response[dict[str, Any]]:
        job = pending.job
        return json_response(
            202,
            {
                "message": f"{job.kind} is being created; repeat the request to check",
                "status": job.status,
                "jobId": job.job_id,
                "done": job.done,
                "total": job.total,
            },
        )

    @app.not_found
    def handle_not_found(_: Exception) -> Response[dict[str, Any]]:
        return json_response(404, {"message": f"no route for {app.current_event.path}"})

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response[dict[str, Any]]:
        logger.exception("unhandled error")
        return json_response(500, {"message": "internal error; the request id is in the logs"})

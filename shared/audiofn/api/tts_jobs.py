"""The job-based TTS protocol under /api/v1/jobs/: submit text or a text file, list and
inspect jobs, download the MP3, delete a finished job.

Its errors have that protocol's shape, `{"error": {"code", "message", ...}}`, on these
paths only (the middleware below); the rest of the API keeps its own. Bodies are parsed
here rather than by the resolver's validation, so every failure, even a malformed body,
gets that shape and a message naming the field.
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from audiofn.api.deps import org_id, request_base_url, services
from audiofn.errors import AudiofnError, InvalidInput, TooManyRequests
from audiofn.observability import logger
from audiofn.services import tts_jobs
from audiofn.services.tts_jobs import UnsupportedMediaType

if TYPE_CHECKING:
    from email.message import Message

JOBS_PREFIX = "/api/v1/jobs"
# Lambda answers at most 6 MB, base64 adds a third: larger files are a redirect to S3.
INLINE_AUDIO_BYTES = 4 * 1024 * 1024
UNAUTHORIZED_MESSAGE = "No valid API key provided."
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

router = Router()


# ---------------------------------------------------------------- error shape


def seed_error(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    """`{"error": {"code": status, "message": ..., ...}}` from a `{"message": ...}` body."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": status, **body}},
    )


def seed_error_bodies(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """On /api/v1/jobs paths, every error (authentication included) in the protocol's shape.

    Registered before the authentication middleware so it also sees that one's answers.
    """
    path = app.current_event.path
    if not (path == JOBS_PREFIX or path.startswith(JOBS_PREFIX + "/")):
        return next_middleware(app)
    try:
        response = next_middleware(app)
    except AudiofnError as error:
        if error.status_code == 401:
            return seed_error(401, {"message": UNAUTHORIZED_MESSAGE})
        failed = seed_error(error.status_code, error.to_body())
        if isinstance(error, TooManyRequests):
            failed.headers["Retry-After"] = str(error.retry_after)
        return failed
    except NotFoundError:
        return seed_error(404, {"message": f"no route for {app.current_event.http_method} {path}"})
    except Exception:
        logger.exception("unhandled error")
        return seed_error(500, {"message": "internal error; the request id is in the logs"})
    body = response.body
    if response.status_code == 401:  # the protocol's documents give this body word for word
        return seed_error(401, {"message": UNAUTHORIZED_MESSAGE})
    if response.status_code >= 400 and isinstance(body, dict) and "error" not in body:
        failed = seed_error(response.status_code, body)
        if "Retry-After" in response.headers:
            failed.headers["Retry-After"] = response.headers["Retry-After"]
        return failed
    return response


# ---------------------------------------------------------------- request bodies


def _header(name: str) -> str:
    headers = router.current_event.headers or {}
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return ""


def _raw_body() -> bytes:
    event = router.current_event
    if event.body is None:
        return b""
    if event.is_base64_encoded:
        return base64.b64decode(event.body)
    return event.body.encode("utf-8")


def _media_type() -> str:
    return _header("content-type").split(";", 1)[0].strip().lower()


def _json_body() -> dict[str, Any]:
    media_type = _media_type()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"Content-Type {media_type} is not read here: send JSON (application/json) with "
            "text, lang and voice_id, or upload a file to /api/v1/jobs/file/"
        )
    try:
        body = json.loads(_raw_body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the request body is not valid JSON: {error}") from error
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object with text, lang and voice_id")
    return body


def _form_parts() -> list[Message]:
    from email.parser import BytesParser
    from email.policy import HTTP

    content_type = _header("content-type")
    if _media_type() != "multipart/form-data":
        raise UnsupportedMediaType(
            f"Content-Type {_media_type() or '(none)'} is not read here: upload the file as "
            "multipart/form-data with the fields file, lang and voice_id"
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + _raw_body())
    if not message.is_multipart() or message.defects:
        raise InvalidInput("the multipart/form-data body could not be read (check its boundary)")
    return list(message.iter_parts())


def _part_name(part: Message) -> str | None:
    name = part.get_param("name", header="content-disposition")
    return name if isinstance(name, str) else None


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _string(value: Any, field: str, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and field != "text"):
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{field}: must be a string", field=field)
    return str(value).strip() if field != "text" else str(value)


def _language(value: Any) -> str:
    lang = _string(value, "lang", required=True)
    assert lang is not None
    if not _LANG.match(lang):
        raise InvalidInput(f"lang: '{lang}' is not a language code such as az or en", field="lang")
    return lang.lower()


def _voice_id(value: Any) -> str | None:
    return _string(value, "voice_id", required=False)


# ---------------------------------------------------------------- routes


def _data(value: dict[str, Any]) -> dict[str, Any]:
    return {"data": value}


@router.post(f"{JOBS_PREFIX}/text/")
@router.post(f"{JOBS_PREFIX}/text", include_in_schema=False)
def submit_text() -> dict[str, Any]:
    body = _json_body()
    text = _string(body.get("text"), "text", required=True)
    assert text is not None
    job = tts_jobs.submit_job(
        services(),
        org_id(router),
        text=text,
        language=_language(body.get("lang")),
        voice_id=_voice_id(body.get("voice_id")),
    )
    return _data(job.to_api())


@router.post(f"{JOBS_PREFIX}/file/")
@router.post(f"{JOBS_PREFIX}/file", include_in_schema=False)
def submit_file() -> dict[str, Any]:
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    for part in _form_parts():
        name = _part_name(part)
        if name == "file" and upload is None:
            upload = (part.get_filename() or "file", _part_bytes(part))
        elif name in {"lang", "voice_id", "text"}:
            try:
                fields[name] = _part_bytes(part).decode("utf-8")
            except UnicodeDecodeError as error:
                raise InvalidInput(f"{name}: is not UTF-8 text", field=name) from error
    if upload is None:
        raise InvalidInput("file is required (a form field named 'file')", field="file")
    file_name, data = upload
    language = _language(fields.get("lang"))
    voice_id = _voice_id(fields.get("voice_id"))
    text = tts_jobs.read_text_file(file_name, data)
    job = tts_jobs.submit_job(
        services(),
        org_id(router),
        text=text,
        language=language,
        voice_id=voice_id,
        file_name=file_name,
        file_data=data,
    )
    return _data(job.to_api())


@router.get(f"{JOBS_PREFIX}/")
@router.get(JOBS_PREFIX, include_in_schema=False)
def list_jobs() -> dict[str, Any]:
    params = router.current_event.query_string_parameters or {}
    limit = _count(params.get("limit"), "limit", tts_jobs.DEFAULT_LIST_LIMIT, minimum=1)
    limit = min(limit, tts_jobs.MAX_LIST_LIMIT)
    offset = _count(params.get("offset"), "offset", 0, minimum=0)
    count, jobs = tts_jobs.list_jobs(services(), org_id(router), limit, offset)
    return {
        "count": count,
        "next": _page_url(limit, offset + limit) if offset + limit < count else None,
        "previous": _page_url(limit, max(offset - limit, 0)) if offset > 0 else None,
        "results": [job.to_api() for job in jobs],
    }


@router.get(f"{JOBS_PREFIX}/<job_id>/")
@router.get(f"{JOBS_PREFIX}/<job_id>", include_in_schema=False)
def get_job(job_id: str) -> dict[str, Any]:
    job = tts_jobs.get_job(services(), org_id(router), tts_jobs.parse_job_id(job_id))
    return _data(job.to_api())


@router.delete(f"{JOBS_PREFIX}/<job_id>/")
@router.delete(f"{JOBS_PREFIX}/<job_id>", include_in_schema=False)
def delete_job(job_id: str) -> dict[str, Any]:
    tts_jobs.delete_job(services(), org_id(router), tts_jobs.parse_job_id(job_id))
    return _data({"code": 200, "deleted": True})


# Response validation would serialise the MP3 as text; the body is bytes by construction.
@router.get(f"{JOBS_PREFIX}/<job_id>/synthesize/", enable_validation=False)
@router.get(f"{JOBS_PREFIX}/<job_id>/synthesize", include_in_schema=False, enable_validation=False)
def synthesize(job_id: str) -> Response[Any]:
    number = tts_jobs.parse_job_id(job_id)
    audio = tts_jobs.job_audio(services(), org_id(router), number)
    if len(audio) > INLINE_AUDIO_BYTES:
        location = tts_jobs.job_audio_url(services(), org_id(router), number)
        return Response(status_code=302, headers={"Location": location}, body="")
    return Response(
        status_code=200,
        content_type=tts_jobs.MP3_CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="synthesize-{number}.mp3"'},
        body=audio,
    )


def _count(value: str | None, field: str, default: int, *, minimum: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < minimum:
        raise InvalidInput(f"{field}: must be an integer >= {minimum}, got '{value}'", field=field)
    return int(value)


def _page_url(limit: int, offset: int) -> str:
    query = urlencode({"limit": limit, "offset": offset})
    return f"{request_base_url(router)}{JOBS_PREFIX}/?{query}"

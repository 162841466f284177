"""API Gateway HTTP API (payload format 2.0) events and responses, as plain data.

Kept free of any web framework so the event a handler sees can be tested directly against
what AWS sends: lower-cased headers with duplicates joined by commas, cookies split out,
query values joined the same way, and a base64 body for every content type API Gateway
does not treat as text.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from audiofn_local.naming import ACCOUNT_ID
from audiofn_local.routes import RouteMatch

STAGE = "$default"
# HTTP APIs deliver these as UTF-8 text and base64-encode every other type (even forms and
# a missing content type), as observed against AWS.
TEXT_MEDIA_TYPES = ("application/json", "application/xml", "application/javascript")
# Lambda's synchronous payload limit (a larger response is an error in AWS).
MAX_RESPONSE_BYTES = 6 * 1024 * 1024
# HTTP API's request payload limit.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class InvalidHandlerResponse(ValueError):
    """The handler returned something API Gateway would reject (it answers 500)."""


@dataclass(frozen=True)
class HttpRequestData:
    """One HTTP request as the gateway received it."""

    method: str
    raw_path: str  # as sent, percent-encoded
    raw_query_string: str
    headers: list[tuple[str, str]]  # in arrival order, duplicates kept
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    scheme: str = "http"
    port: int = 80


@dataclass(frozen=True)
class HttpResponseData:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def is_text_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in TEXT_MEDIA_TYPES


def new_request_id() -> str:
    """An id shaped like API Gateway's (`JKJaXmPLvHcESHA=`), also sent as `apigw-requestid`."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def request_time(now: datetime) -> str:
    """`12/Mar/2020:19:03:58 +0000`, independent of the process locale."""
    now = now.astimezone(UTC)
    return f"{now:%d}/{_MONTHS[now.month - 1]}/{now:%Y:%H:%M:%S} +0000"


def build_http_api_event(
    request: HttpRequestData,
    match: RouteMatch,
    *,
    request_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The payload-2.0 event API Gateway would send for `request` on the matched route."""
    now = now or datetime.now(UTC)
    request_id = request_id or new_request_id()
    headers, cookies = _joined_headers(request)
    host = headers.get("host", "localhost")
    domain_name = host
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = _joined_query(request.raw_query_string)
    if query:
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": match.route.api_id.lower(),
        "domainName": domain_name,
        "domainPrefix": host.split(":", 1)[0].split(".", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": match.route.route_key,
        "stage": STAGE,
        "time": request_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    event["stageVariables"] = None
    if request.body:
        if is_text_media_type(headers.get("content-type")):
            try:
                event["body"] = request.body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(request.body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def response_from_result(result: Any) -> HttpResponseData:
    """Turn a handler's return value into the HTTP response API Gateway would send.

    A dict with `statusCode` is a structured response; anything else is JSON with 200.
    """
    _check_payload_size(result)
    if not (isinstance(result, dict) and "statusCode" in result):
        body = json.dumps(result).encode()
        return HttpResponseData(200, [("content-type", "application/json")], body)
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError) as error:
        raise InvalidHandlerResponse(f"statusCode {result['statusCode']!r} is not a number") from (
            error
        )
    if not 100 <= status <= 599:
        raise InvalidHandlerResponse(f"statusCode {status} is out of range")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), _header_text(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), _header_text(value)) for value in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw_body = result.get("body")
    if raw_body is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(str(raw_body), validate=True)
        except binascii.Error as error:
            raise InvalidHandlerResponse("isBase64Encoded is true but body is not base64") from (
                error
            )
    else:
        payload = (raw_body if isinstance(raw_body, str) else json.dumps(raw_body)).encode()
    return HttpResponseData(status, headers, payload)


def error_response(status: int, message: str) -> HttpResponseData:
    """API Gateway's own error body, e.g. 404 `{"message":"Not Found"}`."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return HttpResponseData(status, [("content-type", "application/json")], body)


# ---------------------------------------------------------------------- helpers


def _joined_headers(request: HttpRequestData) -> tuple[dict[str, str], list[str]]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    client = request.source_ip
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded},{client}" if forwarded else client
    headers.setdefault("x-forwarded-port", str(request.port))
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-amzn-trace-id", _trace_id())
    return headers, cookies


def _joined_query(raw_query_string: str) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in parse_qsl(raw_query_string, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _trace_id() -> str:
    epoch = int(datetime.now(UTC).timestamp())
    return f"Root=1-{epoch:08x}-{secrets.token_hex(12)}"


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_payload_size(result: Any) -> None:
    try:
        size = len(json.dumps(result))
    except (TypeError, ValueError) as error:
        raise InvalidHandlerResponse(f"the result is not JSON-serialisable: {error}") from error
    if size > MAX_RESPONSE_BYTES:
        raise InvalidHandlerResponse(
            f"the response payload is {size} bytes; Lambda's limit for a synchronous "
            f"response is {MAX_RESPONSE_BYTES} (return a presigned S3 URL instead)"
        )


def header_pairs(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """ASGI header pairs as text (latin-1, as HTTP/1.1 defines header bytes)."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]

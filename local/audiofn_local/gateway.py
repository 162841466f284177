"""The local HTTP API: a Starlette app that turns requests into payload-2.0 events.

Routes, CORS and the functions behind them come from the template. The app is built from a
list of routes with the HttpApi catch-all last, so a Function URL streaming endpoint or a
websocket route can be added in front of it without touching the gateway.

Requests are handled concurrently. Each invocation runs in a worker process of the function
(`workers.ProcessFunctionPool`), never in a thread of this one: Powertools' event handler keeps
the event being resolved in a class attribute (`BaseRouter.current_event`) shared by every
resolver in a process, so two requests resolved at once in one process would read each
other's headers (and credentials). One event per process at a time is also what Lambda does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from audiofn_local.http_events import (
    MAX_REQUEST_BYTES,
    HttpRequestData,
    HttpResponseData,
    InvalidHandlerResponse,
    build_http_api_event,
    error_response,
    header_pairs,
    new_request_id,
    response_from_result,
)
from audiofn_local.logs import runtime_logger
from audiofn_local.routes import RouteTable
from audiofn_local.template_model import Template
from audiofn_local.workers import PoolClosed, WorkerDied

LOG = runtime_logger(__name__)
# Headers the HTTP server computes itself from the body it sends.
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection"}


class Invoker(Protocol):
    """What the gateway calls: `ProcessFunctionPool` (or `FunctionPool`, in tests)."""

    def invoke(self, event: Any) -> Any: ...


class HttpApiGateway:
    """An ASGI endpoint: route the request, invoke the function, answer like API Gateway.

    The blocking `invoke` runs on Starlette's thread pool and waits there for a free worker
    process, so requests beyond the pool size queue instead of failing (Lambda would throttle
    them with 429 once reserved concurrency is used up; the pool size is the local limit).
    """

    def __init__(self, routes: RouteTable, functions: Mapping[str, Invoker]):
        self.routes = routes
        self.functions = functions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = new_request_id()
        outcome, function_id = await self._answer(request, request_id)
        response = Response(content=outcome.body, status_code=outcome.status)
        response.raw_headers.extend(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in outcome.headers
            if name.lower() not in _HOP_BY_HOP
        )
        response.raw_headers.append((b"apigw-requestid", request_id.encode()))
        LOG.info(
            "%s %s -> %d (%s, %.0f ms)",
            request.method,
            request.url.path,
            outcome.status,
            function_id or "no route",
            (time.perf_counter() - started) * 1000,
        )
        return response

    async def _answer(self, request: Request, request_id: str) -> tuple[HttpResponseData, str]:
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
            return error_response(413, "Request Entity Too Large"), ""
        body = await request.body()
        if len(body) > MAX_REQUEST_BYTES:
            return error_response(413, "Request Entity Too Large"), ""
        data = _request_data(request, body)
        match = self.routes.match(data.method, data.raw_path)
        if match is None:
            return error_response(404, "Not Found"), ""
        function_id = match.route.function_id
        event = build_http_api_event(data, match, request_id=request_id)
        try:
            result = await run_in_threadpool(self.functions[function_id].invoke, event)
        except WorkerDied:  # logged by the pool; the next request gets a new worker
            return error_response(502, "Bad Gateway"), function_id
        except PoolClosed:
            return error_response(503, "Service Unavailable"), function_id
        except Exception:  # HandlerFailed or a failed cold start, logged by the pool
            return error_response(500, "Internal Server Error"), function_id
        try:
            return response_from_result(result), function_id
        except InvalidHandlerResponse as error:
            LOG.error("%s returned a response API Gateway rejects: %s", function_id, error)
            return error_response(500, "Internal Server Error"), function_id


def _request_data(request: Request, body: bytes) -> HttpRequestData:
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    client = request.client
    server = scope.get("server") or ("127.0.0.1", 80)
    return HttpRequestData(
        method=request.method,
        raw_path=raw_path.decode("utf-8", "replace"),
        raw_query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=header_pairs(scope.get("headers", [])),
        body=body,
        source_ip=client.host if client else "127.0.0.1",
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        scheme=scope.get("scheme", "http"),
        port=int(server[1] or 80),
    )


def cors_middleware(template: Template) -> list[Middleware]:
    """Starlette's CORS middleware set up from the HttpApi's `CorsConfiguration`.

    API Gateway answers preflight requests itself when CORS is configured, without calling
    the function; the middleware does the same.
    """
    configs = [api.cors for api in template.http_apis.values() if api.cors]
    if not configs:
        return []
    cors: Mapping[str, Any] = configs[0]
    if any(other != cors for other in configs[1:]):
        LOG.warning("HttpApis differ in CorsConfiguration; the local gateway uses the first")
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(cors.get("AllowOrigins", [])),
            allow_methods=list(cors.get("AllowMethods", ["*"])),
            allow_headers=list(cors.get("AllowHeaders", [])),
            expose_headers=list(cors.get("ExposeHeaders", [])),
            allow_credentials=bool(cors.get("AllowCredentials", False)),
            max_age=int(cors.get("MaxAge", 0)),
        )
    ]


def build_gateway_app(
    gateway: HttpApiGateway,
    middleware: Sequence[Middleware] = (),
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI app: `extra_routes` first (streaming, websockets), then every HttpApi route."""
    routes = [*extra_routes, Route("/{path:path}", endpoint=gateway)]
    return Starlette(
        routes=routes,
        middleware=list(middleware),
        # Paths no route pattern matches (one with a newline, say) get API Gateway's JSON 404.
        exception_handlers={404: _not_found},
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return Response('{"message":"Not Found"}', status_code=404, media_type="application/json")

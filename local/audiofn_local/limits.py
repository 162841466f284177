"""Request limits of the local gateway, standing in for API Gateway's: a body-size cap (HTTP
APIs refuse payloads over 10 MB with 413) and a per-key rate limit (429 with Retry-After).

The key is read the way authentication reads it (``x-api-key``, ``Authorization: Bearer`` or
``Token``, surrounding spaces ignored), so one key in four header forms is one bucket.
Requests without a key are limited per client address. In AWS the template's HttpApi
throttling bounds the whole API and the API function limits each organisation (see
:mod:`audiofn.services.quotas`). Both answer JSON like the API does.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass
class TokenBuckets:
    """`rate` requests a second per key, with bursts up to `burst`."""

    rate: float
    burst: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, now: float | None = None) -> float:
        """0 when allowed, else the seconds until a request would be."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


def _caller(scope: Scope) -> str:
    """The bucket a request counts against: its key (hashed: keys never sit in memory longer
    than needed), else its client address."""
    from audiofn.services.orgs import key_from_headers

    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope.get("headers") or []
    }
    key = key_from_headers(headers)
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


async def _json(send: Send, status: int, message: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + extra})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """ASGI middleware: 413 for bodies over `max_body_bytes`, 429 past a key's rate."""

    def __init__(
        self, app: ASGIApp, *, rate: float, burst: float, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate=rate, burst=burst) if rate > 0 else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _json(send, 413, f"request body is larger than {self.max_body_bytes} bytes", [])
            return
        if self.buckets is not None:
            wait = self.buckets.take(_caller(scope))
            if wait > 0:
                retry = str(max(1, math.ceil(wait))).encode()
                await _json(
                    send,
                    429,
                    "too many requests from this key (or, without a key, this address); "
                    "retry later",
                    [(b"retry-after", retry)],
                )
                return
        await self.app(scope, receive, send)

"""The local gateway's request limits: 413 for oversized bodies, 429 past a key's rate."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from audiofn_local.limits import RequestLimits, TokenBuckets


def app(rate: float, burst: float, max_body: int = 1000) -> TestClient:
    async def ok(request):
        return JSONResponse({"ok": True})

    starlette = Starlette(
        routes=[Route("/x", ok, methods=["GET", "POST"])],
        middleware=[Middleware(RequestLimits, rate=rate, burst=burst, max_body_bytes=max_body)],
    )
    return TestClient(starlette)


def test_a_key_past_its_burst_gets_429_with_retry_after_and_others_are_unaffected():
    client = app(rate=1, burst=3)
    answers = [client.get("/x", headers={"x-api-key": "a"}).status_code for _ in range(4)]
    limited = client.get("/x", headers={"x-api-key": "a"})
    other = client.get("/x", headers={"x-api-key": "b"})

    assert answers[:3] == [200, 200, 200]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "too many requests" in limited.json()["message"]
    assert other.status_code == 200


def test_a_body_over_the_cap_is_413_before_the_function_runs():
    client = app(rate=0, burst=0, max_body=1000)

    assert client.post("/x", content=b"x" * 1001).status_code == 413
    assert client.post("/x", content=b"x" * 1000).status_code == 200


def test_buckets_refill_at_the_rate():
    buckets = TokenBuckets(rate=2, burst=1)
    assert buckets.take("k", now=0.0) == 0
    assert buckets.take("k", now=0.1) > 0
    assert buckets.take("k", now=0.6) == 0

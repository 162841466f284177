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


def test_one_key_in_every_header_form_shares_one_bucket():
    # Given a burst of 4 and the same key sent as x-api-key, Bearer, Token and with a space
    client = app(rate=0.01, burst=4)
    key = "k" * 40
    forms = [
        {"x-api-key": key},
        {"authorization": f"Bearer {key}"},
        {"authorization": f"Token {key}"},
        {"x-api-key": f"{key} "},
    ]
    # When each form is used once, then once more
    answers = [client.get("/x", headers=headers).status_code for headers in forms]
    again = client.get("/x", headers={"authorization": f"bearer  {key}"})

    # Then the four count as one key and the fifth request is over its burst
    assert answers == [200, 200, 200, 200]
    assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1
    assert client.get("/x", headers={"x-api-key": "m" * 40}).status_code == 200


def test_requests_without_a_key_are_limited_per_client_address():
    client = app(rate=0.01, burst=2)

    answers = [client.get("/x").status_code for _ in range(3)]
    keyed = client.get("/x", headers={"x-api-key": "k" * 40})

    assert answers == [200, 200, 429]
    assert keyed.status_code == 200  # a key has its own bucket, not the address's

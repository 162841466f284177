"""What every router needs: the process's services and the caller's organisation."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn.config import api_settings
from audiofn.services.context import Services


@cache
def services() -> Services:
    return Services.from_settings(api_settings())


def org_id(router: Router) -> str:
    """Set by the authentication middleware before any protected route runs."""
    value = router.context.get("org_id")
    if not isinstance(value, str):
        raise RuntimeError("route reached without authentication")
    return value


def query(router: Router) -> dict[str, str]:
    return dict(router.current_event.query_string_parameters or {})


def request_base_url(router: Router) -> str:
    """The scheme and host the caller used (``https://abc.execute-api…``), for absolute URLs."""
    headers = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip() or "https"
    context = router.current_event.raw_event.get("requestContext") or {}
    host = headers.get("host") or str(context.get("domainName", ""))
    return f"{proto}://{host}"

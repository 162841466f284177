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

"""Function URLs in ``RESPONSE_STREAM`` mode, served locally in front of the HTTP API.

In AWS such a function runs a web app under the Lambda Web Adapter (an extension in its
container image, which starts uvicorn) and the adapter relays the app's response as it is
written. Locally
the same app is imported from the function's ``app.py`` (its ``app`` attribute, an ASGI app)
and each of its routes is mounted on the local origin ahead of the HttpApi catch-all, so a
streamed response reaches the client chunk by chunk. The app runs in the runtime's process.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from audiofn_local.handlers import HandlerLoadError, load_handler
from audiofn_local.template_model import FunctionSpec

APP_MODULE = "app"
APP_ATTRIBUTE = "app"


def is_streamed_url(spec: FunctionSpec) -> bool:
    return spec.url is not None and spec.url.invoke_mode.upper() == "RESPONSE_STREAM"


def load_url_app(spec: FunctionSpec, module_name: str) -> Any:
    """The function's ASGI app (``app.py``'s ``app``), imported once."""
    try:
        return load_handler(spec.code_dir, f"{APP_MODULE}.{APP_ATTRIBUTE}", module_name)
    except HandlerLoadError as error:
        raise HandlerLoadError(
            f"{spec.logical_id} streams through its Function URL: locally its code directory "
            f"must have {APP_MODULE}.py with an ASGI `{APP_ATTRIBUTE}` ({error})"
        ) from error


def url_routes(app: Any) -> list[BaseRoute]:
    """One local route per route of the app, each handing the request to the app whole."""
    routes: list[BaseRoute] = []
    for route in getattr(app, "routes", ()):
        path = getattr(route, "path", None)
        if path is None:
            continue
        methods = getattr(route, "methods", None)
        routes.append(Route(path, endpoint=app, methods=sorted(methods) if methods else None))
    return routes

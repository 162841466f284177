"""Match a request to the template's HttpApi routes with API Gateway's precedence.

A literal segment beats `{param}`, which beats a greedy `{proxy+}`; for the same path a
route with a method beats `ANY`; `$default` catches what nothing else matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from audiofn_local.intrinsics import TemplateError
from audiofn_local.template_model import DEFAULT_ROUTE, Template

_LITERAL, _PARAMETER, _GREEDY = 2, 1, 0


@dataclass(frozen=True)
class Route:
    method: str  # upper case or "ANY"
    path: str  # "/items/{id}", "/{proxy+}" or "$default"
    function_id: str
    api_id: str

    @property
    def route_key(self) -> str:
        """What API Gateway reports as `routeKey`: "GET /items/{id}" or "$default"."""
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _Segment:
    kind: int
    text: str  # the literal, or the parameter's name


def _compile(path: str) -> tuple[_Segment, ...]:
    if not path.startswith("/"):
        raise TemplateError(f"route path {path!r} must start with '/'")
    segments = []
    parts = path[1:].split("/") if path != "/" else []
    for position, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            if position != len(parts) - 1:
                raise TemplateError(f"route path {path!r}: a greedy variable must come last")
            segments.append(_Segment(_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append(_Segment(_PARAMETER, part[1:-1]))
        else:
            segments.append(_Segment(_LITERAL, part))
    return tuple(segments)


class RouteTable:
    """All routes of the template's HTTP APIs, served from one local origin."""

    def __init__(self, routes: Iterable[Route]):
        self.routes = list(routes)
        self._default: Route | None = None
        self._compiled: list[tuple[Route, tuple[_Segment, ...]]] = []
        seen: dict[tuple[str, str], Route] = {}
        for route in self.routes:
            key = (route.method, route.path)
            if key in seen:
                raise TemplateError(
                    f"route {route.route_key} is claimed by {seen[key].function_id} and "
                    f"{route.function_id}; locally every HttpApi shares one origin"
                )
            seen[key] = route
            if route.path == DEFAULT_ROUTE:
                self._default = route
            else:
                self._compiled.append((route, _compile(route.path)))

    @classmethod
    def from_template(cls, template: Template) -> RouteTable:
        return cls(
            Route(event.method, event.path, function.logical_id, event.api_id)
            for function in template.functions.values()
            for event in function.http_events
        )

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The best route for a request (path as sent, percent-encoded), or None (404)."""
        parts = raw_path[1:].split("/") if raw_path not in {"", "/"} else []
        best: tuple[tuple[int, ...], RouteMatch] | None = None
        for route, segments in self._compiled:
            if route.method not in {"ANY", method.upper()}:
                continue
            parameters = _match_segments(segments, parts)
            if parameters is None:
                continue
            rank = (*(segment.kind for segment in segments), route.method != "ANY")
            # Longer literal prefixes and fewer greedy captures rank higher.
            if best is None or rank > best[0]:
                best = (rank, RouteMatch(route, parameters))
        if best is not None:
            return best[1]
        if self._default is not None:
            return RouteMatch(self._default, {})
        return None


def _match_segments(segments: tuple[_Segment, ...], parts: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for position, segment in enumerate(segments):
        if segment.kind == _GREEDY:
            rest = "/".join(parts[position:])
            if not rest:
                return None  # {proxy+} needs at least one character
            parameters[segment.text] = unquote(rest)
            return parameters
        if position >= len(parts):
            return None
        part = parts[position]
        if segment.kind == _LITERAL:
            if unquote(part) != segment.text:
                return None
        else:
            if not part:
                return None
            parameters[segment.text] = unquote(part)
    return parameters if len(parts) == len(segments) else None

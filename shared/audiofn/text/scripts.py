"""Scripts: named sections and `{{name|default}}` placeholders, parsed once, rendered per listener.

Syntax (api.audio's): `<<sectionName::intro>> Hello {{name|friend}}`. Text before the first
section marker belongs to a section called `default`; a script without markers is one section.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from audiofn.errors import InvalidInput
from audiofn.naming import check_name

MAX_SCRIPT_CHARS = 50_000
MAX_PLACEHOLDER_VALUE_CHARS = 1_000
MAX_SECTIONS = 100
"""Sections one script may have: each is synthesised once per listener."""
DEFAULT_SECTION = "default"

_MARKER = re.compile(r"<<\s*(\w+)\s*::\s*([^<>]*?)\s*>>")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*(?:\|([^{}]*))?\}\}")
_SUPPORTED_MARKERS = {"sectionName"}


@dataclass(frozen=True)
class Placeholder:
    name: str
    default: str | None


@dataclass(frozen=True)
class Section:
    name: str
    text: str
    placeholders: tuple[Placeholder, ...]

    def render(self, values: Mapping[str, str], *, field: str = "audience") -> str:
        """Fill placeholders; a missing value falls back to the default, else it is an error."""

        from audiofn.text.ssml import escape_text  # imported on use: xml modules are slow to load

        def fill(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = values.get(name)
            if value is None or value == "":
                if default is None:
                    raise InvalidInput(
                        f"{field} has no value for placeholder '{name}' (section '{self.name}'), "
                        "and the script gives it no default",
                        field=f"{field}.{name}",
                    )
                return default.strip()
            # Listener data is text, never markup: it cannot add SSML tags to the script.
            return escape_text(value)

        return _squash_spaces(_PLACEHOLDER.sub(fill, self.text))


@dataclass(frozen=True)
class ParsedScript:
    sections: tuple[Section, ...]

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        """Each placeholder once, in order of first use, with its first declared default."""
        seen: dict[str, Placeholder] = {}
        for section in self.sections:
            for placeholder in section.placeholders:
                known = seen.get(placeholder.name)
                if known is None or (known.default is None and placeholder.default is not None):
                    seen[placeholder.name] = placeholder
        return tuple(seen.values())

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(section.name for section in self.sections)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)


def parse_script(text: str, *, field: str = "scriptText") -> ParsedScript:
    """Split a script into sections and find its placeholders, or raise InvalidInput."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"{field} is empty", field=field)
    if len(text) > MAX_SCRIPT_CHARS:
        raise InvalidInput(
            f"{field} has {len(text)} characters; the limit is {MAX_SCRIPT_CHARS}", field=field
        )
    if "\x00" in text:
        raise InvalidInput(f"{field} contains a NUL character", field=field)

    markers = list(_MARKER.finditer(text))
    if len(markers) > MAX_SECTIONS:
        raise InvalidInput(
            f"{field} has {len(markers)} sections; the limit is {MAX_SECTIONS}", field=field
        )
    _reject_stray_delimiters(text, markers, field)

    chunks: list[tuple[str, str]] = []
    lead = text[: markers[0].start()] if markers else text
    if lead.strip():
        chunks.append((DEFAULT_SECTION, lead))
    for index, marker in enumerate(markers):
        kind, name = marker.group(1), marker.group(2)
        if kind not in _SUPPORTED_MARKERS:
            raise InvalidInput(
                f"{field}: unknown marker '<<{kind}::…>>' at position {marker.start()}; "
                "supported: <<sectionName::name>>",
                field=field,
            )
        try:
            check_name(name, "section name")
        except InvalidInput as error:
            raise InvalidInput(f"{field}: {error.message} ('{name}')", field=field) from error
        end = markers[index + 1].start() if index + 1 < len(markers) else len(text)
        chunks.append((name, text[marker.end() : end]))

    sections: list[Section] = []
    seen: set[str] = set()
    for name, raw_body in chunks:
        if name in seen:
            raise InvalidInput(f"{field}: section '{name}' appears more than once", field=field)
        seen.add(name)
        body = raw_body.strip()
        if not body:
            raise InvalidInput(f"{field}: section '{name}' has no text", field=field)
        placeholders = tuple(
            Placeholder(m.group(1), m.group(2).strip() if m.group(2) is not None else None)
            for m in _PLACEHOLDER.finditer(body)
        )
        sections.append(Section(name=name, text=body, placeholders=placeholders))
    return ParsedScript(sections=tuple(sections))


def check_audience_values(values: Mapping[str, object], *, field: str) -> dict[str, str]:
    """Listener values are short strings; numbers are accepted and rendered as written."""
    checked: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][\w-]*", key):
            raise InvalidInput(f"{field}: '{key}' is not a valid placeholder name", field=field)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(f"{field}.{key} must be a string", field=f"{field}.{key}")
        text = str(value)
        if len(text) > MAX_PLACEHOLDER_VALUE_CHARS:
            raise InvalidInput(
                f"{field}.{key} is longer than {MAX_PLACEHOLDER_VALUE_CHARS} characters",
                field=f"{field}.{key}",
            )
        # Values are spoken, never parsed: remove the script's own delimiters from them.
        checked[key] = re.sub(r"<<|>>|\{\{|\}\}|[\x00-\x1f]", " ", text).strip()
    return checked


def _reject_stray_delimiters(text: str, markers: list[re.Match[str]], field: str) -> None:
    """Anything that looks like a marker or placeholder but is not well-formed is an error."""
    masked = list(text)
    for marker in markers:
        masked[marker.start() : marker.end()] = " " * (marker.end() - marker.start())
    for placeholder in _PLACEHOLDER.finditer(text):
        masked[placeholder.start() : placeholder.end()] = " " * (
            placeholder.end() - placeholder.start()
        )
    rest = "".join(masked)
    for token, what in (
        ("<<", "an unclosed or malformed section marker"),
        (">>", "a '>>' without a matching '<<sectionName::'"),
        ("{{", "an unclosed or malformed placeholder"),
        ("}}", "a '}}' without a matching '{{'"),
    ):
        position = rest.find(token)
        if position >= 0:
            snippet = text[position : position + 30].replace("\n", " ")
            raise InvalidInput(
                f"{field} has {what} at position {position}: '{snippet}'", field=field
            )


def _squash_spaces(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip()

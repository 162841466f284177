"""What a file dropped into the inbox means: its kind, its settings and its script text.

Pure functions over bytes and keys, so every rule is tested without S3. Layout of the inbox
bucket, per organisation:

  orgs/<org>/inbox/<path>/<name>.txt|.md|.ssml     a text to render
  orgs/<org>/inbox/<path>/<name>.json              its settings (optional sidecar; upload it first)
  orgs/<org>/inbox/<path>/<name>.<ext>.error.json  why a file could not be used (written here)
  orgs/<org>/outbox/<path>/<name>/                 the outputs and status.json
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from audiofn.errors import InvalidInput
from audiofn.models.apiaudio import MAX_AUDIENCE, SPEED_MAX, SPEED_MIN, UniversalAdId

TEXT_EXTENSIONS = (".txt", ".md", ".markdown", ".ssml")
AUDIENCE_EXTENSIONS = (".csv", ".jsonl")
SIDECAR_EXTENSION = ".json"
# Objects the service writes into the inbox itself; never treated as input.
OWN_SUFFIXES = (".error.json", ".status.json")

FileKind = Literal["text", "audience", "sidecar", "own", "unknown"]


@dataclass(frozen=True)
class InboxKey:
    """An inbox object key taken apart: `orgs/<org>/inbox/<relative>`."""

    org_id: str
    relative: str  # path below inbox/, with extension

    @property
    def stem(self) -> str:
        """The relative path without its extension ("news/monday" for "news/monday.txt")."""
        name = self.relative.rsplit("/", 1)[-1]
        folder = self.relative[: len(self.relative) - len(name)]
        return folder + (name.rsplit(".", 1)[0] if "." in name else name)

    @property
    def name(self) -> str:
        return self.stem.rsplit("/", 1)[-1]

    @property
    def extension(self) -> str:
        name = self.relative.rsplit("/", 1)[-1].lower()
        return "." + name.rsplit(".", 1)[-1] if "." in name else ""

    @property
    def key(self) -> str:
        return f"orgs/{self.org_id}/inbox/{self.relative}"

    @property
    def sidecar_key(self) -> str:
        return f"orgs/{self.org_id}/inbox/{self.stem}{SIDECAR_EXTENSION}"

    @property
    def error_key(self) -> str:
        return f"{self.key}.error.json"

    @property
    def outbox_prefix(self) -> str:
        return f"orgs/{self.org_id}/outbox/{self.stem}/"

    @property
    def status_key(self) -> str:
        return self.outbox_prefix + "status.json"


def inbox_prefix(org_id: str) -> str:
    return f"orgs/{org_id}/inbox/"


def outbox_prefix(org_id: str) -> str:
    return f"orgs/{org_id}/outbox/"


def parse_key(key: str) -> InboxKey | None:
    """None for keys outside any organisation's inbox (outbox objects, stray uploads)."""
    match = re.fullmatch(r"orgs/([A-Za-z0-9_-]+)/inbox/(.+)", key)
    if not match or match.group(2).endswith("/"):
        return None
    return InboxKey(org_id=match.group(1), relative=match.group(2))


def classify(key: InboxKey) -> FileKind:
    lowered = key.relative.lower()
    if lowered.endswith(OWN_SUFFIXES):
        return "own"
    if key.extension in TEXT_EXTENSIONS:
        return "text"
    if key.extension in AUDIENCE_EXTENSIONS:
        return "audience"
    if key.extension == SIDECAR_EXTENSION:
        return "sidecar"
    return "unknown"


class InboxOptions(BaseModel):
    """Settings of one inbox file: the organisation's defaults, then the sidecar, then the
    front matter, each overriding the one before."""

    model_config = ConfigDict(extra="forbid")

    voice: str | None = None
    speed: float | None = Field(None, ge=SPEED_MIN, le=SPEED_MAX)
    effect: str | None = None
    silence_padding: int | None = Field(None, ge=0)
    soundTemplate: str | None = None
    backgroundTrackId: str | None = None
    masteringPreset: str | None = None
    endFormat: str | list[str] | None = None
    deliverySpecs: list[str] | None = None
    public: bool | None = None
    vast: bool | None = None
    universalAdId: UniversalAdId | None = None
    captions: bool | None = None
    normalize: bool | None = None
    audience: list[dict[str, Any]] | None = Field(None, max_length=MAX_AUDIENCE)
    scriptName: str | None = None
    projectName: str | None = None

    @field_validator("endFormat", mode="before")
    @classmethod
    def _split_formats(cls, value: object) -> object:
        # Front matter writes "endFormat: mp3, wav"; the API's list form works too.
        if isinstance(value, str) and "," in value:
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("deliverySpecs", mode="before")
    @classmethod
    def _split_specs(cls, value: object) -> object:
        # "deliverySpecs: Apple Podcasts, EBU R128" in front matter; a list in a sidecar.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def merged(self, override: InboxOptions) -> InboxOptions:
        return self.model_copy(update=override.model_dump(exclude_none=True))


def read_options(values: dict[str, Any], source: str) -> InboxOptions:
    """Validate settings; the error names the source and the field."""
    try:
        return InboxOptions.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise InvalidInput(f"{source}: {where}: {first['msg']}", field=where) from exc


def check_text_bytes(data: bytes, max_bytes: int) -> str:
    """The file's text, or InvalidInput saying why it cannot be used."""
    if len(data) > max_bytes:
        raise InvalidInput(
            f"file is too large: {len(data)} bytes, the limit is {max_bytes}", field="file"
        )
    if b"\x00" in data[:8192]:
        raise InvalidInput("file is binary (it contains NUL bytes), not text", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"file is not UTF-8: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}",
            field="file",
        ) from exc
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise InvalidInput("file looks binary: too many control characters", field="file")
    if not text.strip():
        raise InvalidInput("file is empty", field="file")
    return text


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """`---` / `key: value` lines / `---` at the very top. Values are JSON when they parse as
    JSON (numbers, true/false, lists, objects), else text."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    values: dict[str, Any] = {}
    for number, line in enumerate(match.group(1).splitlines(), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, colon, raw = line.partition(":")
        if not colon or not name.strip():
            raise InvalidInput(
                f"front matter line {number}: expected 'name: value', got {line.strip()!r}",
                field="frontMatter",
            )
        raw = raw.strip()
        try:
            values[name.strip()] = json.loads(raw) if raw else ""
        except json.JSONDecodeError:
            values[name.strip()] = raw.strip("'\"") if raw[:1] in "'\"" else raw
    return values, text[match.end() :]


def read_sidecar(data: bytes) -> dict[str, Any]:
    try:
        values = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"sidecar is not valid JSON: {exc}", field="sidecar") from exc
    if not isinstance(values, dict):
        raise InvalidInput("sidecar must be a JSON object of settings", field="sidecar")
    return values


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SECTION_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def markdown_to_script(text: str) -> str:
    """Headings start sections (named after the heading); emphasis, links, code marks,
    list bullets and images are reduced to the words a listener should hear."""
    lines: list[str] = []
    used: set[str] = set()
    for raw in text.splitlines():
        heading = _HEADING.match(raw)
        if heading:
            base = _SECTION_NAME.sub("_", heading.group(2)).strip("_").lower()[:40] or "section"
            name, n = base, 2
            while name in used:
                name, n = f"{base}_{n}", n + 1
            used.add(name)
            lines.append(f"<<sectionName::{name}>>")
            continue
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", raw)  # images are not heard
        line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)  # links keep their text
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)  # list markers
        line = re.sub(r"^\s*>\s?", "", line)  # quotes
        line = re.sub(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
        line = line.replace("`", "")
        if re.fullmatch(r"\s*(?:-{3,}|\*{3,}|_{3,})\s*", line):
            line = ""
        lines.append(line)
    script = "\n".join(lines).strip()
    if not script.startswith("<<sectionName::") and used:
        script = "<<sectionName::intro>>\n" + script
    return script


def script_text_for(key: InboxKey, body: str) -> str:
    if key.extension in (".md", ".markdown"):
        return markdown_to_script(body)
    if key.extension == ".ssml":
        from audiofn.text.ssml import parse_ssml

        parse_ssml(body.strip(), field="file")  # refuse malformed SSML before any work
        return body.strip()
    return body.strip()

"""Speech jobs: plan one task per section x listener, enqueue, wait, and report the files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.apiaudio import SPEECH_EFFECTS, CreateSpeechRequest, SectionOverride
from audiofn.models.messages import SpeechTask
from audiofn.models.records import JobRecord
from audiofn.naming import new_id, short_hash, slug
from audiofn.services.context import Services
from audiofn.services.jobs import latest_job, raise_if_unfinished, start_job
from audiofn.services.quotas import admit_job
from audiofn.services.scripts import get_script
from audiofn.services.work_limits import (
    SpokenEstimate,
    break_ms,
    check_speech_files,
    check_spoken_seconds,
)
from audiofn.storage.media import org_prefix
from audiofn.text.scripts import check_audience_values, parse_script
from audiofn.tts.catalogue import UnknownVoice

DEFAULT_VOICE = "Joanna"  # the protocol's documented default; see the README for how it resolves
DEFAULT_SPEED = 100.0
SPEECH_FORMAT = "wav"

# Query keys of a speech GET that are not listener parameters (the 0.17.1 SDK polls create
# by repeating the create body as a query string).
_NON_PARAMETER_KEYS = {
    "scriptId",
    "section",
    "version",
    "public",
    "vast",
    "endFormat",
    "requestId",
    "voice",
    "speed",
    "effect",
    "silence_padding",
    "audience",
    "sections",
    "voiceName",
    "scriptSpeed",
    "normalize",
}


class ManifestEntry(BaseModel):
    key: str
    section: str
    parameters: dict[str, str]
    s3_key: str
    text: str = ""  # as rendered for this listener: captions show these words
    voice: str = ""  # the resolved voice id: the master's content credentials name it


@dataclass(frozen=True)
class _Settings:
    voice: str
    speed: float
    effect: str | None
    padding_ms: int


def create_speech(
    services: Services, org_id: str, request: CreateSpeechRequest, *, queued: bool = False
) -> JobRecord:
    """Validate everything up front, then enqueue one task per section x listener. ``queued``
    work (an inbox file) waits its turn in its queue: it holds no running-job slot."""
    script = get_script(services, org_id, request.scriptId)
    parsed = parse_script(script.script_text)
    base = _Settings(
        voice=request.voice or request.voiceName or DEFAULT_VOICE,
        speed=request.speed or request.scriptSpeed or DEFAULT_SPEED,
        effect=request.effect,
        padding_ms=request.silence_padding or 0,
    )
    overrides = request.sections or {}
    unknown = sorted(set(overrides) - set(parsed.section_names))
    if unknown:
        raise InvalidInput(
            f"sections: '{unknown[0]}' is not a section of this script "
            f"(sections: {', '.join(parsed.section_names)})",
            field=f"sections.{unknown[0]}",
        )
    per_section = {
        name: _merge(base, overrides.get(name), f"sections.{name}" if name in overrides else "")
        for name in parsed.section_names
    }
    resolved_voices: dict[str, str] = {}
    for name, settings in per_section.items():
        field = f"sections.{name}.voice" if name in overrides and overrides[name].voice else "voice"
        resolved_voices[name] = _resolve_voice(services, org_id, settings.voice, field)

    placeholder_names = {p.name for p in parsed.placeholders}
    listeners = _listeners(request.audience, placeholder_names)
    limit_field = "audience" if request.audience else "scriptId"
    check_speech_files(len(parsed.sections), len(listeners), field=limit_field)
    breaks = {section.name: break_ms(section.text) for section in parsed.sections}
    estimate = SpokenEstimate()
    job_id = new_id()
    prefix = f"{org_prefix(org_id)}speech/{script.script_id}/{job_id}/"
    tasks: list[SpeechTask] = []
    manifest: list[ManifestEntry] = []
    for listener_index, values in enumerate(listeners):
        for section in parsed.sections:
            field = f"audience[{listener_index}]" if request.audience else "audience"
            text = section.render(values, field=field)
            used = {k: v for k, v in values.items() if k in placeholder_names}
            file_name = _file_name(section.name, used)
            settings = per_section[section.name]
            estimate.add(
                text,
                speed=settings.speed / 100.0,
                break_ms=breaks[section.name],
                padding_ms=settings.padding_ms,
            )
            tasks.append(
                SpeechTask(
                    org_id=org_id,
                    job_id=job_id,
                    script_id=script.script_id,
                    task_index=len(tasks),
                    section=section.name,
                    text=text,
                    voice=resolved_voices[section.name],
                    speed=settings.speed / 100.0,
                    effect=settings.effect,
                    silence_padding_ms=settings.padding_ms,
                    normalize=request.normalize,
                    output_key=prefix + file_name,
                )
            )
            manifest.append(
                ManifestEntry(
                    key=_retrieve_key(section.name, used),
                    section=section.name,
                    parameters=used,
                    s3_key=prefix + file_name,
                    text=text,
                    voice=resolved_voices[section.name],
                )
            )
    check_spoken_seconds(estimate, field=limit_field)
    characters = sum(len(task.text) for task in tasks)
    admit_job(services, org_id, job_id, characters=characters, hold_slot=not queued)

    return start_job(
        services,
        kind="speech",
        job_id=job_id,
        org_id=org_id,
        script_id=script.script_id,
        prefix=prefix,
        manifest=manifest,
        tasks=tasks,
    )


def retrieve_speech(
    services: Services, org_id: str, script_id: str, query: dict[str, str]
) -> dict[str, str]:
    """The section -> presigned URL map of the script's latest speech, filtered by the query."""
    script = get_script(services, org_id, script_id)
    job = latest_job(services, org_id, script, "speech")
    raise_if_unfinished(job)
    section = query.get("section")
    wanted = {
        key: value
        for key, value in query.items()
        if key not in _NON_PARAMETER_KEYS and key in script.placeholder_defaults
    }
    entries = [
        ManifestEntry.model_validate(item) for item in services.media.get_json(job.manifest_key)
    ]
    if section is not None and section not in {e.section for e in entries}:
        raise NotFound(f"section '{section}' not found in script '{script_id}'", field="section")
    selected = [
        entry
        for entry in entries
        if (section is None or entry.section == section)
        and all(entry.parameters.get(k) == v for k, v in wanted.items())
    ]
    if not selected:
        raise NotFound("no speech file matches these parameters", field="parameters")
    return {entry.key: services.media.presigned_get(entry.s3_key) for entry in selected}


def _merge(base: _Settings, override: SectionOverride | None, field: str) -> _Settings:
    merged = base
    if override is not None:
        merged = _Settings(
            voice=override.voice or base.voice,
            speed=override.speed or base.speed,
            effect=override.effect if override.effect is not None else base.effect,
            padding_ms=(
                override.silence_padding
                if override.silence_padding is not None
                else base.padding_ms
            ),
        )
    if merged.effect is not None and merged.effect not in SPEECH_EFFECTS:
        name = f"{field}.effect" if field and override and override.effect else "effect"
        raise InvalidInput(
            f"{name}: unknown effect '{merged.effect}'; choose one of: {', '.join(SPEECH_EFFECTS)}",
            field=name,
        )
    return merged


def _resolve_voice(services: Services, org_id: str, name: str, field: str) -> str:
    from audiofn.services.voices import resolve_speech_voice  # custom voices too

    try:
        return resolve_speech_voice(services, org_id, name).id
    except UnknownVoice as exc:
        raise InvalidInput(f"{field}: {exc}", field=field) from exc


def _listeners(
    audience: list[dict[str, Any]] | None, placeholders: set[str]
) -> list[dict[str, str]]:
    if not audience:
        return [{}]
    listeners: list[dict[str, str]] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for index, member in enumerate(audience):
        values = check_audience_values(member, field=f"audience[{index}]")
        identity = tuple(sorted((k, v) for k, v in values.items() if k in placeholders))
        if identity not in seen:  # the same listener twice renders the same files once
            seen.add(identity)
            listeners.append(values)
    return listeners


def _retrieve_key(section: str, parameters: dict[str, str]) -> str:
    if not parameters:
        return section
    return section + "".join(f"|{k}={v}" for k, v in sorted(parameters.items()))


def _file_name(section: str, parameters: dict[str, str]) -> str:
    """Readable, URL-safe and unique: the SDK names downloaded files after the URL's last part."""
    name = slug(section)
    if name != section:
        name += "-" + short_hash(section, length=6)
    if parameters:
        values = "-".join(slug(v, 20) for _, v in sorted(parameters.items()))
        name += f"__{values}-" + short_hash(*(f"{k}={v}" for k, v in sorted(parameters.items())))
    return f"{name}.{SPEECH_FORMAT}"

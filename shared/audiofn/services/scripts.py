"""Scripts: create, read, list, delete, and the project/module/name directory."""

from __future__ import annotations

import random
from collections.abc import Iterator

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.apiaudio import CreateScriptRequest
from audiofn.models.records import ScriptRecord, SectionRecord
from audiofn.naming import check_name, new_id
from audiofn.random_texts import CATEGORIES, DEFAULT_CATEGORY
from audiofn.scripts import ParsedScript, parse_script
from audiofn.services.context import Services
from audiofn.storage.media import org_prefix


def create_script(services: Services, org_id: str, request: CreateScriptRequest) -> ScriptRecord:
    names = {
        "projectName": check_name(request.projectName, "projectName"),
        "moduleName": check_name(request.moduleName, "moduleName"),
        "scriptName": check_name(request.scriptName, "scriptName"),
    }
    script_id = new_id()
    if request.scriptId is not None:
        missing = sorted(set(names) - request.model_fields_set)
        if missing:
            raise InvalidInput(
                f"a custom scriptId requires {', '.join(missing)} as well", field=missing[0]
            )
        script_id = check_name(request.scriptId, "scriptId")
    parsed = parse_script(request.scriptText)
    _check_markup(parsed)
    record = ScriptRecord(
        script_id=script_id,
        org_id=org_id,
        project_name=names["projectName"],
        module_name=names["moduleName"],
        script_name=names["scriptName"],
        script_text=request.scriptText,
        sections=[
            SectionRecord(
                name=s.name,
                text=s.text,
                placeholders=list(dict.fromkeys(p.name for p in s.placeholders)),
            )
            for s in parsed.sections
        ],
        placeholder_defaults={p.name: p.default for p in parsed.placeholders},
    )
    services.table.put_script(record)
    return record


def _check_markup(parsed: ParsedScript) -> None:
    """Malformed SSML is a 400 now, naming the section, tag and position, not a failed job later."""
    from audiofn.ssml import SSMLError, parse_ssml

    for section in parsed.sections:
        try:
            parse_ssml(section.text, field="scriptText")
        except SSMLError as error:
            raise InvalidInput(
                f"section '{section.name}': {error.message}", field="scriptText"
            ) from error


def get_script(services: Services, org_id: str, script_id: str) -> ScriptRecord:
    script = services.table.get_script(org_id, script_id)
    if script is None:
        raise NotFound(f"script '{script_id}' not found", field="scriptId")
    return script


def list_scripts(
    services: Services,
    org_id: str,
    *,
    project_name: str | None = None,
    module_name: str | None = None,
    script_name: str | None = None,
) -> list[ScriptRecord]:
    wanted = {"project_name": project_name, "module_name": module_name, "script_name": script_name}
    return sorted(
        (
            script
            for script in services.table.list_scripts(org_id)
            if all(
                value is None or getattr(script, attr) == value for attr, value in wanted.items()
            )
        ),
        key=lambda s: s.created_at,
    )


def delete_script(services: Services, org_id: str, script_id: str) -> None:
    """Delete the script and everything rendered from it."""
    from audiofn.services.masters import delete_masters

    get_script(services, org_id, script_id)
    delete_masters(services, org_id, script_id)
    services.media.delete_prefix(f"{org_prefix(org_id)}speech/{script_id}/")
    services.table.delete_script(org_id, script_id)


def delete_scripts(
    services: Services,
    org_id: str,
    project_name: str,
    module_name: str | None,
    script_name: str | None,
) -> int:
    doomed = list_scripts(
        services,
        org_id,
        project_name=project_name,
        module_name=module_name,
        script_name=script_name,
    )
    for script in doomed:
        delete_script(services, org_id, script.script_id)
    return len(doomed)


def _distinct(values: Iterator[str]) -> list[str]:
    return sorted(set(values))


def list_projects(services: Services, org_id: str) -> list[str]:
    return _distinct(s.project_name for s in services.table.list_scripts(org_id))


def list_modules(services: Services, org_id: str, project_name: str | None) -> list[str]:
    return _distinct(
        s.module_name
        for s in services.table.list_scripts(org_id)
        if project_name is None or s.project_name == project_name
    )


def list_script_names(
    services: Services, org_id: str, project_name: str | None, module_name: str | None
) -> list[str]:
    return _distinct(
        s.script_name
        for s in services.table.list_scripts(org_id)
        if (project_name is None or s.project_name == project_name)
        and (module_name is None or s.module_name == module_name)
    )


def random_text(category: str | None) -> dict[str, str]:
    chosen = category or DEFAULT_CATEGORY
    texts = CATEGORIES.get(chosen)
    if texts is None:
        raise InvalidInput(
            f"unknown category '{chosen}'; choose one of: {', '.join(CATEGORIES)}",
            field="category",
        )
    return {"category": chosen, "text": random.choice(texts)}  # noqa: S311 - not security


def preview_script(
    services: Services, org_id: str, script_id: str, voice_name: str | None, *, normalize: bool
) -> dict[str, object]:
    """The text as the voice will speak it (dictionaries and normalisation applied), and the
    words its lexicon does not know."""
    from audiofn.lexicon import Lexicon
    from audiofn.services.dictionaries import org_lexicon
    from audiofn.tts.catalogue import DEFAULT_VOICE_ID, UnknownVoice, resolve_voice
    from audiofn.tts.ssml_render import preview_text, words_not_in_dict

    script = get_script(services, org_id, script_id)
    try:
        voice = resolve_voice(
            voice_name or DEFAULT_VOICE_ID,
            polly_enabled=services.settings.polly_enabled,
            upstream_enabled=bool(services.settings.upstream_tts_url),
        )
    except UnknownVoice as exc:
        raise InvalidInput(str(exc), field="voice") from exc
    entries = org_lexicon(services, org_id)
    lexicon = Lexicon(entries) if entries else None
    texts, unknown = [], []
    for section in script.sections:
        texts.append(
            preview_text(
                section.text, voice, normalize=normalize, lexicon=lexicon, field="scriptText"
            )
        )
        unknown += words_not_in_dict(
            section.text, voice, normalize=normalize, lexicon=lexicon, field="scriptText"
        )
    return {
        "scriptId": script.script_id,
        "voice": voice.id,
        "scriptText": "\n".join(texts),
        "wordsNotInDict": list(dict.fromkeys(unknown)),
    }

"""Sound projects (api.audio `Sound.create`): the script's speech, the template's stems and a
project JSON describing how they fit, zipped. Assembled from stored files, no audio work."""

from __future__ import annotations

import io
import json
import zipfile

from audiofn.errors import Conflict, NotFound
from audiofn.services.context import Services
from audiofn.services.jobs import raise_if_unfinished, speech_of
from audiofn.services.scripts import get_script
from audiofn.services.sound_library import check_template, template_prefix
from audiofn.services.speech import ManifestEntry
from audiofn.storage.media import org_prefix


def project_key(org_id: str, script_id: str) -> str:
    return f"{org_prefix(org_id)}sound/{script_id}/sound-project.zip"


def create_sound_project(services: Services, org_id: str, script_id: str, template: str) -> str:
    name = check_template(template, "backgroundTrackId")
    script = get_script(services, org_id, script_id)
    speech = speech_of(services, org_id, script)
    raise_if_unfinished(speech)
    media = services.media
    stems_prefix = template_prefix(name)
    if not media.exists(f"{stems_prefix}manifest.json"):
        raise Conflict(
            "the sound library is still being prepared; try again in a minute",
            field="backgroundTrackId",
        )
    stems = media.get_json(f"{stems_prefix}manifest.json")
    parts = ["intro", *(f"bar{i + 1}" for i in range(int(stems["bars"]))), "outro"]
    entries = [ManifestEntry.model_validate(e) for e in media.get_json(speech.manifest_key)]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            archive.writestr(
                f"speech/{entry.s3_key.rsplit('/', 1)[-1]}", media.get_bytes(entry.s3_key)
            )
        for part in parts:
            archive.writestr(f"bed/{part}.flac", media.get_bytes(f"{stems_prefix}{part}.flac"))
        project = {
            "scriptId": script.script_id,
            "soundTemplate": name,
            "sections": [s.name for s in script.sections],
            "speech": [
                {
                    "section": e.section,
                    "parameters": e.parameters,
                    "file": f"speech/{e.s3_key.rsplit('/', 1)[-1]}",
                    "text": e.text,
                }
                for e in entries
            ],
            "bed": {
                "files": [f"bed/{p}.flac" for p in parts],
                **stems,
                "howToLoop": "intro, then bars in order (repeat), then outro; each clip's "
                "tail overlaps the next clip's start",
            },
        }
        archive.writestr("project.json", json.dumps(project, indent=2))
    key = project_key(org_id, script_id)
    media.put_bytes(key, buffer.getvalue(), "application/zip")
    return media.presigned_get(key)


def retrieve_sound_project(services: Services, org_id: str, script_id: str) -> str:
    get_script(services, org_id, script_id)
    key = project_key(org_id, script_id)
    if not services.media.exists(key):
        raise NotFound(
            "no sound project for this script: create one with POST /sound", field="scriptId"
        )
    return services.media.presigned_get(key)

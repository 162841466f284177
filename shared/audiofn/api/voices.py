"""The voice-management protocol (/api/v1/voice/...): voices, custom voices from samples,
previews, collections, generation jobs and usage analytics. Routing and parsing only."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from audiofn.api.deps import org_id, query, request_base_url, services
from audiofn.api.errors import json_response
from audiofn.api.forms import UnreadableForm, read_multipart
from audiofn.config import api_settings
from audiofn.errors import InvalidInput
from audiofn.models.voices import (
    AddCollectionVoicesRequest,
    BatchPreviewRequest,
    CreateCollectionRequest,
    UpdateVoiceRequest,
)
from audiofn.services import voices

router = Router()
PREFIX = "/api/v1/voice"


# ------------------------------------------------------------------ form bodies


class FormData:
    """Fields and files of a multipart/form-data or urlencoded body."""

    def __init__(self, fields: dict[str, list[str]], files: dict[str, list[voices.UploadedSample]]):
        self.fields = fields
        self.files = files

    def text(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[-1] if values else default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.text(name, "").strip().lower()
        if not value:
            return default
        if value in {"true", "1", "yes", "on"}:
            return True
        if value in {"false", "0", "no", "off"}:
            return False
        raise InvalidInput(f"{name} must be true or false, not '{value}'", field=name)

    def number(self, name: str, default: float) -> float:
        value = self.text(name, "").strip()
        if not value:
            return default
        try:
            return float(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a number, not '{value}'", field=name) from None


def _raw_body() -> bytes:
    event = router.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        return base64.b64decode(body)
    return body.encode("utf-8")


def read_form() -> FormData:
    headers = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}
    content_type = headers.get("content-type", "")
    body = _raw_body()
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields: dict[str, list[str]] = {}
        for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            fields.setdefault(key, []).append(value)
        return FormData(fields, {})
    if not content_type.startswith("multipart/form-data"):
        raise InvalidInput(
            "send the request as multipart/form-data (or application/x-www-form-urlencoded)",
            field="content-type",
        )
    try:
        fields, parts = read_multipart(content_type, body)
    except UnreadableForm as error:
        raise InvalidInput(str(error), field="content-type") from error
    files = {
        name: [voices.UploadedSample(filename, data) for filename, data in found]
        for name, found in parts.items()
    }
    return FormData(fields, files)


# ------------------------------------------------------------------ voices


@router.get(f"{PREFIX}/voice-profiles")
@router.get(f"{PREFIX}/voices")  # the protocol's own examples list voices here
def list_voice_profiles() -> dict[str, Any]:
    from audiofn.services.public_previews import add_preview_urls

    listing = voices.list_voice_profiles(services(), org_id(router), query(router))
    add_preview_urls(services(), org_id(router), request_base_url(router), listing["voices"])
    return listing


@router.post(f"{PREFIX}/voice-profiles")
def create_voice_profile() -> Response[dict[str, Any]]:
    form = read_form()
    uploads = form.files.get("file", [])
    blend = form.text("blend").strip()
    if blend and uploads:
        raise InvalidInput(
            "send either file (a sample) or blend (Kokoro voices), not both", field="blend"
        )
    if blend:
        svc = services()
        profile = voices.create_blended_voice(
            svc,
            org_id(router),
            name=form.text("name"),
            description=form.text("description"),
            blend=blend,
            is_public=form.flag("is_public"),
        )
        return json_response(200, voices.profile_to_api(profile, svc.settings))
    if not uploads:
        raise InvalidInput(
            "file is required (an audio sample as a multipart file), or blend "
            "(Kokoro voices such as af_bella(2)+af_sky(1))",
            field="file",
        )
    return _created(form, uploads, multi=False, field="file")


@router.post(f"{PREFIX}/voice-profiles/multi-sample")
def create_multi_sample_voice_profile() -> Response[dict[str, Any]]:
    form = read_form()
    uploads = form.files.get("voice_files", [])
    if not uploads:
        raise InvalidInput(
            "voice_files is required (2 to 5 audio samples as multipart files)",
            field="voice_files",
        )
    return _created(form, uploads, multi=True, field="voice_files")


def _created(
    form: FormData, uploads: list[voices.UploadedSample], *, multi: bool, field: str
) -> Response[dict[str, Any]]:
    from audiofn.services.orgs import caller_key
    from audiofn.services.voices.consent import (
        ATTESTED_BY_FIELD,
        STATEMENT_FIELD,
        requested_attestation,
    )

    svc = services()
    gender = form.text("gender").strip().lower() or None
    consent = requested_attestation(form.text(ATTESTED_BY_FIELD), form.text(STATEMENT_FIELD))
    profile = voices.create_voice_profile(
        svc,
        org_id(router),
        name=form.text("name"),
        description=form.text("description"),
        samples=uploads,
        denoise=form.flag("denoise"),
        is_public=form.flag("is_public"),
        language=form.text("language", "en"),
        gender=gender,
        multi=multi,
        field=field,
        consent=consent,
        key=caller_key(svc.table, router.current_event.headers or {}),
    )
    return json_response(200, voices.profile_to_api(profile, svc.settings))


@router.get(f"{PREFIX}/voices/<voice_id>/status")
@router.get(f"{PREFIX}/voices/<voice_id>")
def voice_status(voice_id: str) -> dict[str, Any]:
    from audiofn.services.public_previews import add_preview_urls

    svc = services()
    org = org_id(router)
    voice = voices.ref_to_api(voices.find_voice(svc, org, voice_id), svc.settings, org)
    add_preview_urls(svc, org, request_base_url(router), [voice])
    return voice


@router.patch(f"{PREFIX}/voices/<voice_id>")
def update_voice(voice_id: str, request: Annotated[UpdateVoiceRequest, Body()]) -> dict[str, Any]:
    svc = services()
    profile = voices.update_voice(svc, org_id(router), voice_id, request)
    return voices.profile_to_api(profile, svc.settings)


@router.delete(f"{PREFIX}/voices/<voice_id>")
def delete_voice(voice_id: str) -> Response[str]:
    voices.delete_voice(services(), org_id(router), voice_id)
    return Response(status_code=204, body="")


# ------------------------------------------------------------------ speech with a voice


@router.post(f"{PREFIX}/voices/<voice_id>/generate")
def generate_speech(voice_id: str) -> dict[str, Any]:
    form = _form_or_json()
    job, _voice, fmt = voices.generate_speech(
        services(),
        org_id(router),
        voice_id,
        text=form.text("input_text") or form.text("text"),
        speed=form.number("speed", 1.0),
        audio_format=form.text("audio_format", "mp3"),
    )
    return {
        "id": job.job_id,
        "job_id": job.job_id,
        "status": "processing",
        "voice_id": voice_id,
        "audio_format": fmt,
        "created_at": job.created_at,
    }


def _form_or_json() -> FormData:
    headers = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}
    if headers.get("content-type", "").startswith("application/json"):
        body = router.current_event.json_body
        if not isinstance(body, dict):
            raise InvalidInput("the request body must be a JSON object", field="body")
        return FormData({k: [str(v)] for k, v in body.items() if v is not None}, {})
    return read_form()


@router.get(f"{PREFIX}/tts-jobs/<job_id>/status")
def tts_job_status(job_id: str) -> dict[str, Any]:
    return voices.tts_job_status(services(), org_id(router), job_id)


# ------------------------------------------------------------------ previews


@router.get(f"{PREFIX}/voice-profiles/<voice_id>/preview")
def voice_preview(voice_id: str) -> dict[str, Any]:
    params = query(router)
    generate = (params.get("generate_if_missing") or "true").strip().lower()
    if generate not in {"true", "false", "1", "0"}:
        raise InvalidInput("generate_if_missing must be true or false", field="generate_if_missing")
    return voices.voice_preview(
        services(),
        org_id(router),
        voice_id,
        audio_format=params.get("audio_format") or "mp3",
        generate_if_missing=generate in {"true", "1"},
        wait_seconds=api_settings().speech_wait_seconds,
    )


@router.get("/voice-previews/<token>/<file_name>")
def public_preview(token: str, file_name: str) -> Response[str]:
    """A listing's ``preview_url``: no key, a redirect to the audio (see public_previews)."""
    from audiofn.services.public_previews import public_preview_audio_url

    location = public_preview_audio_url(
        services(), token, file_name, api_settings().speech_wait_seconds
    )
    return Response(status_code=302, body="", headers={"Location": location})


@router.post(f"{PREFIX}/preview/batch")
def batch_preview(request: Annotated[BatchPreviewRequest, Body()]) -> dict[str, Any]:
    return voices.batch_preview(
        services(), org_id(router), request, api_settings().speech_wait_seconds
    )


# ------------------------------------------------------------------ collections


@router.post(f"{PREFIX}/collections")
def create_collection(
    request: Annotated[CreateCollectionRequest, Body()],
) -> Response[dict[str, Any]]:
    return json_response(201, voices.create_collection(services(), org_id(router), request))


@router.get(f"{PREFIX}/collections")
def list_collections() -> dict[str, Any]:
    return voices.list_collections(services(), org_id(router), query(router))


@router.post(f"{PREFIX}/collections/<collection_id>/voices")
def add_collection_voices(
    collection_id: str, request: Annotated[AddCollectionVoicesRequest, Body()]
) -> dict[str, Any]:
    return voices.add_collection_voices(
        services(), org_id(router), collection_id, request.voice_ids
    )


# ------------------------------------------------------------------ analytics


@router.get(f"{PREFIX}/analytics/usage")
def usage_analytics() -> dict[str, Any]:
    return voices.usage_analytics(services(), org_id(router), query(router))

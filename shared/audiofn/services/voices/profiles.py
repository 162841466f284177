"""Custom voice profiles: created from samples or from a blend, updated, deleted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiofn.errors import InvalidInput
from audiofn.models.records import ApiKeyRecord, ConsentAttestation, utc_now
from audiofn.models.voices import (
    SAMPLE_EXTENSIONS,
    SampleRecord,
    UpdateVoiceRequest,
    VoiceProfileRecord,
    VoiceSampleManifest,
)
from audiofn.naming import new_id
from audiofn.services.context import Services
from audiofn.services.voices.access import _own_custom, samples_prefix, samples_store, voices_table
from audiofn.services.voices.consent import consent_record
from audiofn.storage.media import org_prefix
from audiofn.tts import catalogue
from audiofn.tts.catalogue import UnknownVoice

MAX_SAMPLE_BYTES = 20 * 1024 * 1024


MIN_MULTI_SAMPLES, MAX_MULTI_SAMPLES = 2, 5


def update_voice(
    services: Services, org_id: str, identifier: str, request: UpdateVoiceRequest
) -> VoiceProfileRecord:
    profile = _own_custom(services, org_id, identifier)
    changes = request.model_dump(exclude_none=True)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise InvalidInput("name must not be blank", field="name")
    updated = profile.model_copy(update={**changes, "updated_at": utc_now()})
    voices_table(services).put_profile(updated)
    return updated


def delete_voice(services: Services, org_id: str, identifier: str) -> None:
    profile = _own_custom(services, org_id, identifier)
    voices_table(services).delete_profile(profile)
    samples_store(services).delete_prefix(samples_prefix(org_id, profile.uuid))
    services.media.delete_prefix(f"{org_prefix(org_id)}voice-previews/{profile.uuid}/")


@dataclass(frozen=True)
class UploadedSample:
    filename: str
    data: bytes


def create_voice_profile(
    services: Services,
    org_id: str,
    *,
    name: str,
    description: str,
    samples: list[UploadedSample],
    denoise: bool,
    is_public: bool = False,
    language: str = "en",
    gender: str | None = None,
    multi: bool = False,
    field: str = "file",
    consent: ConsentAttestation | None = None,
    key: ApiKeyRecord | None = None,
) -> VoiceProfileRecord:
    """Store the samples and a PROCESSING profile with its consent record (the request's
    attestation, else the creating ``key``'s standing one; a 400 without either); the manifest
    written last starts the work."""
    name = name.strip()
    if not name:
        raise InvalidInput("name is required", field="name")
    if len(name) > 200:
        raise InvalidInput("name must be at most 200 characters", field="name")
    if multi and not MIN_MULTI_SAMPLES <= len(samples) <= MAX_MULTI_SAMPLES:
        raise InvalidInput(
            f"{field}: a multi-sample voice needs {MIN_MULTI_SAMPLES} to {MAX_MULTI_SAMPLES} "
            f"samples, got {len(samples)}",
            field=field,
        )
    if not multi and len(samples) != 1:
        raise InvalidInput(f"{field}: send exactly one audio file", field=field)
    for sample in samples:
        ext = sample.filename.rsplit(".", 1)[-1].lower() if "." in sample.filename else ""
        if ext not in SAMPLE_EXTENSIONS:
            raise InvalidInput(
                f"{field}: '{sample.filename}' is not an accepted format; "
                f"use {', '.join(e.upper() for e in SAMPLE_EXTENSIONS)}",
                field=field,
            )
        if len(sample.data) > MAX_SAMPLE_BYTES:
            raise InvalidInput(
                f"{field}: '{sample.filename}' is larger than {MAX_SAMPLE_BYTES // 2**20} MB",
                field=field,
            )
    language = (language or "en").strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", language):
        raise InvalidInput("language must be a language code such as 'en'", field="language")
    if gender is not None and gender not in {"male", "female"}:
        raise InvalidInput("gender must be male or female", field="gender")
    filenames = [_safe_filename(sample.filename) for sample in samples]
    consent_kept = consent_record(consent, key, samples, filenames)

    table = voices_table(services)
    voice_uuid = new_id()
    prefix = samples_prefix(org_id, voice_uuid)
    store = samples_store(services)
    records = []
    for index, (sample, filename) in enumerate(zip(samples, filenames, strict=True)):
        ext = sample.filename.rsplit(".", 1)[-1].lower()
        sample_key = f"{prefix}original/{index}.{ext}"
        store.put_bytes(sample_key, sample.data, "application/octet-stream")
        records.append(SampleRecord(filename=filename, original_key=sample_key))
    profile = VoiceProfileRecord(
        id=table.next_voice_id(),
        uuid=voice_uuid,
        org_id=org_id,
        name=name,
        description=description.strip()[:2000],
        is_public=is_public,
        language=language,
        gender=gender,
        denoise=denoise,
        samples=records,
        consent=consent_kept,
    )
    table.put_profile(profile)
    manifest = VoiceSampleManifest(
        org_id=org_id,
        voice_uuid=voice_uuid,
        denoise=denoise,
        sample_keys=[r.original_key for r in records],
        filenames=[r.filename for r in records],
    )
    store.put_json(prefix + "manifest.json", manifest.model_dump())
    return profile


def create_blended_voice(
    services: Services,
    org_id: str,
    *,
    name: str,
    description: str,
    blend: str,
    is_public: bool = False,
) -> VoiceProfileRecord:
    """A custom voice saved from a blend of Kokoro voices (``af_bella(2)+af_sky(1)``): a
    PROCESSING profile whose manifest names the blend; the voice-sample function stores its
    style. The blend is resolved as on every protocol (names that map to Kokoro voices too);
    language and gender are its heaviest voice's."""
    name = name.strip()
    if not name:
        raise InvalidInput("name is required", field="name")
    if len(name) > 200:
        raise InvalidInput("name must be at most 200 characters", field="name")
    settings = services.settings
    try:
        voice = catalogue.resolve_voice(
            blend,
            polly_enabled=settings.polly_enabled,
            upstream_enabled=bool(settings.upstream_tts_url),
        )
    except UnknownVoice as error:
        raise InvalidInput(f"blend: {error}", field="blend") from error
    if voice.provider != "kokoro":
        raise InvalidInput(
            f"blend: {blend!r} is not a Kokoro voice or a blend of them "
            "(GET /voice?provider=kokoro lists them)",
            field="blend",
        )
    table = voices_table(services)
    voice_uuid = new_id()
    profile = VoiceProfileRecord(
        id=table.next_voice_id(),
        uuid=voice_uuid,
        org_id=org_id,
        name=name,
        description=description.strip()[:2000],
        is_public=is_public,
        language=voice.language_code.lower(),
        gender=voice.gender,
        method="blend",
        style_blend=voice.engine_voice,
    )
    table.put_profile(profile)
    manifest = VoiceSampleManifest(org_id=org_id, voice_uuid=voice_uuid, blend=profile.style_blend)
    samples_store(services).put_json(
        samples_prefix(org_id, voice_uuid) + "manifest.json", manifest.model_dump()
    )
    return profile


def _safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:200] or "sample"

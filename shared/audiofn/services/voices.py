"""Voice management: built-in and custom voices side by side, custom voices from samples,
previews, collections, generation jobs and usage analytics.

Imports no audio code: the API function runs all of this. Samples are processed by the
voice-sample function (`services.voice_processing`), synthesis by the speech function.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from audiofn.config import CommonSettings
from audiofn.errors import Conflict, Forbidden, InvalidInput, NotFound
from audiofn.models.messages import SpeechTask
from audiofn.models.records import JobRecord, utc_now
from audiofn.models.voices import (
    SAMPLE_EXTENSIONS,
    BatchPreviewRequest,
    CreateCollectionRequest,
    SampleRecord,
    UpdateVoiceRequest,
    VoiceCollectionRecord,
    VoiceProfileRecord,
    VoiceSampleManifest,
)
from audiofn.naming import new_id
from audiofn.services.context import Services
from audiofn.storage.media import MediaStore, org_prefix
from audiofn.storage.queues import send_messages
from audiofn.storage.voices_table import ALL_VOICES, VoicesTable
from audiofn.tts import catalogue
from audiofn.tts.catalogue import UnknownVoice, Voice

MAX_PAGE = 50
MAX_LIMIT = 100  # the audiopod client asks for 100 by default; pages still hold at most 50
MIN_MULTI_SAMPLES, MAX_MULTI_SAMPLES = 2, 5
MAX_SAMPLE_BYTES = 20 * 1024 * 1024
CUSTOM_PREFIX = "custom-"
PREVIEW_TEXT = "Hello! This is a short preview of my voice, so you can hear how I sound."
PREVIEW_FORMATS = ("mp3", "wav", "ogg", "flac")
GENERATE_FORMATS = ("mp3", "wav", "ogg", "flac")
MAX_GENERATE_CHARACTERS = 5000
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
_BREAKDOWNS = ("daily", "weekly", "monthly")
_METHOD_DESCRIPTIONS = {
    "style-search": (
        "the closest voice we can make to the samples: a search over blends of the Kokoro "
        "voices' styles for the highest speaker similarity; not a clone of the speaker "
        "(similarity is the cosine of speaker embeddings on a held-out sentence: the same "
        "speaker scores about 0.92-0.96, different speakers about 0.50-0.56)"
    ),
    "blend": "a saved blend of Kokoro voices: the weighted mean of their styles",
    "base-voice-shift": (
        "speaks with the built-in voice closest to the samples (language, gender), shifted "
        "toward the speaker's measured median pitch and speaking rate; it is not a clone of "
        "the speaker's timbre"
    ),
    "reference-audio": "an upstream speech server speaks with the processed samples as reference",
}


def voices_table(services: Services) -> VoicesTable:
    return VoicesTable(services.settings.table)


def samples_store(services: Services) -> MediaStore:
    bucket = services.settings.voice_samples_bucket or services.settings.media_bucket
    return MediaStore(bucket, services.settings.presign_seconds)


def samples_prefix(org_id: str, voice_uuid: str) -> str:
    return f"voice-samples/{org_id}/{voice_uuid}/"


# ------------------------------------------------------------------ identity and access


@dataclass(frozen=True)
class VoiceRef:
    """A voice as a request names it: a built-in voice or a custom profile."""

    builtin: Voice | None = None
    profile: VoiceProfileRecord | None = None

    @property
    def usage_key(self) -> str:
        if self.profile is not None:
            return CUSTOM_PREFIX + self.profile.uuid
        assert self.builtin is not None
        return self.builtin.id

    @property
    def speech_name(self) -> str:
        """What a speech task carries as its voice."""
        return self.usage_key

    @property
    def display_name(self) -> str:
        return self.profile.name if self.profile is not None else str(self.usage_key)


def _custom_identifier(identifier: str) -> str | None:
    """The id or uuid part of a custom-voice identifier, or None if it names no custom voice."""
    text = identifier.strip()
    if text.lower().startswith(CUSTOM_PREFIX):
        text = text[len(CUSTOM_PREFIX) :]
    if text.isdigit() or _UUID.match(text):
        return text.lower()
    return None


def find_custom(services: Services, org_id: str, identifier: str) -> VoiceProfileRecord | None:
    """The org's own voice, or another org's public voice; None when absent or private."""
    wanted = _custom_identifier(identifier)
    if wanted is None:
        return None
    table = voices_table(services)
    located = table.locate(wanted)
    if located is None:
        return None
    owner, uuid = located
    profile = table.get_profile(owner, uuid)
    if profile is None or (owner != org_id and not _shared_and_usable(profile)):
        return None
    return settle_stalled(services, profile)


def settle_stalled(services: Services, profile: VoiceProfileRecord) -> VoiceProfileRecord:
    """A profile still PROCESSING long after its last try could have ended is FAILED."""
    from audiofn.services.stalls import STOPPED, VOICE_PROFILE_SECONDS, stalled

    if profile.status != "PROCESSING" or not stalled(profile.updated_at, VOICE_PROFILE_SECONDS):
        return profile
    from audiofn.services.voice_processing import finish

    return finish(services, profile, [f"processing did not finish: {STOPPED}"])


def _shared_and_usable(profile: VoiceProfileRecord) -> bool:
    """What other organisations see of a voice: public, and finished without failing."""
    return profile.is_public and profile.status == "COMPLETED"


def find_voice(services: Services, org_id: str, identifier: str | int) -> VoiceRef:
    """Any voice the organisation may use; 404 naming the identifier otherwise."""
    text = str(identifier).strip()
    if not text:
        raise InvalidInput("voice_id must not be empty", field="voice_id")
    profile = find_custom(services, org_id, text)
    if profile is not None:
        return VoiceRef(profile=profile)
    settings = services.settings
    try:
        voice = catalogue.resolve_voice(
            text,
            polly_enabled=settings.polly_enabled,
            upstream_enabled=bool(settings.upstream_tts_url),
        )
    except UnknownVoice:
        voice = None
    if voice is None or (
        voice.id.casefold() not in {text.casefold(), *_aliases(voice)}
        and "+" not in voice.engine_voice  # a blend, spelled as the caller likes
    ):
        raise NotFound(f"voice '{text}' not found", field="voice_id")
    return VoiceRef(builtin=voice)


def _aliases(voice: Voice) -> set[str]:
    return {alias.casefold() for alias in voice.aliases}


def _own_custom(services: Services, org_id: str, identifier: str) -> VoiceProfileRecord:
    """A voice the organisation may change: 403 for built-ins and others' public voices."""
    ref = find_voice(services, org_id, identifier)
    if ref.profile is None:
        raise Forbidden(
            f"voice '{identifier}' is a built-in voice and cannot be changed", field="voice_id"
        )
    if ref.profile.org_id != org_id:
        raise Forbidden(
            f"voice '{identifier}' belongs to another organisation (it is public, so you may "
            "use it, but not change it)",
            field="voice_id",
        )
    return ref.profile


# ------------------------------------------------------------------ wire shapes


def _supported_features() -> dict[str, bool]:
    return {"speed_control": True, "pitch_control": True}


def _preview_path(identifier: str | int) -> str:
    return f"/api/v1/voice/voice-profiles/{identifier}/preview"


def builtin_to_api(voice: Voice, settings: CommonSettings) -> dict[str, Any]:
    return {
        "id": voice.id,
        "voice_id": voice.id,
        "uuid": None,
        "name": voice.id,
        "category": "professional" if voice.neural else "standard",
        "voice_type": "STANDARD",
        "language": voice.language_subtag,
        "language_code": voice.language_code,
        "accent": voice.accent,
        "gender": voice.gender,
        "age_range": voice.age_bracket,
        "style": "conversational" if voice.neural else "synthetic",
        "description": voice.description,
        "provider": voice.provider,
        "quality_grade": voice.grade or None,
        "preview_url": settings.api_url + _preview_path(voice.id),
        "is_custom": False,
        "is_public": True,
        "status": "COMPLETED",
        "training_status": "completed",
        "created_by": None,
        "tags": list(voice.tags),
        "supported_features": _supported_features(),
    }


def profile_to_api(
    profile: VoiceProfileRecord, settings: CommonSettings, viewer_org_id: str | None = None
) -> dict[str, Any]:
    """The voice as its owner sees it; another organisation (`viewer_org_id`) sees no owner
    internals: not the owner's id, the samples' file names or the failure message."""
    body = _profile_body(profile, settings)
    if viewer_org_id is not None and viewer_org_id != profile.org_id:
        body.update(created_by=None, file_path=None, error_message=None, samples=[])
    return body


def _profile_body(profile: VoiceProfileRecord, settings: CommonSettings) -> dict[str, Any]:
    first = profile.samples[0] if profile.samples else None
    return {
        "id": profile.id,
        "voice_id": str(profile.id),
        "uuid": profile.uuid,
        "name": profile.name,
        "description": profile.description,
        "category": "custom",
        "voice_type": "CUSTOM",
        "status": profile.status,
        "training_status": profile.status.lower(),
        "error_message": profile.error_message,
        "language": profile.language,
        "gender": profile.gender,
        "age_range": "adult",
        "style": "conversational",
        "is_custom": True,
        "is_public": profile.is_public,
        "created_by": profile.org_id,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
        "processed_at": profile.processed_at,
        "clone_job_id": profile.id,
        "tags": profile.tags,
        "file_path": f"/voices/custom/voice_{profile.id}.{first.filename.rsplit('.', 1)[-1]}"
        if first
        else None,
        "preview_url": settings.api_url + _preview_path(profile.id),
        "denoise": profile.denoise,
        "samples": [
            {
                "filename": s.filename,
                "duration": s.duration,
                "sample_rate": s.sample_rate,
                "checks": s.checks,
            }
            for s in profile.samples
        ],
        "voice_characteristics": {
            "median_pitch_hz": profile.median_pitch_hz,
            "pitch_range_semitones": profile.pitch_range_semitones,
            "speaking_rate": profile.speaking_rate,
        },
        "synthesis": {
            "method": profile.method,
            "base_voice": profile.base_voice_id,
            "pitch_shift_semitones": profile.pitch_shift_semitones,
            "rate_factor": profile.rate_factor,
            "blend": profile.style_blend,
            "similarity": profile.similarity,
            "description": _METHOD_DESCRIPTIONS[profile.method],
        },
        "similarity": profile.similarity,
        "progress": 100 if profile.status == "COMPLETED" else profile.progress or 0,
        "supported_features": _supported_features(),
    }


def ref_to_api(
    ref: VoiceRef, settings: CommonSettings, viewer_org_id: str | None = None
) -> dict[str, Any]:
    if ref.profile is not None:
        return profile_to_api(ref.profile, settings, viewer_org_id)
    assert ref.builtin is not None
    return builtin_to_api(ref.builtin, settings)


# ------------------------------------------------------------------ listing


def _flag(params: dict[str, str], name: str) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    lowered = value.strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise InvalidInput(f"{name} must be true or false, not '{value}'", field=name)


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, not '{value}'", field=name) from None
    if not low <= number <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return number


_LIST_PARAMS = {
    "voice_type",
    "is_public",
    "include_public",
    "skip",
    "limit",
    "category",
    "language",
    "gender",
    "style",
    "age_range",
}


def list_voice_profiles(services: Services, org_id: str, params: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(params) - _LIST_PARAMS)
    if unknown:
        raise InvalidInput(
            f"unknown parameter '{unknown[0]}'; use {', '.join(sorted(_LIST_PARAMS))}",
            field=unknown[0],
        )
    skip = _int_param(params, "skip", 0, 0, 1_000_000)
    limit = _int_param(params, "limit", MAX_PAGE, 1, MAX_LIMIT)
    voice_type = (params.get("voice_type") or "").strip().upper() or None
    if voice_type not in {None, "CUSTOM", "STANDARD"}:
        raise InvalidInput("voice_type must be CUSTOM or STANDARD", field="voice_type")
    is_public = _flag(params, "is_public")
    include_public = _flag(params, "include_public")
    include_public = True if include_public is None else include_public
    settings = services.settings

    # The organisation's own voices first, then the built-ins, then others' public voices.
    table = voices_table(services)
    own: list[VoiceProfileRecord] = []
    shared: list[VoiceProfileRecord] = []
    if voice_type in {None, "CUSTOM"}:
        own = sorted(
            (settle_stalled(services, p) for p in table.list_profiles(org_id)),
            key=lambda p: p.id,
        )
        if include_public:
            shared = sorted(
                (
                    p
                    for p in table.list_public_profiles()
                    if p.org_id != org_id and _shared_and_usable(p)
                ),
                key=lambda p: p.id,
            )
    builtins: list[Voice] = []
    if voice_type in {None, "STANDARD"} and is_public is not False:
        builtins = catalogue.list_voices(
            polly_enabled=settings.polly_enabled,
            upstream_enabled=bool(settings.upstream_tts_url),
        )
    entries = (
        [profile_to_api(p, settings) for p in own if is_public in (None, p.is_public)]
        + [builtin_to_api(v, settings) for v in builtins]
        + [profile_to_api(p, settings, org_id) for p in shared if is_public is not False]
    )

    filters = {
        name: params[name].strip().casefold()
        for name in ("category", "gender", "style", "age_range")
        if params.get(name)
    }
    language = (params.get("language") or "").strip().casefold()

    def matches(entry: dict[str, Any]) -> bool:
        for name, wanted in filters.items():
            if str(entry.get(name) or "").casefold() != wanted:
                return False
        if language:
            code = str(entry.get("language_code") or entry.get("language") or "").casefold()
            subtag = str(entry.get("language") or "").casefold()
            if language not in {code, subtag} and not code.startswith(language + "-"):
                return False
        return True

    selected = [entry for entry in entries if matches(entry)]
    page = selected[skip : skip + min(limit, MAX_PAGE)]
    from audiofn.services.voice_usage import add_usage_stats

    keys = [CUSTOM_PREFIX + e["uuid"] if e["is_custom"] else str(e["voice_id"]) for e in page]
    add_usage_stats(settings, org_id, page, keys)
    applied: dict[str, Any] = {k: params[k] for k in sorted(filters)}
    if language:
        applied["language"] = params["language"]
    for name in ("voice_type", "is_public", "include_public"):
        if params.get(name):
            applied[name] = params[name]
    return {
        "voices": page,
        "total": len(selected),
        "hasMore": skip + len(page) < len(selected),
        "skip": skip,
        "limit": min(limit, MAX_PAGE),
        "filters_applied": applied,
    }


# ------------------------------------------------------------------ update and delete


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


# ------------------------------------------------------------------ creation


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
) -> VoiceProfileRecord:
    """Store the samples and a PROCESSING profile; the manifest written last starts the work."""
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

    table = voices_table(services)
    voice_uuid = new_id()
    prefix = samples_prefix(org_id, voice_uuid)
    store = samples_store(services)
    records = []
    for index, sample in enumerate(samples):
        ext = sample.filename.rsplit(".", 1)[-1].lower()
        key = f"{prefix}original/{index}.{ext}"
        store.put_bytes(key, sample.data, "application/octet-stream")
        records.append(SampleRecord(filename=_safe_filename(sample.filename), original_key=key))
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


# ------------------------------------------------------------------ speech for voices


def _job_prefix(org_id: str, job_id: str) -> str:
    return f"{org_prefix(org_id)}voice-jobs/{job_id}/"


def _require_ready(ref: VoiceRef) -> None:
    if ref.profile is not None and ref.profile.status != "COMPLETED":
        detail = (
            f": {ref.profile.error_message}"
            if ref.profile.status == "FAILED" and ref.profile.error_message
            else "; wait until its status is COMPLETED"
        )
        raise Conflict(f"voice {ref.profile.id} is {ref.profile.status}{detail}", field="voice_id")


def _check_format(fmt: str, allowed: tuple[str, ...], field: str) -> str:
    name = (fmt or "").strip().lower().lstrip(".")
    if name not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}", field=field)
    return name


def _start_speech(
    services: Services,
    org_id: str,
    job_id: str,
    tasks: list[tuple[VoiceRef, str, float, str]],
    tag: str,
) -> JobRecord:
    """One job whose tasks the speech function renders: (voice, text, speed, output key)."""
    job = JobRecord(
        job_id=job_id,
        org_id=org_id,
        script_id=tag,
        total=len(tasks),
        manifest_key=tasks[0][3],
    )
    services.table.put_job(job)
    send_messages(
        services.settings.speech_queue_url,
        [
            SpeechTask(
                org_id=org_id,
                job_id=job_id,
                script_id=tag,
                task_index=index,
                section=f"voice {ref.display_name}",
                text=text,
                voice=ref.speech_name,
                speed=speed,
                output_key=key,
            )
            for index, (ref, text, speed, key) in enumerate(tasks)
        ],
    )
    return job


def generate_speech(
    services: Services,
    org_id: str,
    identifier: str,
    *,
    text: str,
    speed: float,
    audio_format: str,
) -> tuple[JobRecord, VoiceRef, str]:
    ref = find_voice(services, org_id, identifier)
    _require_ready(ref)
    text = (text or "").strip()
    if not text:
        raise InvalidInput("input_text is required", field="input_text")
    if len(text) > MAX_GENERATE_CHARACTERS:
        raise InvalidInput(
            f"input_text is longer than {MAX_GENERATE_CHARACTERS} characters", field="input_text"
        )
    if not 0.25 <= speed <= 4.0:
        raise InvalidInput("speed must be between 0.25 and 4.0", field="speed")
    fmt = _check_format(audio_format, GENERATE_FORMATS, "audio_format")
    job_id = new_id()
    key = f"{_job_prefix(org_id, job_id)}speech.{fmt}"
    job = _start_speech(
        services, org_id, job_id, [(ref, text, speed, key)], f"voice:{ref.usage_key}"
    )
    return job, ref, fmt


_JOB_STATUS = {"running": "processing", "done": "completed", "failed": "failed"}


def tts_job_status(services: Services, org_id: str, job_id: str) -> dict[str, Any]:
    job = services.table.get_job(org_id, job_id)
    if job is None or not job.script_id.startswith("voice:"):
        raise NotFound(f"TTS job '{job_id}' not found", field="job_id")
    body: dict[str, Any] = {
        "id": job.job_id,
        "job_id": job.job_id,
        "status": _JOB_STATUS[job.status],
        "progress": 100 if job.status == "done" else 0,
        "voice_id": job.script_id.removeprefix("voice:"),
        "audio_format": job.manifest_key.rsplit(".", 1)[-1],
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "output_url": None,
        "error_message": job.reason,
    }
    if job.status == "done":
        body["output_url"] = body["audio_url"] = services.media.presigned_get(job.manifest_key)
        body["duration"] = _wav_or_encoded_duration(services.media, job.manifest_key)
        body["completed_at"] = job.updated_at
    return body


def _wav_or_encoded_duration(media: MediaStore, key: str) -> float | None:
    """Seconds from the file's own headers (a voice job's file is small: read it whole)."""
    from audiofn.audio_headers import duration_of

    seconds = duration_of(media.get_bytes(key), key.rsplit(".", 1)[-1])
    return round(seconds, 3) if seconds is not None else None


# ------------------------------------------------------------------ previews


def _preview_key(org_id: str, ref: VoiceRef, text: str, speed: float, fmt: str) -> str:
    version = (ref.profile.processed_at or "") if ref.profile is not None else "builtin"
    digest = hashlib.sha256(f"{text}|{speed:.3f}|{version}".encode()).hexdigest()[:20]
    if ref.profile is not None:
        # Under the caller's prefix: a preview of another organisation's public voice is the
        # caller's file, and is never written into the owner's space.
        return f"{org_prefix(org_id)}voice-previews/{ref.profile.uuid}/{digest}.{fmt}"
    return f"voice-previews/builtin/{ref.usage_key}/{digest}.{fmt}"


def _preview_body(services: Services, ref: VoiceRef, key: str, cached: bool) -> dict[str, Any]:
    return {
        "voice_id": str(ref.profile.id) if ref.profile is not None else ref.usage_key,
        "voice_name": ref.display_name,
        "audio_url": services.media.presigned_get(key),
        "duration": _wav_or_encoded_duration(services.media, key),
        "format": key.rsplit(".", 1)[-1],
        "cached": cached,
    }


def voice_preview(
    services: Services,
    org_id: str,
    identifier: str,
    *,
    audio_format: str,
    generate_if_missing: bool,
    wait_seconds: float,
) -> dict[str, Any]:
    """The cached preview, or a fresh one rendered by the speech function (waited for)."""
    from audiofn.services.jobs import raise_if_unfinished, wait_for_job

    ref = find_voice(services, org_id, identifier)
    fmt = _check_format(audio_format, PREVIEW_FORMATS, "audio_format")
    key = _preview_key(org_id, ref, PREVIEW_TEXT, 1.0, fmt)
    if services.media.exists(key):
        return _preview_body(services, ref, key, cached=True)
    if not generate_if_missing:
        raise NotFound(
            f"no {fmt} preview of voice '{identifier}' yet; ask with generate_if_missing=true",
            field="generate_if_missing",
        )
    _require_ready(ref)
    job = _start_speech(
        services, org_id, new_id(), [(ref, PREVIEW_TEXT, 1.0, key)], "voice:preview"
    )
    raise_if_unfinished(wait_for_job(services, org_id, job.job_id, wait_seconds))
    return _preview_body(services, ref, key, cached=False)


def batch_preview(
    services: Services, org_id: str, request: BatchPreviewRequest, wait_seconds: float
) -> dict[str, Any]:
    from audiofn.services.jobs import raise_if_unfinished, wait_for_job

    fmt = _check_format(request.format, PREVIEW_FORMATS, "format")
    if request.pitch:
        raise InvalidInput(
            "pitch: only 0.0 is supported in previews; a custom voice carries its own pitch",
            field="pitch",
        )
    text = request.text.strip()
    if not text:
        raise InvalidInput("text must not be empty", field="text")
    refs = []
    for index, identifier in enumerate(request.voice_ids):
        try:
            ref = find_voice(services, org_id, str(identifier))
        except NotFound as exc:
            raise NotFound(exc.message, field=f"voice_ids[{index}]") from exc
        _require_ready(ref)
        refs.append(ref)
    keys = [_preview_key(org_id, ref, text, request.speed, fmt) for ref in refs]
    missing = [
        (ref, text, request.speed, key)
        for ref, key in zip(refs, keys, strict=True)
        if not services.media.exists(key)
    ]
    if missing:
        job = _start_speech(services, org_id, new_id(), missing, "voice:preview")
        raise_if_unfinished(wait_for_job(services, org_id, job.job_id, wait_seconds))
    missing_keys = {entry[3] for entry in missing}
    return {
        "text": text,
        "previews": [
            _preview_body(services, ref, key, cached=key not in missing_keys)
            for ref, key in zip(refs, keys, strict=True)
        ],
    }


# ------------------------------------------------------------------ collections


def _collection_to_api(collection: VoiceCollectionRecord) -> dict[str, Any]:
    return {
        "collection_id": collection.collection_id,
        "id": collection.collection_id,
        "name": collection.name,
        "description": collection.description,
        "voice_ids": collection.voice_ids,
        "tags": collection.tags,
        "is_public": collection.is_public,
        "created_at": collection.created_at,
        "updated_at": collection.updated_at,
    }


def _checked_voice_ids(services: Services, org_id: str, voice_ids: list[str | int]) -> list[str]:
    found = []
    for index, identifier in enumerate(voice_ids):
        try:
            ref = find_voice(services, org_id, str(identifier))
        except (NotFound, InvalidInput) as exc:
            raise NotFound(exc.message, field=f"voice_ids[{index}]") from exc
        found.append(str(ref.profile.id) if ref.profile is not None else ref.usage_key)
    return list(dict.fromkeys(found))


def create_collection(
    services: Services, org_id: str, request: CreateCollectionRequest
) -> dict[str, Any]:
    name = request.name.strip()
    if not name:
        raise InvalidInput("name must not be blank", field="name")
    collection = VoiceCollectionRecord(
        collection_id="collection_" + new_id().replace("-", "")[:16],
        org_id=org_id,
        name=name,
        description=request.description,
        voice_ids=_checked_voice_ids(services, org_id, request.voice_ids),
        tags=request.tags,
        is_public=request.is_public,
    )
    voices_table(services).put_collection(collection)
    return _collection_to_api(collection)


def list_collections(services: Services, org_id: str, params: dict[str, str]) -> dict[str, Any]:
    skip = _int_param(params, "skip", 0, 0, 1_000_000)
    limit = _int_param(params, "limit", 25, 1, MAX_LIMIT)
    found = sorted(voices_table(services).list_collections(org_id), key=lambda c: c.created_at)
    page = found[skip : skip + min(limit, MAX_PAGE)]
    return {
        "collections": [_collection_to_api(c) for c in page],
        "total": len(found),
        "hasMore": skip + len(page) < len(found),
    }


def add_collection_voices(
    services: Services, org_id: str, collection_id: str, voice_ids: list[str | int]
) -> dict[str, Any]:
    table = voices_table(services)
    collection = table.get_collection(org_id, collection_id)
    if collection is None:
        raise NotFound(f"collection '{collection_id}' not found", field="collection_id")
    added = _checked_voice_ids(services, org_id, voice_ids)
    updated = collection.model_copy(
        update={
            "voice_ids": list(dict.fromkeys([*collection.voice_ids, *added])),
            "updated_at": utc_now(),
        }
    )
    table.put_collection(updated)
    return _collection_to_api(updated)


# ------------------------------------------------------------------ analytics


def usage_analytics(services: Services, org_id: str, params: dict[str, str]) -> dict[str, Any]:
    from audiofn.services.voice_usage import NO_RATING

    period = params.get("period") or "30d"
    if period not in _PERIOD_DAYS:
        raise InvalidInput(
            f"period must be one of {', '.join(_PERIOD_DAYS)}, not '{period}'", field="period"
        )
    breakdown = params.get("breakdown") or "daily"
    if breakdown not in _BREAKDOWNS:
        raise InvalidInput(
            f"breakdown must be one of {', '.join(_BREAKDOWNS)}, not '{breakdown}'",
            field="breakdown",
        )
    voice_id = params.get("voice_id")
    usage_key = find_voice(services, org_id, voice_id).usage_key if voice_id else ALL_VOICES
    today = datetime.now(UTC).date()
    first = today - timedelta(days=_PERIOD_DAYS[period] - 1)
    days = {
        d.date: d
        for d in voices_table(services).usage_days(org_id, usage_key, first.isoformat())
        if d.date <= today.isoformat()
    }
    buckets: dict[str, dict[str, Any]] = {}
    day = first
    while day <= today:
        label = _bucket_label(day, breakdown)
        bucket = buckets.setdefault(
            label, {"date": label, "generations": 0, "characters": 0, "duration": 0.0}
        )
        found = days.get(day.isoformat())
        if found is not None:
            bucket["generations"] += found.generations
            bucket["characters"] += found.characters
            bucket["duration"] = round(bucket["duration"] + found.seconds, 3)
        day += timedelta(days=1)
    rows = list(buckets.values())
    return {
        "voice_id": voice_id,
        "period": period,
        "breakdown": breakdown,
        "start_date": first.isoformat(),
        "end_date": today.isoformat(),
        "total_generations": sum(r["generations"] for r in rows),
        "total_characters": sum(r["characters"] for r in rows),
        "total_duration": round(sum(r["duration"] for r in rows), 3),
        "avg_rating": NO_RATING,
        "rating_count": 0,
        f"{breakdown}_breakdown": rows,
    }


def _bucket_label(day: date, breakdown: str) -> str:
    if breakdown == "weekly":
        return (day - timedelta(days=day.weekday())).isoformat()
    if breakdown == "monthly":
        return day.strftime("%Y-%m")
    return day.isoformat()


# ------------------------------------------------------------------ speaking with any voice


def resolve_speech_voice(services: Services, org_id: str, name: str) -> Voice:
    """The Voice to speak with: a custom voice of this organisation (or a public one), ready,
    else the catalogue's resolution of the name (built-in voices and their stand-ins)."""
    from audiofn.tts.custom_voice import custom_voice

    settings = services.settings
    enabled = {
        "polly_enabled": settings.polly_enabled,
        "upstream_enabled": bool(settings.upstream_tts_url),
    }
    profile = find_custom(services, org_id, name)
    if profile is None:
        return catalogue.resolve_voice(name, **enabled)
    _require_ready(VoiceRef(profile=profile))
    if profile.style_key:
        from audiofn.tts.custom_voice import styled_voice

        return styled_voice(
            CUSTOM_PREFIX + profile.uuid,
            profile.name,
            profile.language,
            profile.gender,
            bucket=samples_store(services).bucket,
            key=profile.style_key,
        )
    base = catalogue.resolve_voice(profile.base_voice_id or catalogue.DEFAULT_VOICE_ID, **enabled)
    return custom_voice(
        CUSTOM_PREFIX + profile.uuid,
        profile.name,
        base,
        profile.pitch_shift_semitones or 0.0,
        profile.rate_factor or 1.0,
    )

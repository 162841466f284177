"""Speech with any voice through the speech function: generation jobs and previews."""

from __future__ import annotations

import hashlib
from typing import Any

from audiofn.errors import Conflict, InvalidInput, NotFound
from audiofn.models.messages import SpeechTask
from audiofn.models.records import JobRecord
from audiofn.models.voices import (
    BatchPreviewRequest,
)
from audiofn.naming import new_id
from audiofn.services.context import Services
from audiofn.services.voices.access import VoiceRef, find_voice
from audiofn.storage.media import MediaStore, org_prefix
from audiofn.storage.queues import send_messages

MAX_GENERATE_CHARACTERS = 5000


GENERATE_FORMATS = ("mp3", "wav", "ogg", "flac")


PREVIEW_FORMATS = ("mp3", "wav", "ogg", "flac")


PREVIEW_TEXT = "Hello! This is a short preview of my voice, so you can hear how I sound."


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

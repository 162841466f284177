"""Voices in the voice-management API's wire shape (built-in and custom alike)."""

from __future__ import annotations

from typing import Any

from audiofn.config import CommonSettings
from audiofn.models.voices import (
    VoiceProfileRecord,
)
from audiofn.services.voices.access import VoiceRef
from audiofn.services.voices.consent import consent_to_api
from audiofn.tts.catalogue import Voice

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
    owner = viewer_org_id is None or viewer_org_id == profile.org_id
    if not owner:
        body.update(created_by=None, file_path=None, error_message=None, samples=[])
    body["consent"] = consent_to_api(profile.consent, owner=owner)
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

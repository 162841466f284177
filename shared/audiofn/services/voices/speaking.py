"""The voice a speech request names, resolved for every road that speaks (catalogue names,
blends, custom voices)."""

from __future__ import annotations

from audiofn.services.context import Services
from audiofn.services.voices.access import CUSTOM_PREFIX, VoiceRef, find_custom, samples_store
from audiofn.services.voices.generation import _require_ready
from audiofn.tts import catalogue
from audiofn.tts.catalogue import Voice


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

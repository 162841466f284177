"""Where voices live and who may use them: the voices table and samples store, and a voice
found by id or name (built-in, own custom, or another organisation's public one)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiofn.errors import Forbidden, InvalidInput, NotFound
from audiofn.models.voices import (
    VoiceProfileRecord,
)
from audiofn.services.context import Services
from audiofn.storage.media import MediaStore
from audiofn.storage.voices_table import VoicesTable
from audiofn.tts import catalogue
from audiofn.tts.catalogue import UnknownVoice, Voice

CUSTOM_PREFIX = "custom-"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def voices_table(services: Services) -> VoicesTable:
    return VoicesTable(services.settings.table)


def samples_store(services: Services) -> MediaStore:
    bucket = services.settings.voice_samples_bucket or services.settings.media_bucket
    return MediaStore(bucket, services.settings.presign_seconds)


def samples_prefix(org_id: str, voice_uuid: str) -> str:
    return f"voice-samples/{org_id}/{voice_uuid}/"


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

"""Request bodies of the api.audio protocol (SDK 0.8.5 and 0.17.1)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from audiofn.mastering.delivery_specs import MAX_DELIVERY_SPECS

SPEED_MIN, SPEED_MAX = 25.0, 400.0
MAX_PADDING_MS = 60_000
MAX_AUDIENCE = 500


class ApiModel(BaseModel):
    # Unknown fields are rejected by name rather than silently ignored (a typo'd "voise"
    # should not fall back to the default voice without a word).
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CreateScriptRequest(ApiModel):
    scriptText: str = Field(min_length=1)
    projectName: str = "default"
    moduleName: str = "default"
    scriptName: str = "default"
    scriptId: str | None = None
    # Accepted for 0.17.1 clients; scripts are not versioned here.
    version: str | None = None
    metadata: dict[str, Any] | None = None


def _coerce_speed(value: object) -> object:
    # The SDK documents speed as a string ("100"); numbers work too.
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


class SpeechSettingsFields(ApiModel):
    voice: str | None = None
    speed: float | None = Field(None, ge=SPEED_MIN, le=SPEED_MAX)
    effect: str | None = None
    silence_padding: int | None = Field(None, ge=0, le=MAX_PADDING_MS)

    _speed = field_validator("speed", mode="before")(_coerce_speed)


class SectionOverride(SpeechSettingsFields):
    pass


class CreateSpeechRequest(SpeechSettingsFields):
    scriptId: str = Field(min_length=1)
    audience: list[dict[str, Any]] | None = Field(None, max_length=MAX_AUDIENCE)
    sections: dict[str, SectionOverride] | None = None
    # Deprecated spellings the SDK documents.
    voiceName: str | None = None
    scriptSpeed: float | None = Field(None, ge=SPEED_MIN, le=SPEED_MAX)
    version: str | None = None
    # Extension: read numbers, dates, money and abbreviations as words (default), or not.
    normalize: bool = True

    _script_speed = field_validator("scriptSpeed", mode="before")(_coerce_speed)


# The effect names of the protocol; audiofn.dsp.effects implements each (a test checks both agree).
SPEECH_EFFECTS = (
    "dark_father",
    "chewie",
    "88b",
    "2r2d",
    "volume_boost_low",
    "volume_boost_middle",
    "volume_boost_high",
)


# The protocol's mp3 quality tiers (kbps).
MP3_TIERS = {"mp3": 192, "mp3_low": 96, "mp3_medium": 128, "mp3_high": 192, "mp3_very_high": 320}
END_FORMATS = ("mp3", "mp3_low", "mp3_medium", "mp3_high", "mp3_very_high", "wav", "flac", "ogg")


AD_ID_CODE = r"^[A-Z]{4}[A-Z0-9]{7}[HD]?$"
"""An Ad-ID code: a four-letter company prefix, seven letters or digits, and H (high
definition) or D (3D) when the creative is one."""


class UniversalAdId(ApiModel):
    """The advertiser's own creative identifier, for the VAST ``UniversalAdId``."""

    idRegistry: str = Field(min_length=1, max_length=100, pattern=r"^\S+$")
    value: str = Field(min_length=1, max_length=100, pattern=r"^\S+$")

    @field_validator("value")
    @classmethod
    def _ad_id_code(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("idRegistry", "").lower() == "ad-id.org" and not re.match(
            AD_ID_CODE, value
        ):
            raise ValueError(
                "an ad-id.org code is 4 letters and 7 letters or digits, then H or D if any"
            )
        return value


class CreateMasteringRequest(ApiModel):
    scriptId: str = Field(min_length=1)
    soundTemplate: str | None = None
    # Deprecated in the protocol; here a template name, like soundTemplate, or a media id.
    backgroundTrackId: str | None = None
    audience: list[dict[str, Any]] | None = Field(None, max_length=MAX_AUDIENCE)
    public: bool = False
    vast: bool = False
    endFormat: str | list[str] = "mp3"
    masteringPreset: str | None = None
    version: str | None = None
    # Extension: captions (WebVTT and SRT) beside each master.
    captions: bool = True
    # Extension: one deliverable per named delivery specification (GET /mastering/delivery-specs),
    # each measured after encoding and judged against the spec.
    deliverySpecs: list[str] | None = Field(None, max_length=MAX_DELIVERY_SPECS)
    # Extension: the advertiser's creative id in the VAST file (with vast=true only).
    universalAdId: UniversalAdId | None = None

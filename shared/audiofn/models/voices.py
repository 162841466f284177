"""Custom voice profiles, voice collections, usage counters and the voice-sample message."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from audiofn.models.records import utc_now

SAMPLE_EXTENSIONS = ("wav", "mp3", "flac", "ogg", "m4a")
"""The audio formats a voice sample may come in."""
VoiceStatus = Literal["PROCESSING", "COMPLETED", "FAILED"]
# How a custom voice speaks: a Kokoro style found by a speaker-similarity search over the
# catalogue's styles, a saved blend of Kokoro styles, a built-in voice shifted toward the
# speaker's measured pitch and rate (languages Kokoro lacks), or an upstream that takes the
# processed samples as reference audio.
SynthesisMethod = Literal["style-search", "blend", "base-voice-shift", "reference-audio"]


class SampleRecord(BaseModel):
    filename: str
    original_key: str
    processed_key: str | None = None
    duration: float | None = None
    sample_rate: int | None = None
    checks: list[dict[str, object]] = []


ConsentBasis = Literal["request", "api-key"]
"""Where a consent record's attestation came from: the creating request's own fields, or the
standing attestation of the API key that created the voice."""


class ConsentedSample(BaseModel):
    filename: str
    sha256: str
    bytes: int


class VoiceConsentRecord(BaseModel):
    """The consent record a custom voice from samples is created with; ``sha256`` is the
    digest of the record's other fields (canonical JSON), the value masters' content
    credentials reference."""

    consent_id: str
    basis: ConsentBasis
    attested_by: str
    statement: str
    attested_at: str
    recorded_at: str
    key_id: str | None = None
    samples: list[ConsentedSample]
    sha256: str = ""


class VoiceProfileRecord(BaseModel):
    id: int
    uuid: str
    org_id: str
    name: str
    description: str = ""
    status: VoiceStatus = "PROCESSING"
    error_message: str | None = None
    is_public: bool = False
    tags: list[str] = []
    language: str = "en"
    gender: str | None = None
    denoise: bool = False
    samples: list[SampleRecord] = []
    median_pitch_hz: float | None = None
    pitch_range_semitones: float | None = None
    speaking_rate: float | None = None
    method: SynthesisMethod = "base-voice-shift"
    base_voice_id: str | None = None
    pitch_shift_semitones: float | None = None
    rate_factor: float | None = None
    style_key: str | None = None
    """The Kokoro style (510 x 256 float32, .npy) in the samples bucket."""
    style_blend: str | None = None
    """The style as a blend of catalogue voices (``af_bella(0.62)+af_sky(0.38)``)."""
    similarity: float | None = None
    """Speaker-embedding cosine of the voice's speech of a held-out sentence to the samples."""
    progress: int | None = None
    """Percent of the processing done while PROCESSING (the search reports as it goes)."""
    consent: VoiceConsentRecord | None = None
    """Required for a voice from samples (a blend has no speaker); None on profiles made
    before consent records existed."""
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)
    processed_at: str | None = None


class VoiceCollectionRecord(BaseModel):
    collection_id: str
    org_id: str
    name: str
    description: str = ""
    voice_ids: list[str] = []
    tags: list[str] = []
    is_public: bool = False
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)


class VoiceUsageDay(BaseModel):
    date: str
    generations: int = 0
    characters: int = 0
    seconds: float = 0.0


class VoiceSampleManifest(BaseModel):
    """Written last, beside a profile's uploaded samples; its arrival starts the processing."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    voice_uuid: str
    denoise: bool = False
    sample_keys: list[str] = []
    filenames: list[str] = []
    blend: str | None = None
    """A voice saved from a blend of Kokoro voices has this instead of samples."""

    @model_validator(mode="after")
    def _samples_or_blend(self) -> VoiceSampleManifest:
        if bool(self.sample_keys) == bool(self.blend):
            raise ValueError("a manifest names samples or a blend, not both or neither")
        return self


# ------------------------------------------------------------------ requests


class UpdateVoiceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    is_public: bool | None = None
    tags: list[str] | None = Field(None, max_length=50)


class CreateCollectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    voice_ids: list[str | int] = Field(default_factory=list, max_length=500)
    tags: list[str] = Field(default_factory=list, max_length=50)
    is_public: bool = False


class AddCollectionVoicesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice_ids: list[str | int] = Field(min_length=1, max_length=500)


class BatchPreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice_ids: list[str | int] = Field(min_length=1, max_length=10)
    text: str = Field(min_length=1, max_length=500)
    speed: float = Field(1.0, ge=0.25, le=4.0)
    pitch: float = Field(0.0, ge=-12, le=12)
    format: str = "mp3"

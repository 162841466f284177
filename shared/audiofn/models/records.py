"""What the table stores, one model per record kind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class OrgRecord(BaseModel):
    org_id: str
    name: str
    created_at: str = Field(default_factory=utc_now)


class ConsentAttestation(BaseModel):
    """Who attests that the speaker of a custom voice's samples consented, and to what: sent
    with the voice, or standing on the API key that creates it (minted with ``voiceConsent``)."""

    model_config = ConfigDict(frozen=True)

    attested_by: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=10, max_length=2000)
    attested_at: str = Field(default_factory=utc_now)


class ApiKeyRecord(BaseModel):
    key_id: str
    org_id: str
    prefix: str = ""
    last4: str
    name: str = ""
    created_at: str = Field(default_factory=utc_now)
    voice_consent: ConsentAttestation | None = None
    """A standing consent attestation for every custom voice this key creates without one of
    its own (for clients that cannot send the consent fields)."""


class SectionRecord(BaseModel):
    name: str
    text: str
    placeholders: list[str]


class ScriptRecord(BaseModel):
    script_id: str
    org_id: str
    project_name: str
    module_name: str
    script_name: str
    script_text: str
    sections: list[SectionRecord]
    placeholder_defaults: dict[str, str | None]
    created_at: str = Field(default_factory=utc_now)
    latest_speech_job_id: str | None = None
    latest_mastering_job_id: str | None = None

    def to_api(self) -> dict[str, object]:
        """The api.audio wire shape of a script."""
        return {
            "scriptId": self.script_id,
            "projectName": self.project_name,
            "moduleName": self.module_name,
            "scriptName": self.script_name,
            "scriptText": self.script_text,
            "sections": [
                {"sectionName": s.name, "text": s.text, "placeholders": s.placeholders}
                for s in self.sections
            ],
            "placeholders": list(self.placeholder_defaults),
            "placeholderDefaults": self.placeholder_defaults,
            "createdAt": self.created_at,
        }


JobStatus = Literal["running", "done", "failed"]
JobKind = Literal["speech", "mastering"]


class JobRecord(BaseModel):
    """Asynchronous work of one request: `total` tasks, finished when all are done."""

    job_id: str
    kind: JobKind = "speech"
    org_id: str
    script_id: str
    status: JobStatus = "running"
    total: int
    done: int = 0
    reason: str | None = None
    failure_status: int | None = None
    manifest_key: str
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)


class WebhookRecord(BaseModel):
    url: str
    secret: str
    created_at: str = Field(default_factory=utc_now)

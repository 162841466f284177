"""Job-based text-to-speech: the stored job, its queue message, and its wire shape.

The wire shape follows the job API's documents (`/api/v1/jobs/`): integer ids, the voice id
as the caller gave it (an integer when it is one), and the status names below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TtsJobStatus = Literal["waiting", "preparing", "processing", "synthesizing", "ready", "failed"]
TTS_JOB_STATUSES: tuple[TtsJobStatus, ...] = (
    "waiting",  # stored and queued; no worker has taken it yet
    "preparing",  # a worker took it and is reading the text
    "processing",  # the text is being normalised and split into sentence chunks
    "synthesizing",  # the chunks are being spoken, joined and encoded to MP3
    "ready",  # the MP3 is stored: GET .../synthesize/ returns it
    "failed",  # `reason` says why
)
FINISHED_STATUSES: tuple[TtsJobStatus, ...] = ("ready", "failed")
RUNNING_STATUSES: tuple[TtsJobStatus, ...] = ("preparing", "processing", "synthesizing")


def created_now() -> str:
    """Microsecond UTC timestamps, as the job API's documents show them."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class TtsJobRecord(BaseModel):
    """One job as the table stores it; the text and the audio live in the media bucket."""

    job_id: int
    org_id: str
    voice_id: str  # as the caller sent it
    voice: str  # the catalogue voice that speaks it
    language: str
    character_count: int
    status: TtsJobStatus = "waiting"
    source: Literal["text", "file"] = "text"
    file_name: str | None = None
    prefix: str  # every object of the job (text, uploaded file, audio) lives under it
    text_key: str
    audio_key: str
    reason: str | None = None
    created: str = Field(default_factory=created_now)
    updated: str = Field(default_factory=created_now)
    progress: dict[str, int] | None = None  # chunks_done and chunks_total while synthesizing
    request_token: str | None = None  # which request made the job (see TtsJobsTable.create_job)

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.job_id,
            "voice_id": int(self.voice_id) if self.voice_id.isdigit() else self.voice_id,
            "language": self.language,
            "character_count": self.character_count,
            "status": self.status,
            "created": self.created,
        }
        if self.status == "failed":
            body["reason"] = self.reason or "unknown reason"  # an extra key old clients ignore
        if self.progress and self.status == "synthesizing":  # another such key
            done, total = self.progress["chunks_done"], self.progress["chunks_total"]
            body["progress"] = {
                "chunks_done": done,
                "chunks_total": total,
                "percent": round(100 * done / total) if total else 0,
            }
        return body


class TtsJobTask(BaseModel):
    """Speak job `job_id` of `org_id`: everything else is read from the job record."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    job_id: int

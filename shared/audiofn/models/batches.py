"""Personalisation batches: the request, the queue messages, the record and the manifest."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from audiofn.mastering.delivery_specs import MAX_DELIVERY_SPECS
from audiofn.models.records import utc_now

MAX_AUDIENCE = 100_000


class BatchOptions(BaseModel):
    """How every listener of a batch is rendered: the script and its speech and mastering
    settings. The same fields in `POST /batch`, a batch queue message and an audience file's
    sidecar."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    scriptId: str | None = Field(None, min_length=1)
    scriptText: str | None = Field(None, min_length=1)
    voice: str | None = None
    speed: float | None = Field(None, gt=0, le=300, description="percent, 100 = normal")
    effect: str | None = None
    normalize: bool = True
    soundTemplate: str | None = None
    masteringPreset: str | None = None
    endFormat: str = "mp3"
    deliverySpecs: list[str] | None = Field(
        None,
        max_length=MAX_DELIVERY_SPECS,
        description="names of delivery specifications: one more file per spec and listener",
    )
    cache: bool = Field(
        True,
        description="share what listeners have in common (fragment cache and the shared "
        "render); false renders every listener from scratch",
    )

    @model_validator(mode="after")
    def _one_script(self) -> BatchOptions:
        if (self.scriptId is None) == (self.scriptText is None):
            raise ValueError("give exactly one of scriptId and scriptText")
        return self


class CreateBatchRequest(BatchOptions):
    audience: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_AUDIENCE)


class BatchStartMessage(BatchOptions):
    """A message on the batch queue: starts (or, redelivered, resumes) one batch.

    `audience` inline, or `audienceKey`: a key in the media bucket holding a JSON list of
    listener objects, a CSV file with a header row (`.csv`) or JSON Lines (`.jsonl`).
    """

    orgId: str = Field(min_length=1)
    batchId: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    audience: list[dict[str, Any]] | None = Field(None, max_length=MAX_AUDIENCE)
    audienceKey: str | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> BatchStartMessage:
        if (self.audience is None) == (self.audienceKey is None):
            raise ValueError("give exactly one of audience and audienceKey")
        return self


class BatchChunkTask(BaseModel):
    """Render `rows` (listeners `first_index`...) of a planned batch."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    batch_id: str
    chunk_index: int = Field(ge=0)
    plan_key: str
    first_index: int = Field(ge=0)
    rows: list[dict[str, Any]]


BatchStatus = Literal["queued", "running", "done", "failed"]


class BatchRecord(BaseModel):
    batch_id: str
    org_id: str
    status: BatchStatus = "queued"
    source: str = "api"
    total: int = 0
    done: int = 0
    failed: int = 0
    chunks: int = 0
    end_format: str = "mp3"
    reason: str | None = None
    plan_key: str | None = None
    manifest_json_key: str | None = None
    manifest_csv_key: str | None = None
    created_at: str = Field(default_factory=utc_now)
    updated_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done + self.failed >= self.total


class ListenerResult(BaseModel):
    """One row of the manifest: a listener's parameters and their master, or why not."""

    index: int
    parameters: dict[str, str]
    status: Literal["done", "failed"]
    key: str | None = None
    error: str | None = None
    report: dict[str, Any] | None = None

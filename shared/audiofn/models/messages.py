"""Queue messages. Each carries everything its handler needs, so a handler never re-reads
a script that may have changed since the message was sent."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SpeechTask(BaseModel):
    """Synthesise one section for one listener and write it to `output_key`."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    job_id: str
    script_id: str
    task_index: int = Field(ge=0)
    section: str
    text: str
    voice: str
    speed: float = Field(gt=0)
    effect: str | None = None
    silence_padding_ms: int = Field(0, ge=0)
    normalize: bool = True
    output_key: str


class MasteringTask(BaseModel):
    """Master one listener: their section files in order, over a bed, in every end format."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    job_id: str
    script_id: str
    task_index: int = Field(ge=0)
    section_keys: list[str] = Field(min_length=1)
    section_texts: list[str] = []
    section_names: list[str] = []
    """The sections' names, in order: the master's chapters."""
    voices: list[str] = []
    """The voices that spoke the sections: the master's content credentials name them."""
    sound_template: str | None = None
    background_media_id: str | None = None
    """An uploaded media file as the bed (instead of a template)."""
    preset: str
    formats: list[str] = Field(min_length=1)
    output_prefix: str
    public_prefix: str | None = None
    vast: bool = False
    captions: bool = True
    title: str
    delivery_specs: list[str] = []
    """Ids of the delivery specifications to make a deliverable for (after the end formats)."""
    universal_ad_id_registry: str | None = None
    universal_ad_id: str | None = None
    """The advertiser's creative id for the VAST file; None: the ad's own id (registry audiofn)."""


WebhookEventType = Literal[
    "speech.done", "mastering.done", "batch.done", "voice.ready", "job.failed"
]


class WebhookEvent(BaseModel):
    """One event for an organisation's webhook; `event_id` is stable for the same occurrence,
    so a re-run of the work that caused it sends nothing new to a receiver that got it."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    event_id: str
    type: WebhookEventType
    created: str
    data: dict[str, Any] = Field(default_factory=dict)

"""Media an organisation uploads itself (background tracks, recordings): the record kept per
file and its shape in the api.audio protocol's ``Media`` listing."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from audiofn.models.records import utc_now

MediaStatus = Literal["uploading", "ready", "unusable"]
"""uploading: an upload URL was handed out and no checked file is there yet; ready: decoded
and checked, usable as a bed; unusable: stored, but not audio a bed can be made of (see
``reason``)."""


class MediaRecord(BaseModel):
    media_id: str
    org_id: str
    filename: str
    tags: list[str] = []
    s3_key: str
    status: MediaStatus = "uploading"
    reason: str | None = None
    format: str | None = None
    duration_seconds: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    size_bytes: int | None = None
    peak_dbfs: float | None = None
    created_at: str = Field(default_factory=utc_now)
    checked_at: str | None = None

    def to_api(self, download_url: str | None = None) -> dict[str, Any]:
        """One entry of ``savedAudioFiles``."""
        item: dict[str, Any] = {
            "mediaId": self.media_id,
            "filename": self.filename,
            "tags": self.tags,
            "createdAt": self.created_at,
            "status": self.status,
            "usable": self.status == "ready",
            "reason": self.reason,
            "format": self.format,
            "duration": self.duration_seconds,
            "sampleRate": self.sample_rate,
            "channels": self.channels,
            "sizeBytes": self.size_bytes,
            "peakDbfs": self.peak_dbfs,
            "public": False,
        }
        if download_url is not None:
            item["downloadUrl"] = download_url
        return item

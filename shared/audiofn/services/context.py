"""The adapters a request works with, built once per process from the function's settings."""

from __future__ import annotations

from dataclasses import dataclass

from audiofn.config import CommonSettings
from audiofn.storage.media import MediaStore
from audiofn.storage.table import AppTable


@dataclass(frozen=True)
class Services:
    settings: CommonSettings
    table: AppTable
    media: MediaStore

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> Services:
        return cls(
            settings=settings,
            table=AppTable(settings.table),
            media=MediaStore(settings.media_bucket, settings.presign_seconds),
        )

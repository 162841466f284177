"""The voice-sample function's message handling: S3 event notifications delivered by SQS.

Real S3 (and moto) send an `s3:TestEvent` when a bucket's notifications are set: ignored.
Keys arrive URL-encoded (spaces as '+'), as S3 encodes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from audiofn.config import VoiceSampleSettings
from audiofn.models.voices import VoiceSampleManifest
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.services.voice_processing import SearchBudget, fail_profile, process_profile
from audiofn.services.voices import samples_store
from audiofn.tts.registry import EngineSettings

MANIFEST_NAME = "manifest.json"


def manifest_keys(body: str) -> list[str]:
    """The manifest keys an S3 notification names (none for a test event or other objects)."""
    message: dict[str, Any] = json.loads(body)
    if message.get("Event") == "s3:TestEvent":
        return []
    keys = []
    for record in message.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        key = unquote_plus(record["s3"]["object"]["key"])
        if key.startswith("voice-samples/") and key.endswith("/" + MANIFEST_NAME):
            keys.append(key)
    return keys


@dataclass(frozen=True)
class VoiceSampleWorker:
    services: Services
    settings: VoiceSampleSettings

    @property
    def engine_settings(self) -> EngineSettings:
        return EngineSettings(
            polly_enabled=self.settings.polly_enabled,
            upstream_url=self.settings.upstream_tts_url,
            upstream_api_key=self.settings.upstream_tts_api_key,
            aws_region=self.settings.aws_region,
        )

    def handle(self, body: str, receive_count: int = 1) -> None:
        for key in manifest_keys(body):
            manifest = VoiceSampleManifest.model_validate(
                samples_store(self.services).get_json(key)
            )
            try:
                process_profile(
                    self.services,
                    manifest,
                    self.engine_settings,
                    SearchBudget(self.settings.search_candidates, self.settings.search_seconds),
                )
            except Exception as error:
                logger.exception("voice processing failed", extra={"voice": manifest.voice_uuid})
                if receive_count >= self.settings.max_receives:
                    fail_profile(
                        self.services,
                        manifest,
                        f"processing gave up after {receive_count} tries: {error}",
                    )
                raise

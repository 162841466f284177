"""The voice-sample function's message handling: S3 event notifications delivered by SQS.

Real S3 (and moto) send an `s3:TestEvent` when a bucket's notifications are set: ignored.
Keys arrive URL-encoded (spaces as '+'), as S3 encodes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from audiofn.config import VoiceSampleSettings, voice_sample_settings
from audiofn.models.voices import VoiceSampleManifest
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.services.voice_processing import SearchBudget, fail_profile, process_profile
from audiofn.services.voices import samples_store
from audiofn.tts.registry import EngineSettings, engine_settings_from
from audiofn.workers.s3_events import objects_created
from audiofn.workers.sqs import process_sqs_batch, receive_count

MANIFEST_NAME = "manifest.json"


def manifest_keys(body: str) -> list[str]:
    """The manifest keys an S3 notification names (none for a test event or other objects)."""
    return [
        created.key
        for created in objects_created(body)
        if created.key.startswith("voice-samples/") and created.key.endswith("/" + MANIFEST_NAME)
    ]


@dataclass(frozen=True)
class VoiceSampleWorker:
    services: Services
    settings: VoiceSampleSettings

    @property
    def engine_settings(self) -> EngineSettings:
        return engine_settings_from(self.settings)

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


def build_worker() -> VoiceSampleWorker:
    """The worker a cold start builds from the function's environment."""
    settings = voice_sample_settings()
    return VoiceSampleWorker(Services.from_settings(settings), settings)


def handle_batch(worker: VoiceSampleWorker, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's SQS batch: S3 notifications of voice-sample manifests."""

    def handle_record(record: SQSRecord) -> None:
        worker.handle(record.body, receive_count=receive_count(record))

    return process_sqs_batch(event, context, handle_record)

"""Per-function settings read from the environment once, at cold start.

The variable names are the ones `template.yaml` sets; the local runtime resolves the same
template, so a missing variable is a wiring bug and fails loudly with its name.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from audiofn.errors import ConfigError

LOCAL_PUBLIC_PATH = "/public"
"""Where the local gateway serves the public bucket (`audiofn_local.public_files`)."""


class _EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class CommonSettings(_EnvSettings):
    stage: str = Field("dev", alias="AUDIOFN_STAGE")
    table: str = Field(alias="AUDIOFN_TABLE")
    media_bucket: str = Field(alias="AUDIOFN_MEDIA_BUCKET")
    speech_queue_url: str = Field(alias="AUDIOFN_SPEECH_QUEUE_URL")
    mastering_queue_url: str = Field("", alias="AUDIOFN_MASTERING_QUEUE_URL")
    webhook_queue_url: str = Field("", alias="AUDIOFN_WEBHOOK_QUEUE_URL")
    inbox_bucket: str = Field("", alias="AUDIOFN_INBOX_BUCKET")
    public_bucket: str = Field("", alias="AUDIOFN_PUBLIC_BUCKET")
    public_base_url: str = Field("", alias="AUDIOFN_PUBLIC_BASE_URL")
    api_url: str = Field("", alias="AUDIOFN_API_URL")
    polly_enabled: bool = Field(False, alias="AUDIOFN_POLLY_ENABLED")
    upstream_tts_url: str = Field("", alias="AUDIOFN_UPSTREAM_TTS_URL")
    upstream_tts_api_key: str = Field("", alias="AUDIOFN_UPSTREAM_TTS_API_KEY")
    aws_region: str = Field("us-east-1", alias="AWS_REGION")
    local: bool = Field(False, alias="AUDIOFN_LOCAL")
    local_resources: str = Field("", alias="AUDIOFN_LOCAL_RESOURCES")
    presign_seconds: int = Field(3600, alias="AUDIOFN_PRESIGN_SECONDS", ge=60, le=604800)
    voice_samples_bucket: str = Field("", alias="AUDIOFN_VOICE_SAMPLES_BUCKET")
    tts_job_queue_url: str = Field("", alias="AUDIOFN_TTS_JOB_QUEUE_URL")
    tts_job_max_characters: int = Field(
        50_000, alias="AUDIOFN_TTS_JOB_MAX_CHARACTERS", ge=1, le=1_000_000
    )
    # The loudness preset of a mastering request that names none (template parameter).
    default_mastering_preset: str = Field("podcast", alias="AUDIOFN_DEFAULT_MASTERING_PRESET")
    # In AWS the upstream key lives in SSM Parameter Store under this name (a SecureString);
    # when it is empty, AUDIOFN_UPSTREAM_TTS_API_KEY holds the key itself (local runs).
    upstream_tts_api_key_parameter: str = Field("", alias="AUDIOFN_UPSTREAM_TTS_API_KEY_PARAMETER")
    batch_queue_url: str = Field("", alias="AUDIOFN_BATCH_QUEUE_URL")
    # Where organisations' own signing certificates may be kept (Secrets Manager names and SSM
    # parameter names under it); the template grants reading exactly that prefix.
    signing_credentials_prefix: str = Field(
        "audiofn/signing/", alias="AUDIOFN_SIGNING_CREDENTIALS_PREFIX"
    )
    # The template's TaskMaxReceives, which is also the task queues' maxReceiveCount: the last
    # attempt records the failure on the job.
    max_receives: int = Field(alias="AUDIOFN_MAX_RECEIVES", ge=1)


class ApiSettings(CommonSettings):
    speech_wait_seconds: float = Field(25.0, alias="AUDIOFN_SPEECH_WAIT_SECONDS", ge=0, le=28)


class MasteringSettings(CommonSettings):
    pass


class SpeechSettings(CommonSettings):
    pass


class WebhookSettings(CommonSettings):
    pass


class InboxSettings(CommonSettings):
    inbox_bucket: str = Field(min_length=1, alias="AUDIOFN_INBOX_BUCKET")
    inbox_queue_url: str = Field(alias="AUDIOFN_INBOX_QUEUE_URL")
    inbox_max_bytes: int = Field(200_000, alias="AUDIOFN_INBOX_MAX_BYTES", ge=1)
    speech_wait_seconds: float = Field(0.0, alias="AUDIOFN_SPEECH_WAIT_SECONDS", ge=0, le=28)


S = TypeVar("S", bound=_EnvSettings)


def kokoro_voices_path() -> str:
    """Where Kokoro's voice style vectors are installed (``AUDIOFN_KOKORO_VOICES``; empty for
    the repository's cache, where `make` puts them)."""
    return os.environ.get("AUDIOFN_KOKORO_VOICES", "")


def metrics_namespace() -> str:
    """The template's Globals set POWERTOOLS_METRICS_NAMESPACE; a handler called without it
    (a test, a script) gets the same name."""
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "audiofn"


def load_settings(model: type[S]) -> S:
    env = dict(os.environ)
    env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1"))
    if env.get("AUDIOFN_LOCAL") in {"1", "true"}:
        # Locally the gateway serves the API on AUDIOFN_PORT and, at a stable path, the
        # public bucket without a key, as the bucket's policy (and a CDN) does in AWS.
        env["AUDIOFN_API_URL"] = f"http://127.0.0.1:{env.get('AUDIOFN_PORT', '3000')}"
        if env.get("AUDIOFN_PUBLIC_BUCKET"):
            env["AUDIOFN_PUBLIC_BASE_URL"] = env["AUDIOFN_API_URL"] + LOCAL_PUBLIC_PATH
    try:
        return model.model_validate(env)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            field = model.model_fields.get(name)
            variable = field.alias if field is not None and field.alias else name
            problems.append(f"{variable}: {err['msg']}")
        raise ConfigError(f"{model.__name__} is incomplete: " + "; ".join(problems)) from exc


@cache
def api_settings() -> ApiSettings:
    return load_settings(ApiSettings)


@cache
def speech_settings() -> SpeechSettings:
    return load_settings(SpeechSettings)


@cache
def mastering_settings() -> MasteringSettings:
    return load_settings(MasteringSettings)


@cache
def webhook_settings() -> WebhookSettings:
    return load_settings(WebhookSettings)


@cache
def inbox_settings() -> InboxSettings:
    return load_settings(InboxSettings)


def reset_settings_cache() -> None:
    """Tests change the environment between cases."""
    api_settings.cache_clear()
    speech_settings.cache_clear()
    mastering_settings.cache_clear()
    webhook_settings.cache_clear()
    inbox_settings.cache_clear()
    voice_sample_settings.cache_clear()
    tts_job_settings.cache_clear()
    intelligibility_enabled.cache_clear()
    sync_speech_settings.cache_clear()
    batch_settings.cache_clear()
    outbound_settings.cache_clear()


# Voice samples: a bucket of their own, whose manifest uploads trigger the voice-sample function.
class VoiceSampleSettings(CommonSettings):
    # The custom-voice style search: candidates tried, and seconds before it keeps its best
    # (each candidate speaks one sentence: about 4-8 s of CPU here).
    search_candidates: int = Field(100, alias="AUDIOFN_VOICE_SEARCH_CANDIDATES", ge=4, le=400)
    search_seconds: float = Field(600.0, alias="AUDIOFN_VOICE_SEARCH_SECONDS", gt=0, le=840)


@cache
def voice_sample_settings() -> VoiceSampleSettings:
    return load_settings(VoiceSampleSettings)


class TtsJobSettings(CommonSettings):
    pass


@cache
def tts_job_settings() -> TtsJobSettings:
    return load_settings(TtsJobSettings)


class RealtimeSettings(CommonSettings):
    """Realtime transcription (the websocket): when an idle client is dropped, and how much
    silence ends an utterance unless the client's init message says otherwise."""

    idle_seconds: float = Field(15.0, alias="AUDIOFN_REALTIME_IDLE_SECONDS", gt=0, le=600)
    endpoint_ms: int = Field(300, alias="AUDIOFN_REALTIME_ENDPOINT_MS", ge=100, le=5000)


@cache
def realtime_settings() -> RealtimeSettings:
    return load_settings(RealtimeSettings)


class IntelligibilitySettings(CommonSettings):
    """Transcribe every finished speech file and master and store its word error rate."""

    intelligibility: bool = Field(False, alias="AUDIOFN_INTELLIGIBILITY")


@cache
def intelligibility_enabled() -> bool:
    return load_settings(IntelligibilitySettings).intelligibility


class SyncSpeechSettings(ApiSettings):
    # Lambda's synchronous response is capped at 6 MB including base64 (4/3 of the audio);
    # larger audio is stored and answered with a redirect to a presigned URL.
    max_response_bytes: int = Field(
        4_400_000, alias="AUDIOFN_SYNC_MAX_RESPONSE_BYTES", ge=1, le=4_400_000
    )


@cache
def sync_speech_settings() -> SyncSpeechSettings:
    return load_settings(SyncSpeechSettings)


class BatchSettings(CommonSettings):
    batch_chunk_queue_url: str = Field(alias="AUDIOFN_BATCH_CHUNK_QUEUE_URL")
    chunk_size: int = Field(20, alias="AUDIOFN_BATCH_CHUNK_SIZE", ge=1, le=500)
    # MP3 masters spliced frame by frame from one shared encode (off: each encoded whole).
    mp3_frame_splice: bool = Field(True, alias="AUDIOFN_BATCH_MP3_FRAME_SPLICE")


@cache
def batch_settings() -> BatchSettings:
    return load_settings(BatchSettings)


class OutboundSettings(_EnvSettings):
    """What the rule for outgoing calls (`audiofn.outbound`) depends on."""

    local: bool = Field(False, alias="AUDIOFN_LOCAL")
    # Local runtime and tests only: lets webhooks and the upstream reach a loopback receiver.
    allow_loopback: bool = Field(False, alias="AUDIOFN_WEBHOOK_ALLOW_LOOPBACK")


@cache
def outbound_settings() -> OutboundSettings:
    return load_settings(OutboundSettings)

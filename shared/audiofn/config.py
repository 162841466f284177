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


class _EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class CommonSettings(_EnvSettings):
    stage: str = Field("dev", alias="AUDIOFN_STAGE")
    table: str = Field(alias="AUDIOFN_TABLE")
    media_bucket: str = Field(alias="AUDIOFN_MEDIA_BUCKET")
    speech_queue_url: str = Field(alias="AUDIOFN_SPEECH_QUEUE_URL")
    mastering_queue_url: str = Field("", alias="AUDIOFN_MASTERING_QUEUE_URL")
    webhook_queue_url: str = Field("", alias="AUDIOFN_WEBHOOK_QUEUE_URL")
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
    batch_queue_url: str = Field("", alias="AUDIOFN_BATCH_QUEUE_URL")


class ApiSettings(CommonSettings):
    speech_wait_seconds: float = Field(25.0, alias="AUDIOFN_SPEECH_WAIT_SECONDS", ge=0, le=28)


class MasteringSettings(CommonSettings):
    max_receives: int = Field(3, alias="AUDIOFN_MASTERING_MAX_RECEIVES", ge=1)


class SpeechSettings(CommonSettings):
    # Matches the queue's RedrivePolicy: the last attempt records the failure on the job.
    max_receives: int = Field(3, alias="AUDIOFN_SPEECH_MAX_RECEIVES", ge=1)


S = TypeVar("S", bound=_EnvSettings)


def load_settings(model: type[S]) -> S:
    env = dict(os.environ)
    env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION", "us-east-1"))
    if env.get("AUDIOFN_LOCAL") in {"1", "true"}:
        # Locally the gateway serves the API on AUDIOFN_PORT and moto serves public files
        # without a key, as the public bucket's policy does in AWS.
        env["AUDIOFN_API_URL"] = f"http://127.0.0.1:{env.get('AUDIOFN_PORT', '3000')}"
        endpoint = env.get("AWS_ENDPOINT_URL", "").rstrip("/")
        if endpoint and env.get("AUDIOFN_PUBLIC_BUCKET"):
            env["AUDIOFN_PUBLIC_BASE_URL"] = f"{endpoint}/{env['AUDIOFN_PUBLIC_BUCKET']}"
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


def reset_settings_cache() -> None:
    """Tests change the environment between cases."""
    api_settings.cache_clear()
    speech_settings.cache_clear()
    mastering_settings.cache_clear()
    batch_settings.cache_clear()


class BatchSettings(CommonSettings):
    batch_chunk_queue_url: str = Field(alias="AUDIOFN_BATCH_CHUNK_QUEUE_URL")
    # Matches the queues' RedrivePolicy: the last attempt records the failure on the batch.
    max_receives: int = Field(3, alias="AUDIOFN_BATCH_MAX_RECEIVES", ge=1)
    chunk_size: int = Field(20, alias="AUDIOFN_BATCH_CHUNK_SIZE", ge=1, le=500)


@cache
def batch_settings() -> BatchSettings:
    return load_settings(BatchSettings)

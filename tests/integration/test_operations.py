"""Secrets from SSM Parameter Store (moto) or the environment, and the workers' metrics."""

from __future__ import annotations

import json
import os

import pytest

from audiofn.config import SpeechSettings, load_settings
from audiofn.errors import ConfigError
from audiofn.storage.secrets import upstream_tts_api_key


def test_upstream_key_comes_from_the_environment_without_a_parameter(aws, monkeypatch):
    monkeypatch.setenv("AUDIOFN_UPSTREAM_TTS_API_KEY", "sk-local")
    monkeypatch.delenv("AUDIOFN_UPSTREAM_TTS_API_KEY_PARAMETER", raising=False)
    assert upstream_tts_api_key(load_settings(SpeechSettings)) == "sk-local"


def test_upstream_key_comes_from_ssm_when_a_parameter_is_named(aws, monkeypatch):
    import boto3
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    boto3.client("ssm").put_parameter(
        Name="/audiofn/test/upstream-key", Value="sk-from-ssm", Type="SecureString"
    )
    monkeypatch.setenv("AUDIOFN_UPSTREAM_TTS_API_KEY", "sk-local-ignored")
    monkeypatch.setenv("AUDIOFN_UPSTREAM_TTS_API_KEY_PARAMETER", "/audiofn/test/upstream-key")

    assert upstream_tts_api_key(load_settings(SpeechSettings)) == "sk-from-ssm"


def test_a_missing_parameter_is_a_config_error_naming_it(aws, monkeypatch):
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    monkeypatch.setenv("AUDIOFN_UPSTREAM_TTS_API_KEY_PARAMETER", "/audiofn/test/missing")
    with pytest.raises(ConfigError, match="/audiofn/test/missing"):
        upstream_tts_api_key(load_settings(SpeechSettings))


def emitted_metrics(output: str) -> dict[str, list[float]]:
    """The embedded-metric-format lines a handler printed: metric name -> values."""
    found: dict[str, list[float]] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "audiofn"
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                found.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
    return found


@pytest.mark.slow
def test_speech_function_reports_renders_characters_audio_seconds_and_cache_hits(
    org, lambda_context, capsys
):
    from audiofn.models.records import JobRecord
    from audiofn.storage.table import AppTable
    from tests.conftest import load_event, load_function

    AppTable(os.environ["AUDIOFN_TABLE"]).put_job(
        JobRecord(job_id="job-1", org_id=org.org_id, script_id="s", total=2, manifest_key="m")
    )
    event = load_event("speech_task.json", org_id=org.org_id, job_id="job-1", script_id="s")
    text = json.loads(event["Records"][0]["body"])["text"]
    speech = load_function("speech")
    capsys.readouterr()

    speech.lambda_handler(event, lambda_context)  # renders
    first = emitted_metrics(capsys.readouterr().out)
    speech.lambda_handler(event, lambda_context)  # the same message again: already rendered
    second = emitted_metrics(capsys.readouterr().out)

    assert first["SpeechRenders"] == [1.0]
    assert first["SpeechCharacters"] == [float(len(text))]
    assert 0.3 < first["SpeechAudioSeconds"][0] < 60
    assert first["SpeechCacheMisses"] == [1.0]
    assert second["SpeechCacheHits"] == [1.0] and "SpeechRenders" not in second

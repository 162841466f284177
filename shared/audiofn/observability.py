"""The one Logger and Metrics every function imports (settings from the template's Globals).

Metrics are CloudWatch embedded-metric-format lines in the function's log (no PutMetricData
call, so no IAM permission): a handler decorated with `@metrics.log_metrics` flushes them.

The Tracer is built on first use: constructing it imports the X-Ray SDK and botocore, which
would double the API function's cold import. Lambda's active tracing records every invocation
without it; functions that want subsegments call `tracer()`.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from audiofn.config import metrics_namespace

logger = Logger()
metrics = Metrics(namespace=metrics_namespace())


@cache
def tracer() -> Tracer:
    return Tracer()


def record_speech_render(characters: int, audio_seconds: float) -> None:
    """One section synthesised: how much text went in and how much speech came out."""
    metrics.add_metric(name="SpeechRenders", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="SpeechCharacters", unit=MetricUnit.Count, value=characters)
    metrics.add_metric(name="SpeechAudioSeconds", unit=MetricUnit.Seconds, value=audio_seconds)


def record_master_render(audio_seconds: float) -> None:
    """One listener's master finished."""
    metrics.add_metric(name="MasterRenders", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="MasterAudioSeconds", unit=MetricUnit.Seconds, value=audio_seconds)


def record_cache_lookup(kind: str, hit: bool) -> None:
    """A render looked for its result before doing the work (`kind`: "Speech", "Master"...)."""
    metrics.add_metric(
        name=f"{kind}CacheHits" if hit else f"{kind}CacheMisses", unit=MetricUnit.Count, value=1
    )


def wav_seconds(data: bytes) -> float:
    """Duration of an encoded file (the workers' own output), read from its header."""
    import io

    import soundfile

    return float(soundfile.info(io.BytesIO(data)).duration)

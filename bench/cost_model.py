"""The AWS cost of 1,000 one-minute masters and of a 100,000-listener batch.

Compute comes from measured CPU seconds per audio second (`bench.footprint`), billed as
Lambda duration at each function's configured memory: the speech and mastering functions get
at least one vCPU at their memory sizes (2048 and 3008 MB; Lambda gives a full vCPU at
1769 MB) and run one render at a time, so duration ~ CPU time. Request counts follow the
code paths (which objects and messages one render writes). Prices: us-east-1 list prices,
PRICES_AS_OF; check https://aws.amazon.com/pricing before relying on them.

`python -m bench.cost_model [footprint.json]` (without a file it measures first, ~3 min).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

PRICES_AS_OF = "2025-01 (us-east-1 list prices, no free tier; check before use)"
PRICES = {
    "lambda_gb_second": 0.0000166667,  # x86_64, first 6 billion GB-s per month
    "lambda_request": 0.20 / 1e6,
    "s3_put": 0.005 / 1000,  # PUT, COPY, POST, LIST (S3 Standard)
    "s3_get": 0.0004 / 1000,
    "s3_gb_month": 0.023,  # S3 Standard, first 50 TB
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "dynamodb_write_unit": 0.625 / 1e6,  # on-demand (after the November 2024 price cut)
    "dynamodb_read_unit": 0.125 / 1e6,
}
MINUTE = 60.0


@dataclass(frozen=True)
class Workload:
    name: str
    masters: int
    personalised_speech_seconds: float  # speech rendered per listener
    shared_speech_seconds: float  # speech rendered once for the whole run


@dataclass(frozen=True)
class PerMaster:
    """What one listener's master does, besides compute (counted from the code paths)."""

    lambda_requests: int = 7  # API x4 (script, speech, mastering, result), speech, master, webhook
    api_gb_seconds: float = 4 * 0.1 * 0.5  # four ~100 ms calls at 512 MB
    s3_puts: int = 6  # speech WAV, MP3, report, manifest, two caption files
    s3_gets: int = 14  # speech WAV, bed stems and manifest (~12), the listener's download
    stored_mb: float = 4.0  # ~2.6 MB speech WAV + ~1.4 MB MP3 at 192 kbps
    sqs_requests: int = 9  # send + receive + delete on the speech, mastering, webhook queues
    dynamodb_writes: int = 6  # job, task progress x2, status, usage, webhook delivery mark
    dynamodb_reads: int = 6


WORKLOADS = (
    Workload("1,000 one-minute masters", 1_000, MINUTE, 0.0),
    # A batch: a 5-second personalised greeting per listener, the rest of the minute shared.
    Workload("100,000-listener batch", 100_000, 5.0, MINUTE - 5.0),
)


def costs(footprint: dict, workload: Workload, per: PerMaster = PerMaster()) -> dict[str, float]:
    speech, mastering = footprint["SpeechFunction"], footprint["MasteringFunction"]
    speech_cpu = speech["warm"]["cpu_seconds"] / speech["audio_seconds"]
    master_cpu = mastering["warm"]["cpu_seconds"] / mastering["audio_seconds"]
    speech_seconds = workload.masters * workload.personalised_speech_seconds
    speech_seconds += workload.shared_speech_seconds
    gb_seconds = (
        speech_seconds * speech_cpu * speech["memory_mb"] / 1024
        + workload.masters * MINUTE * master_cpu * mastering["memory_mb"] / 1024
        + workload.masters * per.api_gb_seconds
    )
    n = workload.masters
    return {
        "Lambda compute": gb_seconds * PRICES["lambda_gb_second"],
        "Lambda requests": n * per.lambda_requests * PRICES["lambda_request"],
        "S3 requests": n * (per.s3_puts * PRICES["s3_put"] + per.s3_gets * PRICES["s3_get"]),
        "S3 storage (per month kept)": n * per.stored_mb / 1024 * PRICES["s3_gb_month"],
        "SQS": n * per.sqs_requests * PRICES["sqs_request"],
        "DynamoDB": n
        * (
            per.dynamodb_writes * PRICES["dynamodb_write_unit"]
            + per.dynamodb_reads * PRICES["dynamodb_read_unit"]
        ),
        "_gb_seconds": gb_seconds,
    }


def main() -> None:
    if len(sys.argv) > 1:
        footprint = json.loads(Path(sys.argv[1]).read_text())
    else:
        from bench.footprint import measure_all

        footprint = measure_all()
    speech, mastering = footprint["SpeechFunction"], footprint["MasteringFunction"]
    print(f"Prices: {PRICES_AS_OF}")
    print(
        f"Measured: speech {speech['warm']['cpu_seconds'] / speech['audio_seconds']:.3f} CPU s "
        f"per audio s at {speech['memory_mb']} MB; mastering (with captions) "
        f"{mastering['warm']['cpu_seconds'] / mastering['audio_seconds']:.3f} CPU s per "
        f"audio s at {mastering['memory_mb']} MB"
    )
    for workload in WORKLOADS:
        result = costs(footprint, workload)
        print(f"\n{workload.name}: {result.pop('_gb_seconds'):,.0f} GB-s")
        for item, dollars in result.items():
            print(f"  {item:<30}${dollars:>10.4f}")
        once = sum(v for k, v in result.items() if "storage" not in k)
        print(f"  {'total (storage aside)':<30}${once:>10.4f}")


if __name__ == "__main__":
    main()

"""python -m bench.tts_job_submit: how fast the job API takes a job, on a loaded machine.

A fresh local runtime; as soon as it answers, six busy processes load the machine (the load
average of a shared 2-core host, 6 to 8), and jobs are submitted one after another, text and
file alternately, as the protocol's curl examples send them. Reports the first submission and
the median and worst of the rest, and checks the ids are 1, 2, 3… with none skipped.
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from audiofn_local.subprocess_runtime import start_runtime

ROOT = Path(__file__).resolve().parents[1]
JOBS = 30
BUSY_PROCESSES = 6


def _spin(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


def main() -> None:
    with tempfile.TemporaryDirectory() as data, start_runtime(Path(data), cwd=ROOT) as runtime:
        stop_at = time.monotonic() + 600
        busy = [
            multiprocessing.Process(target=_spin, args=(stop_at,), daemon=True)
            for _ in range(BUSY_PROCESSES)
        ]
        for process in busy:
            process.start()
        try:
            headers = {"Authorization": f"Token {runtime.api_key}"}
            timings, ids = [], []
            with httpx.Client(base_url=runtime.url, headers=headers, timeout=300) as client:
                for n in range(JOBS):
                    started = time.perf_counter()
                    if n % 2:
                        answer = client.post(
                            "/api/v1/jobs/file/",
                            data={"lang": "az", "voice_id": "325640"},
                            files={"file": ("text.txt", "Salam, dünya.".encode(), "text/plain")},
                        )
                    else:
                        answer = client.post(
                            "/api/v1/jobs/text/",
                            json={"text": "salam", "lang": "az", "voice_id": "325640"},
                        )
                    timings.append(time.perf_counter() - started)
                    answer.raise_for_status()
                    ids.append(answer.json()["data"]["id"])
        finally:
            for process in busy:
                process.terminate()
    rest = timings[1:]
    print(f"{JOBS} submissions with {BUSY_PROCESSES} busy processes on the machine")
    print(f"first submission: {timings[0] * 1000:7.0f} ms")
    print(
        f"the rest: median {statistics.median(rest) * 1000:.0f} ms, worst {max(rest) * 1000:.0f} ms"
    )
    print(f"ids: {ids[0]}..{ids[-1]}, consecutive: {ids == list(range(1, JOBS + 1))}")


if __name__ == "__main__":
    main()

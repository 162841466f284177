"""The local runtime's own footprint: resident memory and CPU at rest, before and after work.

`python -m bench.local_footprint` (or `make bench SECTIONS=footprint`) starts the runtime as
`make run` does, on a fresh data directory, and prints:

- each process's resident memory (the main process, which holds moto, the pollers and the
  gateway, and the HTTP worker processes) once it is ready and its start-up work is over;
- CPU seconds of all its processes over 30 s with no requests (at rest);
- the main process's memory after storing about 1 GB of audio-sized objects in S3 and
  reading them back, after each of five rounds of four concurrent `POST /speech` requests
  (right after, and once the burst is over), and after a rest;
- CPU at rest again at the end;
- the seconds from start to a healthy `/health` on an existing data directory of 10,000
  objects (stored through S3, then the runtime stopped and started again), and its CPU at
  rest then.

Knobs (environment):
  BENCH_FOOTPRINT_STORE_MB   how much to store (1024), in objects of BENCH_FOOTPRINT_OBJECT_MB (4)
  BENCH_FOOTPRINT_REST_S     how long each at-rest measure lasts (30)
  BENCH_FOOTPRINT_ROUNDS     rounds of four concurrent requests (5)
  BENCH_FOOTPRINT_START_OBJECTS  objects in the data directory started again (10000), each
                             BENCH_FOOTPRINT_START_OBJECT_KB (256)
  BENCH_FOOTPRINT_PARTS      which parts to run: `memory`, `start` or both (`memory,start`)
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx

from audiofn_local.subprocess_runtime import RunningRuntime, start_runtime
from bench.batch import _process_tree, cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
# The speech engines give their working memory back after 5 s idle (audiofn.tts.onnx_memory).
BURST_OVER_SECONDS = 10.0
REST_SECONDS = float(os.environ.get("BENCH_FOOTPRINT_REST_S") or 30)
TEXTS = [
    "The council approved the riverside park, and construction starts in the spring.",
    "Local businesses expect more visitors once the new footbridge opens in June.",
    "The weather stays mild this week, with light rain on Thursday afternoon.",
    "Thank you for listening to the briefing, and have a wonderful week ahead.",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory(runtime: RunningRuntime) -> tuple[float, float]:
    """(main process, all worker processes together) resident MB."""
    pid = runtime.process.pid
    workers = 0.0
    for member in _process_tree(pid)[1:]:
        try:
            workers += rss_mb(member)
        except FileNotFoundError:
            continue
    return rss_mb(pid), workers


def settle(runtime: RunningRuntime, limit: float = 180) -> float:
    """Wait until start-up work (the sound library's first render) is over: the seconds."""
    started = time.monotonic()
    while time.monotonic() - started < limit and rest_cpu(runtime, 5) > 0.25:
        pass
    return time.monotonic() - started


def rest_cpu(runtime: RunningRuntime, seconds: float) -> float:
    """CPU seconds used by every process of the runtime over `seconds` with no requests."""
    before = cpu_seconds(runtime.process.pid)
    time.sleep(seconds)
    return cpu_seconds(runtime.process.pid) - before


def _s3(runtime: RunningRuntime) -> tuple[Any, str]:
    health = httpx.get(f"{runtime.url}/health", timeout=30).json()["aws"]
    client = boto3.client(
        "s3",
        endpoint_url=health["endpointUrl"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client, health["buckets"]["MediaBucket"]


def store_and_read(runtime: RunningRuntime, total_mb: int, object_mb: int) -> int:
    """Put `total_mb` of incompressible objects, then read each back; the count stored."""
    s3, bucket = _s3(runtime)
    count = max(1, total_mb // object_mb)
    body = os.urandom(object_mb * 1024 * 1024)
    for index in range(count):
        # A different body each time (first bytes), as distinct masters are.
        s3.put_object(
            Bucket=bucket, Key=f"bench/footprint/{index:05d}.wav", Body=index.to_bytes(8) + body[8:]
        )
    for index in range(count):
        s3.get_object(Bucket=bucket, Key=f"bench/footprint/{index:05d}.wav")["Body"].read()
    return count


def concurrent_speech(runtime: RunningRuntime, round_: int) -> list[int]:
    """Four `POST /script` + `POST /speech` at once (texts new to the fragment cache); their
    status codes."""
    statuses: list[int] = []
    headers = {"x-api-key": runtime.api_key}

    def one(text: str) -> None:
        with httpx.Client(base_url=runtime.url, headers=headers, timeout=300) as client:
            script = client.post("/script", json={"scriptText": text})
            if script.status_code >= 300:
                print(f"  POST /script: {script.status_code} {script.text[:200]}")
                statuses.append(script.status_code)
                return
            script_id = script.json()["scriptId"]
            deadline = time.monotonic() + 120  # the running-jobs quota answers 429 meanwhile
            while True:
                response = client.post("/speech", json={"scriptId": script_id, "voice": "joe"})
                left = deadline - time.monotonic()
                if response.status_code != 429 or left <= 0:
                    break
                time.sleep(min(left, float(response.headers.get("Retry-After") or 1)))
            statuses.append(response.status_code)

    texts = [f"{text} This is round {round_}." for text in TEXTS]
    threads = [threading.Thread(target=one, args=(text,), daemon=True) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def fill_objects(runtime: RunningRuntime, count: int, object_kb: int) -> None:
    """Put `count` distinct objects of `object_kb` into the media bucket (four at a time)."""
    s3, bucket = _s3(runtime)
    body = os.urandom(object_kb * 1024)

    def put(index: int) -> None:
        key = f"bench/start/{index:05d}.mp3"
        s3.put_object(Bucket=bucket, Key=key, Body=index.to_bytes(8) + body[8:])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, range(count)))


def start_on_existing_data(data_dir: Path, count: int, object_kb: int) -> None:
    """Store `count` objects, stop, start again on the same data directory: print the time
    from the spawn to the first healthy `/health` next to its aim."""
    started = time.perf_counter()
    with start_runtime(data_dir, cwd=ROOT) as runtime:
        fresh = runtime.ready_seconds
        fill_objects(runtime, count, object_kb)
        filled = time.perf_counter() - started
    with start_runtime(data_dir, cwd=ROOT) as runtime:
        again = runtime.ready_seconds
        main_mb, _ = memory(runtime)
        settle(runtime)
        cpu = rest_cpu(runtime, REST_SECONDS)
    restored = [line for line in runtime.log_path.read_text().splitlines() if "restored" in line]
    print(f"start on a fresh data directory: healthy in {fresh:.1f} s")
    print(
        f"start on {count:,} objects of {object_kb} kB ({count * object_kb / 1024:,.0f} MB, "
        f"stored in {filled:.0f} s): healthy in {again:.1f} s (aim < 30 s), main {main_mb:.0f} MB"
    )
    if restored:
        print(f"  {restored[-1].strip()}")
    print(
        f"  then at rest: {cpu:.2f} CPU s in {REST_SECONDS:.0f} s = "
        f"{100 * cpu / REST_SECONDS:.1f} % of a core (aim < 1 %)"
    )


def main() -> None:
    parts = (os.environ.get("BENCH_FOOTPRINT_PARTS") or "memory,start").split(",")
    if "memory" in parts:
        measure_memory()
    if "start" in parts:
        count = int(os.environ.get("BENCH_FOOTPRINT_START_OBJECTS") or 10_000)
        object_kb = int(os.environ.get("BENCH_FOOTPRINT_START_OBJECT_KB") or 256)
        data_dir = ROOT / "bench" / "out" / "footprint-start-data"
        shutil.rmtree(data_dir, ignore_errors=True)
        try:
            start_on_existing_data(data_dir, count, object_kb)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


def measure_memory() -> None:
    total_mb = int(os.environ.get("BENCH_FOOTPRINT_STORE_MB") or 1024)
    object_mb = int(os.environ.get("BENCH_FOOTPRINT_OBJECT_MB") or 4)
    rest = float(os.environ.get("BENCH_FOOTPRINT_REST_S") or 30)
    rounds = int(os.environ.get("BENCH_FOOTPRINT_ROUNDS") or 5)
    data_dir = ROOT / "bench" / "out" / "footprint-data"
    shutil.rmtree(data_dir, ignore_errors=True)

    def line(label: str, runtime: RunningRuntime, start_mb: float, extra: str = "") -> None:
        main_mb, workers_mb = memory(runtime)
        growth = f" ({main_mb - start_mb:+.0f} MB)" if start_mb else ""
        print(
            f"{label:<34} main {main_mb:5.0f} MB{growth}, workers {workers_mb:5.0f} MB{extra}",
            flush=True,
        )

    def at_rest(runtime: RunningRuntime) -> str:
        cpu = rest_cpu(runtime, rest)
        return f"; at rest {cpu:.2f} CPU s in {rest:.0f} s = {100 * cpu / rest:.1f} % of a core"

    try:
        with start_runtime(data_dir, cwd=ROOT) as runtime:
            print(f"ready in {runtime.ready_seconds:.1f} s (fresh data directory)")
            print(f"start-up work over after {settle(runtime):.0f} s more")
            start_mb, _ = memory(runtime)
            line("at start", runtime, 0.0, at_rest(runtime) + " (aim < 1 %)")
            started = time.perf_counter()
            count = store_and_read(runtime, total_mb, object_mb)
            seconds = time.perf_counter() - started
            label = f"stored {count * object_mb} MB, read back ({seconds:.0f} s)"
            line(label, runtime, start_mb, " (aim: main within +150 MB)")
            for round_ in range(1, rounds + 1):
                statuses = concurrent_speech(runtime, round_)
                label = f"4 concurrent POST /speech {sorted(statuses)}"
                line(label, runtime, start_mb, f" (round {round_})")
                time.sleep(BURST_OVER_SECONDS)
                line(
                    f"  {BURST_OVER_SECONDS:.0f} s later",
                    runtime,
                    start_mb,
                    " (aim: back to start)",
                )
            line(f"after {rest:.0f} s more", runtime, start_mb, at_rest(runtime))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

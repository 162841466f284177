"""Batch throughput: 1,000 listeners over a 30-second, two-section script whose only personal
part is one sentence with the listener's name, started by SQS messages on the local runtime.

Two runtimes run side by side, one splicing MP3 masters from the shared render's frames (the
default), one encoding each listener's MP3 whole (`AUDIOFN_BATCH_MP3_FRAME_SPLICE=0`, the road
before frame splicing). They take turns with half the audience each, twice, so both see the
same machine; then the first renders the audience in FLAC, and a few listeners without the
fragment cache (each synthesised and mastered whole).

`python -m bench.batch` runs this part alone. Knobs (environment):
  BENCH_BATCH_LISTENERS           listeners of each cached road (1000)
  BENCH_BATCH_UNCACHED_LISTENERS  listeners of the uncached run (100: it is ~10x slower)
  BENCH_BATCH_MP3                 the MP3 tier of the MP3 roads (mp3 = 192 kbps)

Prints, per road, wall-clock listeners per hour, the CPU time per listener (all processes of
the runtime: handlers, moto, the gateway) and what that CPU time allows on two idle cores,
their ratios, and the runtime's peak resident memory.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx

from audiofn.models.apiaudio import MP3_TIERS as MP3_KBPS
from audiofn_local.subprocess_runtime import RunningRuntime, start_runtime

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = (
    "<<sectionName::welcome>> Good morning, {{name|friend}}. "
    "Here is your Monday briefing from the city desk, with the stories that matter this week. "
    "The council has approved the new riverside park, and construction starts in the spring. "
    "<<sectionName::news>> Local businesses expect more visitors once the footbridge opens. "
    "The weather stays mild, with light rain on Thursday afternoon. "
    "That is all for today. Thank you for listening, and have a wonderful week."
)
FIRST = [
    "Ada",
    "Grace",
    "Linus",
    "Alan",
    "Margaret",
    "Katherine",
    "Dennis",
    "Barbara",
    "Edsger",
    "Frances",
    "Donald",
    "John",
    "Radia",
    "Tim",
    "Vint",
    "Hedy",
    "Claude",
    "Sophie",
    "Ken",
    "Bjarne",
    "Guido",
    "James",
    "Anita",
    "Mary",
    "Niklaus",
    "Leslie",
    "Shafi",
    "Fran",
    "Jean",
    "Lynn",
    "Annie",
    "Evelyn",
    "Rosalind",
    "Marie",
    "Charles",
    "Erna",
    "Carl",
    "Emmy",
    "Lise",
    "Chien",
    "Joan",
    "Kathleen",
    "Betty",
    "Ruth",
    "Ida",
    "Hertha",
    "Gladys",
    "Dorothy",
    "Valerie",
    "Jocelyn",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Turing",
    "Hamilton",
    "Johnson",
    "Ritchie",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Backus",
    "Perlman",
    "Berners",
    "Cerf",
    "Lamarr",
    "Shannon",
    "Wilson",
    "Thompson",
    "Stroustrup",
]


def audience(count: int) -> list[dict[str, str]]:
    """Distinct full names: no two listeners share a master or a personal sentence."""
    names = [f"{first} {last}" for last in LAST for first in FIRST]
    if count > len(names):
        raise SystemExit(f"at most {len(names)} distinct listeners")
    return [{"name": name, "id": str(index)} for index, name in enumerate(names[:count])]


def _process_tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        children = Path(f"/proc/{current}/task/{current}/children")
        if children.exists():
            queue += [int(child) for child in children.read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the runtime and its worker processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in _process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stored_masters_mb(runtime: RunningRuntime, org_id: str) -> float:
    health = httpx.get(f"{runtime.url}/health", timeout=30).json()["aws"]
    s3 = boto3.client(
        "s3",
        endpoint_url=health["endpointUrl"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=health["buckets"]["MediaBucket"], Prefix=f"orgs/{org_id}/batches/masters/"
    )
    return sum(item["Size"] for page in pages for item in page.get("Contents", [])) / 1e6


def peak_rss_mb(pid: int) -> float:
    """Largest resident set of any process of the runtime (VmHWM)."""
    peak = 0.0
    for member in _process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except FileNotFoundError:
            continue
    return peak


@dataclass(frozen=True)
class BatchRun:
    listeners: int
    done: int
    failed: int
    seconds: float
    cpu_seconds: float

    @property
    def per_hour(self) -> float:
        return self.done / self.seconds * 3600

    @property
    def cpu_per_listener(self) -> float:
        return self.cpu_seconds / max(1, self.done)

    @property
    def per_hour_on_two_cores(self) -> float:
        return 2 * 3600 / self.cpu_per_listener


def run_batch(
    runtime: RunningRuntime,
    org_id: str,
    batch_id: str,
    listeners: list[dict[str, str]],
    fmt: str,
    cache: bool,
    speed: float = 100.0,
) -> BatchRun:
    health = httpx.get(f"{runtime.url}/health", timeout=30).json()["aws"]
    sqs = boto3.client(
        "sqs",
        endpoint_url=health["endpointUrl"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    message: dict[str, Any] = {
        "orgId": org_id,
        "batchId": batch_id,
        "scriptText": SCRIPT,
        "voice": "joe",
        "soundTemplate": "news",
        "masteringPreset": "podcast",
        "endFormat": fmt,
        "cache": cache,
        "speed": speed,
        "audience": listeners,
    }
    pid = runtime.process.pid
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    sqs.send_message(QueueUrl=health["queues"]["BatchQueue"], MessageBody=json.dumps(message))
    headers = {"x-api-key": runtime.api_key}
    while True:
        time.sleep(3.0)  # the polls go through the gateway too: they are not the batch's cost
        response = httpx.get(f"{runtime.url}/batch/{batch_id}", headers=headers, timeout=30)
        if response.status_code == 404:
            continue  # the batch function has not picked the message up yet
        body = response.json()
        if body["status"] in {"done", "failed"}:
            break
    seconds = time.perf_counter() - started
    return BatchRun(len(listeners), body["done"], body["failed"], seconds, cpu_seconds(pid) - cpu)


@dataclass(frozen=True)
class _Splicing:
    """A chunk worker's part, in this process: the bench script's voice and texts."""

    speak: Any
    texts: Any
    fragments: Any

    def build_shared(self) -> Any:
        from audiofn.batch_render import build_shared, speak_sections
        from audiofn.sound.stems import render_template

        spoken = speak_sections(self.fragments, self.texts({}), self.speak)
        return build_shared(spoken, render_template("news"), "podcast")


def _splicing() -> _Splicing:
    from audiofn.batch_render import plan_fragments
    from audiofn.text.scripts import Section, parse_script
    from audiofn.tts.catalogue import resolve_voice
    from audiofn.tts.registry import EngineSettings
    from audiofn.tts.ssml_render import render_text

    voice = resolve_voice("joe", polly_enabled=False, upstream_enabled=False)
    fragments = plan_fragments(parse_script(SCRIPT))

    def speak(text: str) -> Any:
        return render_text(text, voice, 1.0, EngineSettings())

    def texts(values: dict[str, str]) -> list[str]:
        return [Section(f.name, f.text, ()).render(values) for f in fragments]

    speak("Warm up.")
    return _Splicing(speak, texts, fragments)


def splice_memory_mb(fmt: str, listeners: int = 5) -> tuple[float, float]:
    """Traced peak (numpy and Python) of a chunk worker in this process: the shared render
    is built, then `listeners` listeners are spliced and encoded. Also the shared render's
    size as stored."""
    import tracemalloc

    from audiofn.batch_render import splice_listener, trim_silence
    from audiofn.codecs import encode

    setup = _splicing()
    tracemalloc.start()
    try:
        shared = setup.build_shared()
        stored = len(shared.to_bytes())
        for row in audience(listeners):
            sentence = trim_silence(setup.speak(setup.texts(row)[0]))
            encode(splice_listener(shared, [sentence]).audio, fmt)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6, stored / 1e6


@dataclass(frozen=True)
class EncodeCpu:
    seconds: float
    repeats: int
    spliced: float
    whole: float
    shared: float


def encode_cpu(tier: str, repeats: int = 15) -> EncodeCpu:
    """CPU time of one listener's MP3 in this process: spliced from the shared render's
    frames, and encoded whole (the median of `repeats` listeners each)."""
    import statistics

    from audiofn.batch_render import splice_listener, trim_silence
    from audiofn.codecs import encode
    from audiofn.mp3_splice import encode_frames, frame_samples, splice_frames

    setup = _splicing()
    shared, kbps = setup.build_shared(), MP3_KBPS[tier]
    started = time.process_time()
    frames = encode_frames(shared.audio, shared.rate, kbps)
    shared_cpu = time.process_time() - started
    spliced, whole, seconds = [], [], 0.0
    for row in audience(repeats):
        sentence = trim_silence(setup.speak(setup.texts(row)[0]))
        master = splice_listener(shared, [sentence], whole=frame_samples(shared.rate))
        started = time.process_time()
        splice_frames(frames, master.audio.samples, master.changes)
        spliced.append(time.process_time() - started)
        started = time.process_time()
        encode(master.audio, "mp3", bitrate_kbps=kbps)
        whole.append(time.process_time() - started)
        seconds = master.audio.duration
    return EncodeCpu(
        seconds, repeats, statistics.median(spliced), statistics.median(whole), shared_cpu
    )


def _org(runtime: RunningRuntime) -> str:
    headers = {"x-api-key": runtime.api_key}
    return str(httpx.get(f"{runtime.url}/org", headers=headers, timeout=30).json()["orgId"])


def _added(runs: list[BatchRun]) -> BatchRun:
    return BatchRun(
        sum(r.listeners for r in runs),
        sum(r.done for r in runs),
        sum(r.failed for r in runs),
        sum(r.seconds for r in runs),
        sum(r.cpu_seconds for r in runs),
    )


def _line(name: str, run: BatchRun) -> str:
    return (
        f"  {name}: {run.done}/{run.listeners} listeners ({run.failed} failed) in "
        f"{run.seconds:.0f} s = {run.per_hour:,.0f} listeners/hour; "
        f"{run.cpu_per_listener:.3f} CPU-s per listener = "
        f"{run.per_hour_on_two_cores:,.0f}/hour on two idle cores"
    )


def main() -> None:
    from bench.local_footprint import settle

    listeners = int(os.environ.get("BENCH_BATCH_LISTENERS", "1000"))
    uncached = int(os.environ.get("BENCH_BATCH_UNCACHED_LISTENERS", "100"))
    mp3 = os.environ.get("BENCH_BATCH_MP3", "mp3")
    out = ROOT / "bench" / "out"
    env = {
        "AUDIOFN_LOCAL_CONCURRENCY_BatchFunction": "2",  # one chunk worker per core
        "AUDIOFN_BATCH_CHUNK_SIZE": "25",
    }
    for name in ("batch-data", "batch-data-whole-mp3"):
        shutil.rmtree(out / name, ignore_errors=True)
    everyone = audience(listeners)
    halves = [everyone[: listeners // 2], everyone[listeners // 2 :]]
    spliced: list[BatchRun] = []
    whole: list[BatchRun] = []
    with (
        start_runtime(out / "batch-data", cwd=ROOT, **env) as runtime,  # type: ignore[arg-type]
        start_runtime(
            out / "batch-data-whole-mp3",
            cwd=ROOT,
            **env,  # type: ignore[arg-type]
            AUDIOFN_BATCH_MP3_FRAME_SPLICE="0",
        ) as plain_mp3,
    ):
        orgs = {id(each): _org(each) for each in (runtime, plain_mp3)}
        for each in (runtime, plain_mp3):
            settle(each)
            # Loads the models and renders the bed; another speed, so nothing of it is re-used.
            run_batch(each, orgs[id(each)], "bench-warm-up", audience(2), mp3, True, speed=101.0)
        for number, half in enumerate(halves):
            for each, runs in ((runtime, spliced), (plain_mp3, whole)):
                runs.append(run_batch(each, orgs[id(each)], f"bench-mp3-{number}", half, mp3, True))
        # another speed: the fragment cache holds the MP3 roads' sentences
        flac = run_batch(runtime, orgs[id(runtime)], "bench-flac", everyone, "flac", True, 99.0)
        plain = run_batch(
            runtime, orgs[id(runtime)], "bench-uncached", everyone[:uncached], mp3, False
        )
        peak = peak_rss_mb(runtime.process.pid)
        stored_mb = stored_masters_mb(runtime, orgs[id(runtime)])
    load = os.getloadavg()
    frames, encoded = _added(spliced), _added(whole)
    print(
        f"batch: 30 s two-section script, one personal sentence, {mp3} "
        f"({MP3_KBPS.get(mp3, '?')} kbps) and flac, local runtimes with two chunk workers "
        f"(load average {load[0]:.1f} while measuring, {os.cpu_count()} cores)"
    )
    print(_line("MP3, frames spliced   ", frames))
    print(_line("MP3, each encoded whole", encoded))
    print(_line("FLAC                   ", flac))
    print(_line("MP3, cache off         ", plain))
    print(
        f"  MP3 frames spliced / encoded whole (same run, taking turns): "
        f"{frames.per_hour / encoded.per_hour:.2f}x wall clock, "
        f"{encoded.cpu_per_listener / frames.cpu_per_listener:.2f}x CPU per listener; "
        f"MP3 frames spliced / cache off: "
        f"{plain.cpu_per_listener / frames.cpu_per_listener:.1f}x CPU per listener"
    )
    encode = encode_cpu(mp3)
    print(
        f"  encoding one listener's {encode.seconds:.0f} s MP3 (in this process, median of "
        f"{encode.repeats}): frames spliced {encode.spliced * 1000:.0f} ms CPU, encoded whole "
        f"{encode.whole * 1000:.0f} ms CPU ({encode.whole / encode.spliced:.1f}x); the shared "
        f"render's frames, once per batch and process, {encode.shared * 1000:.0f} ms"
    )
    traced, stored = splice_memory_mb("mp3")
    print(
        f"  peak memory: {peak:.0f} MB resident (largest process of the runtime; it also "
        f"holds moto's S3 objects: {stored_mb:.0f} MB of masters); a chunk worker's traced "
        f"peak {traced:.0f} MB (the shared render is {stored:.0f} MB)"
    )


if __name__ == "__main__":
    main()

"""make bench: every figure the project reports, by section (`python -m bench [section ...]`).

pipeline   a 120-word paragraph: raw engine synthesis, through the API to a speech file, their
           ratio, and the API function's cold import time
mastering  a 60-second programme mastered and MP3-encoded: multiple of real time, peak memory,
           loudness and true peak against the target
voices     voice-sample processing speed; preview latency cold and cached
openai     OpenAI-compatible speech: first and last byte streaming 1,000 words, buffered vs raw
engines    per engine: CPU-s per audio-s, streamed first byte of 1,000 words, Kokoro/Piper
realtime   realtime transcription: utterance end to FinalTranscript
tts-jobs   the job-based TTS API on a long text
tts-job-submit  taking jobs on a loaded machine: first and typical latency, consecutive ids
batch      1,000 listeners: MP3 spliced from frames vs encoded whole (one run, taking turns),
           FLAC, cache off: listeners per hour, CPU per listener, peak memory
custom-voices  speaker similarity on a held-out sentence, pitch shift vs style search, for two
           natural-speech references; the search's wall time
delivery   a 60-second programme rendered once, then one deliverable per delivery spec: CPU
           time each, and what each file measures after decoding
footprint  the local runtime: memory at start, after storing 1 GB and after a burst; CPU at rest
"""

from __future__ import annotations

import importlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from audiofn_local.subprocess_runtime import start_runtime

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = (Path(__file__).parent / "texts" / "paragraph-120.txt").read_text().strip()
RUNS = 5


def _engine() -> Callable[[str], float]:
    """Raw synthesis in this process, model loaded: speaks a text, answers its audio seconds."""
    from audiofn.tts.catalogue import DEFAULT_VOICE_ID, resolve_voice
    from audiofn.tts.registry import EngineSettings, synthesize

    voice = resolve_voice(DEFAULT_VOICE_ID, polly_enabled=False, upstream_enabled=False)
    settings = EngineSettings()
    synthesize("Warm up.", voice, 1.0, settings)
    return lambda text: synthesize(text, voice, 1.0, settings).duration


def api_cold_import_ms(samples: int = 15) -> float:
    """Median time to import functions/api/app.py in a fresh interpreter (Lambda's init)."""
    program = (
        "import sys, time; sys.path.insert(0, 'functions/api'); t = time.perf_counter(); "
        "import app; print((time.perf_counter() - t) * 1000); "
        "print(int('numpy' in sys.modules), int('onnxruntime' in sys.modules))"
    )
    env = {
        **os.environ,
        "AUDIOFN_TABLE": "t",
        "AUDIOFN_MEDIA_BUCKET": "b",
        "AUDIOFN_SPEECH_QUEUE_URL": "q",
        "POWERTOOLS_SERVICE_NAME": "audiofn",
    }
    results = []
    for _ in range(samples):
        out = subprocess.run(
            [sys.executable, "-c", program],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if out[1] != "0" or out[2] != "0":
            raise SystemExit("the API function imported numpy or a model runtime")
        results.append(float(out[0]))
    return statistics.median(results)


SECTIONED = [sentence.strip() + "." for sentence in PARAGRAPH.split(".") if sentence.strip()]
AUDIENCES = [["Ada", "Grace", "Alan"], ["Mary", "John", "Leila"], ["Olga", "Ben", "Eve"]]


def sectioned_script() -> str:
    """The paragraph as one section per sentence, each greeting the listener."""
    return " ".join(
        f"<<sectionName::part{index}>> {{{{name|friend}}}}, {sentence}"
        for index, sentence in enumerate(SECTIONED)
    )


@dataclass
class PipelineFigures:
    raw: list[float] = field(default_factory=list)  # the paragraph, engine alone
    raw_cpu: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)  # the paragraph through POST /speech
    api_cpu: list[float] = field(default_factory=list)  # every process of the runtime
    cached: list[float] = field(default_factory=list)
    raw_many: list[float] = field(default_factory=list)  # sections x listeners, engine alone
    api_many: list[float] = field(default_factory=list)
    audio_seconds: float = 0.0


def pipeline_runs() -> PipelineFigures:
    """Each figure RUNS times, the engine alone and the API taking turns, once the runtime's
    start-up work is over: on a shared machine both sides then see the same load.

    Through the API: `POST /speech` (which waits), `GET` the URL map and download the file;
    each run a new paragraph (a cache miss), then the same one again (a hit). Many sections:
    one `POST /speech` for a seven-section script and an audience of three, polled to done."""
    from bench.batch import cpu_seconds
    from bench.local_footprint import settle

    speak_raw = _engine()
    figures = PipelineFigures()
    data_dir = ROOT / "bench" / "out" / "data"
    shutil.rmtree(data_dir, ignore_errors=True)  # no fragment cached by an earlier run
    with (
        start_runtime(data_dir, cwd=ROOT) as runtime,
        httpx.Client(
            base_url=runtime.url, headers={"x-api-key": runtime.api_key}, timeout=300
        ) as client,
    ):

        def speech(text: str, audience: list[dict[str, str]] | None = None) -> float:
            script = client.post("/script", json={"scriptText": text}).json()
            body: dict[str, Any] = {"scriptId": script["scriptId"], "voice": "joe"}
            if audience:
                body["audience"] = audience
            start = time.perf_counter()
            response = client.post("/speech", json=body)
            while response.status_code == 202:
                time.sleep(0.1)
                response = client.get("/speech", params={"scriptId": script["scriptId"]})
            if response.status_code != 200:
                raise SystemExit(f"speech did not finish: {response.status_code} {response.text}")
            if not audience:
                urls = client.get("/speech", params={"scriptId": script["scriptId"]}).json()
                if httpx.get(urls["default"], timeout=60).content[:4] != b"RIFF":
                    raise SystemExit("the speech file is not a WAV file")
            return time.perf_counter() - start

        speech("Warm up.")
        settle(runtime)
        for run in range(RUNS):
            text = f"{PARAGRAPH} Run {run}."  # new to the fragment cache
            start, start_cpu = time.perf_counter(), time.process_time()
            figures.audio_seconds = speak_raw(text)
            figures.raw.append(time.perf_counter() - start)
            figures.raw_cpu.append(time.process_time() - start_cpu)
            start_cpu = cpu_seconds(runtime.process.pid)
            figures.api.append(speech(text))
            figures.api_cpu.append(cpu_seconds(runtime.process.pid) - start_cpu)
            figures.cached.append(speech(text))
        for names in AUDIENCES:
            start = time.perf_counter()
            for name in names:
                for sentence in SECTIONED:
                    speak_raw(f"{name}, {sentence}")
            figures.raw_many.append(time.perf_counter() - start)
            audience = [{"name": name} for name in names]
            figures.api_many.append(speech(sectioned_script(), audience))
    return figures


def mastering_figures() -> None:
    """A 60-second programme: bed, ducking, loudness and MP3 encoding (one core)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from audiofn.mastering import get_preset
    from bench.mastering import benchmark

    result = benchmark(seconds=60.0)
    target = get_preset(result.preset)
    print(
        f"mastering a {result.programme_seconds:.0f} s programme ({result.template}, "
        f"{result.preset}): {result.total_seconds:.2f} s = {result.realtime_factor:.0f}x "
        f"real time (mix and master alone {result.master_realtime_factor:.0f}x)"
    )
    print(
        f"  on one core: {result.cpu_seconds:.2f} s of CPU = {result.cpu_realtime_factor:.0f}x "
        f"real time (master {result.master_seconds:.2f} s + MP3 {result.encode_seconds:.2f} s "
        "wall clock)"
    )
    print(
        f"  peak traced memory {result.peak_memory_mb:.0f} MB, max RSS {result.max_rss_mb:.0f} MB"
    )
    print(
        f"  loudness {result.integrated_lufs:.2f} LUFS (target {target.target_lufs}), "
        f"true peak {result.true_peak_dbtp:.2f} dBTP, after MP3 "
        f"{result.encoded_true_peak_dbtp:.2f} dBTP (limit {target.true_peak_dbtp})"
    )


def pipeline_figures() -> None:
    words = len(PARAGRAPH.split())
    load = os.getloadavg()[0]
    runs = pipeline_runs()
    cold = api_cold_import_ms()
    raw, api = statistics.median(runs.raw), statistics.median(runs.api)
    raw_cpu, api_cpu = statistics.median(runs.raw_cpu), statistics.median(runs.api_cpu)
    seconds = runs.audio_seconds
    print(f"load average {load:.2f} at start, {os.getloadavg()[0]:.2f} at end (1 min)")
    print(f"paragraph: {words} words, {seconds:.1f} s of speech (default voice; medians of {RUNS})")
    print(f"raw engine synthesis:        {raw:6.2f} s  ({seconds / raw:.1f}x real time)")
    print(f"through the API to the file: {api:6.2f} s  (fragment cache miss)")
    print(
        f"pipeline / raw:              {api / raw:6.2f}  "
        f"(overhead {100 * (api / raw - 1):.0f} %; aim 1.10)"
    )
    print(
        f"  CPU seconds: raw {raw_cpu:.2f}, the runtime's processes {api_cpu:.2f}, "
        f"ratio {api_cpu / raw_cpu:.2f}"
    )
    print(f"again, from the cache:       {statistics.median(runs.cached):6.2f} s")
    raw_many, api_many = statistics.median(runs.raw_many), statistics.median(runs.api_many)
    tasks = len(SECTIONED) * len(AUDIENCES[0])
    print(
        f"{len(SECTIONED)} sections x {len(AUDIENCES[0])} listeners ({tasks} speech files): raw "
        f"{raw_many:.2f} s, through the API {api_many:.2f} s, ratio {api_many / raw_many:.2f} "
        "(aim 1.10)"
    )
    print(f"API function cold import:    {cold:6.0f} ms (median of 15 fresh interpreters; aim 300)")


def _section(module: str) -> Callable[[], None]:
    def run() -> None:
        figures: Callable[[], None] = importlib.import_module(module).main
        figures()

    return run


# `python -m bench [section ...]`: the named sections, in this order; all without arguments.
SECTIONS: dict[str, Callable[[], None]] = {
    "pipeline": pipeline_figures,
    "mastering": mastering_figures,
    "voices": _section("bench.voices"),
    "openai": _section("bench.openai_speech"),
    "engines": _section("bench.engines"),
    "realtime": _section("bench.realtime_stt"),
    "tts-jobs": _section("bench.tts_jobs"),
    "tts-job-submit": _section("bench.tts_job_submit"),
    "batch": _section("bench.batch"),
    "custom-voices": _section("bench.custom_voices"),
    "delivery": _section("bench.delivery"),
    "vast": _section("bench.vast"),
    "footprint": _section("bench.local_footprint"),
}


def main() -> None:
    wanted = sys.argv[1:] or list(SECTIONS)
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section {unknown[0]!r}; sections: {', '.join(SECTIONS)}")
    for name in wanted:
        print(f"\n== {name}", flush=True)
        SECTIONS[name]()


if __name__ == "__main__":
    main()

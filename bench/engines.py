"""Per engine, in one run (python -m bench.engines, or make bench SECTIONS=engines):

CPU-seconds per audio-second of raw synthesis (the 120-word paragraph, model loaded; every
thread's CPU time counted), for Piper ``joe``, Kokoro ``af_heart`` and eSpeak NG, and the
Kokoro/Piper ratio;
the streamed first byte of a 1,000-word text through the OpenAI speech stream (HTTP, the
``openai`` client, mp3): the request is opened, its first chunk read, and the stream closed
(the rest of the text is then never spoken); the median of RUNS requests per voice;
the process's peak memory with Piper and Kokoro loaded and speaking (what a speaking
function holds);
where Kokoro's first piece spends its CPU: phonemes, style, the model's run, and the frames
it speaks (the model's own leading silence among them).
"""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path
from typing import Any

import openai

from audiofn_local.subprocess_runtime import RunningRuntime, start_runtime
from bench.local_footprint import rest_cpu, settle

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = (Path(__file__).parent / "texts" / "paragraph-120.txt").read_text().strip()
LONG_TEXT = " ".join((" ".join([PARAGRAPH] * 9)).split()[:1000]).rstrip(".,;") + "."
RUNS = 5
ENGINE_VOICES = {"piper": "joe", "kokoro": "af_heart", "espeak": "espeak-en-us-female"}


def cpu_per_audio_second(voice_id: str) -> tuple[float, float]:
    """(CPU-seconds per audio-second, wall seconds per audio-second): median of RUNS."""
    from audiofn.tts.catalogue import resolve_voice
    from audiofn.tts.registry import EngineSettings, synthesize

    voice = resolve_voice(voice_id, polly_enabled=False, upstream_enabled=False)
    settings = EngineSettings()
    synthesize("Warm up.", voice, 1.0, settings)
    cpu, wall = [], []
    for _ in range(RUNS):
        started_cpu, started = time.process_time(), time.perf_counter()
        audio = synthesize(PARAGRAPH, voice, 1.0, settings)
        cpu.append((time.process_time() - started_cpu) / audio.duration)
        wall.append((time.perf_counter() - started) / audio.duration)
    return statistics.median(cpu), statistics.median(wall)


def first_byte_seconds(
    client: openai.OpenAI, voice: str, text: str, runtime: RunningRuntime
) -> float:
    """Median of RUNS: request sent to first streamed chunk (the first of the text's requests).

    Closing a stream stops it after the piece being spoken, which still finishes: the next
    request waits until the runtime is quiet again, so it is not timed against that piece."""
    first = text[:4096].rsplit(". ", 1)[0] + "."
    timings = []
    for _ in range(RUNS):
        while rest_cpu(runtime, 0.5) > 0.1:
            pass
        start = time.perf_counter()
        with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice=voice, input=first, response_format="mp3"
        ) as response:
            next(response.iter_bytes())
            timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def first_piece_cpu_seconds(voice: str, text: str) -> tuple[str, float]:
    """(the first piece's text, median CPU-seconds to the stream's first encoded chunk)."""
    from audiofn.openai_speech.request import SpeechRequest
    from audiofn.openai_speech.synthesis import iter_encoded, plan_speech
    from audiofn.tts.registry import EngineSettings

    settings = EngineSettings()
    first = text[:4096].rsplit(". ", 1)[0] + "."
    request = SpeechRequest.model_validate(
        {"model": "tts-1", "voice": voice, "input": first, "response_format": "mp3"}
    )
    plan = plan_speech(request, engine_settings=settings)
    next(iter_encoded(plan, settings))
    timings = []
    for _ in range(RUNS):
        started = time.process_time()
        next(iter_encoded(plan, settings))
        timings.append(time.process_time() - started)
    return plan.pieces[0].text, statistics.median(timings)


def kokoro_first_piece_profile(text: str) -> dict[str, float]:
    """CPU-seconds (median of RUNS) of each step of the stream's first Kokoro piece, and the
    frames (25 ms) the model speaks for it: in all, before the first phoneme, after the last."""
    from audiofn.openai_speech.request import SpeechRequest
    from audiofn.openai_speech.synthesis import plan_speech
    from audiofn.tts import kokoro_engine
    from audiofn.tts.registry import EngineSettings

    request = SpeechRequest.model_validate(
        {"model": "tts-1", "voice": ENGINE_VOICES["kokoro"], "input": text[:4096]}
    )
    plan = plan_speech(request, engine_settings=EngineSettings())
    piece, voice = plan.pieces[0].text, plan.voice
    engine = kokoro_engine.get_kokoro()
    language = kokoro_engine.espeak_voice(voice)
    phonemes = kokoro_engine.phonemize(piece, language)
    style = kokoro_engine.voice_style(voice)

    def cpu(step: Any) -> float:
        step()
        timings = []
        for _ in range(RUNS):
            started = time.process_time()
            step()
            timings.append(time.process_time() - started)
        return statistics.median(timings)

    _, frames = engine._run(phonemes, style, 1.0)
    return {
        "phonemise": cpu(lambda: kokoro_engine.phonemize(piece, language)),
        "style": cpu(lambda: kokoro_engine.voice_style(voice)),
        "model": cpu(lambda: engine._run(phonemes, style, 1.0)),
        "whole": cpu(lambda: engine.synthesize_timed(piece, voice)),
        "frames": float(frames.sum()),
        "lead_frames": float(frames[0]),
        "tail_frames": float(frames[-2:].sum()),
    }


def main() -> None:
    rates = {engine: cpu_per_audio_second(voice) for engine, voice in ENGINE_VOICES.items()}
    pieces = {
        engine: first_piece_cpu_seconds(voice, LONG_TEXT) for engine, voice in ENGINE_VOICES.items()
    }
    profile = kokoro_first_piece_profile(LONG_TEXT)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = ROOT / "bench" / "out"
    with start_runtime(out / "data-engines", cwd=ROOT) as runtime:
        client = openai.OpenAI(api_key=runtime.api_key, base_url=f"{runtime.url}/v1", timeout=900)
        for voice in ENGINE_VOICES.values():  # load every model before timing
            client.audio.speech.create(model="tts-1", voice=voice, input="Warm up.")
        settle(runtime)  # the first start's sound-library render is over
        firsts = {
            engine: first_byte_seconds(client, voice, LONG_TEXT, runtime)
            for engine, voice in ENGINE_VOICES.items()
        }
    print(f"raw synthesis of the {len(PARAGRAPH.split())}-word paragraph (median of {RUNS}):")
    for engine, (cpu, wall) in rates.items():
        print(
            f"  {engine:7s} {ENGINE_VOICES[engine]:20s} {cpu:6.3f} CPU-s per audio-s"
            f"   {wall:6.3f} wall-s per audio-s"
        )
    print(f"  Kokoro / Piper CPU ratio: {rates['kokoro'][0] / rates['piper'][0]:.1f}")
    print(f"streamed first byte of {len(LONG_TEXT.split())} words (mp3, median of {RUNS}):")
    for engine, seconds in firsts.items():
        print(f"  {engine:7s} {ENGINE_VOICES[engine]:20s} {seconds:6.3f} s")
    print("CPU time to the stream's first chunk, in-process (median):")
    for engine, (text, seconds) in pieces.items():
        print(f"  {engine:7s} {seconds:6.3f} CPU-s   first piece {text!r}")
    print(
        "Kokoro's first piece, CPU-s (median):"
        f" phonemise {profile['phonemise']:.4f}, style {profile['style']:.4f},"
        f" model {profile['model']:.3f}, whole synthesis with word timings {profile['whole']:.3f};"
        f" {profile['frames']:.0f} frames of 25 ms, {profile['lead_frames']:.0f} before the first"
        f" phoneme and {profile['tail_frames']:.0f} for the last phoneme and the end"
    )
    print(f"peak memory with Piper, Kokoro and eSpeak loaded and speaking: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()

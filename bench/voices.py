"""Voice figures: sample processing speed (decode, checks, denoise, trim and loudness) per
minute of uploaded audio, and preview latency cold and cached through the local runtime.

Run alone with `python -m bench.voices`; `make bench` prints it after the other figures.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from audiofn_local.subprocess_runtime import start_runtime

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = (Path(__file__).parent / "texts" / "paragraph-120.txt").read_text().strip()
RUNS = 3


def _sample_bytes() -> tuple[dict[str, bytes], float]:
    """About 45 s of speech (joe) in a room at 30 dB SNR, as WAV and MP3 at 22.05 kHz."""
    from audiofn.audio import Audio
    from audiofn.codecs import encode
    from audiofn.tts.catalogue import DEFAULT_VOICE_ID, resolve_voice
    from audiofn.tts.registry import EngineSettings, synthesize

    voice = resolve_voice(DEFAULT_VOICE_ID, polly_enabled=False, upstream_enabled=False)
    speech = synthesize(PARAGRAPH, voice, 1.0, EngineSettings())
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1, len(speech.samples)).astype(np.float32)
    noisy = speech.samples + noise * float(np.sqrt(np.mean(speech.samples**2))) / 31.6
    audio = Audio(noisy.astype(np.float32), speech.sample_rate)
    return {fmt: encode(audio, fmt) for fmt in ("wav", "mp3")}, audio.duration


def processing_figures() -> None:
    from audiofn.services import voice_samples as vs

    files, seconds = _sample_bytes()
    for fmt, data in files.items():
        stages: dict[str, list[float]] = {"decode": [], "checks": [], "denoise": [], "clean": []}
        for _ in range(RUNS):
            t0 = time.perf_counter()
            audio = vs.decode_sample(data, f"sample.{fmt}")
            t1 = time.perf_counter()
            vs.check_sample(audio, f"sample.{fmt}")
            t2 = time.perf_counter()
            quiet = vs.denoise(audio)
            t3 = time.perf_counter()
            vs.clean_sample(quiet, remove_noise=False)
            t4 = time.perf_counter()
            for name, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                stages[name].append(value)
        medians = {name: statistics.median(values) for name, values in stages.items()}
        total = sum(medians.values())
        per_minute = total * 60 / seconds
        print(
            f"voice sample ({fmt}, {seconds:.0f} s): {total:.2f} s to process = "
            f"{seconds / total:.0f}x real time, {per_minute:.2f} s per minute of audio"
        )
        print("  " + ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in medians.items()))


def preview_figures() -> None:
    with (
        tempfile.TemporaryDirectory() as data,
        start_runtime(Path(data), cwd=ROOT) as runtime,
        httpx.Client(
            base_url=runtime.url, headers={"x-api-key": runtime.api_key}, timeout=120
        ) as client,
    ):
        path = "/api/v1/voice/voice-profiles/joe/preview"
        client.get(path, params={"audio_format": "wav"})  # engines and model warm
        timings = {}
        for label, fmt in (("cold", "mp3"), ("cached", "mp3")):
            start = time.perf_counter()
            response = client.get(path, params={"audio_format": fmt})
            timings[label] = time.perf_counter() - start
            if response.status_code != 200 or response.json()["cached"] != (label == "cached"):
                raise SystemExit(f"preview failed: {response.status_code} {response.text}")
        cached = []
        for _ in range(5):
            start = time.perf_counter()
            client.get(path, params={"audio_format": "mp3"})
            cached.append(time.perf_counter() - start)
        print(
            f"voice preview (joe, mp3): cold {timings['cold'] * 1000:.0f} ms, "
            f"cached {statistics.median(cached) * 1000:.0f} ms (median of 5)"
        )


def main() -> None:
    processing_figures()
    preview_figures()


if __name__ == "__main__":
    main()

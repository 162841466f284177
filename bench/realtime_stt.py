"""Realtime transcription: the delay from the end of an utterance to its FinalTranscript.

`python -m bench.realtime_stt` starts the local runtime, synthesises sentences of the
intelligibility corpus with the default voice (0.8 s pauses between them), and streams them
over the websocket at real-time pace in 100 ms and 200 ms chunks (the protocol example's
3200 frames). A microphone hands over a chunk when it is full, so the clock starts when the
utterance's last sample is captured: delay = FinalTranscript received - (stream start +
utterance end in the audio). Aim: under 0.5 s.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import websocket

from audiofn_local.subprocess_runtime import start_runtime

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "intelligibility-en.txt"
RATE = 16_000
GAP_SECONDS = 0.8
SENTENCES = 8


def speech(sentences: list[str]) -> tuple[np.ndarray, list[float]]:
    """16-bit samples and the time each sentence's speech ends."""
    from audiofn.dsp.effects import resample, to_mono
    from audiofn.tts.catalogue import DEFAULT_VOICE_ID, resolve_voice
    from audiofn.tts.registry import EngineSettings, synthesize

    voice = resolve_voice(DEFAULT_VOICE_ID, polly_enabled=False, upstream_enabled=False)
    parts, ends, at = [np.zeros(RATE // 2, np.float32)], [], 0.5
    for sentence in sentences:
        samples = resample(to_mono(synthesize(sentence, voice, 1.0, EngineSettings())), RATE)
        voiced = np.flatnonzero(np.abs(samples.samples) > 10 ** (-40 / 20))
        ends.append(at + (voiced[-1] + 1) / RATE)
        at += samples.duration + GAP_SECONDS
        parts += [samples.samples, np.zeros(int(GAP_SECONDS * RATE), np.float32)]
    pcm = (np.clip(np.concatenate(parts), -1, 1) * 32767).astype("<i2")
    return pcm, ends


def stream(url: str, key: str, pcm: np.ndarray, chunk_ms: int) -> tuple[float, list]:
    """Send at real-time pace; returns the stream's start and (received at, message) pairs."""
    ws = websocket.create_connection(url, header={"Authorization": f"Bearer {key}"})
    ws.send(json.dumps({"sample_rate": RATE}))
    received: list[tuple[float, dict]] = []

    def receive() -> None:
        while True:
            try:
                data = ws.recv()
            except websocket.WebSocketConnectionClosedException:
                return
            if not data:
                return
            received.append((time.monotonic(), json.loads(data)))

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    step = RATE * chunk_ms // 1000
    start = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm), step)):
        # The chunk leaves when its last sample has been captured.
        time.sleep(max(0.0, start + (index + 1) * chunk_ms / 1000 - time.monotonic()))
        ws.send_binary(pcm[offset : offset + step].tobytes())
    ws.send(json.dumps({"done": True}))
    reader.join(timeout=60)
    return start, received


def final_delays(start: float, received: list, ends: list[float]) -> list[float]:
    finals = [(at, m) for at, m in received if m.get("message_type") == "FinalTranscript"]
    delays = []
    for end in ends:
        # The first final whose audio reaches past the utterance's end carries its last words.
        match = next(((at, m) for at, m in finals if m["audio_end"] / 1000 >= end - 0.05), None)
        if match is not None:
            delays.append(match[0] - (start + end))
    return delays


def main() -> None:
    lines = [line.strip() for line in CORPUS.read_text().splitlines() if line.strip()]
    sentences = lines[:SENTENCES]
    pcm, ends = speech(sentences)
    out = ROOT / "bench" / "out"
    with start_runtime(out / "realtime-data", cwd=ROOT) as runtime:
        url = runtime.url.replace("http://", "ws://")
        url += "/v1/audio/transcriptions-realtime?model=whisper-1"
        stream(url, runtime.api_key, pcm[: RATE * 2], 100)  # load the model
        print(f"realtime transcription: {len(sentences)} utterances, {len(pcm) / RATE:.1f} s")
        for chunk_ms in (100, 200):
            start, received = stream(url, runtime.api_key, pcm, chunk_ms)
            delays = final_delays(start, received, ends)
            partials = sum(m["message_type"] == "PartialTranscript" for _, m in received)
            within = sum(d <= 0.5 for d in delays)
            print(
                f"  {chunk_ms} ms chunks: final after utterance end median "
                f"{statistics.median(delays):.3f} s, max {max(delays):.3f} s, "
                f"{within}/{len(delays)} within 0.5 s; {partials} partials"
            )


if __name__ == "__main__":
    main()

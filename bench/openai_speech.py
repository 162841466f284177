"""OpenAI-style speech through HTTP with the `openai` client (python -m bench.openai_speech).

Prints, in one run of the local runtime:
  streaming a 1,000-word text: time to the first byte (mp3, and pcm: the first audio sample)
  and to the last byte. 1,000 words are ~5,400 characters and a request takes at most 4,096,
  so the text goes as consecutive requests cut at sentence ends, as an OpenAI client must send
  it: the first byte is the first request's, the last byte the last request's;
  streaming the 120-word paragraph: time to the first byte (does it depend on length?);
  streaming a 16-word sentence: time to the first audio sample (pcm) against raw Piper's
  first chunk of the same sentence (its whole synthesis: Piper's chunks are sentences), and
  their ratio (aim: at most 0.6);
  the 120-word paragraph read whole (`client.audio.speech.create`) against raw engine
  synthesis of the same text in the same process run, and their ratio.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import openai

from audiofn_local.subprocess_runtime import start_runtime
from bench.local_footprint import settle

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = (Path(__file__).parent / "texts" / "paragraph-120.txt").read_text().strip()
# 1,000 words: the paragraph over and over, cut at 1,000 words (a sentence end added).
LONG_TEXT = " ".join((" ".join([PARAGRAPH] * 9)).split()[:1000]).rstrip(".,;") + "."
SENTENCE = (
    "The city council approved the new riverside park on Tuesday "
    "and construction will begin next spring."
)  # 16 words, no comma: the first piece is cut at a phrase
RUNS = 3
VOICE = "joe"  # the default voice: the raw synthesis below is the same engine's


def raw_synthesis_seconds() -> float:
    """Median of RUNS: the engine alone on the whole paragraph, model loaded."""
    from audiofn.tts.catalogue import DEFAULT_VOICE_ID, resolve_voice
    from audiofn.tts.registry import EngineSettings, synthesize

    voice = resolve_voice(DEFAULT_VOICE_ID, polly_enabled=False, upstream_enabled=False)
    settings = EngineSettings()
    synthesize("Warm up.", voice, 1.0, settings)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        synthesize(PARAGRAPH, voice, 1.0, settings)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def raw_first_chunk_seconds(text: str) -> float:
    """Median of RUNS: raw Piper's first audio chunk of the text, model loaded."""
    from audiofn.tts.catalogue import DEFAULT_VOICE_ID, resolve_voice
    from audiofn.tts.piper_engine import PiperEngine
    from audiofn.tts.registry import EngineSettings, get_engine

    voice = resolve_voice(DEFAULT_VOICE_ID, polly_enabled=False, upstream_enabled=False)
    engine = get_engine("piper", EngineSettings())
    assert isinstance(engine, PiperEngine)
    model = engine.model(voice)
    next(iter(model.synthesize("Warm up.")))
    timings = []
    for _ in range(RUNS * 2):
        start = time.perf_counter()
        next(iter(model.synthesize(text)))
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def request_texts(text: str, limit: int = 4096) -> list[str]:
    """The text in parts of at most ``limit`` characters, cut after a sentence."""
    parts: list[str] = []
    current = ""
    for sentence in text.replace(". ", ".\n").splitlines():
        candidate = f"{current} {sentence}".strip()
        if len(candidate) > limit and current:
            parts.append(current)
            candidate = sentence
        current = candidate
    return [*parts, current] if current else parts


def stream_timings(client: openai.OpenAI, text: str, fmt: str) -> tuple[float, float, int]:
    """(seconds to the first byte, seconds to the last byte, bytes) of streamed requests."""
    start = time.perf_counter()
    first, size = None, 0
    for part in request_texts(text):
        with client.audio.speech.with_streaming_response.create(
            model="tts-1",
            voice=VOICE,
            input=part,
            response_format=fmt,  # type: ignore[arg-type]
        ) as response:
            for chunk in response.iter_bytes():
                if first is None:
                    first = time.perf_counter() - start
                size += len(chunk)
    assert first is not None
    return first, time.perf_counter() - start, size


def buffered_seconds(client: openai.OpenAI) -> float:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.audio.speech.create(
            model="tts-1", voice=VOICE, input=PARAGRAPH, response_format="wav"
        )
        assert response.content[:4] == b"RIFF"
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    out = ROOT / "bench" / "out"
    with start_runtime(out / "data-openai", cwd=ROOT) as runtime:
        client = openai.OpenAI(api_key=runtime.api_key, base_url=f"{runtime.url}/v1", timeout=900)
        client.audio.speech.create(model="tts-1", voice=VOICE, input="Warm up.")
        settle(runtime)  # the first start's sound-library render is over
        short_first = statistics.median(
            stream_timings(client, PARAGRAPH, "mp3")[0] for _ in range(RUNS)
        )
        long_first, long_last, long_bytes = stream_timings(client, LONG_TEXT, "mp3")
        pcm_first, _, _ = stream_timings(client, LONG_TEXT, "pcm")
        sentence_first = statistics.median(
            stream_timings(client, SENTENCE, "pcm")[0] for _ in range(RUNS * 2)
        )
        buffered = buffered_seconds(client)
    raw = raw_synthesis_seconds()
    raw_chunk = raw_first_chunk_seconds(SENTENCE)
    words = len(LONG_TEXT.split())
    requests = len(request_texts(LONG_TEXT))
    print(f"streaming {words} words (mp3, openai client, HTTP, {requests} requests):")
    print(f"  first byte {long_first:6.3f} s   last byte {long_last:7.2f} s   ({long_bytes} bytes)")
    print(f"  first byte as pcm (first audio sample): {pcm_first:6.3f} s")
    print(
        f"streaming {len(PARAGRAPH.split())} words (mp3): first byte {short_first:6.3f} s (median)"
    )
    print(
        f"streaming a {len(SENTENCE.split())}-word sentence (pcm): first audio "
        f"{sentence_first:6.3f} s, raw Piper's first chunk {raw_chunk:6.3f} s, ratio "
        f"{sentence_first / raw_chunk:.2f} (aim 0.6)"
    )
    print(f"{len(PARAGRAPH.split())}-word paragraph read whole (wav):")
    print(
        f"  through HTTP {buffered:6.2f} s   raw engine {raw:6.2f} s   ratio {buffered / raw:.2f}"
    )


if __name__ == "__main__":
    main()

"""OpenAI-style speech against the local runtime, with the real `openai` package and curl."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from audiofn.codecs import decode
from audiofn.stt.wer import word_error_rate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SDK085_PYTHON = ROOT / ".venv-apiaudio085" / "bin" / "python"
TEXT = "The quick brown fox jumps over the lazy dog. Then it runs back into the forest."
LONG_TEXT = " ".join(
    [
        "The library opened early on Saturday morning.",
        "A small crowd waited by the doors with coffee and books to return.",
        "Inside, the staff had arranged new shelves near the windows.",
        "Children went straight to the corner with picture books and soft chairs.",
        "Later that day, a local author read from her first novel.",
        "Everyone agreed it was the best weekend the library had seen in years.",
    ]
)


@pytest.fixture(scope="module")
def client(runtime):
    return openai.OpenAI(api_key=runtime.api_key, base_url=f"{runtime.url}/v1", timeout=120)


def _audio(data: bytes, fmt: str):
    return decode(data, fmt, sample_rate=24_000) if fmt == "pcm" else decode(data)


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_every_format_decodes_and_says_the_words(client, transcriber, fmt):
    response = client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format=fmt
    )

    audio = _audio(response.content, fmt)
    assert audio.sample_rate == (
        48_000 if fmt == "opus" and audio.sample_rate != 24_000 else 24_000
    )
    assert 3.0 < audio.duration < 9.0
    heard = transcriber.transcribe(audio).text
    assert word_error_rate(TEXT, heard) < 0.15, heard


def test_speed_two_roughly_halves_the_duration(client):
    normal = client.audio.speech.create(
        model="tts-1", voice="echo", input=TEXT, response_format="wav"
    )
    fast = client.audio.speech.create(
        model="tts-1", voice="echo", input=TEXT, response_format="wav", speed=2.0
    )

    ratio = decode(fast.content).duration / decode(normal.content).duration
    assert 0.42 < ratio < 0.6, ratio


def test_streaming_sends_the_first_bytes_well_before_the_last(client, tmp_path):
    started = time.perf_counter()
    arrivals = []
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="onyx", input=LONG_TEXT, response_format="mp3"
    ) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        for chunk in response.iter_bytes():
            arrivals.append((time.perf_counter() - started, len(chunk)))
    first, last = arrivals[0][0], arrivals[-1][0]

    assert len(arrivals) >= 4
    assert first < last / 3, arrivals
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="onyx", input=TEXT, response_format="opus"
    ) as response:
        response.stream_to_file(tmp_path / "out.opus")
    assert decode((tmp_path / "out.opus").read_bytes()).duration > 3


def test_async_client_creates_and_streams(runtime, tmp_path):
    async def run() -> tuple[bytes, bytes]:
        client = openai.AsyncOpenAI(api_key=runtime.api_key, base_url=f"{runtime.url}/v1")
        whole = await client.audio.speech.create(
            model="gpt-4o-mini-tts", voice="coral", input=TEXT, response_format="wav"
        )
        async with client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="coral", input=TEXT, response_format="pcm"
        ) as response:
            chunks = [chunk async for chunk in response.iter_bytes()]
        await client.close()
        return whole.content, b"".join(chunks)

    wav, pcm = asyncio.run(run())
    # Piper's phoneme lengths vary a little from one rendering to the next.
    assert abs(decode(wav).duration - decode(pcm, "pcm", sample_rate=24_000).duration) < 0.4


def test_extensions_choose_the_sample_rate_and_language(client):
    response = client.audio.speech.create(
        model="Azure/AI-Speech",
        voice="en-US-JennyNeural",
        input="Hello, this is a test of text-to-speech synthesis.",
        response_format="wav",
        extra_body={"speech_synthesis_language": "en-US", "sample_rate": 16000},
    )
    assert decode(response.content).sample_rate == 16000

    response = client.audio.speech.create(
        model="skt/axtts-2-6",
        voice="nova",
        input="Merhaba dünya.",
        response_format="wav",
        extra_body={"model_extensions": {"sr": 8000}, "speech_synthesis_language": "tr-TR"},
    )
    assert decode(response.content).sample_rate == 8000
    assert response.response.headers["x-audiofn-voice"].startswith("espeak-tr-")


def test_sse_stream_carries_deltas_then_done(runtime):
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "pcm",
            "stream_format": "sse"}  # fmt: skip
    events = []
    headers = {"Authorization": f"Bearer {runtime.api_key}"}
    with httpx.stream("POST", f"{runtime.url}/v1/audio/speech", json=body, headers=headers,
                      timeout=120) as response:  # fmt: skip
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))

    assert events[-1]["type"] == "speech.audio.done"
    assert events[-1]["usage"]["total_tokens"] > 0
    deltas = [e for e in events[:-1] if e["type"] == "speech.audio.delta"]
    assert len(deltas) == len(events) - 1 >= 2
    pcm = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    assert decode(pcm, "pcm", sample_rate=24_000).duration > 3


def test_errors_are_openai_errors(client, runtime):
    with pytest.raises(openai.BadRequestError) as error:
        client.audio.speech.create(model="tts-1", voice="alloy", input="x" * 4097)
    assert error.value.body["param"] == "input" and "4096" in error.value.body["message"]  # type: ignore[index]

    with pytest.raises(openai.BadRequestError) as error:
        client.audio.speech.create(model="tts-1", voice="nobody", input="Hi")
    assert error.value.body["param"] == "voice"  # type: ignore[index]

    stranger = openai.OpenAI(api_key="wrong", base_url=f"{runtime.url}/v1")
    with pytest.raises(openai.AuthenticationError):
        stranger.audio.speech.create(model="tts-1", voice="alloy", input="Hi")


def test_models_and_voices_are_listed(client, runtime):
    assert "tts-1" in {model.id for model in client.models.list()}
    voices = httpx.get(
        f"{runtime.url}/v1/audio/voices", headers={"Authorization": f"Bearer {runtime.api_key}"}
    ).json()["data"]
    assert {"alloy", "verse", "joe"} <= {voice["id"] for voice in voices}


def test_a_client_that_leaves_stops_the_synthesis(client, runtime):
    text = " ".join(f"This is sentence number {n} of a long text." for n in range(1, 40))
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=text, response_format="pcm"
    ) as response:
        next(response.iter_bytes())  # then leave

    deadline = time.monotonic() + 20
    stopped = []  # type: ignore[var-annotated]
    while time.monotonic() < deadline and not stopped:
        time.sleep(0.5)
        stopped = [
            json.loads(line)
            for line in runtime.log_path.read_text().splitlines()
            if "speech stream stopped by the client" in line and line.startswith("{")
        ]
    assert stopped, "the runtime did not log the stopped stream"
    assert stopped[-1]["pieces_spoken"] < stopped[-1]["pieces"] // 2


def test_the_seed_s_curl_commands(runtime, tmp_path):
    for extra in ({}, {"speed": 1.0, "model_extensions": {"sr": 16000}}):
        body = {"input": "Hello from curl!", "model": "skt/axtts-2-6", "voice": "aria",
                "response_format": "wav", **extra}  # fmt: skip
        target = tmp_path / "out.wav"
        with target.open("wb") as out:
            subprocess.run(
                ["curl", "-s", f"{runtime.url}/v1/audio/speech",
                 "-H", "Content-Type: application/json",
                 "-H", f"Authorization: Bearer {runtime.api_key}",
                 "-d", json.dumps(body)],
                stdout=out, check=True, timeout=120,
            )  # fmt: skip
        audio = decode(target.read_bytes())
        assert audio.sample_rate == (16000 if extra else 24_000) and audio.duration > 0.5


def test_sync_tts_with_sdk_0_17_1(runtime, transcriber):
    import apiaudio

    apiaudio.api_key = runtime.api_key
    apiaudio.api_base = runtime.url
    data = apiaudio.SyncTTS.create(voice="joe", text="Synchronous speech works.", format="mp3")

    assert isinstance(data, bytes)
    heard = transcriber.transcribe(decode(data)).text
    assert word_error_rate("Synchronous speech works.", heard) < 0.34, heard


SDK_085_PROGRAM = """
import json, sys
import apiaudio
apiaudio.api_key, apiaudio.api_base = sys.argv[2], sys.argv[1]
print(json.dumps(apiaudio.SyncTTS.create(voice="joe", text="Hello from the old SDK.")))
"""


def test_sync_tts_with_sdk_0_8_5(runtime):
    if not SDK085_PYTHON.exists():
        pytest.fail("no .venv-apiaudio085: `make test` creates it")
    result = subprocess.run(
        [str(SDK085_PYTHON), "-c", SDK_085_PROGRAM, runtime.url, runtime.api_key],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    body = json.loads(result.stdout)
    audio = decode(base64.b64decode(body["audio"]))
    assert audio.sample_rate == body["sampleRate"] and audio.duration > 0.8
    assert sys.version_info  # the SDK ran in its own interpreter

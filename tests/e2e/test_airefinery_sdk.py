"""The batch-and-streaming TTS seed's own client, the AI Refinery SDK (``airefinery-sdk``
1.33), against the local runtime: the seed's four examples, then every way its responses are
read (write_to_file, stream_to_file, iter_bytes, aiter_bytes, sync and async streams), its
``extra_body`` sample rates and language, word boundaries, and its transcription client.

The SDK needs Python 3.12, so it lives in ``.venv-airefinery`` (``make test`` creates it from a
python3.12 on PATH or pyenv's 3.12) and each program here runs under that interpreter; the
audio it writes is decoded and measured here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiofn.codecs import decode
from audiofn.stt.wer import word_error_rate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
AIR_PYTHON = ROOT / ".venv-airefinery" / "bin" / "python"
SEED_TEXT = "Hello, this is a test of text-to-speech synthesis."


def seed_examples() -> dict[str, str]:
    """The seed's four examples, verbatim, by title."""
    text = (HERE / "seed_tts_batch_streaming_examples.txt").read_text()
    parts = re.split(r"^### (.+)\n", text, flags=re.MULTILINE)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


def for_sdk_1_33(example: str) -> str:
    """The edits the examples need to run on the SDK as published; none touches a request.

    * SDK 1.33 has no ``login``: the key and address go to the client directly, and both
      clients are imported (the sync streaming example uses ``AIRefinery`` unimported).
    * A streamed response (``StreamingResponse``) has neither ``write_to_file`` nor ``content``;
      it saves with ``stream_to_file`` (a coroutine, for sync and async streams alike).
    * The sync client's streaming ``create`` is not a coroutine, so it is not awaited.
    """
    example = re.sub(
        r"from air import \w+, login", "from air import AIRefinery, AsyncAIRefinery", example
    )
    example = re.sub(r"auth = login\(\n(?:.*\n)*?\)\n", "", example)
    example = example.replace(
        "**auth.openai(base_url=base_url)", 'api_key=os.environ["API_KEY"], base_url=base_url'
    )
    if "with_streaming_response" in example:
        example = example.replace(
            'response.write_to_file("output.wav")', 'await response.stream_to_file("output.wav")'
        )
        example = example.replace("len(response.content)", 'os.path.getsize("output.wav")')
        if "AIRefinery(api_key" in example and "AsyncAIRefinery(api_key" not in example:
            example = example.replace(
                "await client.audio.speech.with_streaming_response",
                "client.audio.speech.with_streaming_response",
            )
    return example


def run_air(program: str, runtime, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not AIR_PYTHON.exists():
        pytest.fail("the AI Refinery SDK environment is missing: run `make test`, which creates it")
    env = {
        **os.environ,
        "ACCOUNT": "audiofn",
        "API_KEY": runtime.api_key,
        "AIREFINERY_ADDRESS": runtime.url,
        "AIR_SILENT": "1",
    }
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [str(AIR_PYTHON), "-c", program, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result


def heard(path: Path, transcriber) -> str:
    return str(transcriber.transcribe(decode(path.read_bytes())).text)


@pytest.mark.parametrize(
    ("title", "output", "rate"),
    [
        ("async batch", "output.wav", 24000),
        ("async streaming", "output.wav", 24000),
        ("sync batch", "sync_output.wav", 22050),
        ("sync streaming", "output.wav", 24000),
    ],
)
def test_seed_example_runs_on_the_sdk(runtime, transcriber, tmp_path, title, output, rate) -> None:
    # Given the seed's example as the SDK can run it, pointed at the local runtime
    program = for_sdk_1_33(seed_examples()[title])

    # When it runs (its client constructor validates the key first)
    result = run_air(program, runtime, tmp_path)

    # Then it saved a WAV at the extra_body's sample rate that says the example's text
    assert "Audio saved! Size:" in result.stdout
    path = tmp_path / output
    info = sf.info(str(path))
    assert (info.format, info.samplerate, info.channels) == ("WAV", rate, 1)
    assert info.duration > 1.5
    spoken = (
        "Hello, this is a synchronous text-to-speech example."
        if title == "sync batch"
        else SEED_TEXT
    )
    assert word_error_rate(spoken, heard(path, transcriber)) < 0.2


READERS = r"""
import asyncio, json, os, sys
from air import AIRefinery, AsyncAIRefinery

key, url = os.environ["API_KEY"], os.environ["AIREFINERY_ADDRESS"]
args = dict(model="Azure/AI-Speech", input="Reading the reply in every way the client offers.",
            voice="en-US-JennyNeural", response_format="wav")
sync, aclient = AIRefinery(api_key=key, base_url=url), AsyncAIRefinery(api_key=key, base_url=url)
out = {}
for rate in (8000, 16000, 22050):
    response = sync.audio.speech.create(**args, extra_body={"sample_rate": rate})
    response.write_to_file(f"rate{rate}.wav")
batch = sync.audio.speech.create(**args)
batch.stream_to_file("stream_to_file.wav", chunk_size=1000)
with open("iter_bytes.wav", "wb") as f:
    for chunk in batch.iter_bytes(4096):
        f.write(chunk)
with open("iter_stream.wav", "wb") as f:
    for chunk in sync.audio.speech.with_streaming_response.create(**args):
        f.write(chunk)

async def main():
    response = await aclient.audio.speech.create(**{**args, "response_format": "mp3"})
    with open("aiter_bytes.mp3", "wb") as f:
        async for chunk in response.aiter_bytes(2048):
            f.write(chunk)
    stream = await aclient.audio.speech.with_streaming_response.create(**args, chunk_size=512)
    chunks = 0
    with open("aiter_stream.wav", "wb") as f:
        async for chunk in stream:
            chunks += 1
            f.write(chunk)
    out["async_stream_chunks"] = chunks
    opus = {**args, "response_format": "opus"}
    stream = await aclient.audio.speech.with_streaming_response.create(**opus)
    await stream.stream_to_file("stream.opus")

asyncio.run(main())
print(json.dumps(out))
"""


def test_every_reader_of_the_reply(runtime, transcriber, tmp_path) -> None:
    out = json.loads(run_air(READERS, runtime, tmp_path).stdout)
    assert out["async_stream_chunks"] > 1
    for rate in (8000, 16000, 22050):
        assert sf.info(str(tmp_path / f"rate{rate}.wav")).samplerate == rate
    spoken = "Reading the reply in every way the client offers."
    for name in ("stream_to_file.wav", "iter_bytes.wav", "iter_stream.wav", "aiter_bytes.mp3",
                 "aiter_stream.wav", "stream.opus"):  # fmt: skip
        assert word_error_rate(spoken, heard(tmp_path / name, transcriber)) < 0.2, name
    # Batch WAVs carry their real sizes; a stream's header says "to the end".
    with sf.SoundFile(str(tmp_path / "iter_bytes.wav")) as wav:
        assert wav.frames * 2 + 44 == (tmp_path / "iter_bytes.wav").stat().st_size


WORD_BOUNDARIES = r"""
import asyncio, json, os
from air import AIRefinery, AsyncAIRefinery

key, url = os.environ["API_KEY"], os.environ["AIREFINERY_ADDRESS"]
text = "Good morning, Ada. The weather is fine today!"
args = dict(model="Azure/AI-Speech", input=text, voice="en-US-JennyNeural", response_format="wav",
            extra_body={"enable_word_boundary": True, "sample_rate": 16000})
batch = AIRefinery(api_key=key, base_url=url).audio.speech.create(**args)
batch.write_to_file("batch.wav")

async def stream():
    client = AsyncAIRefinery(api_key=key, base_url=url)
    response = await client.audio.speech.with_streaming_response.create(**args)
    events, audio = [], bytearray()
    async for item in response:
        if isinstance(item, bytes):
            audio += item
        else:
            events.append(item.model_dump())
    open("stream.wav", "wb").write(bytes(audio))
    return events

print(json.dumps({"batch": [e.model_dump() for e in batch.word_boundaries],
                  "stream": asyncio.run(stream())}))
"""


def test_word_boundaries_in_the_sdk_event_shape(runtime, tmp_path) -> None:
    text = "Good morning, Ada. The weather is fine today!"
    out = json.loads(run_air(WORD_BOUNDARIES, runtime, tmp_path).stdout)
    for mode in ("batch", "stream"):
        events = out[mode]
        words = [e for e in events if e["boundary_type"] == "word"]
        assert [e["text"] for e in words] == re.findall(r"\w+", text), mode
        assert [e["text"] for e in events if e["boundary_type"] == "sentence"] == [
            "Good morning, Ada.",
            "The weather is fine today!",
        ]
        assert {e["text"] for e in events if e["boundary_type"] == "punctuation"} == {",", ".", "!"}
        for event in events:  # text_offset and word_length point into the input
            start = event["text_offset"]
            assert text[start : start + event["word_length"]] == event["text"]
        starts = [e["audio_offset_ms"] for e in words]
        assert starts == sorted(starts) and all(e["duration_ms"] > 0 for e in words)
        audio, rate = sf.read(str(tmp_path / f"{mode}.wav"))
        assert rate == 16000
        # every word ends inside the audio, and the last one near its end
        assert words[-1]["audio_offset_ms"] + words[-1]["duration_ms"] <= len(audio) / rate * 1000
        # "The" starts after the first sentence's pause: where the audio is quiet before it
        the = words[3]["audio_offset_ms"] / 1000
        gap = audio[int((the - 0.2) * rate) : int((the - 0.05) * rate)]
        assert np.sqrt(np.mean(gap**2)) < 0.01, f"{mode}: 'The' at {the:.2f}s"


TRANSCRIBE = r"""
import os, sys
import requests
from air import AIRefinery

client = AIRefinery(api_key=os.environ["API_KEY"], base_url=os.environ["AIREFINERY_ADDRESS"])
with open(sys.argv[1], "rb") as audio:
    try:
        print(client.audio.transcriptions.create(model="whisper-1", file=audio).text)
    except requests.HTTPError as error:
        sys.exit(f"{error}: {error.response.text}")
"""


def test_transcription_client(runtime, tmp_path) -> None:
    # Given speech made by the runtime itself
    import httpx

    speech = httpx.post(
        f"{runtime.url}/v1/audio/speech",
        headers={"Authorization": f"Bearer {runtime.api_key}"},
        json={
            "model": "tts-1",
            "input": "The quick brown fox jumps over the lazy dog.",
            "voice": "joe",
            "response_format": "wav",
            "stream": False,
        },
        timeout=120,
    )
    assert speech.status_code == 200, speech.text
    (tmp_path / "fox.wav").write_bytes(speech.content)

    # When the SDK's transcription client posts it to /v1/audio/transcriptions
    text = run_air(TRANSCRIBE, runtime, tmp_path, str(tmp_path / "fox.wav")).stdout

    # Then it reads the words back
    assert word_error_rate("The quick brown fox jumps over the lazy dog.", text) < 0.2

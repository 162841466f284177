"""Realtime transcription over the local runtime's websocket.

The protocol document's own Python example runs unchanged (API key and host set, a WAV file
of our speech in place of the microphone) and its final transcripts are scored; then the
error cases, each of which must end in an error message and a clean close.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websocket

from audiofn.stt.wer import word_error_rate
from tests.e2e.speech_files import corpus_sentences, speak_to_wav

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
HERE = Path(__file__).resolve().parent
PATH = "/v1/audio/transcriptions-realtime"


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory) -> tuple[Path, list[str]]:
    sentences = corpus_sentences()
    return speak_to_wav(sentences, tmp_path_factory.mktemp("speech") / "speech.wav"), sentences


def ws_url(runtime, model: str = "whisper-1") -> str:
    return runtime.url.replace("http://", "ws://") + f"{PATH}?model={model}"


def test_the_protocol_example_transcribes_our_speech(runtime, speech_wav, tmp_path):
    # Given the example as published, with its two CHANGEME values set
    wav, sentences = speech_wav
    example = (HERE / "seed_realtime_example.txt").read_text()
    example = example.replace('API_KEY = "sk-..."', f'API_KEY = "{runtime.api_key}"')
    example = example.replace(
        'HOST = "wss://api.platform.a15t.com"',
        f'HOST = "{runtime.url.replace("http://", "ws://")}"',
    )
    script = tmp_path / "example.py"
    script.write_text(example)
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE / "fake_microphone"),
        "FAKE_MIC_WAV": str(wav),
        "FAKE_MIC_TAIL_SECONDS": "2",
    }

    # When it streams the file at the microphone's pace and the client then falls silent
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    print(result.stdout[-3000:], result.stderr[-3000:])

    # Then partials arrived while it spoke, the finals say what was said, and the server
    # ended the idle session with a clean close (so the example's run_forever returned)
    finals = re.findall(r"^Final transcript received: (.*)$", result.stdout, re.M)
    partials = re.findall(r"^Partial transcript received: (.*)$", result.stdout, re.M)
    assert "### closed ###" in result.stdout
    assert partials  # fewer on a busy machine: partials back off so finals keep up
    assert len(finals) >= len(sentences) - 1
    wer = word_error_rate(" ".join(sentences), " ".join(finals))
    print(f"realtime example WER {wer:.3f} over {len(sentences)} sentences")
    assert wer < 0.10
    assert time.monotonic() - started < 120


def _session(runtime, model: str = "whisper-1", **headers: str) -> websocket.WebSocket:
    return websocket.create_connection(
        ws_url(runtime, model),
        header={"Authorization": f"Bearer {runtime.api_key}", **headers},
        timeout=30,
    )


def _error_then_close(ws: websocket.WebSocket) -> tuple[dict, int]:
    """The error message, then the close frame's status code."""
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_TEXT, (opcode, data)
    message = json.loads(data)
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    code = int.from_bytes(data[:2], "big")
    ws.close()
    return message, code


@pytest.mark.parametrize(
    ("first", "needle"),
    [
        ("{}", "sample_rate is required"),
        ('{"encoding": "pcm_s16le"}', "sample_rate is required"),
        ("not json", "JSON"),
        ('{"sample_rate": 100}', "sample_rate"),
        ('{"sample_rate": 16000, "encoding": "opus"}', "encoding"),
    ],
)
def test_a_bad_init_message_gets_an_error_and_a_clean_close(runtime, first, needle):
    ws = _session(runtime)
    ws.send(first)
    message, code = _error_then_close(ws)
    assert message["message_type"] == "Error"
    assert needle in message["error"]
    assert code == 1008


def test_audio_before_init_is_an_error(runtime):
    ws = _session(runtime)
    ws.send_binary(b"\x00\x00" * 1600)
    message, code = _error_then_close(ws)
    assert "init message" in message["error"]
    assert code == 1008


def test_text_where_audio_is_expected_is_an_error(runtime):
    ws = _session(runtime)
    ws.send(json.dumps({"sample_rate": 16000}))
    ws.send_binary(b"\x00\x00" * 1600)
    ws.send(json.dumps({"audio_data": "AAAA"}))
    message, code = _error_then_close(ws)
    assert "expected binary audio" in message["error"]
    assert code == 1008


def test_an_idle_client_is_closed_with_an_error(runtime):
    ws = _session(runtime)
    ws.send(json.dumps({"sample_rate": 16000}))
    started = time.monotonic()
    message, code = _error_then_close(ws)
    assert "no message for" in message["error"]
    assert code == 1008
    assert time.monotonic() - started < 20


def test_done_closes_cleanly_with_the_final_transcript(runtime, speech_wav):
    wav, sentences = speech_wav
    import wave

    with wave.open(str(wav), "rb") as f:
        frames = f.readframes(f.getnframes())
    ws = _session(runtime)
    ws.send(json.dumps({"sample_rate": 16000}))
    first_sentence = frames[: 16000 * 2 * 5]  # the first 5 s, cut mid-stream
    for i in range(0, len(first_sentence), 6400):
        ws.send_binary(first_sentence[i : i + 6400])
    ws.send(json.dumps({"done": True}))
    messages = []
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            assert int.from_bytes(data[:2], "big") == 1000
            break
        messages.append(json.loads(data))
    finals = [m for m in messages if m["message_type"] == "FinalTranscript"]
    assert finals, messages
    final = finals[0]
    assert set(final) >= {
        "audio_start",
        "audio_end",
        "confidence",
        "text",
        "words",
        "created",
        "message_type",
    }
    assert final["words"] and set(final["words"][0]) == {"start", "end", "confidence", "text"}
    assert 0 <= final["audio_start"] < final["audio_end"] <= 5000
    assert 0 < final["confidence"] <= 1
    assert word_error_rate(sentences[0], finals[0]["text"]) < 0.2


@pytest.mark.parametrize(
    ("model", "key", "status"),
    [("whisper-1", "not-a-key", 403), ("no-such-model", None, 403), ("", None, 403)],
)
def test_a_refused_connection_fails_the_handshake(runtime, model, key, status):
    with pytest.raises(websocket.WebSocketBadStatusException) as raised:
        websocket.create_connection(
            ws_url(runtime, model),
            header={"Authorization": f"Bearer {key or runtime.api_key}"},
            timeout=10,
        )
    assert raised.value.status_code == status

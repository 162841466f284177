"""POST /v1/audio/transcriptions through the real `openai` package, every response format."""

from __future__ import annotations

import json
import re

import httpx
import openai
import pytest

from audiofn.stt.wer import word_error_rate
from tests.e2e.speech_files import corpus_sentences, speak_to_wav

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    sentences = corpus_sentences((5, 8))
    return speak_to_wav(sentences, tmp_path_factory.mktemp("openai") / "speech.wav"), sentences


@pytest.fixture
def client(runtime) -> openai.OpenAI:
    return openai.OpenAI(api_key=runtime.api_key, base_url=f"{runtime.url}/v1", timeout=120)


def test_json_and_text(client, speech):
    wav, sentences = speech
    with wav.open("rb") as f:
        result = client.audio.transcriptions.create(model="whisper-1", file=f)
    assert word_error_rate(" ".join(sentences), result.text) < 0.1
    with wav.open("rb") as f:
        text = client.audio.transcriptions.create(model="whisper-1", file=f, response_format="text")
    assert isinstance(text, str) and word_error_rate(" ".join(sentences), text) < 0.1


def test_verbose_json_has_segments_and_word_timings(client, speech):
    wav, _ = speech
    with wav.open("rb") as f:
        result = client.audio.transcriptions.create(
            model="whisper-1",
            file=f,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    assert result.language == "english" and result.duration > 5
    assert result.segments and result.words
    assert all(w.start <= w.end for w in result.words)
    assert result.words[-1].end <= result.duration + 0.1


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_captions(client, speech, fmt):
    wav, _ = speech
    with wav.open("rb") as f:
        body = client.audio.transcriptions.create(model="whisper-1", file=f, response_format=fmt)
    stamp = r"\d\d:\d\d:\d\d[,.]\d\d\d --> \d\d:\d\d:\d\d[,.]\d\d\d"
    assert re.search(stamp, body)
    assert body.startswith("WEBVTT") == (fmt == "vtt")


def test_errors_have_openais_shape(client, runtime, speech):
    wav, _ = speech
    with wav.open("rb") as f, pytest.raises(openai.BadRequestError) as raised:
        client.audio.transcriptions.create(model="no-such-model", file=f)
    assert raised.value.body["param"] == "model"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as raised:
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"not audio"))
    assert raised.value.body["param"] == "file"  # type: ignore[index]
    bad = openai.OpenAI(api_key="x" * 40, base_url=f"{runtime.url}/v1")
    with wav.open("rb") as f, pytest.raises(openai.AuthenticationError):
        bad.audio.transcriptions.create(model="whisper-1", file=f)
    response = httpx.post(
        f"{runtime.url}/v1/audio/transcriptions",
        headers={"Authorization": f"Bearer {runtime.api_key}"},
        files={"file": ("a.wav", wav.read_bytes())},
        data={"model": "whisper-1", "response_format": "xml"},
    )
    error = json.loads(response.text)["error"]
    assert response.status_code == 400 and error["param"] == "response_format"
    assert set(error) == {"message", "type", "param", "code"}

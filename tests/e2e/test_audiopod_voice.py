"""The `audiopod` client's voice calls, unchanged, against the local runtime: list, create and
wait, get, generate (transcribed back), delete; a bad sample fails with its reason."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from audiofn.codecs import decode
from audiofn.stt.wer import word_error_rate
from tests.voice_corpus import SPOKEN_TEXT_2, bad_corpus, good_sample

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VOICE_CONSENT = {
    "attestedBy": "Sam Reed, producer",
    "statement": "Every sample sent with this key is of a speaker who agreed in writing.",
}


@pytest.fixture(scope="module")
def client(runtime):
    from audiopod import Client

    # The SDK's create_voice sends only name, description and the file: its key carries the
    # standing consent attestation its voices are recorded with.
    minted = httpx.post(
        f"{runtime.url}/keys",
        headers={"x-api-key": runtime.api_key},
        json={"prefix": "ap_", "name": "audiopod client", "voiceConsent": VOICE_CONSENT},
    )
    assert minted.status_code == 201, minted.text
    with Client(api_key=minted.json()["apiKey"], base_url=runtime.url, timeout=60) as client:
        yield client


def test_custom_voice_lifecycle(client, transcriber, tmp_path) -> None:
    listed = client.voice.list_voices()
    assert any(v["voice_id"] == "joe" for v in listed["voices"])

    sample = tmp_path / "host.wav"
    sample.write_bytes(good_sample("wav"))
    voice = client.voice.create_voice(
        name="Host",
        audio_file=str(sample),
        description="our host",
        wait_for_ready=True,
        timeout=240,
        poll_interval=1,
    )
    assert voice["status"] == "COMPLETED" and voice["training_status"] == "completed"
    consent = voice["consent"]
    assert consent["basis"] == "api-key" and consent["attested_by"] == VOICE_CONSENT["attestedBy"]
    assert consent["samples"][0]["sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert client.voice.get_voice(voice["id"])["uuid"] == voice["uuid"]
    assert client.voice.get_voice(voice["uuid"])["id"] == voice["id"]
    assert any(v["id"] == voice["id"] for v in client.voice.list_voices(limit=50)["voices"])

    job = client.voice.generate_speech(
        voice["id"], SPOKEN_TEXT_2, wait_for_completion=True, timeout=180
    )
    assert job["status"] == "completed" and job["audio_format"] == "mp3"
    audio = decode(httpx.get(job["output_url"], timeout=60).content)
    heard = transcriber.transcribe(audio).text
    wer = word_error_rate(SPOKEN_TEXT_2, heard)
    print(f"custom voice WER: {wer:.3f} ({heard!r})")
    assert wer < 0.25

    assert client.voice.delete_voice(voice["id"]) == {}
    from audiopod.exceptions import APIError

    with pytest.raises(APIError) as missing:
        client.voice.get_voice(voice["id"])
    assert missing.value.status_code == 404


def test_bad_sample_fails_with_its_reason(client, tmp_path) -> None:
    from audiopod.exceptions import AudioPodError

    clipped = next(s for s in bad_corpus() if s.name == "clipped")
    path = tmp_path / clipped.filename
    path.write_bytes(clipped.data)
    with pytest.raises(AudioPodError, match="clipped"):
        client.voice.create_voice(
            name="Loud", audio_file=str(path), wait_for_ready=True, timeout=240, poll_interval=1
        )

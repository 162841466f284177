"""The default English voice, end to end, transcribed back: word error rate below 10 %."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from audiofn.codecs import decode
from audiofn.stt.wer import word_error_rate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "intelligibility-en.txt"


def test_default_voice_is_intelligible(runtime, transcriber):
    sentences = [line.strip() for line in CORPUS.read_text().splitlines() if line.strip()]
    # One section per sentence: speech files are synthesised in parallel by the queue consumer.
    script_text = " ".join(f"<<sectionName::s{i:02d}>> {s}" for i, s in enumerate(sentences))
    headers = {"x-api-key": runtime.api_key}
    with httpx.Client(base_url=runtime.url, headers=headers, timeout=120) as client:
        script = client.post("/script", json={"scriptText": script_text}).json()
        response = client.post("/speech", json={"scriptId": script["scriptId"]})
        while response.status_code == 202:
            response = client.get("/speech", params={"scriptId": script["scriptId"]})
        assert response.status_code == 200, response.text
        urls = client.get("/speech", params={"scriptId": script["scriptId"]}).json()

        references, hypotheses = [], []
        for index, sentence in enumerate(sentences):
            audio = decode(httpx.get(urls[f"s{index:02d}"], timeout=60).content)
            references.append(sentence)
            hypotheses.append(transcriber.transcribe(audio).text)

    wer = word_error_rate(" ".join(references), " ".join(hypotheses))
    print(f"intelligibility WER over {len(sentences)} sentences: {wer:.3f}")
    assert wer < 0.10

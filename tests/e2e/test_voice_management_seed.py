"""Every Python example of the voice-management seed, run as written against the local
runtime: its base URL, key and placeholder ids (``123``, ``voice_abc123``…) swapped for the
runtime's and for voices and collections that exist there. Each example prints only on
success, so each test checks what it printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from audiofn.codecs import decode
from tests.voice_corpus import SPOKEN_TEXT_2, good_sample

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HERE = Path(__file__).parent
SEED_URL = "https://api.audiopod.ai"
VOICE_CONSENT = {
    "attestedBy": "Sam Reed, producer",
    "statement": "Every sample sent with this key is of a speaker who agreed in writing.",
}


def seed_examples() -> dict[str, str]:
    text = (HERE / "seed_voice_management_examples.txt").read_text()
    parts = re.split(r"^### (.+)\n", text, flags=re.MULTILINE)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


class Seed:
    """Runs the seed's examples in one working directory, as a user would one after another,
    with a key minted with a standing consent attestation: the examples create custom voices
    sending only name, description and files."""

    def __init__(self, runtime, workdir: Path) -> None:
        self.runtime, self.workdir = runtime, workdir
        self.examples = seed_examples()
        minted = httpx.post(
            f"{runtime.url}/keys",
            headers={"x-api-key": runtime.api_key},
            json={"name": "voice seed", "voiceConsent": VOICE_CONSENT},
        )
        assert minted.status_code == 201, minted.text
        self.api_key = minted.json()["apiKey"]

    def run(self, title: str, **swaps: str) -> str:
        code = self.examples[title].replace(SEED_URL, self.runtime.url)
        code = code.replace('"your_api_key"', "api_key")
        for seed_text, ours in swaps.items():
            assert seed_text in code, f"{title}: the example has no {seed_text!r}"
            code = code.replace(seed_text, ours)
        program = 'import os, requests\napi_key = os.environ["API_KEY"]\n' + code
        result = subprocess.run(
            [sys.executable, "-c", program],
            cwd=self.workdir,
            env={**os.environ, "API_KEY": self.api_key},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"{title}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def get(self, path: str) -> dict:
        answer = httpx.get(
            f"{self.runtime.url}{path}", headers={"X-API-Key": self.api_key}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def wait_ready(self, voice_id: int) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = self.get(f"/api/v1/voice/voices/{voice_id}/status")["status"]
            assert status != "FAILED", f"voice {voice_id} failed"
            if status == "COMPLETED":
                return
            time.sleep(1)
        pytest.fail(f"voice {voice_id} was not ready in 300 s")


@pytest.fixture(scope="module")
def seed(runtime, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("voice-seed")
    (workdir / "voice_sample.wav").write_bytes(good_sample("wav"))
    for n, semitones in enumerate((2.0, 3.0, 4.0), start=1):
        sample = good_sample("wav", semitones=semitones, text=SPOKEN_TEXT_2)
        (workdir / f"sample{n}.wav").write_bytes(sample)
    return Seed(runtime, workdir)


@pytest.fixture(scope="module")
def voices(seed):
    """The custom voices the seed's own create examples make: single- and multi-sample."""
    created = seed.run("create custom voice")
    custom = int(re.search(r"Voice created with ID: (\d+)", created).group(1))  # type: ignore[union-attr]
    seed.run("create multi-sample voice")
    listing = seed.get("/api/v1/voice/voice-profiles?voice_type=CUSTOM")["voices"]
    multi = next(v["id"] for v in listing if v["name"] == "High Quality Voice")
    # each recorded with the key's standing attestation and its samples' digests
    consents = {v["id"]: v["consent"] for v in listing if v["id"] in (custom, multi)}
    assert {c["basis"] for c in consents.values()} == {"api-key"}
    assert len(consents[multi]["samples"]) == 3
    seed.wait_ready(custom)
    seed.wait_ready(multi)
    return {"custom": str(custom), "multi": str(multi)}


def fetch_audio(url: str) -> bytes:
    """A player's fetch: no key, redirects followed; a first preview may still be rendering."""
    deadline = time.monotonic() + 180
    while True:
        answer = httpx.get(url, follow_redirects=True, timeout=60)
        if answer.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert answer.status_code == 200, answer.text
    return answer.content


def test_list_voices_with_previews_that_play(seed, voices) -> None:
    out = seed.run("list voices")

    assert "Voice: My Custom Voice" in out and "Voice: joe ( joe )" in out
    urls = re.findall(r" Preview: (\S+)", out)
    assert len(urls) >= 3
    # The custom voice's preview (others in this runtime may be FAILED voices of other tests)
    custom = re.search(r"Voice: My Custom Voice .*?Preview: (\S+)", out, flags=re.S)
    assert custom is not None, out
    for url in (custom.group(1), next(u for u in urls if u.endswith("/joe.mp3"))):
        assert 1.0 < decode(fetch_audio(url)).duration < 15.0


def test_voice_details(seed, voices) -> None:
    out = seed.run("voice details", **{"voice_id = 123": f"voice_id = {voices['custom']}"})
    assert "Voice Name: My Custom Voice" in out and "Training status: completed" in out
    assert "Speed control: True" in out and "Pitch control: True" in out


def test_preview(seed, voices) -> None:
    swap = {'voice_identifier = "123"': f'voice_identifier = "{voices["custom"]}"'}
    out = seed.run("preview", **swap)
    assert "Preview saved as voice_preview.mp3" in out
    audio = decode((seed.workdir / "voice_preview.mp3").read_bytes())
    assert 1.0 < audio.duration < 15.0


def test_batch_preview(seed, voices) -> None:
    ids = f'["joe", "{voices["custom"]}", "espeak-tr-female"]'
    out = seed.run("batch preview", **{'[ "voice_abc123" , "voice_def456" , "voice_ghi789" ]': ids})
    assert "Generated 3 voice previews" in out and "Voice 2 : My Custom Voice" in out


def test_list_custom_voices(seed, voices) -> None:
    out = seed.run("list custom voices")
    assert "Custom Voice: My Custom Voice" in out and " Status: completed" in out
    assert f" Clone Job: {voices['custom']}" in out


def test_collections(seed, voices) -> None:
    two = f'["joe", "{voices["custom"]}"]'
    out = seed.run("create collection", **{'[ "voice_abc123" , "voice_def456" ]': two})
    assert "Collection created: My Podcast Voices" in out and "Contains 2 voices" in out
    collection = re.search(r"Collection ID: (\S+)", out).group(1)  # type: ignore[union-attr]

    out = seed.run("list collections")
    assert "Collection: My Podcast Voices" in out and " Voices: 2" in out

    out = seed.run(
        "add voices to collection",
        **{
            'collection_id = "collection_abc123"': f'collection_id = "{collection}"',
            '[ "voice_ghi789" , "voice_jkl012" ]': '["espeak-tr-female", "espeak-ru-female"]',
        },
    )
    assert "Collection now has 4 voices" in out


def test_usage_analytics(seed, voices) -> None:
    out = seed.run("usage analytics", **{'voice_id = "voice_abc123"': 'voice_id = "joe"'})
    assert "Average rating: 0.00" in out and re.search(r"Total generations: \d+", out)


def test_voice_collection_manager(seed, voices) -> None:
    ids = f'["joe", "espeak-tr-female", "{voices["custom"]}", "espeak-ru-female"]'
    swap = {'[ "voice_abc123" , "voice_def456" , "voice_ghi789" , "voice_jkl012" ]': ids}
    out = seed.run("voice collection manager", **swap)
    # joe is professional; the two eSpeak voices are not English: multilingual
    assert "Organized 3 voices into 2 collections:" in out
    assert " Professional & Business Voices : 1 voices" in out


def test_voice_selection_guide(seed) -> None:
    seed.run("voice selection guide")


def test_voice_selection_assistant_finds_female_english_podcast_voices(seed) -> None:
    # The seed's filter: English, female, professional, conversational.
    # The catalogue's female English neural voices (Kokoro) are professional and conversational.
    english_female = seed.get("/api/v1/voice/voices?language=en&gender=female&limit=50")
    fitting = [
        v
        for v in english_female["voices"]
        if (v["category"], v["style"]) == ("professional", "conversational")
    ]
    assert fitting, english_female
    out = seed.run("voice selection assistant")
    assert "Top recommendations for podcast in en :" in out
    assert " 1 . " in out and "Category: professional , Style: conversational" in out


def test_voice_selection_assistant_s_filter_reaches_the_catalogue(seed) -> None:
    # The same example asking for a male voice, which the catalogue has today (joe).
    swap = {'gender_preference = "female"': 'gender_preference = "male"'}
    out = seed.run("voice selection assistant", **swap)
    assert re.search(r" \d \. joe \(Score: 30\.0 \)", out)
    assert "Category: professional , Style: conversational" in out and "Rating: 0.0" in out


def test_delete_voice(seed, voices) -> None:
    out = seed.run("delete custom voice", **{"voice_id = 123": f"voice_id = {voices['multi']}"})
    assert "Custom voice deleted successfully" in out


def test_update_voice(seed, voices) -> None:
    out = seed.run("update custom voice", **{"voice_id = 123": f"voice_id = {voices['custom']}"})
    assert "Voice updated successfully:" in out and " Name: Updated Voice Name" in out

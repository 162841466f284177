"""The files and URLs a user gets from the local runtime, fetched by real clients: public
masters, captions and VAST files without a key, masters that accumulate, buffered WAV."""

from __future__ import annotations

import io
import json
import subprocess
import wave
from pathlib import Path

import httpx
import pytest
import requests
from lxml import etree

from audiofn.codecs import decode
from tests.vast_media import check_media, listed_media

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
VAST_XSD = Path(__file__).resolve().parents[3] / "shared" / "vast" / "vast_4.2.xsd"


def _sdk(runtime):
    import apiaudio

    apiaudio.api_base = runtime.url
    apiaudio.api_key = runtime.api_key
    return apiaudio


def test_public_master_captions_and_vast_download_without_a_key(runtime, transcriber, tmp_path):
    apiaudio = _sdk(runtime)
    # Given a master published with a VAST file naming the advertiser's Ad-ID
    script = apiaudio.Script.create(scriptText="Public news for everyone.", scriptName="public")
    apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe")
    apiaudio.Mastering.create(
        scriptId=script["scriptId"],
        soundTemplate="news",
        public=True,
        vast=True,
        universalAdId={"idRegistry": "ad-id.org", "value": "AFNX0000001H"},
    )

    # When the SDK downloads the public copy
    saved = apiaudio.Mastering.download(
        scriptId=script["scriptId"], public=True, destination=str(tmp_path)
    )

    # Then it is the master, served by the gateway at its stable public path
    mastered = decode(Path(saved).read_bytes())
    assert mastered.channels == 2 and mastered.duration > 2
    assert "public news" in transcriber.transcribe(mastered).text.lower()
    urls = apiaudio.Mastering.retrieve(scriptId=script["scriptId"], public=True, vast=True)
    public_base = f"{runtime.url}/public/"
    assert urls["url"].startswith(public_base)
    assert all(url.startswith(public_base) for url in urls["captions"].values())

    # ... the captions and the VAST file are readable by anyone, and the VAST MediaFile plays
    for url in urls["captions"].values():
        answer = requests.get(url, timeout=30)
        assert answer.status_code == 200 and "Public" in answer.text
    vast = requests.get(urls["vastUrl"], timeout=30)
    assert vast.status_code == 200
    media_url = etree.fromstring(vast.content).findtext(".//{*}MediaFile").strip()
    assert media_url.startswith(public_base)
    media = requests.get(media_url, timeout=30)
    assert media.headers["content-type"] == "audio/mpeg"
    assert decode(media.content).duration == pytest.approx(mastered.duration, abs=0.1)

    # ... every rendition and the mezzanine it lists is served, and is what it says it is
    schema = etree.XMLSchema(etree.parse(str(VAST_XSD)))
    assert schema.validate(etree.fromstring(vast.content)), schema.error_log
    duration, listed = listed_media(vast.content)
    assert duration == pytest.approx(mastered.duration, abs=0.001)
    assert [(m.tag, m.type) for m in listed] == [
        ("MediaFile", "audio/mpeg"),
        ("MediaFile", "audio/mpeg"),
        ("MediaFile", "audio/mp4"),
        ("Mezzanine", "audio/flac"),
    ]
    for item in listed:
        assert item.url.startswith(public_base)
        answer = requests.get(item.url, timeout=30)
        assert answer.status_code == 200 and answer.headers["content-type"] == item.type
        check_media(item, answer.content, duration)
    assert {m.bitrate_kbps for m in listed[:2]} == {192, 96}
    universal = etree.fromstring(vast.content).find(".//{*}UniversalAdId")
    assert (universal.get("idRegistry"), universal.text) == ("ad-id.org", "AFNX0000001H")
    renditions = urls["report"]["vast"]["mediaFiles"]
    assert [r["url"] for r in renditions] == [m.url for m in listed[:3]]

    # ... a player can seek (byte ranges) and revalidate (ETag)
    part = httpx.get(media_url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == media.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(media.content)}"
    again = httpx.get(media_url, headers={"If-None-Match": media.headers["etag"]})
    assert again.status_code == 304
    assert httpx.head(media_url).headers["content-length"] == str(len(media.content))


def test_public_path_serves_public_files_only(runtime):
    apiaudio = _sdk(runtime)
    script = apiaudio.Script.create(scriptText="Private words.", scriptName="private")
    apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe")
    apiaudio.Mastering.create(scriptId=script["scriptId"], endFormat="flac")
    private = httpx.URL(apiaudio.Mastering.retrieve(scriptId=script["scriptId"])["url"])
    key = private.path.split("/", 2)[2]  # path-style: /<bucket>/<key>

    assert httpx.get(f"{runtime.url}/public/{key}").status_code == 404
    assert httpx.get(f"{runtime.url}/public/nothing/here.mp3").status_code == 404


def _wav_body(runtime, **extra) -> bytes:
    import openai

    client = openai.OpenAI(api_key=runtime.api_key, base_url=f"{runtime.url}/v1")
    return client.audio.speech.create(
        model="tts-1", voice="alloy", input="A whole file, with its sizes.", response_format="wav",
        **extra,
    ).content  # fmt: skip


def test_buffered_wav_has_exact_sizes(runtime):
    from audiofn.services.voice_samples import decode_sample

    data = _wav_body(runtime)

    # Python's wave module reads the header's sizes, and they are the file's
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    assert int.from_bytes(data[40:44], "little") == len(data) - 44
    with wave.open(io.BytesIO(data)) as reader:
        frames = reader.getnframes()
        assert reader.getframerate() == 24_000
        assert len(reader.readframes(frames)) == frames * 2 == len(data) - 44
    assert 1.0 < frames / 24_000 < 6.0
    # the service's own sample check takes it as it is
    assert decode_sample(data, "speech.wav").duration == pytest.approx(frames / 24_000)


def test_wav_streams_with_the_streaming_header_only_when_asked(runtime):
    body = {"model": "tts-1", "voice": "alloy", "input": "Streamed on request.",
            "response_format": "wav", "stream": True}  # fmt: skip
    headers = {"Authorization": f"Bearer {runtime.api_key}"}
    streamed = httpx.post(f"{runtime.url}/v1/audio/speech", json=body, headers=headers, timeout=60)
    assert streamed.status_code == 200
    assert streamed.content[4:8] == b"\xff\xff\xff\xff"
    assert decode(streamed.content).duration > 0.5


def test_remastering_one_listener_keeps_the_others_masters(runtime, tmp_path):
    apiaudio = _sdk(runtime)
    script = apiaudio.Script.create(scriptText="Hello {{name|friend}}.", scriptName="listeners")
    audience = [{"name": "Ada"}, {"name": "Bo"}]
    apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe", audience=audience)
    apiaudio.Mastering.create(scriptId=script["scriptId"], audience=audience, endFormat="mp3")

    # When Ada alone is mastered again, in another format over another bed
    apiaudio.Mastering.create(
        scriptId=script["scriptId"], audience=[{"name": "Ada"}], endFormat="flac",
        soundTemplate="calm",
    )  # fmt: skip

    # Then Bo's master and Ada's MP3 still download through the SDK
    bo = apiaudio.Mastering.download(
        scriptId=script["scriptId"], parameters={"name": "Bo"}, destination=str(tmp_path)
    )
    assert decode(Path(bo).read_bytes()).duration > 1
    ada = apiaudio.Mastering.retrieve(
        scriptId=script["scriptId"], parameters={"name": "Ada"}, endFormat="mp3"
    )
    assert decode(requests.get(ada["url"], timeout=30).content).duration > 1
    listed = httpx.get(
        f"{runtime.url}/mastering/list",
        params={"scriptId": script["scriptId"]},
        headers={"x-api-key": runtime.api_key},
    ).json()["masters"]
    assert sorted((m["parameters"]["name"], m["formats"][0]) for m in listed) == [
        ("Ada", "flac"), ("Ada", "mp3"), ("Bo", "mp3"),
    ]  # fmt: skip


SDK085_PYTHON = Path(__file__).resolve().parents[2] / ".venv-apiaudio085" / "bin" / "python"
SDK085_PUBLIC_DOWNLOAD = """
import json, sys
import apiaudio
apiaudio.api_base, apiaudio.api_key = sys.argv[1], sys.argv[2]
script = apiaudio.Script.create(scriptText="Published with the old SDK.", scriptName="old")
apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe")
apiaudio.Mastering.create(scriptId=script["scriptId"], soundTemplate="lofi", public=True)
urls = apiaudio.Mastering.retrieve(scriptId=script["scriptId"], public=True)
path = apiaudio.Mastering.download(
    scriptId=script["scriptId"], public=True, destination=sys.argv[3]
)
print(json.dumps({"url": urls["url"], "file": path}))
"""


def test_sdk_0_8_5_downloads_a_public_master(runtime, tmp_path):
    if not SDK085_PYTHON.exists():
        pytest.fail("the 0.8.5 SDK environment is missing: run `make test`, which creates it")
    result = subprocess.run(
        [str(SDK085_PYTHON), "-c", SDK085_PUBLIC_DOWNLOAD, runtime.url, runtime.api_key,
         str(tmp_path)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["url"].startswith(f"{runtime.url}/public/")
    assert decode(Path(out["file"]).read_bytes()).duration > 2

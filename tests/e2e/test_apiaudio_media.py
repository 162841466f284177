"""The 0.17.1 SDK's Media resource against the local runtime: upload through the presigned
URL, the check the bucket's event starts, listing, tags, download, delete, and an uploaded
file as the bed of a master (and a corrupt one refused, naming the field)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import requests
import soundfile as sf

from audiofn.codecs import decode

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
RATE = 44_100


def checked(media_id: str, timeout: float = 60.0) -> dict:
    """The file's listing once the media-check function has been through it."""
    import apiaudio

    deadline = time.monotonic() + timeout
    while True:
        (item,) = apiaudio.Media.list(mediaId=media_id)["savedAudioFiles"]
        if item["status"] != "uploading" or time.monotonic() > deadline:
            return item
        time.sleep(0.2)


def test_media_upload_list_download_and_bed_with_sdk_0_17_1(runtime, tmp_path):
    import apiaudio

    apiaudio.api_base = runtime.url
    apiaudio.api_key = runtime.api_key

    # Given a background track of our own: 8 s of a 220 Hz tone
    t = np.arange(8 * RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    bed_path = tmp_path / "own-bed.wav"
    sf.write(bed_path, np.stack([tone, tone], axis=1), RATE, subtype="PCM_16")

    # When it is uploaded with the SDK
    uploaded = apiaudio.Media.upload(file_path=str(bed_path), tags="e2e,music")
    media_id = uploaded["mediaId"]

    # Then it is checked and listed as usable, by id and by tag
    item = checked(media_id)
    assert item["status"] == "ready", item
    assert item["duration"] == pytest.approx(8.0, abs=0.01) and item["channels"] == 2
    assert media_id in {f["mediaId"] for f in apiaudio.Media.list(tags="e2e")["savedAudioFiles"]}
    assert {"e2e", "music"} <= set(apiaudio.Media.list_tags())
    downloaded = apiaudio.Media.download(mediaId=media_id, destination=str(tmp_path / "."))
    assert Path(downloaded).name == "own-bed.wav"
    assert Path(downloaded).read_bytes() == bed_path.read_bytes()

    # ... and it is the bed of a master, under the ducking chain
    script = apiaudio.Script.create(scriptText="Hello world, here is the news for today.")
    apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe")
    apiaudio.Mastering.create(scriptId=script["scriptId"], backgroundTrackId=media_id)
    urls = apiaudio.Mastering.retrieve(scriptId=script["scriptId"])
    report = urls["report"]
    assert abs(report["integrated_lufs"] + 16) <= 0.5 and report["true_peak_dbtp"] <= -1.0
    assert report["ducking_db"] > 6
    master = decode(requests.get(urls["url"], timeout=60).content)
    lead_in = master.samples[: int(report["speech_start"] * master.sample_rate)].mean(axis=1)
    spectrum = np.abs(np.fft.rfft(lead_in * np.hanning(len(lead_in))))
    assert np.fft.rfftfreq(len(lead_in), 1 / master.sample_rate)[np.argmax(spectrum)] == (
        pytest.approx(220, abs=3)
    )

    # A text file renamed .mp3 is stored, listed as unusable with the reason, and refused
    # as a bed with a 400 that names the field
    notes = tmp_path / "notes.mp3"
    notes.write_text("Shopping list: eggs, milk, bread.\n" * 100)
    bad_id = apiaudio.Media.upload(file_path=str(notes))["mediaId"]
    bad = checked(bad_id)
    assert bad["status"] == "unusable" and "not an audio file" in bad["reason"]
    with pytest.raises(requests.HTTPError) as refused:
        apiaudio.Mastering.create(scriptId=script["scriptId"], backgroundTrackId=bad_id)
    assert "400" in str(refused.value) and "backgroundTrackId" in str(refused.value)
    assert checked(media_id)["status"] == "ready"  # nothing else affected

    # Deleting removes it from the listing
    assert apiaudio.Media.delete(mediaId=bad_id)["mediaId"] == bad_id
    assert apiaudio.Media.list(mediaId=bad_id) == {}

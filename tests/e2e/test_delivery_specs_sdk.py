"""Delivery specifications through the real apiaudio SDK (0.17.1) on the local runtime: the
SDK's own create and retrieve carry `deliverySpecs` and `deliverables` unchanged, and every
deliverable downloads, decodes and measures what its verdict says."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import numpy as np
import pytest

from audiofn.codecs import decode

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_apple_podcasts_and_ebu_r128_through_sdk_0_17_1(runtime, tmp_path):
    import apiaudio
    import pyloudnorm

    apiaudio.api_base = runtime.url
    apiaudio.api_key = runtime.api_key

    # Given a spoken script, mastered for "Apple Podcasts and EBU R128" with the SDK's create
    script = apiaudio.Script.create(
        scriptText="Good morning. Here is the news, delivered to two specifications.",
        scriptName="specs",
    )
    apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe")
    apiaudio.Mastering.create(
        scriptId=script["scriptId"],
        soundTemplate="news",
        captions=False,
        deliverySpecs=["Apple Podcasts", "EBU R128"],
    )

    # When the SDK retrieves the master
    got = apiaudio.Mastering.retrieve(scriptId=script["scriptId"])

    # Then the answer lists both deliverables, each measured, judged and downloadable
    assert [d["spec"] for d in got["deliverables"]] == ["Apple Podcasts", "EBU R128"]
    for item in got["deliverables"]:
        with urllib.request.urlopen(item["url"], timeout=30) as response:
            audio = decode(response.read())
        lufs = pyloudnorm.Meter(audio.sample_rate).integrated_loudness(
            np.asarray(audio.samples, dtype=np.float64)
        )
        assert abs(lufs - item["limits"]["integratedLufs"]) <= item["limits"]["toleranceLu"]
        assert abs(lufs - item["measured"]["integratedLufs"]) <= 0.05
        assert item["verdict"] == "pass", item
    # ... and the SDK's download still fetches the master itself
    master = apiaudio.Mastering.download(scriptId=script["scriptId"], destination=str(tmp_path))
    assert decode(Path(master).read_bytes()).duration > 2

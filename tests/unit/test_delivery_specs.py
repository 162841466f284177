"""Delivery specifications: names, limits and verdicts, on synthetic programmes measured after
encoding; a limit the programme cannot meet is always a failure with its reason."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyloudnorm
import pytest

from audiofn.audio import Audio
from audiofn.codecs import decode
from audiofn.dsp.measure import integrated_lufs
from audiofn.mastering.delivery import deliver_to_spec, judge
from audiofn.mastering.delivery_specs import DELIVERY_SPECS, delivery_specs, find_delivery_spec


def programme(seconds: float = 12.0, rate: int = 44_100) -> Audio:
    """Speech-like bursts of filtered noise, loud and quiet in turn (a wide loudness range)."""
    rng = np.random.default_rng(7)
    n = int(seconds * rate)
    noise = rng.standard_normal(n).astype(np.float32)
    envelope = np.where((np.arange(n) // (3 * rate)) % 2 == 0, 0.2, 0.02).astype(np.float32)
    mono = np.convolve(noise, np.ones(8) / 8, mode="same").astype(np.float32) * envelope
    return Audio(np.stack([mono, mono], axis=1), rate)


@pytest.mark.parametrize(
    "name", ["Apple Podcasts", "apple-podcasts", "EBU R 128", "ebu r128", "ATSC A/85", "atsc-a85"]
)
def test_specs_are_found_by_name_or_id_whatever_the_spelling(name):
    assert find_delivery_spec(name) is not None


def test_an_unknown_spec_is_not_found():
    assert find_delivery_spec("Netflix") is None


def test_every_spec_is_listed_with_limits_and_a_source():
    listed = delivery_specs()
    assert len(listed) == len(DELIVERY_SPECS) >= 5
    for spec in listed:
        assert spec["source"].startswith("https://")
        assert spec["truePeakDbtp"] < 0 and spec["toleranceLu"] > 0
        assert spec["format"] in {"mp3", "wav"}


@pytest.mark.parametrize("spec_id", list(DELIVERY_SPECS))
def test_each_spec_deliverable_measures_on_target_after_decoding(spec_id):
    spec = DELIVERY_SPECS[spec_id]
    audio = programme()
    level = integrated_lufs(audio)

    data, report = deliver_to_spec(audio, spec, master_lufs=level)

    decoded = decode(data)
    lufs = pyloudnorm.Meter(decoded.sample_rate).integrated_loudness(
        np.asarray(decoded.samples, dtype=np.float64)
    )
    assert decoded.sample_rate == spec.sample_rate
    assert abs(lufs - spec.integrated_lufs) <= spec.tolerance_lu
    assert abs(report["measured"]["integratedLufs"] - lufs) <= 0.05
    assert report["verdict"] == "pass", report
    assert report["measured"]["truePeakDbtp"] <= spec.true_peak_dbtp


def test_a_limit_the_programme_cannot_meet_fails_with_its_reason():
    # Given a spec allowing 1 LU of loudness range, and a programme that swings by 20 dB
    spec = dataclasses.replace(DELIVERY_SPECS["ebu-r128"], loudness_range_max_lu=1.0)
    audio = programme()

    _, report = deliver_to_spec(audio, spec, master_lufs=integrated_lufs(audio))

    # Then the loudness is on target but the verdict is a failure naming the range
    assert abs(report["measured"]["integratedLufs"] - spec.integrated_lufs) <= 0.1
    assert report["measured"]["loudnessRangeLu"] > 5
    assert report["verdict"] == "fail"
    assert report["reasons"] == [
        f"loudness range {report['measured']['loudnessRangeLu']} LU is above 1 LU"
    ]


@pytest.mark.parametrize(
    "measured, reason",
    [
        ({"integratedLufs": -21.2, "truePeakDbtp": -3.0}, "integrated loudness -21.20 LUFS"),
        ({"integratedLufs": None, "truePeakDbtp": None}, "not measurable"),
        ({"integratedLufs": -23.0, "truePeakDbtp": -0.99}, "true peak -0.99 dBTP is above"),
        ({"integratedLufs": -23.0, "truePeakDbtp": -3, "maxShortTermLufs": -17.5}, "short-term"),
        ({"integratedLufs": -23.0, "truePeakDbtp": -3, "sampleRate": 44_100}, "sample rate"),
    ],
)
def test_any_limit_missed_is_a_failure(measured, reason):
    spec = DELIVERY_SPECS["ebu-r128-s1"]

    passed, reasons = judge(spec, {"durationS": 20.0, **measured})

    assert not passed
    assert any(reason in r for r in reasons), reasons


def test_the_duration_limits_of_an_ad_spec_are_judged():
    spec = DELIVERY_SPECS["soundcloud-audio-ad"]
    base = {"integratedLufs": -16.0, "truePeakDbtp": -2.0, "sampleRate": 44_100}

    assert judge(spec, {**base, "durationS": 20.0}) == (True, ["meets every limit of " + spec.name])
    assert judge(spec, {**base, "durationS": 31.0})[1] == ["duration 31.00 s is over 30 s"]
    assert judge(spec, {**base, "durationS": 4.0})[1] == ["duration 4.00 s is under 6 s"]

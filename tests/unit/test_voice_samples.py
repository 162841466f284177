"""Voice-sample checks, cleaning and measuring on synthetic and synthesised signals."""

from __future__ import annotations

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.services import voice_samples as vs
from tests.voice_corpus import bad_corpus, good_sample


def _failed(report: vs.SampleReport) -> set[str]:
    return {check.name for check in report.checks if not check.passed}


@pytest.mark.slow
def test_good_sample_passes_every_check() -> None:
    audio = vs.decode_sample(good_sample(), "good.wav")
    report = vs.check_sample(audio, "good.wav")
    assert report.passed, report.failures
    assert {c.name for c in report.checks} == {
        "duration",
        "sample_rate",
        "silence",
        "clipping",
        "noise",
        "speech",
    }


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg", "m4a"])
def test_every_accepted_format_decodes(fmt: str) -> None:
    audio = vs.decode_sample(good_sample(fmt), f"good.{fmt}")
    assert 12 < audio.duration < 16
    assert vs.check_sample(audio, f"good.{fmt}").passed


@pytest.mark.slow
@pytest.mark.parametrize("sample", bad_corpus(), ids=lambda s: s.name)
def test_each_bad_sample_fails_with_its_reason(sample) -> None:
    try:
        audio = vs.decode_sample(sample.data, sample.filename)
    except vs.SampleUnreadable as error:
        reasons = str(error)
    else:
        report = vs.check_sample(audio, sample.filename)
        assert not report.passed
        reasons = "; ".join(report.failures)
    assert sample.reason in reasons


def test_every_failure_is_reported_not_only_the_first() -> None:
    rate = 8000
    t = np.arange(rate * 3) / rate
    clipped_short = np.clip(np.sin(2 * np.pi * 150 * t) * 5, -1, 1).astype(np.float32)
    report = vs.check_sample(Audio(clipped_short, rate), "bad.wav")
    assert {"duration", "sample_rate", "clipping"} <= _failed(report)


def test_unaccepted_extension_is_named() -> None:
    with pytest.raises(vs.SampleUnreadable, match="format 'txt' is not accepted"):
        vs.decode_sample(b"RIFF", "notes.txt")


def test_trim_and_loudness() -> None:
    rate = 22050
    tone = 0.05 * np.sin(2 * np.pi * 220 * np.arange(rate * 2) / rate)
    padded = np.concatenate([np.zeros(rate), tone, np.zeros(rate)]).astype(np.float32)
    cleaned = vs.clean_sample(Audio(padded, rate), remove_noise=False)
    assert 2.0 <= cleaned.duration <= 2.4  # a second of silence gone at each end
    import pyloudnorm

    loudness = pyloudnorm.Meter(rate).integrated_loudness(cleaned.samples.astype(np.float64))
    assert abs(loudness - -20.0) < 0.5


@pytest.mark.slow
def test_denoise_raises_the_estimated_snr() -> None:
    noisy = next(s for s in bad_corpus() if s.name == "noisy")
    audio = vs.decode_sample(noisy.data, noisy.filename)
    before = vs.estimate_snr_db(vs._at_analysis_rate(audio))
    after = vs.estimate_snr_db(vs._at_analysis_rate(vs.denoise(audio)))
    assert after > before + 6


@pytest.mark.slow
def test_measured_pitch_follows_a_shift() -> None:
    from audiofn.tts.custom_voice import shift_pitch

    base = vs.decode_sample(good_sample(semitones=0.0), "a.wav")
    up = shift_pitch(base, 4.0)
    low, high = vs.measure_voice([base]), vs.measure_voice([up])
    semitones = 12 * np.log2(high.median_pitch_hz / low.median_pitch_hz)
    assert 2.5 < semitones < 5.5
    assert 2.0 < low.speaking_rate < 7.0

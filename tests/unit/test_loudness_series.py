"""The short-term loudness series (the studio's loudness-over-time plot), held to pyloudnorm
and to the level a steady tone must read."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest

from audiofn.audio import Audio
from audiofn.dsp.loudness import (
    LoudnessSeries,
    channel_power,
    k_weight,
    measure_loudness,
    power_per_hop,
    short_term_series,
)

RATE = 48_000


def tone(seconds: float, dbfs: float) -> np.ndarray:
    """A 997 Hz stereo sine of the given peak level (EBU Tech 3341's test tone)."""
    t = np.arange(round(seconds * RATE)) / RATE
    wave = 10.0 ** (dbfs / 20.0) * np.sin(2 * np.pi * 997.0 * t)
    return np.stack([wave, wave], axis=1).astype(np.float32)


def series_of(samples: np.ndarray) -> LoudnessSeries:
    return short_term_series(power_per_hop(channel_power(k_weight(samples, RATE)), RATE), RATE)


def test_the_series_is_the_3_s_loudness_pyloudnorm_measures_at_each_instant() -> None:
    # Given a programme whose level steps: -20 dBFS, -30 dBFS, digital silence, -20 dBFS
    samples = np.concatenate([tone(5, -20), tone(5, -30), np.zeros((4 * RATE, 2)), tone(5, -20)])

    # When its series is taken every half second
    series = series_of(samples)

    # Then each value is the 3 s window ending at its time, as pyloudnorm measures it
    assert (series.window, series.start, series.step) == (3.0, 3.0, 0.5)
    reference = pyloudnorm.Meter(RATE, block_size=3.0)
    for index, value in enumerate(series.lufs):
        end = round((series.start + index * series.step) * RATE)
        expected = reference.integrated_loudness(samples[end - 3 * RATE : end].astype(np.float64))
        if math.isinf(expected):
            assert value is None, f"{index}: silence reads {value}"  # below the gate
        else:
            assert value == pytest.approx(expected, abs=0.06), f"window ending at {end / RATE} s"
    # And a steady stereo tone reads its level (EBU Tech 3341: -23 dBFS reads -23 LUFS)
    at = {round(series.start + i * series.step, 1): v for i, v in enumerate(series.lufs)}
    assert at[4.0] == pytest.approx(-20.0, abs=0.1)
    assert at[9.0] == pytest.approx(-30.0, abs=0.1)
    assert at[13.0] is None and at[19.0] == pytest.approx(-20.0, abs=0.1)
    # And the series has one value per half second from the first full window to the end
    assert len(series.lufs) == math.floor((len(samples) / RATE - 3.0) / 0.5) + 1


def test_a_long_programme_is_sampled_more_sparsely_and_stays_small() -> None:
    # Given the hops of an hour of steady programme
    hops = np.full(36_000, 0.01 * 4_800)

    # When its series is asked for, every 0.5 s at most 240 values
    series = short_term_series(hops, RATE)

    # Then the step is a whole number of half seconds and the values fit the cap
    assert len(series.lufs) <= 240 and series.step == 15.0
    assert (series.start + (len(series.lufs) - 1) * series.step) <= 3600.0
    assert set(series.lufs) == {-20.7}  # -0.691 + 10 log10(0.01), to 0.1 LU


def test_a_programme_shorter_than_the_window_has_one_value_for_its_whole_length() -> None:
    samples = tone(2, -18)
    series = series_of(samples)
    assert (series.window, series.start) == (2.0, 2.0)
    whole = pyloudnorm.Meter(RATE, block_size=2.0).integrated_loudness(samples.astype(np.float64))
    assert series.lufs == (pytest.approx(whole, abs=0.06),)
    # And it agrees with the short-term curve of the meter every report uses
    assert measure_loudness(Audio(samples, RATE)).short_term_lufs[0] == pytest.approx(
        whole, abs=0.01
    )

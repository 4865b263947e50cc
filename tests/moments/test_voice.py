"""Tests for attunement.moments.voice: pitch and loudness variability of the reply."""

from __future__ import annotations

import numpy as np
import pytest

from attunement.moments.voice import MIN_VOICED_FRAMES, voice_variability


def test_semitone_sd_and_loudness_over_voiced_frames_only():
    t = np.arange(500) / 100
    f0 = np.where((t >= 1) & (t < 3), 200 * 2 ** (np.where(np.arange(500) % 2, 2, -2) / 12), np.nan)
    db = np.where(np.isfinite(f0), np.where(np.arange(500) % 4 < 2, 62.0, 58.0), 20.0)
    got = voice_variability(
        f0,
        db,
        f0_rate=100,
        f0_start=0.0,
        intensity_rate=100,
        intensity_start=0.0,
        starts=[0.0],
        ends=[5.0],
    ).iloc[0]
    assert got["n_voiced_frames"] == 200
    assert got["f0_sd_st"] == pytest.approx(2.0, rel=0.01)  # the same at any pitch
    assert got["intensity_sd_db"] == pytest.approx(2.0, rel=0.01)  # the silent 20 dB left out


def test_too_few_voiced_frames_or_no_interval_is_nan():
    f0 = np.r_[np.full(MIN_VOICED_FRAMES - 1, 150.0), np.zeros(100)]
    got = voice_variability(
        f0,
        np.full(f0.size, 60.0),
        f0_rate=100,
        f0_start=10.0,
        intensity_rate=100,
        intensity_start=10.0,
        starts=[10.0, np.nan],
        ends=[11.0, np.nan],
    )
    assert got["n_voiced_frames"].tolist() == [MIN_VOICED_FRAMES - 1, 0]
    assert got[["f0_sd_st", "intensity_sd_db"]].isna().all().all()


def test_the_same_contour_at_twice_the_pitch_varies_as_much():
    rng = np.random.default_rng(0)
    f0 = 180 * 2 ** (rng.normal(0, 1.5, 300) / 12)
    args = dict(
        f0_rate=100, f0_start=0.0, intensity_rate=100, intensity_start=0.0, starts=[0.0], ends=[3.0]
    )
    low = voice_variability(f0, np.full(300, 60.0), **args)["f0_sd_st"].iloc[0]
    high = voice_variability(2 * f0, np.full(300, 60.0), **args)["f0_sd_st"].iloc[0]
    assert low == pytest.approx(high)

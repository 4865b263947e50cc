"""Tests for attunement.benchmarks.moments: its simulation and its table (a few sessions)."""

from __future__ import annotations

import numpy as np
import pytest

from attunement.benchmarks.moments import run_moments_benchmark, simulate_session
from attunement.moments import physiology


def test_the_built_in_response_is_the_effect_asked_for():
    sim = simulate_session(minutes=20, effect=0.5, seed=1)
    ends = sim.coded.loc[sim.coded["role"] == "therapist", "end_s"].to_numpy()
    null = simulate_session(minutes=20, effect=0.0, seed=1)
    with_response = physiology.scr_responses(sim.eda.client, sampling_rate=4, start=0, times=ends)
    without = physiology.scr_responses(null.eda.client, sampling_rate=4, start=0, times=ends)
    rise = np.nanmean((with_response - without)[sim.moments])
    assert rise == pytest.approx(0.5 * np.nanstd(without), rel=0.05)
    np.testing.assert_array_equal(sim.moments, null.moments)  # the same session otherwise


def test_noise_kinds_and_a_bad_one():
    assert simulate_session(minutes=6, noise="ar", seed=0).eda.kind == "eda"
    with pytest.raises(ValueError, match="noise"):
        simulate_session(noise="pink")


def test_the_table_has_every_condition():
    table = run_moments_benchmark(n_sessions=2, minutes=8, n_permutations=50)
    assert set(table["noise"]) == {"scr", "ar"}
    assert set(table["condition"]) == {"response 0.5 SD", "no response"}
    assert (table["sessions"] == 2).all() and table["rate"].between(0, 1).all()
    assert (table["ci95_low"] <= table["rate"]).all() and (
        table["rate"] <= table["ci95_high"]
    ).all()
    assert table.attrs["seconds"] > 0
    words = table["response"] == "words in reply"
    assert table.loc[words, "no_baseline_rate"].between(0, 1).all()  # the test without it
    assert table.loc[~words, "no_baseline_rate"].isna().all()

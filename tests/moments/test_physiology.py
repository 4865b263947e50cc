"""Tests for attunement.moments.physiology: windows of the client's signals after utterances."""

from __future__ import annotations

import neurokit2 as nk
import numpy as np
import pytest

from attunement.errors import InputError
from attunement.moments.physiology import (
    SCR_BASELINE_S,
    SCR_WINDOW_S,
    epochs,
    event_average,
    hr_responses,
    local_synchrony,
    scr_responses,
)


def test_epochs_cut_the_samples_of_each_window_nan_outside():
    x = np.arange(20.0)
    e, off = epochs(x, sampling_rate=2, start=10.0, times=[11.0, 19.5, np.nan], window_s=(-1, 1))
    assert off.tolist() == [-1.0, -0.5, 0.0, 0.5]
    assert e[0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert e[1, :2].tolist() == [17.0, 18.0] and np.isnan(e[1, 3])
    assert np.isnan(e[2]).all()


def test_skin_conductance_responses_match_neurokit2_epochs():
    """The same windows as nk.epochs_create (the peer), read by array slicing."""
    rng = np.random.default_rng(0)
    rate = 4
    x = 2 + np.cumsum(rng.normal(0, 0.01, 4000))
    ends = np.array([30.0, 101.25, 250.5, 600.0])
    ours = scr_responses(x, sampling_rate=rate, start=0.0, times=ends)
    onsets = (ends * rate).astype(int)
    lo, hi = SCR_WINDOW_S
    found = nk.epochs_create(
        x, events=onsets, sampling_rate=rate, epochs_start=-SCR_BASELINE_S, epochs_end=hi
    )
    want = []
    for k in sorted(found, key=int):
        # NeuroKit2 labels its epochs' rows with a linspace over the window, not with the
        # samples' own times: row i is the sample i - 2 s x rate from the event
        v = found[k]["Signal"].to_numpy()
        t = (np.arange(v.size) - SCR_BASELINE_S * rate) / rate
        want.append(v[(t >= lo) & (t < hi)].max() - v[(t >= -SCR_BASELINE_S) & (t < 0)].mean())
    np.testing.assert_allclose(ours, want, rtol=1e-12)


def test_a_response_is_max_after_minus_mean_before():
    t = np.arange(0, 100, 0.25)
    x = np.full(t.size, 3.0)
    x[(t >= 48) & (t < 50)] = 2.0  # the baseline before an end at 50 s
    x[(t >= 53) & (t < 54)] = 3.5
    assert scr_responses(x, sampling_rate=4, start=0.0, times=[50.0]).tolist() == [1.5]


def test_a_window_more_than_half_missing_is_nan_not_filled():
    x = np.full(400, 2.0)
    x[210:221] = np.nan  # 52.5-55.25 s: 11 of the 20 samples of 1-6 s after an end at 51.5 s
    got = scr_responses(x, sampling_rate=4, start=0.0, times=[51.5, 80.0, 500.0])
    assert np.isnan(got[0]) and got[1] == 0.0 and np.isnan(got[2])


def test_heart_rate_change_windows():
    hr = np.r_[np.full(30, 60.0), np.full(10, 66.0), np.full(20, 60.0)]
    got = hr_responses(hr, sampling_rate=1, start=100.0, times=[130.0, 140.0, 135.0])
    assert got.tolist() == [6.0, -6.0, pytest.approx(3.0 - 6.0)]


def test_local_synchrony_of_coupled_and_independent_series():
    rng = np.random.default_rng(1)
    a = np.cumsum(rng.normal(size=4000))
    coupled = a + 0.2 * rng.normal(size=4000)
    independent = np.cumsum(rng.normal(size=4000))
    times = np.arange(30.0, 950.0, 40.0)
    r_same = local_synchrony(a, coupled, sampling_rate=4, start=0.0, times=times)
    r_none = local_synchrony(a, independent, sampling_rate=4, start=0.0, times=times)
    assert np.all(r_same > 0.5)
    assert abs(np.mean(r_none)) < 0.1
    gappy = coupled.copy()
    gappy[100:140] = np.nan  # 25-35 s: a third of the window at 30 s
    assert np.isnan(local_synchrony(a, gappy, sampling_rate=4, start=0.0, times=[30.0])[0])
    flat = local_synchrony(a, np.ones(4000), sampling_rate=4, start=0.0, times=[30.0])
    assert np.isnan(flat[0])


def test_event_average_and_its_chance_band():
    rate, n = 4, 2400
    ends = np.arange(20.0, 580.0, 14.0)
    labels = np.isin(np.arange(ends.size), [1, 2, 9, 15, 22, 30, 31, 35])
    x = np.zeros(n)
    for t0 in ends[labels]:
        i = int((t0 + 2) * rate)
        x[i : i + 12] += 1.0
    got = event_average(
        x, labels, np.arange(1, ends.size), sampling_rate=rate, start=0.0, times=ends
    )
    peak = got["offset_s"] == 2.0
    assert got["moments"][peak][0] == pytest.approx(1.0)
    assert got["others"][peak][0] < 0.25
    assert got["chance_high"][peak][0] < got["moments"][peak][0]


def test_a_series_of_two_dimensions_is_refused():
    with pytest.raises(InputError, match="one value per sample"):
        scr_responses(np.zeros((4, 2)), sampling_rate=4, start=0.0, times=[1.0])
    with pytest.raises(InputError, match="positive rate"):
        hr_responses(np.zeros(4), sampling_rate=0, start=0.0, times=[1.0])

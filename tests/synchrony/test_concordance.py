import inspect
import math
import re

import numpy as np
import pandas as pd
import pytest

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.concordance import SLOPE_METHODS, marci_sci, marci_sci_method

RATE = 4.0


def dyad(seed, coupling=1.0, n=2400):
    """Two skin-conductance-like random walks sharing ``coupling`` of a common drift."""
    rng = np.random.default_rng(seed)
    shared, own_t, own_c = np.cumsum(rng.standard_normal((3, n)) * 0.01, axis=1)
    return 5 + coupling * shared + own_t, 3 + coupling * shared + own_c


def naive(x, y, rate=RATE, w=20, s=4, c=15, cs=1):
    """Marci et al. step by step with pandas/numpy loops (mean first difference slopes)."""
    slopes = []
    for a in range(0, x.size - w + 1, s):
        slopes.append(
            (np.mean(np.diff(x[a : a + w])) * rate, np.mean(np.diff(y[a : a + w])) * rate)
        )
    slopes = np.array(slopes)
    r = [
        pd.Series(slopes[j : j + c, 0]).corr(pd.Series(slopes[j : j + c, 1]))
        for j in range(0, len(slopes) - c + 1, cs)
    ]
    r = np.array(r)
    return slopes, r, math.log(r[r > 0].sum() / abs(r[r < 0].sum()))


def test_known_answer_against_a_step_by_step_computation():
    x, y = dyad(1, coupling=0.5)
    res = marci_sci(x, y, sampling_rate=RATE)
    slopes, r, sci = naive(x, y)
    np.testing.assert_allclose(res.slopes[["therapist_slope", "client_slope"]], slopes, atol=1e-12)
    np.testing.assert_allclose(res.table["r"], r, atol=1e-12)
    assert res.sci == pytest.approx(sci, rel=1e-12)
    assert res.n_positive == int((r > 0).sum()) and res.n_negative == int((r < 0).sum())
    assert res.summary.columns.tolist() == [
        "sci",
        "n_windows",
        "n_defined",
        "n_positive",
        "n_negative",
    ]
    assert res["sci"] == res.sci and res["n_windows"] == len(res.table) == r.size
    assert res.method == marci_sci_method()


def test_windows_and_times():
    x, y = dyad(2, coupling=0.3, n=400)  # 100 s at 4 Hz
    res = marci_sci(x, y, sampling_rate=RATE)
    assert list(res.slopes.columns) == ["start_s", "end_s", "therapist_slope", "client_slope"]
    assert list(res.table.columns) == ["start_s", "end_s", "r"]
    assert len(res.slopes) == 96  # 5 s windows every 1 s in 100 s
    assert len(res.table) == 82  # 15 slopes every slope
    np.testing.assert_allclose(res.slopes["start_s"], np.arange(96.0))
    np.testing.assert_allclose(res.slopes["end_s"] - res.slopes["start_s"], 5.0)
    np.testing.assert_allclose(res.table["end_s"] - res.table["start_s"], 19.0)


def test_linear_ramp_slope_is_exact_for_both_methods():
    t = np.arange(400) / RATE
    for method in ("mean_difference", "least_squares"):
        with pytest.warns(AttunementWarning):  # a constant slope has no correlation
            res = marci_sci(2 + 0.1 * t, 3 - 0.05 * t, sampling_rate=RATE, slope_method=method)
        np.testing.assert_allclose(res.slopes["therapist_slope"], 0.1)
        np.testing.assert_allclose(res.slopes["client_slope"], -0.05)


def test_least_squares_slope_matches_polyfit():
    x, y = dyad(3, n=200)
    res = marci_sci(x, y, sampling_rate=RATE, slope_method="least_squares", min_windows=1)
    t = np.arange(20) / RATE
    for k in (0, 7, 30):
        a = 4 * k
        assert res.slopes["therapist_slope"].iloc[k] == pytest.approx(
            np.polyfit(t, x[a : a + 20], 1)[0], rel=1e-9
        )


def test_concordance_orders_coupled_independent_and_opposed():
    coupled = [marci_sci(*dyad(s, coupling=1.0), sampling_rate=RATE).sci for s in range(5)]
    independent = [marci_sci(*dyad(s, coupling=0.0), sampling_rate=RATE).sci for s in range(5)]
    opposed = []
    for s in range(5):
        x, y = dyad(s, coupling=1.0)
        opposed.append(marci_sci(x, 8 - y, sampling_rate=RATE).sci)
    assert min(coupled) > 1.0
    assert max(abs(v) for v in independent) < 1.0
    assert max(opposed) < -1.0


def test_nan_run_leaves_its_windows_undefined_not_filled():
    x, y = dyad(4)
    y = y.copy()
    y[400:480] = np.nan  # 20 s
    res = marci_sci(x, y, sampling_rate=RATE)
    slope_nan = res.slopes["client_slope"].isna().to_numpy()
    start = res.slopes["start_s"].to_numpy()
    assert slope_nan[(start > 95) & (start < 120)].all()
    assert not slope_nan[(start < 94) | (start > 120)].any()
    r_nan = res.table["r"].isna().to_numpy()
    assert 0 < r_nan.sum() < 40
    assert np.isfinite(res.sci)


def test_flat_signal_gives_nan_with_reason():
    x, _ = dyad(5)
    with pytest.warns(AttunementWarning, match="client's skin conductance is flat"):
        res = marci_sci(x, np.full(x.size, 2.0), sampling_rate=RATE)
    assert math.isnan(res.sci)
    assert res.table["r"].isna().all()


def test_shorter_than_one_window_gives_nan_with_reason():
    x, y = dyad(6, n=60)  # 15 s: fewer than 5 + 14 s
    with pytest.warns(AttunementWarning, match=r"shorter than one slope window plus one"):
        res = marci_sci(x, y, sampling_rate=RATE)
    assert math.isnan(res.sci) and len(res.table) == 0
    with pytest.warns(AttunementWarning, match="shorter"):
        res = marci_sci([], [], sampling_rate=RATE)
    assert len(res.slopes) == 0


def test_identical_signals_have_no_negative_window():
    x, _ = dyad(7)
    with pytest.warns(AttunementWarning, match="no correlation window is negative"):
        res = marci_sci(x, x + 1, sampling_rate=RATE)
    assert math.isnan(res.sci) and res.n_negative == 0 and res.n_positive > 0


def test_mirrored_signals_have_no_positive_window():
    x, _ = dyad(8)
    with pytest.warns(AttunementWarning, match="no correlation window is positive"):
        res = marci_sci(x, 10 - x, sampling_rate=RATE)
    assert math.isnan(res.sci)


def test_too_few_windows():
    x, y = dyad(9, n=120)  # 30 s: 12 correlation windows
    with pytest.warns(AttunementWarning, match="only 12 of 12 correlation windows"):
        res = marci_sci(x, y, sampling_rate=RATE, min_windows=20)
    assert math.isnan(res.sci)


def test_one_hertz_input():
    x, y = dyad(10, n=600)
    res = marci_sci(x[:300], y[:300], sampling_rate=1.0)
    assert len(res.slopes) == 296 and np.isfinite(res.sci)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"client_eda": np.ones(99)}, "differ in length: therapist 100 samples, client 99"),
        ({"therapist_eda": np.ones((100, 2))}, "therapist_eda: has shape"),
        ({"therapist_eda": np.r_[np.ones(99), np.inf]}, "infinite"),
        ({"therapist_eda": ["a"] * 100}, "expected a series of numbers"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"sampling_rate": None}, "sampling_rate"),
        ({"slope_window_s": 1.1}, r"slope_window_s: is 1.1 s, 4.4 samples"),
        ({"slope_window_s": 0.25}, "a slope needs at least 2"),
        ({"slope_step_s": 0}, "slope_step_s"),
        ({"corr_window_s": 15.5}, "corr_window_s: is 15.5 s, 15.5 slope steps"),
        ({"corr_step_s": 0.5}, "corr_step_s"),
        ({"slope_method": "ols"}, "expected one of mean_difference, least_squares"),
        ({"min_windows": 0}, "min_windows"),
        ({"min_windows": 2.5}, "min_windows"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"therapist_eda": np.ones(100), "client_eda": np.ones(100), "sampling_rate": RATE}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        marci_sci(args.pop("therapist_eda"), args.pop("client_eda"), **args)


def test_on_an_aligned_pair_of_different_devices():
    from attunement.model import Signal
    from attunement.signals.align import align_pair

    x, y = dyad(11)
    fast = np.interp(np.arange(x.size * 8) / 32, np.arange(x.size) / 4, y)  # 32 Hz client
    pair = align_pair(
        Signal("eda", "therapist", 4.0, x, start=0.0),
        Signal("eda", "client", 32.0, fast, start=0.0),
    )
    direct = marci_sci(x, y, sampling_rate=4.0).sci
    aligned = marci_sci(pair.therapist, pair.client, sampling_rate=pair.sampling_rate).sci
    assert aligned == pytest.approx(direct, abs=0.3)


def test_method_is_written_from_the_parameters_that_ran():
    m = marci_sci_method(
        slope_window_s=4,
        slope_step_s=2,
        corr_window_s=20,
        corr_step_s=2,
        slope_method="least_squares",
        min_windows=5,
    )
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert m["parameters"] == {
        "slope_window_s": 4.0,
        "slope_step_s": 2.0,
        "corr_window_s": 20.0,
        "corr_step_s": 2.0,
        "slope_method": "least_squares",
        "min_windows": 5,
    }
    text = m["description"]
    assert "in 4 s windows moved by 2 s" in text and "in 20 s windows moved by 2 s" in text
    assert SLOPE_METHODS["least_squares"] in text and "fewer than 5 defined" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    assert "Marci" in m["citation"]


def test_method_refuses_an_unknown_slope_method():
    with pytest.raises(InputError, match="slope_method"):
        marci_sci_method(slope_method="median")


def test_method_has_the_options_of_marci_sci():
    measure = inspect.signature(marci_sci).parameters
    for name, p in inspect.signature(marci_sci_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name

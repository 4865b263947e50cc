import inspect
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal, stats

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony._generators import _window_partners
from attunement.synchrony._kernel import _plan
from attunement.synchrony.stats import SurrogateSummary
from attunement.synchrony.surrogates import (
    STATISTICS,
    SURROGATE_METHODS,
    SurrogateTest,
    circular_shift,
    segment_shuffle,
    surrogate_test,
    surrogate_test_method,
)
from attunement.synchrony.wclc import wclc, wclc_batch

GEOMETRY = {"window_s": 30, "lag_s": 5, "step_s": 10}
SMALL = {"sampling_rate": 1.0, "window_s": 20, "lag_s": 3, "step_s": 10}


def ar1(n, rng, phi=0.8):
    return signal.lfilter([1.0], [1.0, -phi], rng.standard_normal(n + 50))[50:]


def coupled(rng, *, seconds=600, rate=4.0, delay_s=2.0, noise=0.4):
    """Client = therapist ``delay_s`` earlier + noise: the client follows."""
    n, d = int(seconds * rate), int(delay_s * rate)
    t = ar1(n + d, rng, phi=0.9)
    return t[d:], t[:-d] + noise * rng.standard_normal(n)


# -- generators ----------------------------------------------------------------------------------


def test_segment_shuffle_moves_whole_segments():
    x = np.arange(23.0)
    y = segment_shuffle(x, sampling_rate=2.0, segment_s=2.5, rng=np.random.default_rng(1))
    assert y.shape == x.shape
    assert sorted(y) == sorted(x)
    pieces = [y[i : i + 5] for i in range(0, 23, 5)]
    # Every run of consecutive values is a segment of 5 (or the last 3) samples of x.
    runs = np.split(y, np.flatnonzero(np.diff(y) != 1) + 1)
    assert all(len(r) in (3, 5, 8, 10, 13, 15, 18, 20, 23) for r in runs)
    assert len(pieces) == 5


def test_segment_shuffle_is_seeded_and_sized():
    x = np.random.default_rng(0).standard_normal(100)
    a = segment_shuffle(x, sampling_rate=1, segment_s=10, rng=np.random.default_rng(5), size=4)
    b = segment_shuffle(x, sampling_rate=1, segment_s=10, rng=np.random.default_rng(5), size=4)
    assert a.shape == (4, 100)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], a[1])


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 200), seg=st.integers(1, 50), seed=st.integers(0, 2**32 - 1))
def test_segment_shuffle_permutes_every_sample(n, seg, seed):
    x = np.arange(float(n))
    if -(-n // seg) < 2:
        with pytest.raises(InputError, match="fewer than two segments"):
            segment_shuffle(x, sampling_rate=1, segment_s=seg, rng=np.random.default_rng(seed))
        return
    y = segment_shuffle(x, sampling_rate=1, segment_s=seg, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(np.sort(y), x)


def test_circular_shift_rotates_by_at_least_the_minimum():
    x = np.arange(50.0)
    ys = circular_shift(x, sampling_rate=1, min_shift_s=10, rng=np.random.default_rng(2), size=300)
    shifts = (ys[:, 0] * -1) % 50  # y[t] = x[t - k]  ->  y[0] = x[-k]
    assert shifts.min() >= 10 and shifts.max() <= 40
    for y, k in zip(ys, shifts, strict=True):
        np.testing.assert_array_equal(y, np.roll(x, int(k)))
    assert len(set(shifts)) > 20


RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: segment_shuffle(np.ones(10), sampling_rate=1, segment_s=10, rng=RNG), "two"),
        (lambda: segment_shuffle(np.ones(10), sampling_rate=1, segment_s=0.5, rng=None), "whole"),
        (lambda: segment_shuffle(np.ones(10), sampling_rate=0, segment_s=1, rng=None), "rate"),
        (lambda: segment_shuffle(np.ones((2, 5)), sampling_rate=1, segment_s=1, rng=None), "1-D"),
        (
            lambda: circular_shift(np.ones(10), sampling_rate=1, min_shift_s=6, rng=RNG),
            "at most 5",
        ),
        (lambda: circular_shift(np.ones(10), sampling_rate=1, min_shift_s=0, rng=None), "least 1"),
        (
            lambda: circular_shift(
                np.ones(10), sampling_rate=1, min_shift_s=2, rng=np.random.default_rng(), size=0
            ),
            "size: expected a positive whole number",
        ),
        (
            lambda: circular_shift(np.ones(10), sampling_rate=1, min_shift_s=2, rng=7),
            "rng: expected a numpy.random.Generator",
        ),
    ],
)
def test_generator_bad_input(call, match):
    with pytest.raises(InputError, match=match):
        call()


# -- surrogate_test: known answers ---------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(SURROGATE_METHODS))
def test_coupled_pair_stands_out(method):
    t, c = coupled(np.random.default_rng(3))
    res = surrogate_test(
        t, c, sampling_rate=4.0, **GEOMETRY, n_surrogates=199, method=method, seed=1
    )
    assert isinstance(res, SurrogateTest) and isinstance(res.chance, SurrogateSummary)
    assert res.summary.columns.tolist() == [
        "statistic",
        "surrogate_method",
        "observed",
        "surrogate_mean",
        "surrogate_sd",
        "effect_size",
        "p_value",
        "n_surrogates",
    ]
    assert res.chance.p_value == pytest.approx(1 / 200)
    assert res.chance.effect_size > 5
    assert res.chance.n_surrogates == 199
    assert np.median(res.observed.windows["best_lag_s"]) == pytest.approx(2.0, abs=0.25)
    assert res.observed.fisher_z and res.observed.absolute
    assert res.chance.observed == pytest.approx(res.observed.grand_average)


@pytest.mark.parametrize("method", sorted(SURROGATE_METHODS))
def test_independent_pairs_give_uniform_p_values(method):
    p = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        x, y = ar1(300, rng), ar1(300, rng)
        res = surrogate_test(x, y, **SMALL, n_surrogates=99, seed=seed, method=method)
        p.append(res.chance.p_value)
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert 0.02 < np.mean(np.array(p) <= 0.05) < 0.1


def test_same_seed_same_result_and_different_seeds_differ():
    rng = np.random.default_rng(4)
    x, y = ar1(400, rng), ar1(400, rng)
    a = surrogate_test(x, y, **SMALL, n_surrogates=50, seed=9)
    b = surrogate_test(x, y, **SMALL, n_surrogates=50, seed=9)
    c = surrogate_test(x, y, **SMALL, n_surrogates=50, seed=10)
    np.testing.assert_array_equal(a.surrogates, b.surrogates)
    pd.testing.assert_frame_equal(a.band, b.band)
    assert a.chance == b.chance
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not np.array_equal(a.surrogates, c.surrogates)


def test_circular_shift_surrogates_are_those_of_the_generator():
    rng = np.random.default_rng(5)
    x, y = ar1(400, rng), ar1(400, rng)
    res = surrogate_test(x, y, **SMALL, method="circular_shift", n_surrogates=30, seed=3)
    ys = circular_shift(y, sampling_rate=1, min_shift_s=20, rng=np.random.default_rng(3), size=30)
    cells = wclc_batch(x, ys, **SMALL, absolute=True)
    np.testing.assert_allclose(res.surrogates, cells.mean(axis=(1, 2)), atol=1e-12)
    assert res.parameters["min_shift_s"] == 20.0


def test_segment_shuffle_pairs_each_window_with_a_non_overlapping_client_window():
    rng = np.random.default_rng(6)
    x, y = ar1(400, rng), ar1(400, rng)
    plan = _plan(400, **SMALL)
    partners = _window_partners(plan, 3, np.random.default_rng(7), 50)
    assert partners.shape == (50, plan.n_windows)
    apart = np.abs(partners - np.arange(plan.n_windows)) * plan.inc
    assert (apart >= plan.span).all()
    # each surrogate is the segments of windows in another order
    assert all(sorted(p) == list(range(plan.n_windows)) for p in partners)
    # and its cells are the correlations of those pairs
    res = surrogate_test(x, y, **SMALL, n_surrogates=50, seed=7, absolute=False)
    first = partners[0]
    cells = np.array(
        [
            wclc(
                x[a : a + plan.span],
                y[first[w] * plan.inc : first[w] * plan.inc + plan.span],
                **SMALL,
            ).values[0]
            for w, a in enumerate(plan.starts)
        ]
    )
    assert res.surrogates[0] == pytest.approx(cells.mean(), abs=1e-12)
    assert res.parameters["segment_s"] == 30.0


@pytest.mark.parametrize("statistic", sorted(STATISTICS))
def test_statistics_and_band(statistic):
    t, c = coupled(np.random.default_rng(8), seconds=300)
    res = surrogate_test(t, c, sampling_rate=4.0, **GEOMETRY, n_surrogates=40, statistic=statistic)
    z = res.observed.values
    figure = {
        "grand_average": z.mean(axis=1),
        "peak": z.max(axis=1),
        "lag_zero": z[:, z.shape[1] // 2],
        # the lags within +-2.5 s at 4 Hz: ten either side of lag 0
        "lag_band": z[:, z.shape[1] // 2 - 10 : z.shape[1] // 2 + 11].mean(axis=1),
    }[statistic]
    np.testing.assert_allclose(res.band["observed"], figure)
    assert res.chance.observed == pytest.approx(
        z.mean() if statistic == "grand_average" else figure.mean()
    )
    band = res.band
    assert band.columns.tolist() == [
        "start_s",
        "end_s",
        "observed",
        "surrogate_low",
        "surrogate_median",
        "surrogate_high",
    ]
    assert len(band) == res.observed["n_windows"]
    assert band is res.table
    assert (band["surrogate_low"] <= band["surrogate_median"]).all()
    assert (band["surrogate_median"] <= band["surrogate_high"]).all()
    assert res.statistic == statistic and res.surrogate_method == "segment_shuffle"
    assert res.method["name"] == "surrogate_synchrony_test"
    assert res.method["parameters"]["statistic"] == statistic


def test_missing_and_flat_data_in_the_client():
    rng = np.random.default_rng(9)
    t, c = coupled(rng, seconds=400)
    c[200:260] = np.nan  # 15 s gap
    c[800:1000] = np.nan  # 50 s gap: some windows undefined
    c[1200:1300] = c[1200]  # flat
    for method in SURROGATE_METHODS:
        with pytest.warns(AttunementWarning, match="undefined"):
            res = surrogate_test(
                t, c, sampling_rate=4.0, **GEOMETRY, n_surrogates=30, method=method
            )
        assert np.isfinite(res.surrogates).all()
        assert res.chance.p_value == pytest.approx(1 / 31)
        assert res.band["observed"].isna().any()


def test_signed_test_of_anti_phase_coupling_is_not_significant():
    t, c = coupled(np.random.default_rng(10), seconds=300)
    res_abs = surrogate_test(-t, c, sampling_rate=4.0, **GEOMETRY, n_surrogates=99)
    res_signed = surrogate_test(
        -t, c, sampling_rate=4.0, **GEOMETRY, n_surrogates=99, absolute=False
    )
    assert res_abs.chance.p_value == pytest.approx(0.01)
    assert res_signed.chance.p_value > 0.9


# -- surrogate_test: bad input -------------------------------------------------------------------

Y = np.random.default_rng(0).standard_normal(200)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"statistic": "max"},
            "unknown statistic 'max'; expected one of: grand_average, lag_band, lag_zero",
        ),
        ({"method": "iaaft"}, "unknown method 'iaaft'; expected one of: circular_shift, segment"),
        ({"n_surrogates": 0}, "n_surrogates: expected a positive whole number"),
        ({"n_surrogates": 2.5}, "n_surrogates"),
        ({"segment_s": 15}, "segment_s: 15 s is not a whole number of steps"),
        ({"segment_s": 20}, "at least as long as one window plus the lag"),
        ({"min_shift_s": 10}, "min_shift_s applies to method='circular_shift'"),
        ({"method": "circular_shift", "segment_s": 30}, "segment_s applies to method='segment"),
        ({"method": "circular_shift", "min_shift_s": 150}, "min_shift_s: .* at most 100"),
        ({"band_percentiles": (97.5, 2.5)}, "band_percentiles: expected 0 <= low < high"),
        ({"band_percentiles": "wide"}, "band_percentiles: expected two percentiles"),
        ({"window_s": 250}, "expected at least one window plus the lag"),
    ],
)
def test_surrogate_test_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        surrogate_test(Y, Y[::-1], **{**SMALL, **kwargs})


def test_too_short_to_shuffle_segments_says_what_to_do():
    with pytest.raises(InputError, match=r"too short to shuffle segments.*circular_shift"):
        surrogate_test(Y[:60], Y[:60], **SMALL, n_surrogates=10)


def test_few_possible_surrogates_are_announced():
    rng = np.random.default_rng(14)
    x, y = ar1(80, rng), ar1(80, rng)
    with pytest.warns(AttunementWarning, match="only 41 different surrogates exist"):
        res = surrogate_test(x, y, **SMALL, method="circular_shift", n_surrogates=500)
    assert res.parameters["n_possible_surrogates"] == 41  # shifts 20 ... 60
    assert res.chance.n_surrogates == 500
    x, y = ar1(150, rng), ar1(150, rng)  # 13 windows in 5 segments of 3
    with pytest.warns(AttunementWarning, match="different surrogates exist") as rec:
        res = surrogate_test(x, y, **SMALL, n_surrogates=200)
    possible = res.parameters["n_possible_surrogates"]
    assert 0 < possible < 100 and str(possible) in str(rec[0].message)
    plan = _plan(150, **SMALL)
    partners = _window_partners(plan, 3, np.random.default_rng(0), 2000)
    assert len(np.unique(partners, axis=0)) == possible


def test_different_lengths_are_refused():
    with pytest.raises(InputError, match="differ in length"):
        surrogate_test(Y, Y[:-1], **SMALL)


def test_method_describes_itself():
    m = surrogate_test_method()
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert "Tschacher" in m["citation"]
    assert m["parameters"] == {
        "n_surrogates": 1000,
        "method": "segment_shuffle",
        "statistic": "grand_average",
        "absolute": True,
        "seed": 0,
    }


@pytest.mark.parametrize("method", sorted(SURROGATE_METHODS))
@pytest.mark.parametrize("statistic", sorted(STATISTICS))
@pytest.mark.parametrize("absolute", [True, False])
def test_method_is_written_from_the_parameters_that_ran(method, statistic, absolute):
    m = surrogate_test_method(
        n_surrogates=50, method=method, statistic=statistic, absolute=absolute, seed=7
    )
    text = m["description"]
    assert "with 50 surrogates (random seed 7)" in text
    assert SURROGATE_METHODS[method] in text and STATISTICS[statistic] in text
    assert ("on absolute values" in text) is absolute
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", text)
    assert m["parameters"]["method"] == method and m["parameters"]["statistic"] == statistic


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": "bootstrap"}, "method"),
        ({"statistic": "max"}, "statistic"),
        ({"n_surrogates": 0}, "n_surrogates"),
    ],
)
def test_method_refuses_what_surrogate_test_refuses(kwargs, field):
    with pytest.raises(InputError, match=field):
        surrogate_test_method(**kwargs)


def test_method_has_the_options_of_surrogate_test():
    measure = inspect.signature(surrogate_test).parameters
    for name, p in inspect.signature(surrogate_test_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name


def test_lag_band_averages_the_lags_near_zero_at_1_hz():
    # at 1 Hz the lags within +-2.5 s are -2 ... +2
    t, c = coupled(np.random.default_rng(3), seconds=600, rate=1.0)
    res = surrogate_test(
        t, c, sampling_rate=1.0, window_s=30, lag_s=5, step_s=10, n_surrogates=20,
        statistic="lag_band", absolute=False, method="circular_shift",
    )  # fmt: skip
    z = res.observed.values
    np.testing.assert_allclose(res.band["observed"], z[:, 3:8].mean(axis=1))
    assert res.parameters["band_lag_s"] == 2.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"band_lag_s": 1.0}, "band_lag_s applies to statistic='lag_band'"),
        ({"statistic": "lag_band", "band_lag_s": 6.0}, "at most the largest lag, 5 s"),
        ({"statistic": "lag_band", "band_lag_s": -1}, "expected seconds >= 0"),
        ({"statistic": "lag_band", "band_lag_s": "x"}, "expected seconds >= 0"),
    ],
)
def test_lag_band_options_are_checked(kwargs, message):
    t, c = coupled(np.random.default_rng(3), seconds=300)
    with pytest.raises(InputError, match=re.escape(message)):
        surrogate_test(t, c, sampling_rate=4.0, **GEOMETRY, n_surrogates=5, **kwargs)

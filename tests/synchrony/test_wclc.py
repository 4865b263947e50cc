import inspect
import math
import re
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.wclc import WCLCResult, wclc, wclc_batch, wclc_method

DATA = Path(__file__).parent / "data"
RUNS = {"z_signed": (True, False), "z_abs": (True, True), "r_signed": (False, False)}
CASES = {"A": 1.0, "B": 4.0}
# Grand averages printed by rMEA 1.3.0 (tests/synchrony/data/README.md).
GRAND = {
    ("A", "z_signed"): 0.40230441636883518,
    ("A", "z_abs"): 0.46832921299364733,
    ("A", "r_signed"): 0.315066602988055,
    ("B", "z_signed"): -0.0190380700379955,
    ("B", "z_abs"): 0.14648041929784156,
    ("B", "r_signed"): -0.018316757893932323,
}
GEOMETRY = {"window_s": 30, "lag_s": 5, "step_s": 10}


def naive(x, y, *, win, lag, inc, fisher_z=True, absolute=False):
    """The rMEA loop, written out: complete pairs, NaN for undefined cells."""
    n_windows = math.ceil((len(x) - win - lag + 1) / inc)
    out = np.full((n_windows, 2 * lag + 1), np.nan)
    for i in range(n_windows):
        a = i * inc
        xw, yw = x[a : a + win + lag], y[a : a + win + lag]
        if max(np.isnan(xw).sum(), np.isnan(yw).sum()) > (win + lag) / 2:
            continue
        for j, k in enumerate(range(-lag, lag + 1)):
            xs = xw[abs(k) : abs(k) + win] if k < 0 else xw[:win]
            ys = yw[:win] if k < 0 else yw[k : k + win]
            ok = ~(np.isnan(xs) | np.isnan(ys))
            xs, ys = xs[ok], ys[ok]
            if ok.sum() < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
                continue
            xc, yc = xs - xs.mean(), ys - ys.mean()
            den = np.sqrt(np.sum(xc**2)) * np.sqrt(np.sum(yc**2))
            if den > 0:  # 0 when the squares underflow (values near 1e-170)
                out[i, j] = np.clip(np.sum(xc * yc) / den, -1, 1)
    if fisher_z:
        with np.errstate(divide="ignore"):
            out = np.clip(np.arctanh(out), -10, 10)
    return np.abs(out) if absolute else out


def ar1(n, rng, phi=0.8):
    e = rng.standard_normal(n + 50)
    out = np.empty_like(e)
    out[0] = e[0]
    for t in range(1, e.size):
        out[t] = phi * out[t - 1] + e[t]
    return out[50:]


def clock(text):
    h, m, s = (int(p) for p in text.split(":"))
    return 3600.0 * h + 60.0 * m + s


# -- the rMEA reference outputs -----------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("run", sorted(RUNS))
def test_reproduces_rmea(case, run):
    data = pd.read_csv(DATA / f"case{case}.csv")
    fisher_z, absolute = RUNS[run]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = wclc(
            data["s1"].to_numpy(),
            data["s2"].to_numpy(),
            sampling_rate=CASES[case],
            fisher_z=fisher_z,
            absolute=absolute,
            **GEOMETRY,
        )
    ccf = pd.read_csv(DATA / f"case{case}_{run}_ccf.csv", index_col=0)
    ref = pd.read_csv(DATA / f"case{case}_{run}_summary.csv", index_col=0)

    assert isinstance(res, WCLCResult)
    assert [float(c.removeprefix("lag")) for c in ccf.columns] == res.lags_s.tolist()
    assert res.table.columns.tolist() == ["window", "start_s", "end_s", "lag_s", "value"]
    np.testing.assert_allclose(res.values, ccf.to_numpy(), rtol=0, atol=1e-9)
    long = res.table.pivot(index="window", columns="lag_s", values="value")
    np.testing.assert_array_equal(long.columns.to_numpy(), res.lags_s)
    np.testing.assert_allclose(long.to_numpy(), res.values, rtol=0, atol=0)
    assert res.summary.columns.tolist() == ["grand_average", "n_windows", "n_lags", "n_undefined"]
    assert res["n_windows"] == len(ref) and res["n_lags"] == res.lags_s.size

    s = res.windows
    assert s.columns.tolist() == [
        "start_s",
        "end_s",
        "lag_zero",
        "all_lags",
        "therapist_leads",
        "client_leads",
        "best_lag_s",
    ]
    np.testing.assert_allclose(s["start_s"], ref["start"].map(clock), atol=1e-9)
    np.testing.assert_allclose(s["end_s"], ref["end"].map(clock), atol=1e-9)
    np.testing.assert_allclose(res.table.groupby("window")["start_s"].first(), s["start_s"])
    for ours, theirs in [
        ("lag_zero", "lag_zero"),
        ("all_lags", "all_lags"),
        ("therapist_leads", "s1_lead"),
        ("client_leads", "s2_lead"),
        ("best_lag_s", "bestLag"),
    ]:
        np.testing.assert_allclose(s[ours], ref[theirs], rtol=0, atol=1e-9, err_msg=ours)
    assert res.grand_average == pytest.approx(GRAND[case, run], abs=1e-9)
    assert res.parameters == {
        "sampling_rate": CASES[case],
        "fisher_z": fisher_z,
        "absolute": absolute,
        **{k: float(v) for k, v in GEOMETRY.items()},
    }


def test_lags_at_4_hz_step_by_a_quarter_second():
    data = pd.read_csv(DATA / "caseB.csv")
    res = wclc(data["s1"], data["s2"], sampling_rate=4.0, **GEOMETRY)
    assert res.lags_s.size == 41
    assert res.lags_s[0] == -5.0 and res.lags_s[-1] == 5.0
    np.testing.assert_array_equal(np.diff(res.lags_s), 0.25)
    assert res["n_windows"] == len(res.windows) == 27 and len(res.table) == 27 * 41


# -- known answers -------------------------------------------------------------------------------


def test_recovers_a_known_lag_and_leader():
    rng = np.random.default_rng(7)
    rate, n = 4.0, 4 * 600
    t = ar1(n + 8, rng, phi=0.9)
    c = t[:-8] + 0.3 * rng.standard_normal(n)  # client = therapist 2.0 s earlier
    res = wclc(t[8:], c, sampling_rate=rate, **GEOMETRY)
    assert np.median(res.windows["best_lag_s"]) == pytest.approx(2.0, abs=0.25)
    assert (res.windows["therapist_leads"] > res.windows["client_leads"]).mean() > 0.9
    # The roles swap: the therapist now follows.
    swapped = wclc(c, t[8:], sampling_rate=rate, **GEOMETRY)
    assert np.median(swapped.windows["best_lag_s"]) == pytest.approx(-2.0, abs=0.25)


def test_identical_series_clip_fisher_z_at_ten():
    x = np.sin(np.arange(200) / 3.0)
    res = wclc(x, x, sampling_rate=1, window_s=20, lag_s=2, step_s=10)
    assert (res.table.loc[res.table["lag_s"] == 0.0, "value"] == 10.0).all()
    r = wclc(x, x, sampling_rate=1, window_s=20, lag_s=2, step_s=10, fisher_z=False)
    np.testing.assert_allclose(r.values[:, list(r.lags_s).index(0.0)], 1.0)


def test_absolute_is_taken_after_the_z_transform():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(300), rng.standard_normal(300)
    signed = wclc(x, y, sampling_rate=1, **GEOMETRY)
    absolute = wclc(x, y, sampling_rate=1, absolute=True, **GEOMETRY)
    np.testing.assert_array_equal(absolute.values, np.abs(signed.values))
    assert absolute.grand_average == pytest.approx(np.abs(signed.values).mean())


def test_zero_lag_gives_one_column_and_no_leads():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal(100), rng.standard_normal(100)
    res = wclc(x, y, sampling_rate=1, window_s=20, lag_s=0, step_s=20)
    assert res.lags_s.tolist() == [0.0] and res["n_lags"] == 1
    assert res.windows["therapist_leads"].isna().all()
    assert res.windows["best_lag_s"].eq(0.0).all()
    np.testing.assert_allclose(res.values, naive(x, y, win=20, lag=0, inc=20), atol=1e-12)


def test_window_count_and_reads_match_rmea():
    # ceil((N - win - lag + 1) / inc) windows; the last one reads up to its end exactly.
    x = np.random.default_rng(5).standard_normal(64)
    res = wclc(x, x[::-1].copy(), sampling_rate=1, window_s=10, lag_s=3, step_s=7)
    assert res["n_windows"] == len(res.windows) == math.ceil((64 - 10 - 3 + 1) / 7)
    assert res.windows["start_s"].tolist() == [7.0 * i for i in range(8)]


# -- missing and flat data -----------------------------------------------------------------------


def test_windows_more_than_half_missing_are_nan_rows_with_one_warning():
    rng = np.random.default_rng(1)
    x, y = ar1(600, rng), ar1(600, rng)
    x[100:140] = np.nan  # window 10 (samples 100..134) is all missing; others partly
    with pytest.warns(AttunementWarning, match="more than half of a series is missing") as rec:
        res = wclc(x, y, sampling_rate=1, **GEOMETRY)
    assert len(rec) == 1
    missing = pd.Series(np.isnan(res.values).all(axis=1))
    assert missing.tolist() == [
        max(np.isnan(x[a : a + 35]).sum(), 0) > 17.5 for a in range(0, 570, 10)
    ]
    assert res.windows.loc[missing, ["all_lags", "lag_zero", "best_lag_s"]].isna().all().all()
    assert res["n_undefined"] == int(np.isnan(res.values).sum())
    np.testing.assert_allclose(res.values, naive(x, y, win=30, lag=5, inc=10), atol=1e-12)
    assert np.isfinite(res.grand_average)
    assert res.grand_average == pytest.approx(np.nanmean(res.values))


def test_exactly_half_missing_is_still_computed_on_complete_pairs():
    rng = np.random.default_rng(2)
    x, y = ar1(34, rng), ar1(34, rng)
    y[::2] = np.nan  # 17 of the 34 samples the window reads: not more than half
    res = wclc(x, y, sampling_rate=1, window_s=30, lag_s=4, step_s=10)
    assert res["n_windows"] == 1 and np.isfinite(res.values).all()
    np.testing.assert_allclose(res.values, naive(x, y, win=30, lag=4, inc=10), atol=1e-12)
    y[1] = np.nan  # 18 of 34: a row of NaN
    with pytest.warns(AttunementWarning, match="9 in windows where more than half"):
        assert np.isnan(wclc(x, y, sampling_rate=1, window_s=30, lag_s=4, step_s=10).values).all()


def test_runs_of_nan_use_complete_pairs():
    rng = np.random.default_rng(11)
    x, y = ar1(1200, rng), ar1(1200, rng)
    x[50:58] = np.nan
    y[300:311] = np.nan
    y[700] = np.nan
    res = wclc(x, y, sampling_rate=4.0, **GEOMETRY)
    np.testing.assert_allclose(res.values, naive(x, y, win=120, lag=20, inc=40), atol=1e-12)


def test_a_flat_window_is_nan_with_one_warning_that_says_why():
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal(300), rng.standard_normal(300)
    x[0:40] = 0.1  # the therapist's device reads a constant at first
    with pytest.warns(AttunementWarning, match="flat") as rec:
        res = wclc(x, y, sampling_rate=1, **GEOMETRY)
    assert len(rec) == 1
    expected = naive(x, y, win=30, lag=5, inc=10)
    np.testing.assert_allclose(res.values, expected, atol=1e-12)
    n_flat = int(np.isnan(expected).sum())
    assert n_flat > 0
    assert str(rec[0].message).startswith(f"{n_flat} of {expected.size}")
    assert np.isfinite(res.grand_average)


def test_all_undefined_gives_nan_not_an_error():
    x = np.full(100, 2.0)
    with pytest.warns(AttunementWarning, match="flat"):
        res = wclc(x, np.arange(100.0), sampling_rate=1, window_s=20, lag_s=2, step_s=10)
    assert np.isnan(res.grand_average) and np.isnan(res["grand_average"])
    assert res.windows["best_lag_s"].isna().all()


def test_no_warning_for_clean_data():
    rng = np.random.default_rng(9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wclc(rng.standard_normal(200), rng.standard_normal(200), sampling_rate=1, **GEOMETRY)


def test_large_offsets_keep_full_precision():
    # Skin conductance far from zero with tiny, uneven variation inside a block: the kernel
    # must fall back to centring each window and still agree with the two-pass formula.
    rng = np.random.default_rng(12)
    x = 1e4 + 1e-3 * ar1(600, rng)
    y = 5e3 + 1e-3 * ar1(600, rng)
    x[30:35] += 500.0  # a spike in the lag part of window 0's block
    y[95:105] -= 500.0
    res = wclc(x, y, sampling_rate=1, **GEOMETRY)
    # (Window sums alone would be off by 5e-8 here.)
    np.testing.assert_allclose(res.values, naive(x, y, win=30, lag=5, inc=10), atol=1e-12)
    batch = wclc_batch(x, y[None], sampling_rate=1, **GEOMETRY)[0]
    np.testing.assert_allclose(batch, res.values, atol=1e-12)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    win=st.integers(3, 12),
    inc=st.integers(1, 6),
    fisher_z=st.booleans(),
    absolute=st.booleans(),
)
def test_matches_the_naive_loop(data, win, inc, fisher_z, absolute):
    lag = data.draw(st.integers(0, win - 1))
    n = data.draw(st.integers(win + lag, win + lag + 30))
    values = st.one_of(finite, st.just(np.nan), st.sampled_from([0.0, 1.0]))
    x = np.array(data.draw(st.lists(values, min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(values, min_size=n, max_size=n)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        res = wclc(
            x,
            y,
            sampling_rate=2.0,
            window_s=win / 2,
            lag_s=lag / 2,
            step_s=inc / 2,
            fisher_z=fisher_z,
            absolute=absolute,
        )
        batch = wclc_batch(
            x,
            np.stack([y, x]),
            sampling_rate=2.0,
            window_s=win / 2,
            lag_s=lag / 2,
            step_s=inc / 2,
            fisher_z=fisher_z,
            absolute=absolute,
        )
    options = {"win": win, "lag": lag, "inc": inc, "fisher_z": fisher_z, "absolute": absolute}
    expected = naive(x, y, **options)
    for got, want in [
        (res.values, expected),
        (batch[0], expected),
        (batch[1], naive(x, x, **options)),
    ]:
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        # atanh near |r| = 1 magnifies rounding: a loose tolerance there, exact elsewhere.
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-7)


# -- the batched kernel --------------------------------------------------------------------------


def test_batch_equals_one_pair_at_a_time():
    rng = np.random.default_rng(13)
    t = ar1(500, rng)
    clients = np.stack([ar1(500, rng) for _ in range(6)])
    clients[1, 40:47] = np.nan  # a short gap: complete pairs
    clients[2, 100:200] = np.nan  # whole windows missing
    clients[3, 300:360] = 1.5  # flat
    clients[4] = 1e4 + 1e-4 * clients[4]  # large offset
    t[250:255] = np.nan
    with pytest.warns(AttunementWarning, match="undefined"):
        out = wclc_batch(t, clients, sampling_rate=1, absolute=True, **GEOMETRY)
    assert out.shape == (6, 47, 11)
    for i, c in enumerate(clients):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            one = wclc(t, c, sampling_rate=1, absolute=True, **GEOMETRY).values
        np.testing.assert_array_equal(np.isnan(out[i]), np.isnan(one))
        np.testing.assert_allclose(out[i], one, rtol=0, atol=1e-10)


def test_batch_rejects_a_wrong_shape():
    with pytest.raises(InputError, match=r"shape \(rows, 100\)"):
        wclc_batch(np.zeros(100), np.zeros((3, 99)), sampling_rate=1, **GEOMETRY)


# -- memory --------------------------------------------------------------------------------------


def test_memory_grows_linearly_with_length():
    rng = np.random.default_rng(14)
    peaks = []
    for seconds in (900, 3600):
        x, y = rng.standard_normal(4 * seconds), rng.standard_normal(4 * seconds)
        tracemalloc.start()
        wclc(x, y, sampling_rate=4.0, **GEOMETRY)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 6 * peaks[0]  # 4x the length: linear, not quadratic
    assert peaks[1] < 40 * 2**20


# -- bad input -----------------------------------------------------------------------------------

X = np.arange(100.0)


@pytest.mark.parametrize(
    ("therapist", "client", "kwargs", "match"),
    [
        (X, X[:-1], {}, "differ in length: therapist has 100 samples, client 99"),
        (X.reshape(10, 10), X.reshape(10, 10), {}, "expected a 1-D series"),
        (["a"] * 100, X, {}, "expected a series of numbers"),
        (np.r_[X[:-1], np.inf], X, {}, "infinite value at sample 99"),
        (X, X, {"sampling_rate": 0}, "positive sampling rate"),
        (X, X, {"sampling_rate": float("nan")}, "positive sampling rate"),
        (X, X, {"sampling_rate": "fast"}, "sampling rate in Hz"),
        (X, X, {"window_s": 10.5}, "window_s: 10.5 s is 10.5 samples at 1 Hz"),
        (X, X, {"window_s": 2}, "window_s: 2 s is 2 samples at 1 Hz; expected at least 3"),
        (X, X, {"lag_s": 10}, "lag_s: the lag \\(10 samples\\) must be shorter than the window"),
        (X, X, {"lag_s": -1}, "lag_s: .* expected at least 0"),
        (X, X, {"step_s": 0}, "step_s: .* expected at least 1"),
        (X, X, {"step_s": float("inf")}, "step_s: expected a finite number"),
        (X, X, {"window_s": 99}, "100 samples .* expected at least one window plus the lag"),
        (X[:5], X[:5], {}, "5 samples"),
        ([], [], {}, "0 samples"),
    ],
)
def test_bad_input(therapist, client, kwargs, match):
    options = {"sampling_rate": 1.0, "window_s": 10, "lag_s": 2, "step_s": 5, **kwargs}
    with pytest.raises(InputError, match=match):
        wclc(therapist, client, **options)


def test_accepts_pandas_with_missing_values():
    rng = np.random.default_rng(15)
    x = pd.Series(rng.standard_normal(100), dtype="Float64")
    x[3] = pd.NA
    res = wclc(x, list(rng.standard_normal(100)), sampling_rate=1, window_s=20, lag_s=2, step_s=5)
    assert np.isfinite(res.values).all()


def test_method_describes_itself():
    m = wclc_method(window_s=30, lag_s=5, step_s=10)
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert "rMEA" in m["description"] and "Boker" in m["citation"]


def test_method_is_written_from_the_parameters_that_ran():
    m = wclc_method(window_s=60, lag_s=3, step_s=20, absolute=True)
    assert m["parameters"] == {
        "window_s": 60.0,
        "lag_s": 3.0,
        "step_s": 20.0,
        "fisher_z": True,
        "absolute": True,
    }
    text = m["description"]
    assert "windows of 60 s stepped by 20 s, at every lag up to +-3 s" in text
    assert "Fisher z-transformed (clipped to +-10) and taken as absolute values" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", text)
    assert (
        "Fisher" not in wclc_method(window_s=30, lag_s=5, step_s=10, fisher_z=False)["description"]
    )


def test_method_has_the_options_of_wclc():
    measure = inspect.signature(wclc).parameters
    for name, p in inspect.signature(wclc_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name


def test_result_carries_the_method_that_ran():
    rng = np.random.default_rng(16)
    res = wclc(
        rng.standard_normal(200),
        rng.standard_normal(200),
        sampling_rate=2.0,
        window_s=20,
        lag_s=3,
        step_s=5,
        absolute=True,
    )
    assert res.method == wclc_method(window_s=20, lag_s=3, step_s=5, absolute=True)
    assert (res.window_s, res.lag_s, res.step_s, res.fisher_z, res.absolute) == (
        20.0,
        3.0,
        5.0,
        True,
        True,
    )
    assert all(c.isidentifier() for c in [*res.table.columns, *res.windows.columns])
    assert len(res.summary) == 1 and res.as_dict()["n_lags"] == 13

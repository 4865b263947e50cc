import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.peaks import peak_picking, peak_picking_method

DATA = Path(__file__).parent / "data"
LAGS = np.arange(-5, 6) * 1.0


def frame(rows, lags=LAGS, starts=None):
    m = pd.DataFrame(np.asarray(rows, dtype=float), columns=list(lags))
    m.insert(0, "start_s", np.arange(len(m)) * 10.0 if starts is None else starts)
    return m


def pick(*args, **kwargs):
    """The per-window table of :func:`peak_picking`."""
    return peak_picking(*args, **kwargs).table


def bump(centre, height=1.0, width=1.0, lags=LAGS):
    return height * np.exp(-((lags - centre) ** 2) / (2 * width**2))


def test_single_peak_known_answer():
    out = pick(frame([bump(3, 0.8), bump(-2, 0.5)]))
    assert list(out.columns) == ["start_s", "peak_r", "peak_lag_s"]
    assert out["start_s"].tolist() == [0.0, 10.0]
    assert out["peak_lag_s"].tolist() == [3.0, -2.0]
    np.testing.assert_allclose(out["peak_r"], [0.8, 0.5])


def test_closest_peak_to_zero_wins_over_the_highest():
    row = bump(-3, 0.3) + bump(4, 0.9, width=0.7)  # smaller peak nearer lag 0
    out = pick(frame([row]))
    assert out["peak_lag_s"].iloc[0] == -3.0
    assert out["peak_r"].iloc[0] == pytest.approx(row[2])


def test_equally_close_peaks_take_the_higher():
    row = bump(-2, 0.4) + bump(2, 0.6)
    out = pick(frame([row]), min_size=1)
    assert out["peak_lag_s"].iloc[0] == 2.0


def test_ripples_narrower_than_min_size_are_not_peaks():
    row = bump(3, 0.8)
    row[4] += 0.05  # a one-lag blip at lag -1
    assert pick(frame([row]), min_size=1)["peak_lag_s"].iloc[0] == -1.0
    assert pick(frame([row]), min_size=2)["peak_lag_s"].iloc[0] == 3.0


def test_peak_near_the_end_of_the_lags_compares_with_the_lags_that_exist():
    row = bump(4, 0.9, width=0.7)
    assert pick(frame([row]), min_size=3)["peak_lag_s"].iloc[0] == 4.0


def test_smoothing_ignores_sample_noise_at_fast_rates():
    lags = np.arange(-20, 21) / 4  # 4 Hz
    row = bump(3, 0.8, width=1.0, lags=lags)
    row += 0.03 * np.where(np.arange(lags.size) % 2, 1, -1)  # sample-to-sample zig-zag
    m = frame([row], lags=lags)
    with pytest.warns(AttunementWarning):
        rough = pick(m, span_s=0)
    assert rough["peak_lag_s"].iloc[0] != 3.0
    smooth = pick(m)
    assert smooth["peak_lag_s"].iloc[0] == 3.0
    assert smooth["peak_r"].iloc[0] == pytest.approx(row[lags == 3.0][0])  # unsmoothed value


def test_uneven_lags_need_span_zero():
    lags = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    rows = np.exp(-((lags - 0.5) ** 2))[None, :]
    with pytest.raises(InputError, match="not evenly spaced"):
        peak_picking(rows, lags_s=lags, span_s=3.0)
    assert pick(rows, lags_s=lags, span_s=0, min_size=1)["peak_lag_s"].iloc[0] == 0.5


def test_no_peak_is_nan_with_warning():
    rows = [
        np.linspace(-1, 1, 11),  # maximum at the edge: not a local peak
        np.full(11, np.nan),  # an undefined window
        np.full(11, 0.2),  # flat
        bump(1),
    ]
    with pytest.warns(AttunementWarning, match="3 of 4 windows have no local peak .1 of them"):
        out = pick(frame(rows))
    assert out["peak_lag_s"].isna().tolist() == [True, True, True, False]
    assert out["peak_r"].isna().tolist() == [True, True, True, False]


def test_nan_neighbour_blocks_a_peak():
    row = bump(0)
    row[4] = np.nan
    with pytest.warns(AttunementWarning):
        assert np.isnan(pick(frame([row]))["peak_lag_s"].iloc[0])


def test_search_lag_limits_where_a_peak_may_be():
    row = bump(3, 0.9, width=0.7)
    assert pick(frame([row]))["peak_lag_s"].iloc[0] == 3.0
    with pytest.warns(AttunementWarning):
        out = pick(frame([row]), search_lag_s=2)
    assert np.isnan(out["peak_lag_s"].iloc[0])
    assert pick(frame([row]), search_lag_s=3)["peak_lag_s"].iloc[0] == 3.0


def test_array_input_and_unsorted_and_text_columns():
    rows = np.array([bump(2), bump(-1)])
    by_array = pick(rows, lags_s=LAGS, start_s=[5.0, 15.0])
    assert by_array["start_s"].tolist() == [5.0, 15.0]
    shuffled = frame(rows)[["start_s", *LAGS[::-1]]]
    pd.testing.assert_frame_equal(pick(shuffled), pick(frame(rows)))
    texts = pd.DataFrame(rows, columns=[f"lag{int(k)}" for k in LAGS])
    out = pick(texts)
    assert out["peak_lag_s"].tolist() == [2.0, -1.0]
    assert out["start_s"].isna().all()
    names = pd.DataFrame(rows, columns=[f"lag_{k}" for k in LAGS])  # 'lag_-5.0' ...
    pd.testing.assert_frame_equal(pick(names), out)


def test_empty_matrix_gives_empty_table():
    out = pick(np.zeros((0, 11)), lags_s=LAGS)
    assert len(out) == 0 and list(out.columns) == ["start_s", "peak_r", "peak_lag_s"]


def test_rmea_reference_case_a_peaks_at_three_seconds():
    """Case A of the rMEA reference: s2 follows s1 by 3 s (lag columns named 'lag-5'...)."""
    ccf = pd.read_csv(DATA / "caseA_r_signed_ccf.csv", index_col="window")
    out = pick(ccf)
    assert out["peak_lag_s"].median() == 3.0
    assert (out["peak_lag_s"] == 3.0).mean() > 0.85
    summary = pd.read_csv(DATA / "caseA_r_signed_summary.csv")
    first_max = np.asarray(ccf.to_numpy().max(axis=1))
    interior = (summary["bestLag"].abs() < 5).to_numpy() & (out["peak_lag_s"] == summary["bestLag"])
    np.testing.assert_allclose(out["peak_r"][interior], first_max[interior])


@pytest.mark.parametrize(
    ("matrix", "kwargs", "match"),
    [
        (frame([bump(0)]).assign(extra=1), {}, r"columns 'extra' are not lags"),
        (pd.DataFrame([[0.1, 0.2, 0.3]], columns=[1.0, 1.0, 2.0]), {}, "not distinct"),
        (pd.DataFrame({"start_s": [0.0]}), {}, "no lag column"),
        (frame([bump(0)]), {"min_size": 0}, "min_size"),
        (frame([bump(0)]), {"min_size": True}, "min_size"),
        (frame([bump(0)]), {"min_size": 1.5}, "min_size"),
        (frame([bump(0)])[["start_s", -1.0, 0.0]], {}, "has 2 lag.s.; a peak needs"),
        (frame([bump(0)]), {"search_lag_s": -1}, "search_lag_s"),
        (frame([bump(0)]), {"span_s": -1}, "span_s"),
        (frame([bump(0)]), {"span_s": "wide"}, "span_s"),
        (frame([bump(0)]), {"lags_s": LAGS}, "lags_s is given with a DataFrame"),
        (np.zeros((2, 11)), {}, "needs lags_s"),
        (np.zeros((2, 11)), {"lags_s": LAGS[:5]}, "5 lags for 11 columns"),
        (np.zeros(11), {"lags_s": LAGS}, "expected windows x lags"),
        (np.zeros((2, 11)), {"lags_s": LAGS, "start_s": [0.0]}, "1 values for 2 windows"),
        ("matrix.csv", {}, "got str"),
        (frame([bump(0)]).astype({0.0: object}).assign(**{"0.0": "x"}), {}, "not distinct|not a"),
    ],
)
def test_bad_input(matrix, kwargs, match):
    with pytest.raises(InputError, match=match):
        peak_picking(matrix, **kwargs)


def test_text_cell_is_an_input_error():
    m = frame([bump(0)]).astype(object)
    m.loc[0, 2.0] = "high"
    with pytest.raises(InputError, match="not a number"):
        peak_picking(m)


# -- with the windowed cross-lagged correlation itself -----------------------------------------


def coupled(n, lag, rate, seed, noise=0.5):
    """AR(1) with a 4.5 s memory (phi 0.8 per second), and a delayed noisy copy."""
    rng = np.random.default_rng(seed)
    phi = 0.8 ** (1 / rate)
    x = np.zeros(n + lag)
    e = rng.standard_normal(n + lag)
    for i in range(1, n + lag):
        x[i] = phi * x[i - 1] + e[i]
    therapist = x[lag:]
    client = 0.7 * x[:n] + noise * rng.standard_normal(n)  # client[t] = therapist[t - lag]
    return therapist, client


@pytest.mark.parametrize("rate", [1.0, 4.0])
def test_with_wclc_recovers_the_lag(rate):
    wclc = pytest.importorskip("attunement.synchrony.wclc").wclc
    t, c = coupled(round(600 * rate), round(3 * rate), rate, seed=1)  # the client follows by 3 s
    res = wclc(t, c, sampling_rate=rate, window_s=30, lag_s=5, step_s=10)
    out = pick(res)
    wide = pd.DataFrame(res.values, columns=[f"lag_{lag}" for lag in res.lags_s])
    pd.testing.assert_frame_equal(out.drop(columns="start_s"), pick(wide).drop(columns="start_s"))
    np.testing.assert_array_equal(out["start_s"], res.windows["start_s"])
    assert np.nanmedian(out["peak_lag_s"]) == 3.0
    assert (np.abs(out["peak_lag_s"] - 3.0) <= 1 / rate).mean() > 0.6


def test_method_is_written_from_the_parameters_that_ran():
    m = peak_picking_method(span_s=3, min_size=1, search_lag_s=4)
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert m["parameters"] == {"span_s": 3.0, "min_size": 1, "search_lag_s": 4.0}
    assert "over 3 s of lags" in m["description"]
    assert "among the lags up to +-4 s" in m["description"]
    assert "the 1 lag on each side" in m["description"]
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    assert "Boker" in m["citation"]


def test_method_has_the_options_of_pick():
    measure = inspect.signature(peak_picking).parameters
    for name, p in inspect.signature(peak_picking_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name


def test_result_summary_and_method():
    res = peak_picking(frame([bump(3, 0.8), bump(-2, 0.5), bump(1, 0.6)]), min_size=1)
    assert res.summary.columns.tolist() == [
        "n_windows",
        "n_peaks",
        "median_peak_lag_s",
        "mean_peak_r",
    ]
    assert (res["n_windows"], res["n_peaks"], res["median_peak_lag_s"]) == (3, 3, 1.0)
    assert res["mean_peak_r"] == pytest.approx(np.mean([0.8, 0.5, 0.6]))
    assert res.method == peak_picking_method(min_size=1)


def test_a_wclc_result_brings_its_own_lags():
    wclc = pytest.importorskip("attunement.synchrony.wclc").wclc
    t, c = coupled(300, 3, 1.0, seed=2)
    res = wclc(t, c, sampling_rate=1.0, window_s=30, lag_s=5, step_s=10)
    with pytest.raises(InputError, match="lags_s is given with a WCLC result"):
        peak_picking(res, lags_s=LAGS)

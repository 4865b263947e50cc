import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.leader import leader_follower, leader_follower_method


def naive_wclc(x, y, *, rate, window_s=30.0, lag_s=5.0, step_s=10.0):
    """Windowed cross-lagged correlation, one window and lag at a time (rMEA semantics)."""
    win, lag, inc = round(window_s * rate), round(lag_s * rate), round(step_s * rate)
    rows, starts = [], []
    for a in range(0, x.size - win - lag + 1, inc):
        row = []
        for k in range(-lag, lag + 1):
            if k >= 0:
                xs, ys = x[a : a + win], y[a + k : a + k + win]
            else:
                xs, ys = x[a - k : a - k + win], y[a : a + win]
            row.append(np.corrcoef(xs, ys)[0, 1])
        rows.append(row)
        starts.append(a / rate)
    m = pd.DataFrame(np.arctanh(np.clip(rows, -0.999999, 0.999999)))
    m.columns = list(np.arange(-lag, lag + 1) / rate)
    m.insert(0, "start_s", starts)
    return m


def ar1(n, rate, rng):
    """AR(1) with a 4.5 s memory whatever the rate (phi 0.8 per second)."""
    phi = 0.8 ** (1 / rate)
    e = rng.standard_normal(n)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def dyad(lead_s, rate, seed, minutes=10, coupling=0.7, noise=0.5):
    """Therapist and client; the client follows by ``lead_s`` (negative: the client leads)."""
    rng = np.random.default_rng(seed)
    n = round(minutes * 60 * rate)
    k = round(abs(lead_s) * rate)
    source = ar1(n + k, rate, rng)
    early, late = source[k:], source[:n]  # late[t] = early[t - k]
    other = coupling * late + noise * rng.standard_normal(n)
    return (early, other) if lead_s >= 0 else (other, early)


@pytest.mark.parametrize("rate", [1.0, 4.0])
def test_therapist_leads_by_three_seconds(rate):
    t, c = dyad(3.0, rate, seed=1)
    out = leader_follower(naive_wclc(t, c, rate=rate))
    assert out["leader"] == "therapist"
    assert out["lead_s"] == pytest.approx(3.0, abs=1 / rate)
    assert out["median_lag_s"] > 0
    assert out["p_value"] < 0.05
    assert out["n_therapist_leads"] > out["n_client_leads"]
    assert out["lag_step_s"] == 1 / rate
    assert out["n_windows"] == len(naive_wclc(t, c, rate=rate))


@pytest.mark.parametrize("rate", [1.0, 4.0])
def test_client_leads_when_reversed(rate):
    t, c = dyad(-3.0, rate, seed=2)
    out = leader_follower(naive_wclc(t, c, rate=rate))
    assert out["leader"] == "client"
    assert out["lead_s"] == pytest.approx(3.0, abs=1 / rate)
    assert out["median_lag_s"] < 0


def test_independent_signals_mostly_have_no_leader():
    leaders = []
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        t, c = ar1(600, 1.0, rng), ar1(600, 1.0, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            leaders.append(leader_follower(naive_wclc(t, c, rate=1.0))["leader"])
    assert leaders.count("none") >= 15


def test_simultaneous_coupling_has_no_leader():
    t, c = dyad(0.0, 1.0, seed=3)
    out = leader_follower(naive_wclc(t, c, rate=1.0))
    assert out["leader"] == "none"
    assert out["lead_s"] <= 1.0


def test_lead_of_one_sample_is_not_a_leader():
    lags = np.arange(-5, 6) * 1.0
    rows = [np.exp(-((lags - 1) ** 2) / 2) for _ in range(12)]
    out = leader_follower(np.array(rows), lags_s=lags)
    assert out["n_therapist_leads"] == 12 and out["p_value"] < 0.001
    assert out["lead_s"] == 1.0 and out["leader"] == "none"


def test_no_peaks_warns_and_names_no_leader():
    lags = np.arange(-5, 6) * 1.0
    with pytest.warns(AttunementWarning, match="none of the 3 windows has a cross-correlation"):
        out = leader_follower(np.tile(lags, (3, 1)), lags_s=lags)
    assert out["leader"] == "none" and np.isnan(out["lead_s"]) and np.isnan(out["p_value"])
    assert out["n_peaks"] == 0


def test_all_peaks_at_zero():
    lags = np.arange(-5, 6) * 1.0
    out = leader_follower(np.tile(np.exp(-(lags**2)), (5, 1)), lags_s=lags)
    assert out["leader"] == "none" and out["lead_s"] == 0.0 and np.isnan(out["p_value"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": "5%"}, "alpha"),
        ({"min_size": 0}, "min_size"),
        ({"lags_s": None}, "needs lags_s"),
    ],
)
def test_bad_arguments(kwargs, match):
    lags = np.arange(-5, 6) * 1.0
    args = {"lags_s": lags, **kwargs}
    with pytest.raises(InputError, match=match):
        leader_follower(np.zeros((3, 11)), **args)


def test_with_wclc():
    wclc = pytest.importorskip("attunement.synchrony.wclc").wclc
    t, c = dyad(3.0, 4.0, seed=5)
    res = wclc(t, c, sampling_rate=4.0, window_s=30, lag_s=5, step_s=10)
    out = leader_follower(res)
    wide = pd.DataFrame(res.values, columns=[f"lag_{lag}" for lag in res.lags_s])
    assert out.as_dict() == leader_follower(wide).as_dict()
    assert out.method == leader_follower_method()
    assert out.table.columns.tolist() == ["start_s", "peak_r", "peak_lag_s", "leader"]
    assert (out.table["leader"] == "therapist").sum() == out["n_therapist_leads"]
    pd.testing.assert_frame_equal(out.table.drop(columns="leader"), out.peaks.table)
    assert out["leader"] == "therapist"
    assert out["lead_s"] == pytest.approx(3.0, abs=0.25)
    naive = leader_follower(naive_wclc(t, c, rate=4.0))
    assert naive["leader"] == out["leader"] and naive["lead_s"] == out["lead_s"]


def test_method_is_written_from_the_parameters_that_ran():
    m = leader_follower_method(alpha=0.01, min_size=3, span_s=4)
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert m["parameters"] == {"alpha": 0.01, "min_size": 3, "span_s": 4.0, "search_lag_s": None}
    assert "p < 0.01" in m["description"] and "the 3 lags on each side" in m["description"]
    assert "over 4 s of lags" in m["description"]
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])


def test_method_has_the_options_of_leader_follower():
    measure = inspect.signature(leader_follower).parameters
    for name, p in inspect.signature(leader_follower_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name

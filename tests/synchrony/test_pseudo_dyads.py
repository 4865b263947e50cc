import inspect

import numpy as np
import pytest
from scipy import signal

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony import pseudo_dyad_test as exported
from attunement.synchrony.pseudo_dyads import (
    PseudoDyadTest,
    pseudo_dyad_test,
    pseudo_dyad_test_method,
)
from attunement.synchrony.surrogates import pseudo_dyad_test as re_exported
from attunement.synchrony.wclc import wclc, wclc_method

GEOMETRY = {"window_s": 30, "lag_s": 5, "step_s": 10}
SMALL = {"sampling_rate": 1.0, "window_s": 20, "lag_s": 3, "step_s": 10}
Y = np.random.default_rng(0).standard_normal(200)


def ar1(n, rng, phi=0.8):
    return signal.lfilter([1.0], [1.0, -phi], rng.standard_normal(n + 50))[50:]


def coupled(rng, *, seconds=600, rate=4.0, delay_s=2.0, noise=0.4):
    """Client = therapist ``delay_s`` earlier + noise: the client follows."""
    n, d = int(seconds * rate), int(delay_s * rate)
    t = ar1(n + d, rng, phi=0.9)
    return t[d:], t[:-d] + noise * rng.standard_normal(n)


def test_true_pairs_stand_out_from_pseudo_pairs():
    rng = np.random.default_rng(11)
    pairs = [coupled(rng, seconds=s) for s in (300, 320, 300, 360, 280)]
    res = pseudo_dyad_test(pairs, sampling_rate=4.0, **GEOMETRY)
    assert isinstance(res, PseudoDyadTest)
    assert res.table.columns.tolist() == [
        "session",
        "observed",
        "surrogate_mean",
        "surrogate_sd",
        "effect_size",
        "p_value",
        "n_surrogates",
    ]
    assert res.table["session"].tolist() == [0, 1, 2, 3, 4]
    assert (res["n_sessions"], res["n_surrogates"], res["statistic"]) == (5, 8, "grand_average")
    assert res["mean_effect_size"] == pytest.approx(res.table["effect_size"].mean())
    assert res.method["name"] == "pseudo_dyad_test"
    assert res.method["parameters"]["window_s"] == GEOMETRY["window_s"]
    out = res.chances
    assert len(out) == 5
    for summary in out:
        assert summary.n_surrogates == 8
        assert summary.p_value == pytest.approx(1 / 9)
        assert summary.effect_size > 3


def test_pseudo_pairs_are_truncated_to_the_shorter_series():
    rng = np.random.default_rng(12)
    pairs = [(ar1(n, rng), ar1(n, rng)) for n in (120, 150, 100)]
    out = pseudo_dyad_test(pairs, **SMALL, absolute=False, statistic="peak").chances

    def peak(x, y):
        m = min(len(x), len(y))
        return wclc(x[:m], y[:m], **SMALL).values.max(axis=1).mean()

    for i, summary in enumerate(out):
        others = [j for j in range(3) if j != i]
        expected = [peak(pairs[i][0], pairs[j][1]) for j in others]
        expected += [peak(pairs[j][0], pairs[i][1]) for j in others]
        assert summary.observed == pytest.approx(peak(*pairs[i]), abs=1e-12)
        assert summary.surrogate_mean == pytest.approx(np.mean(expected), abs=1e-12)


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        ([(Y, Y)], "at least two sessions, got 1"),
        ([(Y, Y), (Y, Y[:-1])], r"pairs\[1\]: the series differ in length"),
        ([(Y, Y), (Y,)], r"pairs\[1\]: expected a \(therapist, client\) pair"),
        ([(Y, Y), (Y[:10], Y[:10])], r"pairs\[1\] \(window_s\): the series have 10 samples"),
        ([(Y, Y), (Y, np.r_[Y[:-1], np.inf])], r"pairs\[1\] client: infinite value"),
    ],
)
def test_pseudo_dyad_bad_input(pairs, match):
    with pytest.raises(InputError, match=match):
        pseudo_dyad_test(pairs, **SMALL)


def test_pseudo_dyads_warn_once_when_a_pair_is_undefined():
    rng = np.random.default_rng(13)
    pairs = [(ar1(100, rng), ar1(100, rng)) for _ in range(3)]
    pairs[2] = (np.full(100, 1.0), pairs[2][1])
    with pytest.warns(AttunementWarning, match="give no defined synchrony value") as rec:
        out = pseudo_dyad_test(pairs, **SMALL).chances
    assert len([w for w in rec if issubclass(w.category, AttunementWarning)]) == 1
    assert np.isnan(out[2].p_value)
    assert out[0].n_surrogates == 3  # therapist 2 is flat: one pseudo-pair left out


def test_one_function_under_every_name():
    assert exported is re_exported is pseudo_dyad_test


def test_method_is_written_from_the_parameters_that_ran():
    m = pseudo_dyad_test_method(window_s=20, lag_s=3, step_s=10, absolute=False, statistic="peak")
    assert m["parameters"] == {
        **wclc_method(window_s=20, lag_s=3, step_s=10, absolute=False)["parameters"],
        "statistic": "peak",
    }
    assert "windows of 20 s stepped by 10 s" in m["description"]
    assert "each window's largest value over lags" in m["description"]
    assert "Bernieri" in m["citation"] and "Boker" in m["citation"]
    with pytest.raises(InputError, match="statistic"):
        pseudo_dyad_test_method(window_s=20, lag_s=3, step_s=10, statistic="median")
    rng = np.random.default_rng(14)
    res = pseudo_dyad_test([(ar1(100, rng), ar1(100, rng)) for _ in range(3)], **SMALL)
    assert res.method == pseudo_dyad_test_method(window_s=20, lag_s=3, step_s=10)


def test_method_has_the_options_of_pseudo_dyad_test():
    measure = inspect.signature(pseudo_dyad_test).parameters
    for name, p in inspect.signature(pseudo_dyad_test_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name

"""Tests for attunement.moments.shifts: circular shifts of the moment labels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from attunement.errors import InputError
from attunement.moments.shifts import (
    MIN_MOMENTS,
    MIN_OTHERS,
    MIN_UTTERANCES,
    ShiftTest,
    _circular_sums,
    shift_test,
)


def test_circular_sums_are_the_rolled_labels_sums():
    rng = np.random.default_rng(0)
    labels = (rng.random(37) < 0.3).astype(float)
    values = rng.normal(size=37)
    got = _circular_sums(labels, values)
    want = [float(np.roll(labels, k) @ values) for k in range(37)]
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_a_known_answer_every_shift_and_the_p_value_formula():
    moments = np.isin(np.arange(30), [2, 3, 9, 17, 25])
    values = np.where(moments, 1.0, 0.0)
    res = shift_test(values, moments)
    assert isinstance(res, ShiftTest)
    assert res["n_shifts"] == 29 and res.table["shift"].tolist() == list(range(1, 30))
    assert res["difference"] == 1.0
    # no shift maps the moments onto themselves: p = (1 + 0) / (1 + 29)
    assert res["p_value"] == pytest.approx(1 / 30)
    null = res.table["difference"].to_numpy()
    assert res["p_value"] == (1 + np.sum(np.abs(null) >= 1.0)) / (1 + null.size)
    assert res["chance_test"] == "circular shifts of the moment labels, 29 shifts (all)"


def test_two_sided_and_the_effect_size_is_cohens_d():
    rng = np.random.default_rng(1)
    moments = rng.random(120) < 0.25
    values = rng.normal(size=120) + 0.8 * moments
    up, down = shift_test(values, moments), shift_test(-values, moments)
    assert up["p_value"] == down["p_value"] and up["p_value"] < 0.05
    assert up["effect_size"] == pytest.approx(-down["effect_size"])
    a, b = values[moments], values[~moments]
    pooled = np.sqrt(
        ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    )
    assert up["effect_size"] == pytest.approx((a.mean() - b.mean()) / pooled)
    assert up["mean_moments"] == pytest.approx(a.mean())
    assert up["chance_low"] < 0 < up["chance_high"] < up["difference"]


def test_missing_responses_are_left_out_never_filled():
    moments = np.arange(40) % 3 == 0
    values = np.where(moments, 2.0, 1.0)
    values[[0, 3, 4]] = np.nan
    res = shift_test(values, moments)
    assert (res["n_moments"], res["n_others"]) == (12, 25)
    assert res["mean_moments"] == 2.0 and res["mean_others"] == 1.0


@pytest.mark.parametrize(
    ("n", "moments", "reason"),
    [
        (MIN_UTTERANCES - 1, [0, 5, 9, 12, 15], "therapist utterances; at least 20"),
        (
            40,
            list(range(MIN_MOMENTS - 1)),
            f"empathic moments with a value; at least {MIN_MOMENTS}",
        ),
        (
            40,
            list(range(40 - MIN_OTHERS + 1)),
            f"other therapist utterances with a value; at least {MIN_OTHERS}",
        ),
    ],
)
def test_too_few_is_not_testable_with_the_reason(n, moments, reason):
    labels = np.isin(np.arange(n), moments)
    res = shift_test(np.arange(n, dtype=float), labels)
    assert res["chance_test"].startswith("not testable: ") and reason in res["chance_test"]
    assert np.isnan(res["p_value"]) and np.isnan(res["effect_size"]) and res.table.empty
    assert res["n_shifts"] == 0


def test_a_given_reason_and_no_values():
    labels = np.arange(40) % 4 == 0
    res = shift_test(np.full(40, np.nan), labels, reason="no client heart rate")
    assert res["chance_test"] == "not testable: no client heart rate"
    res = shift_test(np.full(40, np.nan), labels)
    assert res["chance_test"] == "not testable: 0 empathic moments with a value; at least 5 needed"


def test_many_utterances_draw_shifts_without_replacement_reproducibly():
    rng = np.random.default_rng(2)
    moments, values = rng.random(600) < 0.2, rng.normal(size=600)
    a = shift_test(values, moments, n_permutations=200, seed=5)
    b = shift_test(values, moments, n_permutations=200, seed=5)
    assert a["n_shifts"] == 200 and a.table["shift"].is_unique
    assert a.table.equals(b.table) and a["p_value"] == b["p_value"]
    assert a["chance_test"] == "circular shifts of the moment labels, 200 shifts"
    assert a.method["parameters"]["n_permutations"] == 200


def _ar1(n, phi, rng):
    x = np.empty(n)
    x[0] = rng.normal()
    for i in range(1, n):
        x[i] = phi * x[i - 1] + rng.normal() * np.sqrt(1 - phi**2)
    return x


def _clustered(n, rng, share=0.2, stay=0.7):
    start = share * (1 - stay) / (1 - share)
    out = np.zeros(n, dtype=bool)
    for i in range(1, n):
        out[i] = rng.random() < (stay if out[i - 1] else start)
    return out


def test_false_positives_stay_near_alpha_where_a_t_test_s_do_not():
    """Drifting responses and runs of moments: the shifts keep the rate honest; a t-test that
    takes the turns as independent does not (a small version of `benchmark moments`)."""
    rng = np.random.default_rng(7)
    shifted, welch = [], []
    for _ in range(300):
        labels, values = _clustered(150, rng), _ar1(150, 0.9, rng)
        shifted.append(shift_test(values, labels)["p_value"])
        welch.append(stats.ttest_ind(values[labels], values[~labels], equal_var=False).pvalue)
    shifted, welch = np.array(shifted), np.array(welch)
    assert np.mean(shifted < 0.05) <= 0.085  # 5% and its binomial noise at 300 sessions
    assert np.mean(welch < 0.05) > 0.15


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_permutations": 0}, "n_permutations"),
        ({"min_moments": 1.5}, "min_moments"),
        ({"moments": np.ones(3, bool)}, "3 labels for 40 values"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    args = {"values": np.zeros(40), "moments": np.arange(40) % 2 == 0, **kwargs}
    with pytest.raises(InputError, match=match):
        shift_test(args.pop("values"), args.pop("moments"), **args)

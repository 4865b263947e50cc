"""Tests for attunement.moments.shifts: circular shifts of the moment labels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from attunement.errors import InputError
from attunement.moments.shifts import (
    BASELINE_TURNS,
    MIN_MOMENTS,
    MIN_OTHERS,
    MIN_UTTERANCES,
    ShiftTest,
    _circular_sums,
    local_baseline,
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


def test_the_local_baseline_keeps_the_false_positive_rate_of_drifting_responses():
    rng = np.random.default_rng(7)
    found = []
    for _ in range(300):
        labels, values = _clustered(150, rng), _ar1(150, 0.9, rng)
        found.append(shift_test(values, labels, baseline_turns=BASELINE_TURNS)["p_value"])
    assert np.mean(np.array(found) < 0.05) <= 0.085


def _drifting(rng, n=240, effect=0.0, phi=0.0):
    """Reply lengths that grow over the session (log-normal, +-0.5 on the log scale from the
    first turn to the last; the noise AR(1) with ``phi``) while the moments, in runs, grow
    from 10% to 30% of the turns: the drift alone makes the moments' replies longer."""
    position = np.linspace(0, 1, n)
    share = 0.1 + 0.2 * position
    labels = np.zeros(n, dtype=bool)
    for i in range(1, n):
        start = share[i] * 0.6 / (1 - share[i])
        labels[i] = rng.random() < (0.4 if labels[i - 1] else start)
    noise = _ar1(n, phi, rng) if phi else rng.normal(size=n)
    words = np.exp(np.log(15) + 0.6 * noise + (position - 0.5))
    return words + effect * words.std() * labels, labels


def test_local_baseline_takes_out_a_drift_and_leaves_independent_values():
    drift = local_baseline(np.arange(100.0), half_width=5)
    np.testing.assert_allclose(drift[6:-6], 0.0, atol=1e-9)
    x = np.random.default_rng(3).normal(size=500)
    got = local_baseline(x)
    assert np.corrcoef(x, got)[0, 1] > 0.97  # 1/40 of the variance added by the window
    assert abs(np.nanmean(got)) < 1e-9


def test_local_baseline_predicts_a_turn_from_its_neighbours_not_from_itself():
    """Replies alike from one turn to the next (AR(1), 0.6): the residuals keep a response
    on one turn whole and take out most of the shared part."""
    rng = np.random.default_rng(4)
    x = _ar1(2000, 0.6, rng)
    got = local_baseline(x)
    assert np.var(got) < 0.6 * np.var(x)  # the best two-sided prediction leaves 0.47
    bump = np.zeros(2000)
    bump[1000] = 5.0
    np.testing.assert_allclose((local_baseline(x + bump) - got)[1000], 5.0, atol=0.1)


def test_local_baseline_keeps_missing_values_missing():
    x = np.arange(40.0) % 7
    x[[5, 20, 22]] = np.nan
    got = local_baseline(x, half_width=4)
    assert np.isnan(got[[5, 20, 22]]).all()
    assert np.isnan(got[21])  # neither adjacent turn has a value
    assert np.isfinite(np.delete(got, [5, 20, 21, 22])).all()
    assert np.isnan(local_baseline(np.full(30, np.nan))).all()


def test_with_a_local_baseline_the_residuals_are_compared():
    rng = np.random.default_rng(5)
    moments = _clustered(200, rng)
    values = 10 + np.linspace(0, 5, 200) + rng.normal(size=200) + 2.0 * moments
    res = shift_test(values, moments, baseline_turns=BASELINE_TURNS)
    resid = local_baseline(values, half_width=BASELINE_TURNS)
    assert res["difference"] == pytest.approx(resid[moments].mean() - resid[~moments].mean())
    assert res["mean_moments"] == pytest.approx(values[moments].mean())  # the values themselves
    a, b = values[moments], values[~moments]
    pooled = np.sqrt(
        ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    )
    assert res["effect_size"] == pytest.approx(res["difference"] / pooled)
    k = 17
    want = resid[np.roll(moments, k)].mean() - resid[~np.roll(moments, k)].mean()
    assert res.table.set_index("shift").loc[k, "difference"] == pytest.approx(want)
    assert res["chance_test"].endswith(f"against a local baseline of +-{BASELINE_TURNS} turns")
    assert res["p_value"] < 0.05 and res.method["parameters"]["baseline_turns"] == BASELINE_TURNS
    assert "local baseline" in res.method["description"]
    plain = shift_test(values, moments)
    assert plain.method["parameters"]["baseline_turns"] is None
    assert "local baseline" not in plain.method["description"]


@pytest.mark.parametrize("phi", [0.0, 0.6])
def test_drift_alone_gives_no_effect_against_the_local_baseline(phi):
    """Known answer: replies that lengthen over the session while the moments grow more
    frequent. Compared as they are, the moments' replies look longer far more often than 5%
    of the time; against their local baseline, about 5%."""
    rng = np.random.default_rng(3)
    raw, local = [], []
    for _ in range(300):
        values, labels = _drifting(rng, phi=phi)
        raw.append(shift_test(values, labels)["p_value"])
        local.append(shift_test(values, labels, baseline_turns=BASELINE_TURNS)["p_value"])
    assert np.mean(np.array(raw) < 0.05) > 0.09
    assert np.mean(np.array(local) < 0.05) <= 0.085  # 5% and its binomial noise at 300


@pytest.mark.parametrize(("phi", "least"), [(0.0, 0.8), (0.6, 0.85)])
def test_a_response_on_top_of_drift_is_found(phi, least):
    """Known answer: the same drift, and replies 0.5 SD longer after every moment."""
    rng = np.random.default_rng(6)
    found = []
    for _ in range(200):
        values, labels = _drifting(rng, effect=0.5, phi=phi)
        found.append(shift_test(values, labels, baseline_turns=BASELINE_TURNS)["p_value"])
    assert np.mean(np.array(found) < 0.05) >= least


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_permutations": 0}, "n_permutations"),
        ({"min_moments": 1.5}, "min_moments"),
        ({"moments": np.ones(3, bool)}, "3 labels for 40 values"),
        ({"baseline_turns": 1}, "baseline_turns: is 1; expected a whole number of turns"),
        ({"baseline_turns": 2.5}, "baseline_turns"),
        ({"baseline_turns": True}, "baseline_turns"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    args = {"values": np.zeros(40), "moments": np.arange(40) % 2 == 0, **kwargs}
    with pytest.raises(InputError, match=match):
        shift_test(args.pop("values"), args.pop("moments"), **args)

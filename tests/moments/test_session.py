"""Tests for attunement.moments.session: known answers on simulated sessions whose client
responds, or not, after chosen utterances (a small version of `attunement benchmark moments`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attunement import metrics as m
from attunement.benchmarks.moments import simulate_session
from attunement.errors import InputError
from attunement.model import Session, Signal, Utterance
from attunement.moments.session import (
    BASELINED,
    RESPONSE_COLUMNS,
    BeingSeen,
    being_seen,
    client_signal,
    metric_names,
)


@pytest.fixture(scope="module")
def responding():
    sim = simulate_session(minutes=20, effect=1.2, seed=3)
    return sim, being_seen(sim.coded, eda=sim.eda, hr=sim.hr)


def test_a_client_who_responds_is_found(responding):
    sim, res = responding
    assert isinstance(res, BeingSeen)
    assert res["n_empathic_moments"] == int(sim.moments.sum())
    np.testing.assert_array_equal(res.table["is_moment"].to_numpy(), sim.moments)
    for name in ("moment_client_scr", "moment_client_hr_change", "moment_client_words"):
        assert res[name] > 0, name
        assert res[m.companion(name, "p_value")] < 0.05, name
        assert res[m.companion(name, "effect_size")] > 0.5, name
        assert "shifts (all)" in res[m.companion(name, "chance_test")]
    n_turns = len(res.table)
    assert res["moment_client_scr_n_moments"] + res["moment_client_scr_n_others"] <= n_turns


def test_a_client_who_does_not_respond_is_rarely_found():
    found = []
    for seed in range(12):
        sim = simulate_session(minutes=20, effect=0.0, noise="ar", seed=100 + seed)
        res = being_seen(sim.coded, eda=sim.eda, hr=sim.hr)
        tested = (
            m.MOMENT_CLIENT_SCR,
            m.MOMENT_CLIENT_HR_CHANGE,
            m.MOMENT_EDA_LOCAL_SYNCHRONY,
            m.MOMENT_CLIENT_WORDS,
        )
        found += [res[m.companion(metric, "p_value")] < 0.05 for metric in tested]
    assert sum(found) <= 6  # 48 tests at 5%: about 2.4 expected


def test_the_words_are_tested_against_their_local_baseline_and_the_body_is_not(responding):
    sim, res = responding
    assert set(BASELINED) == {
        "words",
        "feeling_words",
        "first_person_present",
        "change_talk",
        "mentalizing",
    }
    for column in RESPONSE_COLUMNS:
        baselined = res.tests[column]["chance_test"].endswith(
            "against a local baseline of +-20 turns"
        )
        assert baselined == (column in BASELINED and res.tests[column]["n_shifts"] > 0), column
    shift_method = res.methods[-1]
    assert shift_method["parameters"]["baseline_turns"] == 20
    assert "For the client's words in reply, feeling words" in shift_method["description"]
    plain = being_seen(sim.coded, eda=sim.eda, hr=sim.hr, baseline_turns=None)
    words = plain.tests["words"]
    assert words["difference"] == pytest.approx(words["mean_moments"] - words["mean_others"])
    assert plain["moment_client_scr"] == res["moment_client_scr"]
    assert "local baseline" not in plain.methods[-1]["description"]
    with pytest.raises(InputError, match="baseline_turns"):
        being_seen(sim.coded, baseline_turns=0)


def test_the_table_summary_and_metrics(responding):
    _, res = responding
    assert list(res.summary.columns) == list(metric_names())
    assert set(metric_names()) <= set(m.METRICS)
    for column in (*RESPONSE_COLUMNS, "response_text", "response_start_s", "reasons"):
        assert column in res.table.columns
    metrics = res.metrics()
    assert metrics["moment_client_pitch_variability"] is None  # no audio: null, not NaN
    assert metrics["moment_client_pitch_variability_chance_test"] == "not testable: no audio"
    assert set(res.tests) == set(RESPONSE_COLUMNS)
    assert set(res.curves["kind"]) == {"eda", "hr"}
    assert [meth.name for meth in res.methods] == [
        "empathic_moments",
        "moment_responses",
        "moment_shift_test",
    ]


def test_without_times_only_the_words_are_tested():
    sim = simulate_session(minutes=15, effect=1.0, seed=4)
    untimed = sim.coded.assign(start_s=np.nan, end_s=np.nan)
    res = being_seen(untimed, eda=sim.eda, hr=sim.hr)
    assert res["moment_client_scr_chance_test"] == "not testable: no utterance times"
    assert res["moment_eda_local_synchrony_chance_test"] == "not testable: no utterance times"
    assert res["moment_client_words_p_value"] < 0.05
    assert res.curves.empty


def test_the_client_s_own_signal_alone_gives_no_local_synchrony():
    sim = simulate_session(minutes=15, effect=1.0, seed=5)
    alone = Signal("eda", "client", 4.0, np.asarray(sim.eda.client), 0.0)
    res = being_seen(sim.coded, eda=alone)
    assert res["moment_client_scr_p_value"] < 0.05
    assert res["moment_eda_local_synchrony_chance_test"] == (
        "not testable: no skin conductance of both people on one clock"
    )
    assert res["moment_client_hr_change_chance_test"] == "not testable: no client heart rate"
    with pytest.raises(InputError, match="expected an AlignedPair"):
        being_seen(sim.coded, eda=np.zeros(3))


def test_voice_contours_give_the_vocal_responses():
    sim = simulate_session(minutes=10, effect=0.0, seed=6)
    rate, n = 100.0, 600 * 100
    t = np.arange(n) / rate
    rng = np.random.default_rng(0)
    client = sim.coded[sim.coded["role"] == "client"]
    inside = np.zeros(n, dtype=bool)
    for a, b in zip(client["start_s"], client["end_s"], strict=True):
        inside[(t >= a) & (t < b)] = True
    f0 = np.where(inside, 200 * 2 ** (rng.normal(0, 1, n) / 12), np.nan)
    db = np.where(inside, 60 + rng.normal(0, 3, n), np.nan)
    contours = (Signal("f0", "client", rate, f0, 0.0), Signal("intensity", "client", rate, db, 0.0))
    res = being_seen(sim.coded, voice_contours=contours)
    assert res["moment_client_pitch_variability_n_moments"] == int(sim.moments.sum())
    assert res["moment_client_pitch_variability_chance_test"].startswith("circular shifts")
    means = res.table[["f0_sd_st", "intensity_sd_db"]].mean()
    assert means["f0_sd_st"] == pytest.approx(1.0, abs=0.05)
    assert means["intensity_sd_db"] == pytest.approx(3.0, abs=0.15)


def test_a_short_exchange_is_not_testable():
    coded = pd.DataFrame(
        {
            "role": ["therapist", "client"],
            "text": ["You feel alone.", "Yes."],
            "unit": [0, 1],
            "reflection_type": ["complex", None],
        }
    )
    res = being_seen(coded).metrics()
    assert res["n_empathic_moments"] == 1
    assert res["moment_client_words"] is None
    assert res["moment_client_words_chance_test"] == (
        "not testable: 1 therapist utterances; at least 20 needed"
    )


def test_client_signal_cleans_and_masks_the_client_s_own_signals():
    rng = np.random.default_rng(1)
    eda = Signal("eda", "client", 4.0, 2 + np.cumsum(rng.normal(0, 0.01, 2400)), 0.0)
    acc = np.zeros((600 * 32, 3))
    acc[:, 2] = 64.0  # 1 g at rest (E4 units: 1/64 g)
    acc[100 * 32 : 110 * 32] += rng.normal(0, 60, (10 * 32, 3))  # 10 s of movement
    session = Session(
        "s",
        (Utterance(0, "T", "therapist", 0.0, 1.0, "Hi."),),
        (
            eda,
            Signal("acc", "client", 32.0, acc, 0.0),
            Signal("hr", "client", 1.0, 70 + rng.normal(0, 1, 600), 0.0),
        ),
    )
    cleaned = client_signal(session, "eda")
    assert cleaned.kind == "eda" and cleaned.sampling_rate == 4.0
    assert np.isnan(cleaned.values[400:440]).all() and np.isfinite(cleaned.values[:400]).all()
    assert client_signal(session, "eda", motion_threshold_g=None).values[420] == pytest.approx(
        cleaned.values[399], abs=0.1
    )
    assert client_signal(session, "hr").kind == "hr"
    with pytest.raises(InputError, match="expected 'eda' or 'hr'"):
        client_signal(session, "temp")

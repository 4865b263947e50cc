import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from voice_fixture import RATE, dialogue

from attunement.errors import AttunementWarning, InputError
from attunement.language._pairs import ALIGNMENT_COLUMNS, TurnAlignment
from attunement.prosody.features import turn_prosody
from attunement.prosody.vocal import FEATURES, vocal_synchrony, vocal_synchrony_method


def table(values, roles=None, speakers=None):
    roles = roles or ["therapist", "client"] * (len(values) // 2) + ["therapist"] * (
        len(values) % 2
    )
    frame = pd.DataFrame({"role": roles, "f0_mean_hz": np.asarray(values, dtype=float)})
    if speakers is not None:
        frame["speaker"] = speakers
    return frame


def manual_r(values, roles, lag=0):
    """The definition, written out: z within speaker, pair turn i with turn i + 1 + 2 lag."""
    values, roles = np.asarray(values, float), np.asarray(roles)
    z = np.empty_like(values)
    for role in ("therapist", "client"):
        v = values[roles == role]
        z[roles == role] = (v - v.mean()) / v.std(ddof=1)
    step = 1 + 2 * lag
    return np.corrcoef(z[:-step], z[step:])[0, 1]


def coupled_f0(n_turns, *, phi, seed):
    """A shared arousal that carries over from turn to turn (AR(1) with coefficient phi)."""
    rng = np.random.default_rng(seed)
    s = np.zeros(n_turns)
    for i in range(1, n_turns):
        s[i] = phi * s[i - 1] + np.sqrt(1 - phi**2) * rng.standard_normal()
    roles = ["therapist", "client"] * (n_turns // 2)
    base = np.where(np.array(roles) == "therapist", 110.0, 210.0)
    scale = np.where(np.array(roles) == "therapist", 12.0, 25.0)
    return base + scale * s, roles


def test_exact_known_answer():
    values = [100, 205, 120, 245, 140, 285, 120, 245, 100, 205, 90, 185, 110, 225, 130, 265]
    roles = ["therapist", "client"] * 8
    result = vocal_synchrony(table(values), n_surrogates=0)
    assert isinstance(result, TurnAlignment)
    assert result.r == pytest.approx(manual_r(values, roles), abs=1e-12)
    t = result.table.set_index("direction")
    z_t = (np.array(values[0::2]) - np.mean(values[0::2])) / np.std(values[0::2], ddof=1)
    z_c = (np.array(values[1::2]) - np.mean(values[1::2])) / np.std(values[1::2], ddof=1)
    assert t.loc["therapist_to_client", "r"] == pytest.approx(np.corrcoef(z_t, z_c)[0, 1])
    assert t.loc["client_to_therapist", "r"] == pytest.approx(np.corrcoef(z_c[:-1], z_t[1:])[0, 1])
    assert t["n_pairs"].tolist() == [15, 8, 7]
    assert np.isnan(t["p_value"]).all() and (t["n_surrogates"] == 0).all()


def test_designed_correlation_recovered_from_audio():
    """Synthesised turns whose F0 follows a shared arousal: Praat's F0 gives the same r."""
    f0, roles = coupled_f0(40, phi=0.8, seed=3)
    audio, turns = dialogue([(r, f, 0.4, 0.3) for r, f in zip(roles, f0, strict=True)], gap=0.1)
    features = turn_prosody((audio, RATE), turns)
    np.testing.assert_allclose(features["f0_mean_hz"], f0, atol=1.0)
    result = vocal_synchrony(features, n_surrogates=500, seed=1)
    assert result.r == pytest.approx(manual_r(f0, roles), abs=0.01)
    assert result.r > 0.5
    # 20 client turns allow 17 rotations; the observed figure beats every one
    assert result.summary.p_value == pytest.approx(1 / 18)
    assert result.summary.effect_size > 2
    assert len(result.pairs) == 39
    np.testing.assert_allclose(result.pairs["first_value"], features["f0_mean_hz"][:-1])


def test_intensity_feature():
    rng = np.random.default_rng(0)
    amplitude = 0.1 * 2 ** rng.uniform(0, 2, 20)
    roles = ["therapist", "client"] * 10
    audio, turns = dialogue([(r, 150.0, 0.3, a) for r, a in zip(roles, amplitude, strict=True)])
    features = turn_prosody((audio, RATE), turns)
    result = vocal_synchrony(features, feature="intensity_mean_db", n_surrogates=100)
    db = 20 * np.log10(amplitude)
    assert result.r == pytest.approx(manual_r(db, roles), abs=0.01)


def test_z_scores_within_speaker_remove_voice_differences():
    """A low and a high voice varying independently: pooled raw values would correlate
    strongly negatively (each pair is one low and one high value); z-scores do not."""
    rng = np.random.default_rng(7)
    values = np.where(np.arange(60) % 2 == 0, 100.0, 220.0) + rng.normal(0, 10, 60)
    result = vocal_synchrony(table(values), n_surrogates=200)
    assert abs(result.r) < 0.3
    raw = np.corrcoef(values[:-1], values[1:])[0, 1]
    assert raw < -0.9


def test_z_scores_per_speaker_column():
    values = [100, 200, 300, 210, 110, 190, 320, 205, 105, 215, 290, 185]
    roles = ["therapist", "client"] * 6
    speakers = ["T1", "C", "T2", "C"] * 3  # two therapists with different voices
    result = vocal_synchrony(table(values, roles, speakers), n_surrogates=0)
    by_role = vocal_synchrony(table(values, roles), n_surrogates=0)
    assert result.r != pytest.approx(by_role.r)
    assert result.parameters["feature"] == "f0_mean_hz"


def test_lags():
    """Turn i + 3 (the other person, one exchange later) copies turn i exactly."""
    rng = np.random.default_rng(2)
    values = list(rng.normal(size=3))
    for _ in range(40):
        values.append(values[-3])  # a period-3 pattern: lag 1 pairs are identical
    values = np.asarray(values[:42]) + np.where(np.arange(42) % 2 == 0, 100, 200)
    result = vocal_synchrony(table(values), n_surrogates=100, max_lag_turns=2)
    t = result.table
    assert list(t.columns) == list(ALIGNMENT_COLUMNS)
    assert t["lag_turns"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert t["direction"].tolist()[:3] == ["both", "therapist_to_client", "client_to_therapist"]
    lag1 = t[t["lag_turns"] == 1]
    assert lag1["n_pairs"].tolist() == [39, 20, 19]
    np.testing.assert_allclose(lag1["r"], 1.0, atol=1e-9)
    assert result.r == pytest.approx(manual_r(values, ["therapist", "client"] * 21), abs=1e-12)


def test_other_turns_are_skipped():
    values = [100, 50, 200, 110, 210, 120, 220, 130, 230, 140, 240]
    roles = ["therapist", "other", "client"] + ["therapist", "client"] * 4
    result = vocal_synchrony(table(values, roles), n_surrogates=0, min_pairs=2)
    assert result.table.loc[0, "n_pairs"] == 9
    assert result.pairs.loc[0, ["first_turn", "second_turn"]].tolist() == [0, 2]


def test_nan_turns_drop_their_pairs():
    values = [100, 200, np.nan, 210, 120, 190, 130, 205, 105, 215, 115, 185]
    result = vocal_synchrony(table(values), n_surrogates=50, min_pairs=4)
    assert result.table.loc[0, "n_pairs"] == 9  # 11 pairs, 2 touch the NaN turn
    assert np.isfinite(result.r)


def test_reproducible_and_seeded():
    f0, _ = coupled_f0(400, phi=0.3, seed=5)  # 197 rotations: 100 are drawn
    a = vocal_synchrony(table(f0), seed=11, n_surrogates=100)
    b = vocal_synchrony(table(f0), seed=11, n_surrogates=100)
    c = vocal_synchrony(table(f0), seed=12, n_surrogates=100)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.summary.surrogate_mean != c.summary.surrogate_mean


def test_surrogate_p_values_uniform_under_independence():
    p = []
    for seed in range(150):
        rng = np.random.default_rng(seed)
        values = np.where(np.arange(30) % 2 == 0, 110.0, 210.0) + rng.normal(0, 10, 30)
        p.append(vocal_synchrony(table(values), n_surrogates=199, seed=seed).summary.p_value)
    assert stats.kstest(p, "uniform").pvalue > 0.01


def test_too_few_pairs_is_nan_with_warning():
    with pytest.warns(AttunementWarning, match=r"too few turn pairs .* both at lag 0 \(3\)"):
        result = vocal_synchrony(table([100, 200, 110, 210]), n_surrogates=10)
    assert np.isnan(result.r) and np.isnan(result.summary.p_value)


def test_one_speaker_only():
    with pytest.warns(AttunementWarning, match="needs turns by both therapist and client"):
        result = vocal_synchrony(table([100, 120, 110], ["therapist"] * 3), n_surrogates=10)
    assert np.isnan(result.table["r"]).all()
    assert result.pairs.empty


def test_empty_table():
    with pytest.warns(AttunementWarning, match="found no turns"):
        result = vocal_synchrony(table([]), n_surrogates=10)
    assert np.isnan(result.r)


def test_constant_speaker_is_nan_with_warning():
    values = [100, 200, 100, 210, 100, 190, 100, 205, 100, 215, 100, 185]
    with pytest.warns(AttunementWarning) as caught:
        result = vocal_synchrony(table(values), n_surrogates=10)
    messages = " | ".join(str(w.message) for w in caught)
    assert "'therapist': all 6 of their turns with a value have the same value" in messages
    assert "too few turn pairs" in messages
    assert np.isnan(result.r)


def test_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vocal_synchrony(table([100, 200]), n_surrogates=5)
    assert caught and all(w.filename == __file__ for w in caught)


@pytest.mark.parametrize(
    ("frame", "options", "message"),
    [
        (table([1, 2]), {"feature": "pitch"}, "feature: is 'pitch'; expected one of f0_mean_hz"),
        (table([1, 2]).drop(columns="role"), {}, "lacks column.*role"),
        ([1, 2, 3], {}, "is a list; expected a pandas DataFrame"),
        (table([1, 2]), {"n_surrogates": -1}, "n_surrogates: is -1"),
        (table([1, 2]), {"n_surrogates": 10.5}, "n_surrogates"),
        (table([1, 2]), {"min_pairs": 1}, "min_pairs: is 1; expected a whole number >= 2"),
        (table([1, 2]), {"max_lag_turns": -1}, "max_lag_turns"),
        (table([1, 2]), {"seed": "abc"}, "seed: is 'abc'"),
        (table([1, 2]), {"seed": True}, "seed"),
    ],
)
def test_bad_input(frame, options, message):
    with pytest.raises(InputError, match=message):
        vocal_synchrony(frame, **options)


def test_features_and_method():
    assert FEATURES == ("f0_mean_hz", "f0_median_hz", "intensity_mean_db")
    m = vocal_synchrony_method()
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert "Levitan" in m["citation"] and "Imel" in m["citation"]


def test_method_is_written_from_the_parameters_that_ran():
    m = vocal_synchrony_method(
        features=("f0_median_hz", "intensity_mean_db"),
        n_surrogates=50,
        seed=3,
        min_pairs=8,
        max_lag_turns=1,
    )
    assert m["parameters"] == {
        "features": ["f0_median_hz", "intensity_mean_db"],
        "n_surrogates": 50,
        "seed": 3,
        "min_pairs": 8,
        "max_lag_turns": 1,
    }
    text = m["description"]
    assert "median F0 and mean intensity" in text and "up to 1 exchange later" in text
    assert "50 rotations" in text and "(random seed 3)" in text and "fewer than 8 pairs" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    assert "no chance level" in vocal_synchrony_method(n_surrogates=0)["description"]
    with pytest.raises(InputError, match="features"):
        vocal_synchrony_method(features="pitch")


def test_method_has_the_options_of_vocal_synchrony():
    measure = inspect.signature(vocal_synchrony).parameters
    for name, p in inspect.signature(vocal_synchrony_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure["feature" if name == "features" else name].default == p.default, name

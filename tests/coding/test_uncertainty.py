import math
import re

import numpy as np
import pandas as pd
import pytest

from attunement.coding import session_codes
from attunement.coding._quality_bootstrap import _features
from attunement.coding.quality import (
    FEATURE_NAMES,
    MIQualityModel,
    load_quality_model,
    session_features,
    session_quality,
)
from attunement.coding.uncertainty import (
    CODE_METRICS,
    INTERVAL_METRICS,
    QUALITY_METRIC,
    code_intervals,
    code_intervals_method,
    coded_units,
)
from attunement.errors import InputError

BEHAVIOURS = ["reflection", "question", "therapist_input", "other"]


def coded_session(n_therapist=120, n_client=120, seed=0, behaviours=None):
    """A coded table, therapist and client alternating, with random codes and scores."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(max(n_therapist, n_client)):
        if i < n_therapist:
            b = behaviours[i % len(behaviours)] if behaviours else rng.choice(BEHAVIOURS)
            rows.append(
                {
                    "role": "therapist",
                    "text": " ".join(["word"] * int(rng.integers(1, 30))),
                    "mi_behaviour": b,
                    "reflection_type": rng.choice(["simple", "complex"])
                    if b == "reflection"
                    else None,
                    "question_type": rng.choice(["open", "closed"]) if b == "question" else None,
                    "client_talk": None,
                    "p_reflection": 0.7,
                    "er_score": rng.uniform(0, 2),
                    "ip_score": rng.uniform(0, 2),
                    "ex_score": rng.uniform(0, 2),
                }
            )
        if i < n_client:
            rows.append(
                {
                    "role": "client",
                    "text": " ".join(["word"] * int(rng.integers(1, 20))),
                    "mi_behaviour": None,
                    "reflection_type": None,
                    "question_type": None,
                    "client_talk": rng.choice(["change", "neutral", "sustain"]),
                    "p_reflection": np.nan,
                    "er_score": np.nan,
                    "ip_score": np.nan,
                    "ex_score": np.nan,
                }
            )
    frame = pd.DataFrame(rows)
    for column in ("mi_behaviour", "reflection_type", "question_type", "client_talk"):
        frame[column] = frame[column].astype("string")
    return frame


def with_units(frame, seed=1):
    """The same session with each coded row split into 1-3 caption cues of one unit."""
    rng = np.random.default_rng(seed)
    parts = []
    for unit, row in enumerate(frame.to_dict("records")):
        words = row["text"].split()
        k = int(min(len(words), rng.integers(1, 4)))
        for piece in np.array_split(np.array(words), k):
            parts.append({**row, "text": " ".join(piece), "unit": unit})
    return pd.DataFrame(parts).astype({"unit": "Int64"})


def table(frame, **kwargs):
    return code_intervals(frame, **kwargs).set_index("metric")


def feature_model():
    """A model on the seven session features, fitted on synthetic sessions."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(0, 1, size=(40, len(FEATURE_NAMES))), columns=FEATURE_NAMES)
    y = (x["reflection_share"] + 0.3 * rng.standard_normal(40) > 0.5).astype(int)
    return MIQualityModel().fit(x, y)


#: Each kind of MI quality model, with what its resamples are recomputed from.
MODELS = {"words": lambda: load_quality_model().model, "features": feature_model}


def test_point_values_are_session_codes_and_intervals_contain_them():
    frame = coded_session()
    found = table(frame)
    assert list(found.index) == list(CODE_METRICS)
    expected = session_codes(frame)
    for metric in CODE_METRICS:
        row = found.loc[metric]
        assert row["value"] == pytest.approx(expected[metric]), metric
        assert row["ci95_low"] <= row["value"] <= row["ci95_high"], metric
        assert row["ci95_low"] < row["ci95_high"], metric
        assert row["n_resamples"] == 1000
    assert (
        found.loc["percent_open_questions", "n_units"]
        == (frame["mi_behaviour"] == "question").sum()
    )


def test_a_session_of_reflections_only():
    """No question: the ratio and the open-question share are undefined (NaN, not 0 or inf);
    all reflections complex: the complex share's interval is the single value 100."""
    frame = coded_session(n_therapist=40, n_client=40, behaviours=["reflection"])
    frame["reflection_type"] = pd.array(
        ["complex" if b == "reflection" else None for b in frame["mi_behaviour"].fillna("")],
        dtype="string",
    )
    found = table(frame)
    for metric in ("reflection_to_question_ratio", "percent_open_questions"):
        assert math.isnan(found.loc[metric, "value"])
        assert math.isnan(found.loc[metric, "ci95_low"])
        assert math.isnan(found.loc[metric, "ci95_high"])
        assert found.loc[metric, "undefined_share"] == 1.0
    assert found.loc["percent_complex_reflections", ["ci95_low", "ci95_high"]].tolist() == [
        100.0,
        100.0,
    ]


def test_too_few_questions_for_an_interval_gives_none():
    """One question among 40 therapist units: about a third of the resamples have none, so
    a bound of the ratio would be undefined; the value stays, the interval is NaN."""
    behaviours = ["question"] + ["reflection"] * 39
    found = table(coded_session(n_therapist=40, n_client=10, behaviours=behaviours))
    row = found.loc["reflection_to_question_ratio"]
    assert row["value"] == 39.0
    assert 0.25 < row["undefined_share"] < 0.45
    assert math.isnan(row["ci95_low"]) and math.isnan(row["ci95_high"])


def test_units_are_resampled_whole():
    """Caption cues of one unit (same codes) give the same intervals as one row per unit."""
    frame = coded_session(seed=3)
    split = with_units(frame)
    assert len(split) > len(frame) * 1.5
    a, b = table(frame), table(split)
    pd.testing.assert_frame_equal(a, b)
    units = coded_units(split)
    assert len(units) == len(frame)
    assert units["n_words"].sum() == frame["text"].str.split().str.len().sum()


def test_uncoded_rows_are_no_units():
    frame = coded_session(n_therapist=30, n_client=30, seed=4)
    blank = frame.iloc[:1].assign(
        text="", mi_behaviour=pd.NA, reflection_type=pd.NA, question_type=pd.NA, client_talk=pd.NA
    )
    blank[["p_reflection", "er_score", "ip_score", "ex_score"]] = np.nan
    padded = pd.concat([blank, frame, blank], ignore_index=True)
    pd.testing.assert_frame_equal(table(frame), table(padded))


def test_the_seed_fixes_the_intervals():
    frame = coded_session(n_therapist=60, n_client=60, seed=5)
    pd.testing.assert_frame_equal(table(frame, seed=7), table(frame, seed=7))
    other = table(frame, seed=8)
    assert not np.allclose(table(frame, seed=7)["ci95_low"], other["ci95_low"], equal_nan=True)


def test_level_names_the_columns_and_narrows_the_interval():
    frame = coded_session(seed=6)
    wide, narrow = table(frame), table(frame, level=0.8)
    assert {"ci80_low", "ci80_high"} <= set(narrow.columns)
    metric = "change_talk_share"
    assert wide.loc[metric, "ci95_low"] <= narrow.loc[metric, "ci80_low"]
    assert narrow.loc[metric, "ci80_high"] <= wide.loc[metric, "ci95_high"]


def test_empathy_means_have_intervals():
    frame = coded_session(seed=7)
    found = table(frame)
    for metric in ("empathy_emotional_reactions", "empathy_interpretations"):
        low, value, high = found.loc[metric, ["ci95_low", "value", "ci95_high"]]
        assert 0 <= low < value < high <= 2
        assert found.loc[metric, "n_units"] == 120


def realistic(n=60, seed=0, units=False):
    """A coded session with real wording, so that a word model has something to read."""
    rng = np.random.default_rng(seed)
    frame = coded_session(n_therapist=n, n_client=n, seed=seed)
    phrases = [
        "it sounds like you feel stuck",
        "what would you like to change",
        "you need to stop smoking",
        "so on the one hand you want to quit",
        "you should really think about your health",
        "tell me more about that",
    ]
    therapist = frame["role"] == "therapist"
    frame.loc[therapist, "text"] = [
        " ".join(rng.choice(phrases, size=rng.integers(1, 4))) for _ in range(therapist.sum())
    ]
    return with_units(frame, seed=seed) if units else frame


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("units", [False, True])
def test_the_mi_quality_estimate_is_bootstrapped_with_the_model(kind, units):
    frame = realistic(seed=8, units=units)
    model = MODELS[kind]()
    assert QUALITY_METRIC not in table(frame).index
    found = table(frame, quality_model=model)
    assert list(found.index) == list(INTERVAL_METRICS)
    row = found.loc[QUALITY_METRIC]
    assert row["value"] == session_quality(frame, model=model)["score"]
    assert 0 <= row["ci95_low"] < row["value"] < row["ci95_high"] <= 1
    assert row["n_resamples"] == 1000
    assert row["recomputed_from"] == kind  # the fast path's check held
    assert row["n_units"] == 60


@pytest.mark.parametrize("per_row", [False, True])
def test_resampled_features_are_session_features_of_the_resampled_table(per_row):
    """The counts behind every resample's MI quality estimate are exactly what
    session_features gives on the table of the units drawn (counted once, or row by row)."""
    split = with_units(coded_session(n_therapist=25, n_client=25, seed=9))
    units = coded_units(split)
    therapist = units[units["stratum"] == "therapist"].reset_index(drop=True)
    client = units[units["stratum"] == "client"].reset_index(drop=True)
    rng = np.random.default_rng(0)
    for _ in range(5):
        wt = rng.multinomial(len(therapist), [1 / len(therapist)] * len(therapist))
        wc = rng.multinomial(len(client), [1 / len(client)] * len(client))
        found = _features(therapist, client, wt[None, :], wc[None, :], per_row=per_row)
        drawn = [u for u, k in zip(therapist["unit"], wt, strict=True) for _ in range(k)]
        drawn += [u for u, k in zip(client["unit"], wc, strict=True) for _ in range(k)]
        rows = [split[split["unit"] == u] for u in drawn]
        resampled = pd.concat(rows if per_row else [r.iloc[:1] for r in rows])
        if not per_row:  # one row per unit, with the unit's words
            resampled = resampled.assign(
                text=[" ".join(split.loc[split["unit"] == u, "text"]) for u in drawn]
            )
        expected = session_features(resampled.drop(columns="unit"))  # draws repeat units
        for name, value in expected.items():
            assert found[name][0] == pytest.approx(value, nan_ok=True), name


def test_a_model_with_other_features_is_bootstrapped_table_by_table():
    from attunement.coding.quality import MIQualityModel

    frame = coded_session(n_therapist=30, n_client=30, seed=10)
    x = pd.DataFrame({"reflection_share": [0.1, 0.2, 0.4, 0.5], "extra": [0, 1, 0, 1]})
    other = MIQualityModel().fit(x, [0, 0, 1, 1])
    slow = table(frame, quality_model=other, n_resamples=300)
    assert slow.loc[QUALITY_METRIC, "n_resamples"] == 200
    assert slow.loc["change_talk_share", "n_resamples"] == 300
    assert slow.loc[QUALITY_METRIC, "recomputed_from"] == "tables"
    known = MIQualityModel().fit(x[["reflection_share"]], [0, 0, 1, 1])
    fast = table(frame, quality_model=known, n_resamples=300)
    assert fast.loc[QUALITY_METRIC, "n_resamples"] == 300
    assert fast.loc[QUALITY_METRIC, "recomputed_from"] == "features"
    assert fast.loc[QUALITY_METRIC, "value"] == pytest.approx(
        session_quality(frame, model=known)["score"]
    )


@pytest.mark.parametrize("kind", list(MODELS))
def test_slow_path_agrees_with_the_fast_one(monkeypatch, kind):
    from attunement.coding import uncertainty

    frame = realistic(seed=11, units=True)
    model = MODELS[kind]()
    fast = table(frame, quality_model=model, n_resamples=400)
    monkeypatch.setattr(uncertainty, "fast_quality", lambda *a: None)
    slow = table(frame, quality_model=model, n_resamples=400)
    assert slow.loc[QUALITY_METRIC, "n_resamples"] == 200
    assert slow.loc[QUALITY_METRIC, "recomputed_from"] == "tables"
    for bound in ("ci95_low", "ci95_high"):
        assert slow.loc[QUALITY_METRIC, bound] == pytest.approx(
            fast.loc[QUALITY_METRIC, bound], abs=0.06
        )


def test_no_coded_therapist_unit():
    frame = coded_session(n_therapist=0, n_client=20, seed=12)
    found = table(frame, quality_model=load_quality_model().model)
    assert math.isnan(found.loc[QUALITY_METRIC, "value"])
    assert math.isnan(found.loc["reflection_to_question_ratio", "ci95_low"])
    assert not math.isnan(found.loc["change_talk_share", "ci95_low"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_resamples": 5}, "at least 10"),
        ({"n_resamples": 10.5}, "whole number"),
        ({"level": 1.2}, "whole percent"),
        ({"level": 0.955}, "whole percent"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(InputError, match=match):
        code_intervals(coded_session(n_therapist=5, n_client=5), **kwargs)


@pytest.mark.parametrize(
    ("coded", "match"),
    [
        ("coded.csv", "expected a DataFrame"),
        (pd.DataFrame({"mi_behaviour": []}), "has no column reflection_type"),
    ],
)
def test_bad_tables(coded, match):
    with pytest.raises(InputError, match=match):
        code_intervals(coded)


def test_method_is_written_from_the_parameters():
    m = code_intervals_method(
        n_resamples=2000,
        seed=4,
        level=0.9,
        quality_resamples=200,
        quality_from="tables",
        quality_centred=True,
    )
    assert m["name"] == "code_intervals"
    assert m["parameters"] == {
        "n_resamples": 2000,
        "seed": 4,
        "level": 0.9,
        "quality_resamples": 200,
        "quality_from": "tables",
        "quality_centred": True,
    }
    text = m["description"]
    assert "90% interval" in text and "2,000 bootstrap resamples (seed 4)" in text
    assert "recomputes the estimate on each resampled table, from 200 resamples" in text
    assert "shifted so that their median is the session's own estimate" in text
    assert "coders' own errors are not" in text
    assert "more than 5% of the resamples" in text
    assert not re.search(r"\{[a-z_]+\}", text)


def test_a_handful_of_units_gives_no_interval():
    """Nine therapist units: no interval for the therapist's metrics (resampling so few shows
    little of their variation); the client's 30 still give change talk one."""
    found = table(coded_session(n_therapist=9, n_client=30, seed=13))
    assert not math.isnan(found.loc["empathy_explorations", "value"])
    for metric in ("reflection_to_question_ratio", "empathy_explorations"):
        assert math.isnan(found.loc[metric, "ci95_low"]), metric
    assert not math.isnan(found.loc["change_talk_share", "ci95_low"])


def test_the_word_model_counts_add_up_to_the_session():
    """A resample drawing every unit once scores as the session itself (the pairs of words
    joining units included), checked against the model's own decision function."""
    from attunement.coding._quality_bootstrap import _word_log_odds, _word_quality
    from attunement.coding.quality import therapist_words

    model = load_quality_model().model
    frame = realistic(n=30, seed=14, units=True)
    units = coded_units(frame)
    therapist = units[units["stratum"] == "therapist"].reset_index(drop=True)
    ones = np.ones((3, len(therapist)))
    resampled, itself = _word_quality(frame, therapist, ones, model)
    expected = model.predict_proba([therapist_words(frame)])[0, 1]
    assert itself == pytest.approx(expected, rel=1e-12)
    assert resampled == pytest.approx([expected] * 3, rel=1e-12)
    twice = _word_log_odds(frame, therapist, 2 * ones[:1], model)[0][0]
    doubled = model.decision_function([therapist_words(frame) + " " + therapist_words(frame)])
    assert twice == pytest.approx(doubled[0], abs=0.02)  # the one joining pair differs


def test_word_model_resamples_are_centred_on_the_session():
    """Repeating utterances lowers a word model's log-odds by itself; the resampled log-odds
    are shifted so that their median is the session's, and the interval holds the value."""
    from attunement.coding import code_utterances, resolve_coder
    from attunement.coding._quality_bootstrap import _word_log_odds, draw_counts
    from attunement.io.corpora import annomi_transcripts, default_annomi_dir

    model = load_quality_model().model
    rows = annomi_transcripts(default_annomi_dir())
    rows = rows.loc[rows["transcript_id"] == 0, ["role", "text"]].reset_index(drop=True)
    frame = code_utterances(rows, coder=resolve_coder("ngram"))
    units = coded_units(frame)
    therapist = units[units["stratum"] == "therapist"].reset_index(drop=True)
    wt = draw_counts(np.random.default_rng(0), len(therapist), 1000).astype(float)
    raw, itself = _word_log_odds(frame, therapist, wt, model)
    assert np.median(raw) < itself - 0.5  # the bias the centring removes (1.5 log-odds here)
    row = table(frame, quality_model=model).loc[QUALITY_METRIC]
    assert row["median_centred"]
    assert row["ci95_low"] < row["value"] < row["ci95_high"]
    assert not table(frame, quality_model=feature_model()).loc[QUALITY_METRIC, "median_centred"]


def test_methods_say_what_the_estimate_was_recomputed_from():
    words = code_intervals_method(quality_resamples=1000, quality_from="words")["description"]
    assert "n-gram counts of each resample's therapist utterances" in words
    assert "from 1000 resamples" not in words
    features = code_intervals_method(quality_resamples=1000, quality_from="features")
    assert "session features of each resample" in features["description"]
    none = code_intervals_method(quality_resamples=1000, quality_from="none")["description"]
    assert "MI quality" not in none

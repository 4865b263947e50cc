import json
import math

import numpy as np
import pandas as pd
import pytest

from attunement.coding import code_utterances
from attunement.coding.quality import (
    FEATURE_NAMES,
    QUALITY_METHOD,
    MIQualityModel,
    explain,
    load_quality_model,
    quality_path,
    read_quality_model,
    save_quality_model,
    session_features,
    session_quality,
)
from attunement.coding.quality_words import WordQualityModel
from attunement.errors import InputError
from attunement.io.corpora import annomi_transcripts, default_annomi_dir


def coded_session(rng, reflections, questions, inputs=2, others=2, clients=6):
    """A coded utterance table with the given therapist behaviour counts."""
    behaviours = (
        ["reflection"] * reflections
        + ["question"] * questions
        + ["therapist_input"] * inputs
        + ["other"] * others
    )
    rng.shuffle(behaviours)
    rows = []
    for b in behaviours:
        rows.append(
            {
                "role": "therapist",
                "text": " ".join(["word"] * int(rng.integers(4, 20))),
                "mi_behaviour": b,
                "reflection_type": rng.choice(["simple", "complex"]) if b == "reflection" else None,
                "question_type": rng.choice(["open", "closed"]) if b == "question" else None,
                "client_talk": None,
            }
        )
    for _ in range(clients):
        rows.append(
            {
                "role": "client",
                "text": "I am not sure",
                "mi_behaviour": None,
                "reflection_type": None,
                "question_type": None,
                "client_talk": rng.choice(["change", "neutral", "sustain"]),
            }
        )
    return pd.DataFrame(rows)


def synthetic_corpus(n=120, seed=0, sign=1):
    """Sessions whose quality is decided by the reflection-to-question ratio alone."""
    rng = np.random.default_rng(seed)
    features, labels = [], []
    for _ in range(n):
        r, q = int(rng.integers(0, 15)), int(rng.integers(0, 15))
        if r == q:
            continue
        coded = coded_session(rng, r, q, inputs=int(rng.integers(0, 5)))
        features.append(session_features(coded))
        labels.append(int((r > q) == (sign > 0)))
    return pd.DataFrame(features), np.array(labels)


@pytest.mark.parametrize("sign", [1, -1])
def test_learns_the_reflection_ratio(sign):
    x, y = synthetic_corpus(sign=sign)
    model = MIQualityModel().fit(x, y)
    coef = dict(zip(model.feature_names_in_, model.coef_, strict=True))
    assert np.sign(coef["reflection_question_log_ratio"]) == sign
    assert abs(coef["reflection_question_log_ratio"]) > max(
        abs(coef[n])
        for n in ("complex_reflection_share", "open_question_share", "change_talk_share")
    )
    x_test, y_test = synthetic_corpus(n=60, seed=1, sign=sign)
    assert (model.predict(x_test) == y_test).mean() > 0.9
    rng = np.random.default_rng(5)
    many_reflections = session_quality(coded_session(rng, 12, 2), model=model)
    many_questions = session_quality(coded_session(rng, 2, 12), model=model)
    assert (many_reflections["score"] > 0.5) == (sign > 0)
    assert (many_questions["score"] < 0.5) == (sign > 0)
    top = many_reflections["drivers"][0]
    assert top["feature"] in ("reflection_question_log_ratio", "reflection_share")
    assert top["direction"] == ("raised" if sign > 0 else "lowered")


def test_session_features_known_answer():
    coded = pd.DataFrame(
        {
            "text": ["You feel stuck here.", "What now?", "Do it.", "Mm.", "I will.", "No."],
            "mi_behaviour": ["reflection", "question", "therapist_input", "other", None, None],
            "reflection_type": ["complex", None, None, None, None, None],
            "question_type": [None, "closed", None, None, None, None],
            "client_talk": [None, None, None, None, "change", "sustain"],
        }
    )
    f = session_features(coded)
    assert list(f) == list(FEATURE_NAMES)
    assert f["reflection_question_log_ratio"] == 0.0
    assert f["reflection_share"] == 0.25 and f["therapist_input_share"] == 0.25
    assert f["complex_reflection_share"] == 1.0 and f["open_question_share"] == 0.0
    assert f["change_talk_share"] == 0.5
    words = 4 + 2 + 2 + 1
    assert f["therapist_words_per_utterance_log"] == pytest.approx(math.log(words / 4))


def test_ratio_is_clipped():
    rng = np.random.default_rng(0)
    f = session_features(coded_session(rng, 40, 0))
    assert f["reflection_question_log_ratio"] == 3.0


def test_missing_features_contribute_nothing():
    x, y = synthetic_corpus()
    model = MIQualityModel().fit(x, y)
    rng = np.random.default_rng(2)
    coded = coded_session(rng, 0, 0, inputs=3, others=1, clients=0)  # no reflection, question
    f = session_features(coded)
    for name in ("complex_reflection_share", "open_question_share", "change_talk_share"):
        assert math.isnan(f[name])
    drivers = {d["feature"]: d for d in session_quality(coded, model=model)["drivers"]}
    for name in ("complex_reflection_share", "open_question_share", "change_talk_share"):
        assert drivers[name]["value"] is None
        assert drivers[name]["contribution"] == 0.0
        assert drivers[name]["direction"] == "none"
        assert drivers[name]["shown"] == "not measured"
    # a missing value is the training mean: the same log-odds as passing the mean itself
    row = pd.DataFrame([f])
    filled = row.fillna(dict(zip(model.feature_names_in_, model.means_, strict=True)))
    np.testing.assert_allclose(model.decision_function(row), model.decision_function(filled))


def test_missing_values_in_training_and_an_empty_feature():
    x, y = synthetic_corpus()
    x.loc[x.index[::3], "reflection_share"] = np.nan
    x["never_measured"] = np.nan
    x["constant"] = 1.0
    model = MIQualityModel().fit(x, y)
    coef = dict(zip(model.feature_names_in_, model.coef_, strict=True))
    assert coef["never_measured"] == 0.0 and coef["constant"] == 0.0
    assert np.isfinite(model.coef_).all()
    assert model.means_[list(model.feature_names_in_).index("reflection_share")] == pytest.approx(
        x["reflection_share"].mean()
    )
    p = model.predict_proba(x.assign(reflection_share=np.inf))
    assert np.isfinite(p).all()


def test_no_therapist_utterance_gives_no_score():
    coded = pd.DataFrame(
        {
            "text": ["I want to stop."],
            "mi_behaviour": pd.array([None], dtype="string"),
            "reflection_type": pd.array([None], dtype="string"),
            "question_type": pd.array([None], dtype="string"),
            "client_talk": pd.array(["change"], dtype="string"),
        }
    )
    found = session_quality(coded)
    assert found["score"] is None and found["log_odds"] is None
    assert found["drivers"] == [] and found["n_therapist_utterances"] == 0


def test_explanation_sums_to_the_log_odds():
    x, y = synthetic_corpus()
    model = MIQualityModel(C=0.5).fit(x, y)
    for i in range(5):
        features = x.iloc[i].to_dict()
        drivers = explain(model, features)
        total = sum(d["contribution"] for d in drivers)
        log_odds = model.decision_function(x.iloc[[i]])[0]
        assert total == pytest.approx(log_odds - model.intercept_)
        assert [abs(d["contribution"]) for d in drivers] == sorted(
            (abs(d["contribution"]) for d in drivers), reverse=True
        )
        assert all(d["direction"] == ("raised" if d["contribution"] > 0 else "lowered")
                   for d in drivers if d["contribution"] != 0)  # fmt: skip
    np.testing.assert_allclose(model.contributions(x).sum(axis=1) + model.intercept_,
                               model.decision_function(x))  # fmt: skip
    p = model.predict_proba(x)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[:, 1], 1 / (1 + np.exp(-model.decision_function(x))))


def test_json_round_trip(tmp_path):
    x, y = synthetic_corpus()
    model = MIQualityModel(C=0.3).fit(x, y)
    path = save_quality_model(model, tmp_path / "m", info={"cv": {"auc": 0.9}})
    assert path.name == "mi_quality.json"
    json.loads(path.read_text())  # plain JSON
    loaded = read_quality_model(tmp_path / "m")
    assert loaded.meta["cv"] == {"auc": 0.9}
    assert loaded.model.C == 0.3
    assert list(loaded.model.feature_names_in_) == list(x.columns)
    np.testing.assert_array_equal(loaded.model.predict_proba(x), model.predict_proba(x))
    assert read_quality_model(path).model.intercept_ == model.intercept_


def test_bad_artifacts(tmp_path):
    with pytest.raises(InputError, match="was not found"):
        read_quality_model(tmp_path)
    path = tmp_path / "mi_quality.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="is not valid JSON"):
        read_quality_model(path)
    path.write_text(json.dumps({"format_version": 99}))
    with pytest.raises(InputError, match="format_version 99; expected 1"):
        read_quality_model(path)
    x, y = synthetic_corpus()
    good = MIQualityModel().fit(x, y).to_dict()
    path.write_text(json.dumps({"format_version": 1, "model": {**good, "coef": [1.0]}}))
    with pytest.raises(InputError, match="expected 7 of each"):
        read_quality_model(path)
    path.write_text(json.dumps({"format_version": 1, "model": {"features": ["a"]}}))
    with pytest.raises(InputError, match="not a valid MI-quality model"):
        read_quality_model(path)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (pd.DataFrame({"a": [1.0, 2.0]}), ["high", "high"], "only one class"),
        (pd.DataFrame({"a": [1.0, 2.0]}), ["high", "medium"], "other than high/low"),
        (pd.DataFrame({"a": [1.0, 2.0]}), [1], "has 1 labels; expected 2"),
        (pd.DataFrame({"a": ["x", "y"]}), [0, 1], "is not numeric"),
        (np.ones(3), [0, 1, 0], "expected a 2-D table"),
    ],
)
def test_fit_errors(x, y, match):
    with pytest.raises(InputError, match=match):
        MIQualityModel().fit(x, y)


def test_predict_errors():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        MIQualityModel().predict_proba(pd.DataFrame({"a": [1.0]}))
    model = MIQualityModel().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 1.0]}), [0, 1])
    with pytest.raises(InputError, match="has no column b"):
        model.predict_proba(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(InputError, match="has no column mi_behaviour"):
        session_features(pd.DataFrame({"text": ["Hi."]}))


# --- the shipped model --------------------------------------------------------------------


def test_shipped_model_loads_once_and_records_its_evaluation():
    shipped = load_quality_model()
    assert shipped is load_quality_model()
    assert isinstance(shipped.model, WordQualityModel)
    cv = shipped.meta["cv"]
    assert cv["n"] == 133 and cv["n_low"] == 23
    assert cv["auc"] > cv["baseline"]["auc"] and cv["brier"] < cv["baseline"]["brier"]
    assert f"AUC was {cv['auc']:.2f}" in QUALITY_METHOD["description"]
    external = shipped.meta["external"]
    assert external["n"] == 102 and external["auc"] > 0.85
    assert "not AnnoMI" in QUALITY_METHOD["description"]
    assert "{" not in QUALITY_METHOD["description"]
    # the transformer's folder carries the same model: it reads words, not codes
    assert load_quality_model(quality_path("transformer")).meta["cv"] == cv
    coef = dict(zip(shipped.model.vocabulary_, shipped.model.coef_, strict=True))
    assert coef["it sounds"] > 0 and coef["need to"] < 0


def test_session_quality_with_the_word_model_explains_by_phrases():
    coded = pd.DataFrame(
        {
            "text": ["It sounds like you feel torn.", "You need to quit.", "I might."],
            "mi_behaviour": ["reflection", "therapist_input", None],
        }
    )
    found = session_quality(coded)
    assert 0 < found["score"] < 1
    labels = [d["label"] for d in found["drivers"]]
    assert labels[-1] == "all other words and phrases"
    assert any("need to" in label for label in labels)
    assert '"might"' not in labels  # the client's words are not read
    total = found["intercept"] + sum(d["contribution"] for d in found["drivers"])
    assert math.isclose(total, found["log_odds"], abs_tol=1e-9)
    assert found["n_therapist_utterances"] == 2
    empty = session_quality(coded.assign(mi_behaviour=None))
    assert empty["score"] is None and empty["drivers"] == []
    with pytest.raises(InputError, match="has no column text"):
        session_quality(coded.drop(columns="text"))


def test_shipped_model_ranks_annomi_high_above_low():
    """Mean score of every high- vs every low-quality AnnoMI transcript, coded by the shipped
    coders (which were trained on these transcripts, so this is a sanity check, not an
    evaluation: the grouped cross-validation is in the model's metadata)."""
    transcripts = annomi_transcripts(default_annomi_dir())
    scores = {"high": [], "low": []}
    for _, rows in transcripts.groupby("transcript_id"):
        coded = code_utterances(rows[["role", "text"]].reset_index(drop=True))
        score = session_quality(coded)["score"]
        assert 0 <= score <= 1
        scores[rows["mi_quality"].iloc[0]].append(score)
    assert len(scores["high"]) == 110 and len(scores["low"]) == 23
    assert np.mean(scores["high"]) > np.mean(scores["low"]) + 0.2

"""The word MI-quality model: known answers on tiny corpora, storage and bad input."""

import json
import math

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from attunement.coding.quality_words import WordQualityModel
from attunement.errors import AttunementWarning, InputError

GOOD = ["it sounds like you feel stuck", "so you feel torn about it", "what would help you"]
POOR = ["you need to stop now", "you should quit", "you need to listen to me"]


def fitted(**kw):
    texts = (GOOD + POOR) * 3
    return WordQualityModel(min_df=1, n_splits=3, **kw).fit(texts, [1, 1, 1, 0, 0, 0] * 3)


def test_ranks_reflective_words_above_directive_ones():
    model = fitted()
    p = model.predict_proba(["it sounds like you feel", "you need to quit"])[:, 1]
    assert p[0] > 0.5 > p[1]
    assert model.predict(["so you feel torn"]).tolist() == [1]


def test_calibration_comes_from_out_of_fold_scores():
    model = fitted()
    a, b = model.calibration_
    assert math.isfinite(a) and a > 0 and math.isfinite(b)
    # groups that keep the two halves apart give other folds, hence another calibration
    texts = (GOOD + POOR) * 4
    grouped = WordQualityModel(min_df=1, n_splits=2).fit(
        texts, [1, 1, 1, 0, 0, 0] * 4, groups=[i % 4 for i in range(len(texts))]
    )
    assert grouped.calibration_ != ()


def test_contributions_and_explanation_add_up():
    model = fitted()
    text = "you need to stop, you need to. it sounds like you feel"
    logit = model.decision_function([text])[0]
    assert math.isclose(model.contributions([text]).sum() + model.intercept_, logit)
    drivers = model.explain(text, shown=3)
    assert len(drivers) == 4 and drivers[-1]["feature"] == "words:other"
    assert math.isclose(sum(d["contribution"] for d in drivers) + model.intercept_, logit)
    need = next(d for d in drivers if d["label"] == '"need to"')
    assert need["value"] == 2 and need["direction"] == "lowered"
    assert abs(drivers[0]["contribution"]) >= abs(drivers[1]["contribution"])


def test_unknown_words_give_the_intercept():
    model = fitted()
    assert math.isclose(model.decision_function(["zebra"])[0], model.intercept_)
    assert model.explain("zebra")[-1]["contribution"] == 0.0


def test_round_trip_through_json():
    model = fitted()
    back = WordQualityModel.from_dict(json.loads(json.dumps(model.to_dict())))
    texts = ["so you feel stuck", "you should stop"]
    assert np.allclose(back.predict_proba(texts), model.predict_proba(texts), atol=1e-5)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("idf"), "not a valid word MI-quality model"),
        (lambda d: d.update(coef=d["coef"][:-1]), "one of each per n-gram"),
        (lambda d: d.update(vocabulary=[d["vocabulary"][0]] * len(d["vocabulary"])), "repeats"),
        (lambda d: d.update(intercept=float("nan")), "non-finite"),
        (lambda d: d.update(calibration=[1.0]), "not a valid"),
    ],
)
def test_from_dict_refuses_broken_models(change, match):
    data = fitted().to_dict()
    change(data)
    with pytest.raises(InputError, match=match):
        WordQualityModel.from_dict(data)


def test_fit_refuses_bad_input():
    with pytest.raises(InputError, match="one class"):
        WordQualityModel(min_df=1).fit(GOOD, [1, 1, 1])
    with pytest.raises(InputError, match="2 labels for 3 texts"):
        WordQualityModel(min_df=1).fit(GOOD, [1, 0])
    with pytest.raises(InputError, match="one string"):
        WordQualityModel(min_df=1).fit("it sounds like", [1, 0])
    with pytest.warns(AttunementWarning, match="not calibrated"):
        model = WordQualityModel(min_df=1).fit(["alpha beta", "gamma delta", "eta zeta"], [1, 1, 0])
    assert model.calibration_ == (1.0, 0.0)
    with pytest.raises(NotFittedError):
        WordQualityModel().predict_proba(["x"])

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from attunement.coding.estimator import TextCoder
from attunement.errors import InputError

TEXTS = ["How are you?", "What happened then?", "You feel sad.", "You are worried about it.",
         "Tell me more about that.", "So you want to stop."] * 3  # fmt: skip
LABELS = ["question", "question", "reflection", "reflection", "other", "reflection"] * 3
CONTEXTS = ["I am sad.", "", "I lost my job.", "Maybe.", "", "I want to stop."] * 3


def test_init_only_stores_parameters():
    coder = TextCoder(C=0.5, max_char_features=10)
    assert coder.get_params()["C"] == 0.5
    assert not [k for k in vars(coder) if k.endswith("_")]
    assert clone(coder).get_params() == coder.get_params()


def test_fit_returns_self_and_learns_attributes_ending_in_underscore():
    coder = TextCoder()
    assert coder.fit(TEXTS, LABELS, CONTEXTS) is coder
    assert {"classes_", "vectorizers_", "classifier_"} <= set(vars(coder))
    assert coder.classes_.tolist() == ["other", "question", "reflection"]
    proba = coder.predict_proba(TEXTS, CONTEXTS)
    assert proba.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert coder.predict(["How are you?"]).tolist() == ["question"]


def test_unfitted_gives_a_clear_error():
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        TextCoder().predict(["Hello"])


def test_empty_input_gives_empty_output():
    coder = TextCoder().fit(TEXTS, LABELS)
    assert coder.predict_proba([]).shape == (0, 3)
    assert coder.predict([]).shape == (0,)


@pytest.mark.parametrize(
    ("texts", "labels", "contexts", "match"),
    [
        (TEXTS, LABELS[:-1], None, "labels; expected 18"),
        (TEXTS, ["a"] * 18, None, "fewer than two distinct labels"),
        (TEXTS, LABELS, ["x"], "has 1 items; expected 18"),
        ("one text", ["a"], None, "expected a sequence of texts"),
    ],
)
def test_bad_fit_input(texts, labels, contexts, match):
    with pytest.raises(InputError, match=match):
        TextCoder().fit(texts, labels, contexts)


def test_every_block_off_is_an_error():
    off = TextCoder(max_word_features=0, max_char_features=0, max_context_features=0)
    with pytest.raises(InputError, match="every feature block is switched off"):
        off.fit(TEXTS, LABELS)


def test_no_context_anywhere_still_fits():
    coder = TextCoder().fit(TEXTS, LABELS)
    assert coder.predict_proba(TEXTS, CONTEXTS).shape == (18, 3)


@pytest.mark.parametrize("labels", [LABELS, ["a", "b"] * 9])
def test_arrays_round_trip_is_exact(labels):
    coder = TextCoder().fit(TEXTS, labels, CONTEXTS)
    meta, arrays = coder.to_arrays()
    again = TextCoder.from_arrays(meta, arrays)
    np.testing.assert_array_equal(
        again.predict_proba(TEXTS, CONTEXTS), coder.predict_proba(TEXTS, CONTEXTS)
    )
    assert again.get_params() == coder.get_params()


def test_from_arrays_rejects_mismatched_arrays():
    meta, arrays = TextCoder().fit(TEXTS, LABELS).to_arrays()
    with pytest.raises(InputError, match="coefficients have shape"):
        TextCoder.from_arrays(meta, {**arrays, "coef": arrays["coef"][:, :-1]})
    with pytest.raises(InputError, match="terms but"):
        TextCoder.from_arrays(meta, {**arrays, "word_idf": arrays["word_idf"][:-1]})
    with pytest.raises(InputError, match="not a valid coder artifact"):
        TextCoder.from_arrays(meta, {k: v for k, v in arrays.items() if k != "coef"})

import inspect
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from attunement.errors import AttunementWarning, InputError
from attunement.language import affect
from attunement.language.affect import (
    affect_alignment,
    affect_alignment_method,
    turn_valence,
    valence,
)

POSITIVE = [
    "I feel wonderful today.",
    "That is great news!",
    "I am so happy and grateful.",
    "It was a lovely, peaceful weekend.",
    "Thank you, that really helps.",
]
NEGATIVE = [
    "I feel awful.",
    "Everything is terrible and I hate it.",
    "I am so sad and lonely.",
    "It was a horrible, painful week.",
    "Nothing helps, I am miserable.",
]
NEUTRAL = ["We met on Tuesday.", "The office is on the second floor.", "I took the bus."]


def frame(texts, roles=None):
    roles = roles or (["therapist", "client"] * len(texts))[: len(texts)]
    return pd.DataFrame({"role": roles, "text": texts})


def test_valence_is_vader_compound():
    vader = SentimentIntensityAnalyzer()
    for text in POSITIVE + NEGATIVE + NEUTRAL:
        assert valence(text) == vader.polarity_scores(text)["compound"]
    assert valence("I feel awful.") == -0.4588
    assert valence("We met on Tuesday.") == 0.0


def test_valence_by_sentence_averages():
    text = "I feel awful. But today was good!"
    parts = [valence("I feel awful."), valence("But today was good!")]
    assert valence(text) == pytest.approx(np.mean(parts))
    whole = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    assert valence(text, by_sentence=False) == whole


def test_long_turns_do_not_saturate_by_sentence():
    text = " ".join(["It was good."] * 20)
    assert valence(text) == pytest.approx(valence("It was good."))
    assert valence(text, by_sentence=False) > 0.99


@pytest.mark.parametrize("text", ["", "   ", "[laughs]", "...", None, float("nan"), pd.NA])
def test_valence_of_no_words_is_nan(text):
    assert math.isnan(valence(text))


def test_analyzer_is_built_once():
    assert affect._analyzer() is affect._analyzer()


def test_turn_valence_keeps_index_and_warns_on_empty():
    t = frame(["I feel awful.", "", "That is great news!"])
    t.index = [5, 6, 7]
    with pytest.warns(AttunementWarning, match="1 of 3 turns have no words"):
        v = turn_valence(t)
    assert v.name == "valence" and v.index.tolist() == [5, 6, 7]
    assert v[5] == -0.4588 and math.isnan(v[6]) and v[7] > 0.5


def _conversation(n_pairs, seed, *, aligned):
    """The client echoes the therapist's tone when ``aligned``; otherwise picks at random."""
    rng = np.random.default_rng(seed)
    pools = (POSITIVE, NEGATIVE, NEUTRAL)
    texts = []
    tone = int(rng.integers(3))
    for _ in range(n_pairs):
        if rng.random() < 0.5:  # the mood shifts now and then and carries over
            tone = int(rng.integers(3))
        client_tone = tone if aligned else int(rng.integers(3))
        texts.append(rng.choice(pools[tone]))
        texts.append(rng.choice(pools[client_tone]))
    return frame(texts)


def test_alignment_detected():
    result = affect_alignment(_conversation(40, 1, aligned=True), n_surrogates=500)
    assert result.r > 0.5
    # 40 client turns allow 33 rotations (at least 4 turns: 2 beyond the largest lag, 2):
    # each is used once, and the observed figure beats them all
    assert result["n_surrogates"] == 33
    assert result["p_value"] == pytest.approx(1 / 34)
    assert result.chance.effect_size > 3
    assert result.summary.columns.tolist() == [
        "r",
        "surrogate_mean",
        "surrogate_sd",
        "effect_size",
        "p_value",
        "n_surrogates",
        "n_pairs",
    ]
    assert result["n_pairs"] == result.table.loc[0, "n_pairs"] == 79
    assert result.method == affect_alignment_method(n_surrogates=500)
    t = result.table
    assert t["lag_turns"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert t.loc[1, "r"] > 0.8  # therapist -> client: the client echoes the tone
    assert t.loc[2, "r"] > 0.2  # client -> therapist: the mood carries over
    # the mood carries over, so alignment decays with the lag but stays positive
    assert t.loc[3, "r"] < t.loc[0, "r"]


def test_alignment_known_answer():
    t = _conversation(20, 2, aligned=True)
    result = affect_alignment(t, n_surrogates=0, max_lag_turns=0)
    v = turn_valence(t).to_numpy()
    z = np.empty_like(v)
    for role in ("therapist", "client"):
        m = t["role"].to_numpy() == role
        z[m] = (v[m] - v[m].mean()) / v[m].std(ddof=1)
    assert result.r == pytest.approx(np.corrcoef(z[:-1], z[1:])[0, 1], abs=1e-12)
    client_to_therapist = result.table.set_index("direction").loc["client_to_therapist", "r"]
    assert client_to_therapist == pytest.approx(np.corrcoef(v[1:-1:2], v[2::2])[0, 1])
    np.testing.assert_allclose(result.pairs["first_value"], v[:-1])
    np.testing.assert_allclose(result.pairs["second_value"], v[1:])


def test_p_values_uniform_without_alignment():
    p = [
        affect_alignment(
            _conversation(15, seed, aligned=False), n_surrogates=99, seed=seed, max_lag_turns=0
        ).table.loc[2, "p_value"]  # client -> therapist: the therapist's tone is independent
        for seed in range(80)
    ]
    p = [x for x in p if np.isfinite(x)]
    assert len(p) > 60
    assert stats.kstest(p, "uniform").pvalue > 0.001


def test_seeded():
    t = _conversation(12, 4, aligned=True)
    a = affect_alignment(t, n_surrogates=100, seed=3)
    b = affect_alignment(t, n_surrogates=100, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.parameters["max_lag_turns"] == 2


def test_one_speaker_only():
    with pytest.warns(AttunementWarning, match="needs turns by both therapist and client"):
        result = affect_alignment(frame(POSITIVE, ["client"] * 5), n_surrogates=10)
    assert np.isnan(result.r)


def test_empty_turns_are_left_out():
    texts = list(_conversation(10, 5, aligned=True)["text"])
    texts[3] = ""
    with pytest.warns(AttunementWarning, match="1 of 20 turns have no words"):
        result = affect_alignment(frame(texts), n_surrogates=10, max_lag_turns=0)
    assert result.table.loc[0, "n_pairs"] == 17


def test_too_short_is_nan_with_warning():
    with pytest.warns(AttunementWarning) as caught:
        result = affect_alignment(frame(["I feel awful.", "That is great news!"]), n_surrogates=5)
    messages = " | ".join(str(w.message) for w in caught)
    assert "'therapist': only 1 of their turns has a value" in messages
    assert "too few turn pairs" in messages
    assert np.isnan(result.r)


def test_warnings_point_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        affect_alignment(frame(["", "Great!"]), n_surrogates=5)
    assert caught and all(w.filename == __file__ for w in caught)


@pytest.mark.parametrize(
    ("turns", "options", "message"),
    [
        (frame(POSITIVE).drop(columns="text"), {}, "lacks column.*text"),
        (frame(POSITIVE).drop(columns="role"), {}, "lacks column.*role"),
        ("I feel awful.", {}, "is a str; expected a pandas DataFrame"),
        (frame(POSITIVE), {"max_lag_turns": -1}, "max_lag_turns"),
        (frame(POSITIVE), {"n_surrogates": "many"}, "n_surrogates"),
        (frame(POSITIVE), {"min_pairs": 0}, "min_pairs"),
    ],
)
def test_bad_input(turns, options, message):
    with pytest.raises(InputError, match=message):
        affect_alignment(turns, **options)


def test_turn_valence_bad_input():
    with pytest.raises(InputError, match=r"lacks column.*text"):
        turn_valence(pd.DataFrame({"role": ["client"]}))


@settings(max_examples=100)
@given(st.text(max_size=200))
def test_any_text_gives_a_valence_in_range(text):
    v = valence(text)
    assert math.isnan(v) or -1.0 <= v <= 1.0


def test_method():
    m = affect_alignment_method()
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert "Hutto" in m["citation"] and "VADER" in m["citation"]


def test_method_is_written_from_the_parameters_that_ran():
    m = affect_alignment_method(
        max_lag_turns=3, n_surrogates=50, seed=4, min_pairs=6, by_sentence=False
    )
    assert m["parameters"] == {
        "by_sentence": False,
        "max_lag_turns": 3,
        "n_surrogates": 50,
        "seed": 4,
        "min_pairs": 6,
    }
    text = m["description"]
    assert "score of the whole turn" in text and "up to 3 exchanges later" in text
    assert "50 rotations" in text and "(random seed 4)" in text and "fewer than 6 pairs" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    assert "later" not in affect_alignment_method(max_lag_turns=0)["description"]


def test_method_has_the_options_of_affect_alignment():
    measure = inspect.signature(affect_alignment).parameters
    for name, p in inspect.signature(affect_alignment_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name

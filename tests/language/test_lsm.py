import inspect
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.language.function_words import CATEGORIES
from attunement.language.lsm import (
    BOTH_ABSENT,
    EPSILON,
    LSMResult,
    TurnLSMResult,
    lsm,
    lsm_method,
    session_lsm,
    turn_lsm,
    turn_lsm_test,
)
from attunement.language.turns import turns as make_turns


def score(p1, p2):
    """Ireland & Pennebaker's formula, for percentages."""
    return 1 - abs(p1 - p2) / (p1 + p2 + 0.0001)


def value(a, b):
    """The figure of :func:`lsm`."""
    return lsm(a, b).lsm


def category_scores(a, b):
    """Each category's score and their mean (``lsm``), from :func:`lsm`'s table."""
    res = lsm(a, b)
    return {**dict(zip(res.table["category"], res.table["lsm"], strict=True)), "lsm": res.lsm}


def pairs(*args, **kwargs):
    """The per-pair table of :func:`turn_lsm`."""
    return turn_lsm(*args, **kwargs).table


def chance(*args, **kwargs):
    """:func:`turn_lsm_test` as a SurrogateSummary."""
    return turn_lsm_test(*args, **kwargs).chance


def frame(texts, roles=None):
    roles = roles or (["therapist", "client"] * len(texts))[: len(texts)]
    return pd.DataFrame({"role": roles, "text": texts})


def test_known_answer_two_texts():
    a = "The cat, the dog"  # 4 words: articles 2 (50%)
    b = "I saw a cat"  # 4 words: articles 1 (25%), personal pronouns 1 (25%)
    expected = {c: 1.0 for c in CATEGORIES}  # neither uses the others: 1 - 0 / 0.0001
    expected["articles"] = score(50, 25)
    expected["personal_pronouns"] = score(0, 25)
    scores = category_scores(a, b)
    for c in CATEGORIES:
        assert scores[c] == pytest.approx(expected[c], abs=1e-12)
    assert scores["lsm"] == pytest.approx(np.mean(list(expected.values())), abs=1e-12)
    assert value(a, b) == pytest.approx(scores["lsm"], abs=1e-12)


def test_known_answer_longer_texts():
    a = "I think we should go to the park because it is sunny and I am not tired"
    # 17 words. ppron: i, we, i = 3; ipron: it = 1; article: the = 1; aux: should, is, am = 3;
    # adverbs: 0; prepositions: to = 1; conjunctions: because, and = 2; negations: not = 1;
    # quantifiers: 0
    b = "You never listen to me and you always interrupt so I stopped talking"
    # 13 words. ppron: you, me, you, i = 4; ipron 0; article 0; aux 0; adverbs: never, always,
    # so = 3; prepositions: to = 1; conjunctions: and, so = 2; negations: never = 1;
    # quantifiers: 0
    counts_a = [3, 1, 1, 3, 0, 1, 2, 1, 0]
    counts_b = [4, 0, 0, 0, 3, 1, 2, 1, 0]
    expected = [score(100 * x / 17, 100 * y / 13) for x, y in zip(counts_a, counts_b, strict=True)]
    scores = category_scores(a, b)
    np.testing.assert_allclose([scores[c] for c in CATEGORIES], expected, atol=1e-12)
    assert value(a, b) == pytest.approx(np.mean(expected), abs=1e-12)


def test_constant_assumes_percentages():
    """With rates in percent the constant is negligible: one word of 10 against one of 20."""
    assert EPSILON == 0.0001
    s = category_scores("the " + "x " * 9, "the " + "x " * 19)["articles"]
    assert s == pytest.approx(1 - 5 / 15, abs=1e-5)
    assert s == pytest.approx(score(10, 5), abs=1e-12)


def test_identical_texts_match_perfectly():
    text = "I wonder whether you might feel a bit more hopeful about it now."
    assert value(text, text) == pytest.approx(1.0, abs=1e-12)
    assert value(text, text.upper()) == pytest.approx(1.0, abs=1e-12)


def test_no_function_words_at_all_is_one():
    assert value("Dogs bark", "Cats purr loudly") == 1.0


@pytest.mark.parametrize(("a", "b"), [("", "I am here"), ("I am here", "  "), ("", "")])
def test_empty_text_is_nan_with_warning(a, b):
    with pytest.warns(AttunementWarning, match="has no words; language style matching is NaN"):
        assert math.isnan(value(a, b))
    with pytest.warns(AttunementWarning):
        assert all(math.isnan(v) for v in category_scores(a, b).values())


@pytest.mark.parametrize(("a", "b"), [(None, "x"), ("x", 3), (["x"], "y")])
def test_non_text_is_refused(a, b):
    with pytest.raises(InputError, match="expected a text"):
        value(a, b)


@settings(max_examples=150)
@given(st.text(max_size=120), st.text(max_size=120))
def test_symmetric_and_bounded(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        x, y = value(a, b), value(b, a)
    if math.isnan(x):
        assert math.isnan(y)
    else:
        assert x == pytest.approx(y, abs=1e-12)
        assert 0.0 <= x <= 1.0


TURNS = frame(
    [
        "The cat, the dog",  # 0 T
        "I saw a cat",  # 1 C
        "Did you?",  # 2 T: aux 1, ppron 1
        "[laughs]",  # 3 C: no words
        "So what happened next",  # 4 T
    ]
)


def test_session_lsm_pools_all_words():
    therapist = "The cat, the dog Did you? So what happened next"
    client = "I saw a cat"
    assert session_lsm(TURNS).lsm == pytest.approx(value(therapist, client), abs=1e-12)


def test_session_lsm_from_utterances_equals_from_turns():
    utterances = pd.DataFrame(
        {
            "speaker": ["T", "T", "C", "T", "C"],
            "role": ["therapist", "therapist", "client", "therapist", "client"],
            "start_s": np.nan,
            "end_s": np.nan,
            "text": ["I hear you.", "It is hard.", "It is.", "And now?", "Now I am not sure."],
        }
    )
    assert session_lsm(utterances).lsm == pytest.approx(session_lsm(make_turns(utterances)).lsm)


def test_session_lsm_one_speaker_only():
    with pytest.warns(AttunementWarning, match="the client has no words"):
        res = session_lsm(frame(["Hello there", "And you"], ["therapist"] * 2))
    assert math.isnan(res.lsm) and res["n_words_b"] == 0 and res["n_words_a"] == 4


def test_turn_lsm_pairs_and_known_values():
    with pytest.warns(AttunementWarning, match="2 of 4 turn pairs have a turn with fewer than 1"):
        out = pairs(TURNS)
    assert out["first_turn"].tolist() == [0, 1, 2, 3]
    assert out["second_turn"].tolist() == [1, 2, 3, 4]
    assert out["direction"].tolist() == ["therapist_to_client", "client_to_therapist"] * 2
    assert out["n_words_first"].tolist() == [4, 4, 2, 0]
    assert out["lsm"][0] == pytest.approx(value("The cat, the dog", "I saw a cat"), abs=1e-12)
    assert out["lsm"][1] == pytest.approx(value("I saw a cat", "Did you?"), abs=1e-12)
    assert out["lsm"][2:].isna().all()
    assert out.loc[0, "lsm_articles"] == pytest.approx(score(50, 25))
    assert list(out.columns[:6]) == [
        "first_turn",
        "second_turn",
        "direction",
        "n_words_first",
        "n_words_second",
        "lsm",
    ]
    assert list(out.columns[6:]) == [f"lsm_{c}" for c in CATEGORIES]


def test_turn_lsm_min_words():
    with pytest.warns(AttunementWarning, match="3 of 4 turn pairs .* fewer than 3 word"):
        out = pairs(TURNS, min_words=3)
    assert out["lsm"].notna().tolist() == [True, False, False, False]


def test_turn_lsm_both_absent_skip():
    t = frame(["The dog", "A cat"])  # only articles used, 50% each
    assert pairs(t)["lsm"][0] == pytest.approx(1.0)
    assert pairs(t, both_absent="skip")["lsm"][0] == pytest.approx(1.0)
    t = frame(["The dog", "I ran"])  # articles 50/0, personal pronouns 0/50
    match = pairs(t)["lsm"][0]
    skip = pairs(t, both_absent="skip")
    assert match == pytest.approx((score(50, 0) + score(0, 50) + 7) / 9)
    assert skip["lsm"][0] == pytest.approx((score(50, 0) + score(0, 50)) / 2)
    assert skip["lsm_adverbs"].isna().all()
    t = frame(["Dogs bark", "Cats purr"])  # no function word at all
    assert pairs(t, both_absent="skip")["lsm"].isna().all()


def test_turn_lsm_skips_other_turns_and_keeps_index():
    t = frame(["I see", "Hello all", "You are late"], ["therapist", "other", "client"])
    t.index = [10, 11, 12]
    out = pairs(t)
    assert out[["first_turn", "second_turn"]].values.tolist() == [[10, 12]]


def test_turn_lsm_one_speaker_and_empty():
    assert pairs(frame(["I see", "Yes"], ["client", "client"])).empty
    assert pairs(frame([])).empty


def test_turn_lsm_test_known_observed():
    t = frame(
        ["I think I know", "I think so too", "The cat and the dog", "The bird and the fish"] * 3
    )
    s = chance(t, n_surrogates=200)
    assert s.observed == pytest.approx(pairs(t)["lsm"].mean(), abs=1e-12)
    assert s.n_surrogates == 3  # 6 client turns: the rotations by 2, 3 and 4 turns, each once


def _styled_conversation(n_pairs, seed, matched):
    """Each exchange has its own style, which the client copies only when ``matched``."""
    styles = [
        "I feel that I am not sure what I want",
        "The problem is the job and the boss",
        "We could maybe try it again later",
        "Because of all of that, nothing helps",
        "You said you would do it for them",
    ]
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n_pairs):
        therapist = rng.integers(len(styles))
        client = therapist if matched else rng.integers(len(styles))
        texts += [styles[therapist], styles[client]]
    return frame(texts)


def test_turn_lsm_test_detects_turn_by_turn_matching():
    s = chance(_styled_conversation(30, 0, matched=True), n_surrogates=300, seed=1)
    assert s.n_surrogates == 27  # every rotation of 30 client turns by 2 to 28 turns
    assert s.p_value == pytest.approx(1 / 28) and s.effect_size > 2


def test_turn_lsm_test_p_values_uniform_when_unmatched():
    from scipy import stats

    p = [
        chance(_styled_conversation(15, seed, matched=False), n_surrogates=99, seed=seed)
        for seed in range(100)
    ]
    assert stats.kstest([s.p_value for s in p], "uniform").pvalue > 0.001


def test_turn_lsm_test_reproducible():
    t = _styled_conversation(150, 3, matched=False)  # more rotations than surrogates: drawn
    a = chance(t, n_surrogates=100, seed=5)
    assert a == chance(t, n_surrogates=100, seed=5)
    assert a != chance(t, n_surrogates=100, seed=6)


def test_turn_lsm_test_without_pairs_is_nan():
    with pytest.warns(AttunementWarning, match="no therapist/client turn pair"):
        s = chance(frame(["I see", "Yes"], ["client", "client"]), n_surrogates=10)
    assert math.isnan(s.observed) and math.isnan(s.p_value)


def test_turn_lsm_test_without_surrogates():
    s = chance(frame(["I see", "You do"]), n_surrogates=0)
    assert s.n_surrogates == 0 and math.isnan(s.p_value) and np.isfinite(s.observed)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: turn_lsm(TURNS, both_absent="ignore"), "both_absent: is 'ignore'; expected"),
        (lambda: turn_lsm(TURNS, min_words=0), "min_words: is 0"),
        (lambda: turn_lsm(TURNS, min_words=1.5), "min_words"),
        (lambda: turn_lsm(TURNS.drop(columns="text")), "lacks column.*text"),
        (lambda: session_lsm(TURNS.drop(columns="role")), "lacks column.*role"),
        (lambda: session_lsm("I am here"), "is a str; expected a pandas DataFrame"),
        (lambda: turn_lsm_test(TURNS, n_surrogates=-5), "n_surrogates"),
        (lambda: turn_lsm_test(TURNS, seed=1.5), "seed"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_text_column_with_missing_values():
    t = frame(["I see it", None, "You do"], ["therapist", "client", "therapist"])
    with pytest.warns(AttunementWarning, match="2 of 2 turn pairs"):
        assert pairs(t)["lsm"].isna().all()


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
@pytest.mark.parametrize("dtype", [object, "string"])
def test_missing_text_is_no_words_in_any_dtype(missing, dtype):
    t = frame(
        pd.array(["I see it", missing, "You do"], dtype=dtype), ["therapist", "client", "therapist"]
    )
    with pytest.warns(AttunementWarning, match="2 of 2 turn pairs"):
        assert pairs(t)["lsm"].isna().all()


def test_registry_and_method():
    assert set(BOTH_ABSENT) == {"match", "skip"}
    m = lsm_method()
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert "0.0001" in m["description"]


def test_method_is_written_from_the_parameters_that_ran():
    m = lsm_method(min_words=3, both_absent="skip", n_surrogates=50, seed=2)
    assert m["parameters"] == {"min_words": 3, "both_absent": "skip", "n_surrogates": 50, "seed": 2}
    text = m["description"]
    assert "fewer than 3 words" in text and BOTH_ABSENT["skip"] in text
    assert "50 rotations" in text and "(random seed 2)" in text
    assert f"the {len(CATEGORIES)} categories" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    with pytest.raises(InputError, match="both_absent"):
        lsm_method(both_absent="ignore")


def test_method_has_the_options_of_turn_lsm_test():
    measure = inspect.signature(turn_lsm_test).parameters
    for name, p in inspect.signature(lsm_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name


# -- the result shape ----------------------------------------------------------------------------


def test_lsm_result_table_summary_and_method():
    res = lsm("The cat, the dog", "I saw a cat")
    assert isinstance(res, LSMResult)
    assert res.table.columns.tolist() == ["category", "percent_a", "percent_b", "lsm"]
    assert res.table["category"].tolist() == list(CATEGORIES)
    articles = res.table.set_index("category").loc["articles"]
    assert (articles["percent_a"], articles["percent_b"]) == (50.0, 25.0)
    assert res.summary.columns.tolist() == ["lsm", "n_words_a", "n_words_b"]
    assert res["lsm"] == res.lsm == pytest.approx(res.table["lsm"].mean())
    assert res.method["name"] == "language_style_matching"
    assert "two texts" in res.method["description"] and "0.0001" in res.method["description"]


def test_session_lsm_result_names_the_people():
    res = session_lsm(TURNS)
    assert isinstance(res, LSMResult)
    assert (res["n_words_a"], res["n_words_b"]) == (10, 4)  # therapist, client
    assert "whole session" in res.method["description"]


def test_turn_results_share_a_shape():
    t = _styled_conversation(20, 1, matched=True)
    plain, tested = turn_lsm(t), turn_lsm_test(t, n_surrogates=50, seed=3)
    assert isinstance(plain, TurnLSMResult) and isinstance(tested, TurnLSMResult)
    pd.testing.assert_frame_equal(plain.table, tested.table)
    columns = [
        "observed",
        "surrogate_mean",
        "surrogate_sd",
        "effect_size",
        "p_value",
        "n_surrogates",
        "n_pairs",
        "n_defined",
    ]
    assert plain.summary.columns.tolist() == tested.summary.columns.tolist() == columns
    assert plain["n_surrogates"] == 0 and math.isnan(plain["p_value"])
    assert plain["observed"] == pytest.approx(tested["observed"], abs=1e-12)
    assert tested["n_pairs"] == len(tested.table) == 39
    assert tested.method == lsm_method(n_surrogates=50, seed=3)
    assert "chance" not in plain.method["description"]
    assert plain.method["parameters"] == {"level": "turns", "min_words": 1, "both_absent": "match"}

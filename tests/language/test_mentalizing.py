"""Tests for attunement.language.mentalizing: the open mental-state lexicon and its trajectory."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from attunement.errors import InputError
from attunement.language.function_words import tokenize
from attunement.language.mentalizing import (
    CAUSAL_MARKERS,
    KINDS,
    MENTAL_STATES,
    METHOD,
    MIN_TURNS,
    OPACITY_MARKERS,
    mental_state_counts,
    turn_mentalizing,
)


def test_each_word_is_of_one_kind_and_a_single_lower_case_token():
    for a, b in itertools.combinations(KINDS, 2):
        assert not MENTAL_STATES[a] & MENTAL_STATES[b], (a, b)
    for words in MENTAL_STATES.values():
        for w in words:
            assert tokenize(w) == [w], w
    for phrase in CAUSAL_MARKERS + OPACITY_MARKERS:
        assert tokenize(phrase) == phrase.split(), phrase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I think so.", {"thoughts": 1, "self_states": 1}),
        ("She was furious and ashamed.", {"feelings": 2, "other_states": 2}),
        ("I want him to hope.", {"wishes": 2, "self_states": 1, "other_states": 1}),
        ("They never trusted me.", {"beliefs": 1, "other_states": 1}),
        ("The weather was fine.", {"mental_states": 0}),
        ("It was, you know, fine.", {"thoughts": 0}),  # the filler is not a thought
        ("I KNOW what I Want", {"thoughts": 1, "wishes": 1}),
    ],
)
def test_kinds_and_whose(text, expected):
    counts = mental_state_counts(text)
    for key, value in expected.items():
        assert counts[key] == value, (text, key, counts)


def test_a_causal_link_needs_a_mental_state_in_the_same_sentence():
    linked = mental_state_counts("I get angry because I think she does not listen.")
    assert linked["causal_links"] == 1
    apart = mental_state_counts("I get angry. It rained because of the storm.")
    assert apart["causal_links"] == 0
    phrase = mental_state_counts("That's why I felt so alone; it makes me sad.")
    assert phrase["causal_links"] == 2  # one marker in each sentence with a state


def test_opacity_is_counted_but_not_a_mental_state():
    c = mental_state_counts("Maybe, I'm not sure. I wonder.")
    assert c["opacity"] == 3
    assert c["mental_states"] == 1  # 'wonder'


def test_counts_add_up_and_empty_text_counts_nothing():
    c = mental_state_counts("I feel hurt, I want out, I believe her, I remember it.")
    assert c["mental_states"] == sum(c[k] for k in KINDS) == 5
    assert mental_state_counts("")["n_words"] == 0
    assert mental_state_counts("[laughs]")["mental_states"] == 0


def _turns(texts, roles=None):
    roles = roles or ["client"] * len(texts)
    return pd.DataFrame(
        {
            "turn": range(len(texts)),
            "role": roles,
            "start_s": np.arange(len(texts)) * 10.0,
            "text": texts,
        }
    )


def test_turn_table_rates_and_session_figures():
    t = _turns(
        ["How are you?", "I feel sad because she left.", "", "Fine."],
        roles=["therapist", "client", "client", "client"],
    )
    res = turn_mentalizing(t)
    assert res.table["turn"].tolist() == [1, 2, 3]
    assert res.table["position"].tolist() == [0.0, 0.5, 1.0]
    first = res.table.iloc[0]
    assert (first["n_words"], first["feelings"], first["causal_links"]) == (6, 2, 1)
    assert first["mental_state_rate"] == pytest.approx(100 * 2 / 6)
    assert np.isnan(res.table.iloc[1]["mental_state_rate"])  # no words: undefined, not 0
    assert res["mentalizing_rate"] == pytest.approx(100 * 2 / 7)
    assert res["causal_mentalizing_rate"] == pytest.approx(100 / 7)
    assert res["self_share"] == 1.0
    assert np.isnan(res["mentalizing_slope"])  # fewer than MIN_TURNS turns
    assert res.method is METHOD and res.method.citation.startswith("Fertuck")


def test_the_slope_follows_a_rise_over_the_session():
    plain, mental = "We went to the shop today.", "I felt so scared."
    rising = [plain] * 8 + [mental] * 8
    res = turn_mentalizing(_turns(rising))
    assert res["mentalizing_slope"] > 50
    falling = turn_mentalizing(_turns(rising[::-1]))
    assert falling["mentalizing_slope"] == pytest.approx(-res["mentalizing_slope"])
    flat = turn_mentalizing(_turns([mental] * MIN_TURNS))
    assert flat["mentalizing_slope"] == pytest.approx(0.0)
    few = turn_mentalizing(_turns([mental] * (MIN_TURNS - 1)))
    assert np.isnan(few["mentalizing_slope"])


def test_no_client_words_gives_nan_not_zero():
    res = turn_mentalizing(_turns(["Hello."], roles=["therapist"]))
    assert res["n_turns"] == 0 and res.table.empty
    assert np.isnan(res["mentalizing_rate"]) and np.isnan(res["self_share"])


def test_the_therapist_s_turns_on_request():
    t = _turns(["I wonder how you felt.", "Okay."], roles=["therapist", "client"])
    assert turn_mentalizing(t, role="therapist")["n_turns"] == 1


@pytest.mark.parametrize(
    ("turns", "kwargs", "match"),
    [
        ([1, 2], {}, "expected a DataFrame"),
        (pd.DataFrame({"role": ["client"]}), {}, "no column text"),
        (_turns(["Hi."]), {"role": "other"}, "expected 'client' or 'therapist'"),
    ],
)
def test_bad_input_is_refused(turns, kwargs, match):
    with pytest.raises(InputError, match=match):
        turn_mentalizing(turns, **kwargs)

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.language.function_words import (
    CATEGORIES,
    FUNCTION_WORDS,
    METHOD,
    category_counts,
    rates,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I DON’T know", ["i", "don't", "know"]),
        ("it‘s ʼcause you`re", ["it's", "cause", "you're"]),
        ("well-being, self-esteem", ["well-being", "self-esteem"]),
        ("so -- um... yeah", ["so", "um", "yeah"]),
        ("[laughs] okay [inaudible 00:12] fine", ["okay", "fine"]),
        ("2 times, 10pm", ["2", "times", "10pm"]),
        ("snake_case", ["snake", "case"]),
        ("Café naïve", ["café", "naïve"]),
        ("", []),
        ("   \n\t", []),
        ("?!...", []),
        ("'quoted' words'", ["quoted", "words"]),
    ],
)
def test_tokenize(text, words):
    assert tokenize(text) == words


def test_categories_are_the_nine():
    assert len(CATEGORIES) == 9
    assert tuple(FUNCTION_WORDS) == CATEGORIES


@pytest.mark.parametrize("category", CATEGORIES)
def test_lists_are_whole_lower_case_words_that_tokenize_to_themselves(category):
    for word in FUNCTION_WORDS[category]:
        assert word == word.casefold()
        assert "*" not in word and " " not in word and "’" not in word
        assert tokenize(word) == [word], word


@pytest.mark.parametrize(
    ("word", "categories"),
    [
        ("don't", {"auxiliary_verbs", "negations"}),
        ("dont", {"auxiliary_verbs", "negations"}),
        ("can't", {"auxiliary_verbs", "negations"}),
        ("i'm", {"personal_pronouns", "auxiliary_verbs"}),
        ("they've", {"personal_pronouns", "auxiliary_verbs"}),
        ("it's", {"impersonal_pronouns", "auxiliary_verbs"}),
        ("that's", {"impersonal_pronouns", "auxiliary_verbs"}),
        ("there's", {"adverbs", "auxiliary_verbs"}),
        ("nothing", {"impersonal_pronouns", "negations"}),
        ("none", {"negations", "quantifiers"}),
        ("so", {"adverbs", "conjunctions"}),
        ("since", {"prepositions", "conjunctions"}),
        ("the", {"articles"}),
        ("she", {"personal_pronouns"}),
        ("would", {"auxiliary_verbs"}),
        ("very", {"adverbs"}),
        ("without", {"prepositions"}),
        ("because", {"conjunctions"}),
        ("never", {"adverbs", "negations"}),
        ("many", {"quantifiers"}),
        ("its", {"impersonal_pronouns"}),  # the possessive, not "it is"
        ("well", set()),
        ("one", set()),
        ("therapy", set()),
    ],
)
def test_membership(word, categories):
    assert {c for c in CATEGORIES if word in FUNCTION_WORDS[c]} == categories


def test_hand_counted_sentence():
    text = "I don't think that the answer is in the book, and it's not my fault."
    # words: i don't think that the answer is in the book and it's not my fault -> 15
    counts, n = category_counts(text)
    assert n == 15
    expected = {
        "personal_pronouns": 2,  # i, my
        "impersonal_pronouns": 2,  # that, it's
        "articles": 2,  # the, the
        "auxiliary_verbs": 3,  # don't, is, it's
        "adverbs": 0,
        "prepositions": 1,  # in
        "conjunctions": 1,  # and
        "negations": 2,  # don't, not
        "quantifiers": 0,
    }
    assert dict(zip(CATEGORIES, counts.tolist(), strict=True)) == expected
    r = rates(text)
    assert r["auxiliary_verbs"] == pytest.approx(300 / 15)
    assert r["adverbs"] == 0.0


def test_curly_apostrophes_count_like_straight_ones():
    assert category_counts("I don’t")[0].tolist() == category_counts("I don't")[0].tolist()


def test_rates_of_empty_text_are_nan():
    assert all(math.isnan(v) for v in rates("").values())
    assert all(math.isnan(v) for v in rates("[laughs]").values())


def test_method():
    assert set(METHOD) == {"name", "description", "parameters", "citation"}
    assert "Ireland" in METHOD["citation"]
    assert "LIWC" in METHOD["description"]


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_any_text(text):
    words = tokenize(text)
    counts, n = category_counts(text)
    assert n == len(words)
    assert (counts >= 0).all() and (counts <= n).all()
    values = np.array(list(rates(text).values()))
    if n:
        assert ((values >= 0) & (values <= 100)).all()
    else:
        assert np.isnan(values).all()

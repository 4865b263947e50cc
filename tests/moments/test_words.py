"""Tests for attunement.moments.words: what the client said next."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attunement.language.function_words import tokenize
from attunement.moments.words import client_responses, first_person_present, word_measures


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("I feel stuck.", 1),
        ("I'm scared and I've tried.", 2),
        ("I just really want it.", 1),
        ("I was scared. I felt bad. I walked home. I would go.", 0),
        ("I don't know, I think.", 2),
        ("You feel stuck.", 0),
    ],
)
def test_first_person_present(text, n):
    assert first_person_present(tokenize(text)) == n


def frame():
    return pd.DataFrame(
        {
            "role": ["therapist", "client", "other", "client", "therapist", "therapist", "client"],
            "text": ["So?", "I feel", "(door)", "scared.", "Mm.", "And?", "Nothing."],
            "start_s": [0.0, 2.0, 3.0, 4.0, 7.0, 9.0, 12.0],
            "end_s": [1.0, 2.5, 3.5, np.nan, 8.0, 10.0, 13.0],
            "unit": pd.array([0, 1, pd.NA, 1, 2, 2, 3], dtype="Int64"),
            "client_talk": [None, "change", None, "change", None, None, "sustain"],
        }
    )


def test_a_response_runs_to_the_therapist_s_next_words():
    units = pd.DataFrame({"first_row": [0, 4], "last_row": [0, 5]})
    got = client_responses(frame(), units)
    first = got.iloc[0]
    assert first["text"] == "I feel scared."  # 'other' neither ends nor joins it
    assert (first["n_rows"], first["n_units"], first["n_change"]) == (2, 1, 1)
    assert (first["start_s"], first["end_s"]) == (2.0, 7.0)  # no end: the next start
    assert got.iloc[1]["text"] == "Nothing." and got.iloc[1]["n_change"] == 0


def test_no_reply_is_zero_words_and_undefined_rates():
    units = pd.DataFrame({"first_row": [4], "last_row": [4]})
    got = client_responses(frame(), units)
    assert got.iloc[0]["text"] == "" and np.isnan(got.iloc[0]["start_s"])
    measures = word_measures(got).iloc[0]
    assert measures["words"] == 0.0
    assert measures[["feeling_words", "first_person_present", "change_talk"]].isna().all()


def test_word_measures_per_100_words():
    r = pd.DataFrame(
        {"text": ["I'm sad, I want to be heard because I hurt."], "n_units": [2], "n_change": [1]}
    )
    m = word_measures(r).iloc[0]
    assert m["words"] == 10.0
    assert m["feeling_words"] == pytest.approx(20.0)  # sad, hurt
    assert m["first_person_present"] == pytest.approx(20.0)  # I'm, I want ('I hurt': past form)
    assert m["mentalizing"] == pytest.approx(30.0)  # sad, want, hurt
    assert m["change_talk"] == 0.5

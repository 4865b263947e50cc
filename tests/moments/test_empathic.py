"""Tests for attunement.moments.empathic: which therapist turns are empathic moments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attunement.errors import InputError
from attunement.moments.empathic import EMPATHY_LEVEL, METHOD, empathic_moments


def coded(**overrides):
    base = {
        "index": [10, 11, 12, 13, 14, 15],
        "role": ["therapist", "therapist", "client", "therapist", "client", "therapist"],
        "unit": [0, 0, 1, 2, 3, 4],
        "start_s": [0.0, 2.0, 5.0, 9.0, 12.0, 20.0],
        "end_s": [2.0, 4.0, 8.0, 11.0, 15.0, 22.0],
        "text": ["It sounds", "lonely.", "It is.", "Go on.", "Well.", "What else?"],
        "mi_behaviour": ["reflection", "reflection", None, "other", None, "question"],
        "reflection_type": ["complex", "complex", None, None, None, None],
        "p_reflection": [0.9, 0.9, np.nan, 0.1, np.nan, 0.05],
        "p_complex": [0.7, 0.7, np.nan, np.nan, np.nan, np.nan],
        "er_level": pd.array([2, 2, None, 0, None, 0], dtype="Int64"),
        "ip_level": pd.array([1, 1, None, 0, None, 0], dtype="Int64"),
        "ex_level": pd.array([0, 0, None, 0, None, 2], dtype="Int64"),
        "er_score": [1.8, 1.8, np.nan, 0.1, np.nan, 0.2],
        "ip_score": [1.0, 1.0, np.nan, 0.2, np.nan, 0.1],
        "ex_score": [0.1, 0.1, np.nan, 0.0, np.nan, 1.9],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_moments_are_coded_units_with_their_evidence():
    found = empathic_moments(coded())
    t = found.table
    assert t["unit"].tolist() == [0, 2, 4] and t["position"].tolist() == [0, 1, 2]
    assert t["is_moment"].tolist() == [True, False, True]
    first = t.iloc[0]
    assert first["text"] == "It sounds lonely."  # two caption cues, one turn
    assert (first["index"], first["first_row"], first["last_row"]) == (10, 0, 1)
    assert (first["start_s"], first["end_s"]) == (0.0, 4.0)
    assert first["reasons"] == (
        f"complex reflection (p 0.70); emotional reactions level {EMPATHY_LEVEL} (score 1.80)"
    )
    assert t.iloc[2]["reasons"] == "explorations level 2 (score 1.90)"
    assert t.iloc[1]["reasons"] == ""
    assert found.as_dict() == {
        "n_units": 3,
        "n_moments": 2,
        "n_complex_reflections": 1,
        "n_strong_emotional_reactions": 1,
        "n_strong_interpretations": 0,
        "n_strong_explorations": 1,
    }
    assert found.method is METHOD


def test_a_missing_end_is_the_next_start_and_said_so():
    t = empathic_moments(coded(end_s=[np.nan] * 6)).table
    assert t["end_s"].tolist()[:2] == [5.0, 12.0]
    assert t["end_estimated"].tolist()[:2] == [True, True]
    assert np.isnan(t["end_s"].iloc[2]) and not t["end_estimated"].iloc[2]


def test_untimed_and_without_epitome_columns():
    frame = coded(start_s=[np.nan] * 6, end_s=[np.nan] * 6).drop(
        columns=["er_level", "ip_level", "ex_level", "er_score", "ip_score", "ex_score"]
    )
    t = empathic_moments(frame).table
    assert t["is_moment"].tolist() == [True, False, False]  # complex reflections only
    assert t["start_s"].isna().all() and t["end_s"].isna().all()


def test_rows_not_coded_are_not_units():
    frame = coded(unit=pd.array([0, 0, 1, pd.NA, 3, 4], dtype="Int64"))
    assert empathic_moments(frame).table["unit"].tolist() == [0, 4]


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        ([1, 2], "expected a DataFrame"),
        (pd.DataFrame({"role": ["therapist"], "text": ["Hi"]}), "no column unit"),
    ],
)
def test_bad_input_is_refused(frame, match):
    with pytest.raises(InputError, match=match):
        empathic_moments(frame)

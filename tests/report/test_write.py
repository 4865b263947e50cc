"""Tests for attunement.report.write: the three output files, utterances.csv without formulas."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.errors import AttunementWarning
from attunement.model import Session, Utterance
from attunement.report.write import OUTPUT_FILES, write_outputs

EVIL = '=HYPERLINK("http://evil.example/","open")'


def test_utterances_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    session = Session(
        "s",
        (
            Utterance(0, "+Dr Lee", "therapist", 1.0, 4.0, EVIL),
            Utterance(1, "Sam", "client", 4.5, 7.0, "-1 is how I feel, @you"),
            Utterance(2, "+Dr Lee", "therapist", 8.0, 10.0, "You feel low."),
        ),
    )
    with pytest.warns(AttunementWarning, match="affect alignment"):
        results = analyze_session(session, AnalysisConfig(coder="ngram"))
    # a numeric column with negative numbers (the readers give none: times are never negative)
    frame = results.utterances.assign(shift_s=[-0.5, -1.0, 2.0])
    written = write_outputs(dataclasses.replace(results, utterances=frame), tmp_path / "o")
    assert sorted(written) == sorted(OUTPUT_FILES)
    lines = written["utterances.csv"].read_text().splitlines()
    assert lines[1].startswith("0,'+Dr Lee,therapist,1.0,4.0,\"'=HYPERLINK(")
    back = pd.read_csv(written["utterances.csv"])
    assert back["text"].tolist() == ["'" + EVIL, "'-1 is how I feel, @you", "You feel low."]
    assert [t.removeprefix("'") for t in back["text"]] == [u.text for u in session.utterances]
    assert back["speaker"].tolist() == ["'+Dr Lee", "Sam", "'+Dr Lee"]
    assert back["shift_s"].tolist() == [-0.5, -1.0, 2.0] and back["shift_s"].dtype == float
    assert back["start_s"].tolist() == [1.0, 4.5, 8.0]

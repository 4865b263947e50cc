"""The caption-fragments benchmark on a few AnnoMI transcripts (a command, not a timed test)."""

import math

import pandas as pd
import pytest
import typer.main

from attunement.benchmarks.fragments import (
    CONDITIONS,
    DEFAULT_TRANSCRIPTS,
    METRICS,
    cut_into_cues,
    run_fragments_benchmark,
)
from attunement.cli import app
from attunement.errors import InputError
from attunement.io.corpora import default_annomi_dir


def test_cut_into_cues():
    frame = pd.DataFrame(
        {
            "speaker": ["Therapist", "Client", "Client"],
            "role": ["therapist", "client", "client"],
            "text": ["So you want  to drink\nless.", "", "Yes."],
        }
    )
    cues = cut_into_cues(frame, 2)
    assert cues["text"].tolist() == ["So you", "want to", "drink less.", "", "Yes."]
    assert cues["source"].tolist() == [0, 0, 0, 1, 2]
    assert cues["speaker"].tolist() == ["Therapist"] * 3 + ["Client"] * 2
    with pytest.raises(InputError, match="expected at least 1 word per cue"):
        cut_into_cues(frame, 0)


def test_benchmark_table():
    table = run_fragments_benchmark(default_annomi_dir(), transcripts=2, seed=1)
    assert list(table.columns) == ["measure", *CONDITIONS, "reference", "note"]
    rows = table.set_index("measure")
    assert list(rows.index) == [
        "agreement therapist_behaviour",
        "agreement client_talk",
        *[f"abs_diff {m}" for m in METRICS],
    ]
    assert table.attrs["transcripts"] == 2 and table.attrs["of"] == 133
    assert table.attrs["rows"]["cues_alone"] > table.attrs["rows"]["reference"]
    assert table.attrs["units"]["cues_merged"] <= table.attrs["units"]["reference"]
    for task in ("therapist_behaviour", "client_talk"):
        row = rows.loc[f"agreement {task}"]
        assert row["reference"] == 1.0 and "rows that differ" in row["note"]
        assert 0 <= row["cues_alone"] < row["cues_merged"] <= 1
    for metric in METRICS:
        row = rows.loc[f"abs_diff {metric}"]
        assert all(v >= 0 or math.isnan(v) for v in row[list(CONDITIONS)])
    # merged cues are coded as the merged utterances they were cut from
    diffs = rows.loc[[f"abs_diff {m}" for m in METRICS]]
    pd.testing.assert_series_equal(
        diffs["cues_merged"], diffs["utterances_merged"], check_names=False
    )


def test_cues_longer_than_every_utterance_are_the_utterances():
    table = run_fragments_benchmark(
        default_annomi_dir(), words=10_000, transcripts=1, coder="ngram"
    ).set_index("measure")
    assert (table["cues_alone"] == [1.0, 1.0, *[0.0] * len(METRICS)]).all()
    pd.testing.assert_series_equal(
        table["cues_merged"], table["utterances_merged"], check_names=False
    )


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"words": 0}, "expected at least 1 word per cue"),
        ({"transcripts": -1}, "expected a positive number"),
    ],
)
def test_bad_options(options, match):
    with pytest.raises(InputError, match=match):
        run_fragments_benchmark(default_annomi_dir(), **options)


def test_a_missing_corpus_is_named(tmp_path):
    with pytest.raises(InputError, match=r"AnnoMI-simple\.csv: was not found"):
        run_fragments_benchmark(tmp_path, transcripts=1)


def test_the_command(run_cli, tmp_path):
    code, out, err = run_cli("benchmark", "fragments", "--transcripts", "1", "--words", "5")
    assert code == 0, err
    assert "caption fragments: 1 of 133 AnnoMI transcripts (seed 0), cues of 5 words" in out
    assert "agreement therapist_behaviour" in out and "abs_diff change_talk_share" in out
    assert "cues; coded units: reference" in out
    code, _, err = run_cli("benchmark", "fragments", "--words", "0")
    assert code == 2 and "--words" in err
    code, _, err = run_cli("benchmark", "fragments", "--annomi", tmp_path, "--transcripts", "1")
    assert code == 1 and "AnnoMI-simple.csv: was not found" in err
    command = typer.main.get_command(app).commands["benchmark"].commands["fragments"]
    defaults = {p.name: p.default for p in command.params}
    assert defaults["transcripts"] == DEFAULT_TRANSCRIPTS and defaults["words"] == 8

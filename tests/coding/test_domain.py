import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from attunement.coding import code_utterances, resolve_coder
from attunement.coding.artifact import default_model_dir
from attunement.coding.domain import (
    DOMAIN_FILE,
    SIGNALS,
    domain_block,
    domain_check,
    domain_method,
    domain_path,
    domain_signals,
    load_domain_reference,
    read_domain_reference,
)
from attunement.coding.loader import coder_dir
from attunement.errors import AttunementWarning, InputError
from attunement.io.corpora import annomi_transcripts, default_annomi_dir

TALK = [
    ("therapist", "What would you like to talk about today?"),
    ("client", "My drinking, I guess. My wife thinks I drink too much and it worries her."),
    ("therapist", "You are not sure it is a problem, but it matters to her."),
    ("client", "Maybe it is a problem. I have been missing work on Mondays."),
    ("therapist", "How do you feel about the Mondays?"),
    ("client", "Bad. I do not like letting people down, and I know I could do better."),
    ("therapist", "Being someone people can count on is important to you."),
    ("client", "Yes, it really is. I want to cut down before it gets any worse."),
]


def typical():
    """An AnnoMI transcript near the middle of every range (transcript 0)."""
    rows = annomi_transcripts(default_annomi_dir())
    return rows.loc[rows["transcript_id"] == 0, ["role", "text"]].reset_index(drop=True)


def monologue():
    """A session whose therapist speaks in 150-word paragraphs."""
    rows = []
    for i in range(12):
        rows.append(("therapist", " ".join(["so what I hear you saying is that"] * 19)))
        rows.append(("client", TALK[2 * (i % 4) + 1][1]))
    return pd.DataFrame(rows, columns=["role", "text"])


@pytest.fixture(scope="module")
def reference():
    return load_domain_reference("transformer")


def test_the_shipped_coders_have_references():
    for kind in ("transformer", "ngram"):
        ref = load_domain_reference(kind)
        assert ref["n_transcripts"] == 133
        assert ref["coder"] == kind
        assert set(ref["signals"]) == set(SIGNALS)
        for name, s in ref["signals"].items():
            assert s["low"] < s["median"] < s["high"], (kind, name)
            assert s["n"] > 120, (kind, name)
        assert "optimistic" in ref["note"]
    assert domain_path("transformer") == coder_dir("transformer") / DOMAIN_FILE
    assert domain_path("ngram") == default_model_dir() / DOMAIN_FILE


def test_a_typical_session_is_inside(reference):
    table = domain_check(code_utterances(typical()), reference).set_index("signal")
    checked = table[table["checks"] != "none"]
    assert checked["inside"].tolist() == [True] * len(checked), table
    assert table.loc["coder_confidence", "inside"] is pd.NA  # shown, never flagged
    block = domain_block(table.reset_index(), reference)
    assert block["available"] and block["inside"] is True and block["outside"] == []


def test_very_long_utterances_are_flagged(reference):
    table = domain_check(code_utterances(monologue()), reference).set_index("signal")
    row = table.loc["therapist_words_per_unit"]
    assert row["value"] == 152.0 and row["value"] > row["high"]
    assert not row["inside"]
    assert domain_block(table.reset_index(), reference)["outside"][0] == (
        "therapist_words_per_unit"
    )


def test_another_language_is_flagged_on_language(reference):
    spanish = pd.DataFrame(
        [
            ("therapist", "¿Qué le gustaría cambiar hoy en su vida diaria?"),
            ("client", "Quiero dejar de beber porque mi familia sufre mucho por eso."),
        ]
        * 6,
        columns=["role", "text"],
    )
    with pytest.warns(AttunementWarning, match="English"):
        coded = code_utterances(spanish)
    table = domain_check(coded, reference).set_index("signal")
    assert not table.loc["english_share", "inside"]


def test_one_sided_signals_ignore_their_upper_bound():
    coded = pd.DataFrame(
        {
            "role": ["therapist", "client"] * 20,
            "text": ["So you want things to be different."] * 40,
            "mi_behaviour": ["reflection", None] * 20,
            "p_reflection": [0.99, np.nan] * 20,
            "reflection_type": ["simple", None] * 20,
            "question_type": [None] * 40,
            "client_talk": [None, "change"] * 20,
            "p_change": [np.nan, 0.99] * 20,
        }
    )
    ref = {
        "signals": {
            "coder_confidence": {"low": 0.7, "median": 0.8, "high": 0.9},
            "english_share": {"low": 0.1, "median": 0.2, "high": 0.3},
        }
    }
    table = domain_check(coded, ref).set_index("signal")
    assert table.loc["english_share", "value"] > 0.3 and table.loc["english_share", "inside"]
    assert table.loc["english_share", "checks"] == "low"
    # confidence is shown beside its range, far above it here, and flags nothing
    assert table.loc["coder_confidence", "value"] == pytest.approx(0.99)
    assert table.loc["coder_confidence", "checks"] == "none"
    assert table.loc["coder_confidence", "inside"] is pd.NA
    low = coded.assign(p_reflection=0.3, p_change=0.3)
    assert domain_check(low, ref).set_index("signal").loc["coder_confidence", "inside"] is pd.NA


def test_signals_count_units_once():
    coded = pd.DataFrame(
        {
            "role": ["therapist", "therapist", "client", "client"],
            "text": ["So you", "feel stuck here.", "", "Yes."],
            "mi_behaviour": ["reflection", "reflection", None, None],
            "p_reflection": [0.6, 0.6, np.nan, np.nan],
            "reflection_type": ["complex", "complex", None, None],
            "question_type": [None] * 4,
            "client_talk": [None, None, None, "change"],
            "p_change": [np.nan, np.nan, np.nan, 0.8],
            "unit": pd.array([0, 0, pd.NA, 1], dtype="Int64"),
        }
    )
    found = domain_signals(coded)
    assert found["therapist_words_per_unit"] == 5.0
    assert found["client_words_per_unit"] == 1.0
    assert found["therapist_word_share"] == pytest.approx(5 / 6)
    assert found["coder_confidence"] == pytest.approx(0.7)  # one therapist, one client unit
    assert math.isnan(found["english_share"])  # under 30 words


def test_without_a_reference_nothing_is_judged():
    table = domain_check(code_utterances(pd.DataFrame(TALK, columns=["role", "text"])), None)
    assert table["inside"].isna().all()
    assert table["low"].isna().all() and table["value"].notna().all()
    block = domain_block(table, None)
    assert block == {**block, "available": False, "inside": None, "outside": []}
    assert "not available" in block["reference"]
    json.dumps(block, allow_nan=False)
    assert "not available" in domain_method(None)["description"]


def test_a_coder_folder_without_a_reference(tmp_path):
    for name in ("annomi_coders.json", "annomi_coders.npz"):
        shutil.copy(default_model_dir() / name, tmp_path / name)
    assert load_domain_reference(tmp_path) is None


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "could not be read as JSON"),
        ('{"format_version": 99, "signals": {}}', "format_version 99"),
        ('{"format_version": 1}', "no 'signals'"),
    ],
)
def test_a_bad_reference_file_is_an_input_error(tmp_path, content, match):
    (tmp_path / DOMAIN_FILE).write_text(content)
    with pytest.raises(InputError, match=match):
        load_domain_reference(tmp_path)
    with pytest.raises(InputError, match="was not found"):
        read_domain_reference(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("coded", "reference", "match"),
    [
        ("coded.csv", None, "expected a DataFrame"),
        (pd.DataFrame({"mi_behaviour": []}), None, "has no column reflection_type"),
        (
            pd.DataFrame(
                columns=["mi_behaviour", "reflection_type", "question_type", "client_talk"]
            ),
            None,
            "has no column role, text",
        ),
        (pd.DataFrame(TALK, columns=["role", "text"]), None, "has no column mi_behaviour"),
    ],
)
def test_bad_tables(coded, reference, match):
    with pytest.raises(InputError, match=match):
        domain_check(coded, reference)


def test_bad_reference_argument():
    coded = code_utterances(
        pd.DataFrame(TALK, columns=["role", "text"]), coder=resolve_coder("ngram")
    )
    with pytest.raises(InputError, match="no 'signals' mapping"):
        domain_check(coded, {"ranges": {}})

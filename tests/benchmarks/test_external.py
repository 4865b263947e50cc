"""The external benchmark on small AutoMISC-format files whose answers are known."""

import csv
import math

import numpy as np
import pandas as pd
import pytest

from attunement.benchmarks.external import (
    calibration_error,
    multiclass_brier,
    run_external,
    score_codes,
    score_quality,
)
from attunement.errors import InputError
from attunement.io.corpora import default_annomi_dir, hlqc_sessions, misc_units

HEADER = ["corp_conv_idx", "conv_id", "speaker", "corp_vol_idx", "conv_vol_idx", "vol_text",
          "corp_utt_idx", "conv_utt_idx", "utt_text", "t1_label_auto", "t2_label_auto",
          "t1_label_GT", "t2_label_GT"]  # fmt: skip
UNITS = [  # conversation, speaker, turn, text, t1, t2
    ("a", "counsellor", 0, "What brings you here today?", "Q", "OQ"),
    ("a", "client", 1, "I really want to stop smoking this year.", "C", "R+"),
    ("a", "counsellor", 2, "You are ready to make a change.", "CRL", "CR"),
    ("a", "counsellor", 2, "Great job coming in.", "CRL", "AF"),
    ("a", "client", 3, "But smoking helps me relax and I like it.", "S", "R-"),
    ("b", "counsellor", 0, "How many cigarettes do you smoke a day?", "Q", "CQ"),
    ("b", "client", 1, "About ten.", "N", "N"),
    ("b", "counsellor", 2, "Some people find nicotine patches help.", "IMC", "GI"),
    ("b", "client", 3, "I don't want to quit, I enjoy it.", "S", "R-"),
    ("b", "counsellor", 4, "Smoking is part of how you unwind.", "SRL", "SR"),
]


def write_units(path, rows=UNITS):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i, (conv, speaker, turn, text, t1, t2) in enumerate(rows):
            w.writerow([0, conv, speaker, turn, turn, text, i, i, text, "", "", t1, t2])
    return path


def write_hlqc(path, n_each=3):
    """High- and low-quality AnnoMI transcripts written as HLQC (turn per row)."""
    simple = pd.read_csv(default_annomi_dir() / "AnnoMI-simple.csv", dtype=str)
    rows = []
    for quality in ("high", "low"):
        ids = simple[simple["mi_quality"] == quality]["transcript_id"].unique()[:n_each]
        for k, tid in enumerate(ids):
            part = simple[simple["transcript_id"] == tid].head(40)
            for speaker, text in zip(part["interlocutor"], part["utterance_text"], strict=True):
                rows.append(
                    (f"{quality}_{k:03d}", speaker.replace("therapist", "counsellor"), text)
                )
    pd.DataFrame(rows, columns=["conv_id", "speaker", "vol_text"]).to_csv(path)
    return path


def test_misc_units_maps_the_experts_codes(tmp_path):
    units = misc_units(write_units(tmp_path / "units.csv"))
    assert len(units) == len(UNITS)
    first = units[units["conv_id"] == "a"]
    assert first["therapist_behaviour"].tolist() == [
        "question", None, "reflection", "other", None,
    ]  # fmt: skip
    # an affirmation is a reflection only in MIV6.3A's coarse code
    assert first["therapist_behaviour_t1"].tolist()[3] == "reflection"
    assert first["client_talk"].tolist() == [None, "change", None, None, "sustain"]
    assert first["reflection_type"].tolist()[2] == "complex"
    assert units.loc[units["conv_id"] == "b", "question_type"].tolist()[0] == "closed"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", "is empty"),
        (",".join(HEADER) + "\n", "no rows"),
        ("conv_id,speaker\nx,client\n", "has no column conv_vol_idx"),
        (",".join(HEADER) + "\n0,a,robot,0,0,t,0,0,t,,,C,R+\n", "'robot'; expected counsellor"),
        (",".join(HEADER) + "\n0,a,client,0,x,t,0,0,t,,,C,R+\n", "'x'; expected a whole number"),
        (",".join(HEADER) + '\n0,a,client,0,0,"t\n', "never closed"),
    ],
)
def test_misc_units_bad_files(tmp_path, body, match):
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=match) as info:
        misc_units(path)
    assert "bad.csv" in str(info.value)


def test_hlqc_sessions_reads_labels_and_refuses_others(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(",conv_id,speaker,vol_text\n0,high_1,counsellor,Hi\n1,low_2,client,\n")
    found = hlqc_sessions(path)
    assert found["high"].tolist() == [1, 0]
    assert found["role"].tolist() == ["therapist", "client"]
    assert found["text"].tolist() == ["Hi", ""]
    path.write_text("conv_id,speaker,vol_text\nmedium_1,client,Hi\n")
    with pytest.raises(InputError, match="'medium_1'; expected high_"):
        hlqc_sessions(path)
    with pytest.raises(InputError, match="was not found"):
        hlqc_sessions(tmp_path / "missing.csv")


def test_scores_known_answers():
    assert calibration_error(np.array([1.0, 1.0]), np.array([1, 1])) == 0.0
    assert calibration_error(np.array([0.95, 0.95]), np.array([0, 0])) == 0.95
    assert multiclass_brier(np.array([[0.0, 1.0]]), ["a"], ["a", "b"]) == 2.0
    found = score_codes(["a", "a", "b", "b"], ["a", "a", "b", "b"], np.eye(2)[[0, 0, 1, 1]], "ab")
    assert (found["macro_f1"], found["kappa"], found["ece"], found["brier"]) == (1, 1, 0, 0)
    no_proba = score_codes(["a", "b"], ["a", "a"], np.full((2, 2), np.nan), "ab")
    assert math.isnan(no_proba["ece"]) and no_proba["recall_b"] == 0
    q = score_quality([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])
    assert q["auc"] == 0.5 and q["brier"] == 0.25 and q["accuracy"] == 0.5


def test_run_external_scores_coders_and_baselines(tmp_path):
    found = run_external(
        misc=write_units(tmp_path / "u.csv"), hlqc=write_hlqc(tmp_path / "h.csv"), coders=["ngram"]
    )
    codes = found["codes"].set_index(["coder", "task"])
    assert set(codes.index.get_level_values("coder")) == {"ngram", "majority"}
    assert codes.loc[("ngram", "therapist_behaviour"), "n"] == 6
    assert codes.loc[("ngram", "client_talk"), "n"] == 4
    # the majority class is AnnoMI's: 'other' behaviour, 'neutral' talk
    assert codes.loc[("majority", "therapist_behaviour"), "recall_other"] == 1.0
    assert codes.loc[("majority", "client_talk"), "recall_neutral"] == 1.0
    assert codes.loc[("majority", "client_talk"), "kappa"] == 0.0
    for value in codes["macro_f1"]:
        assert 0 <= value <= 1
    sessions = found["sessions"].set_index("metric")
    # experts: a 1 change / 1 sustain, b 0 / 1 -> shares 0.5 and 0
    assert sessions.loc["change_talk_share", "expert_median"] == 0.25
    assert set(found["not_reflections"]["expert_code"]) == {"AF", "SU", "EC"}
    affirm = found["not_reflections"].set_index("expert_code").loc["AF"]
    assert affirm["units"] == 1 and affirm["coded_reflection"] in (0, 1)
    quality = found["quality"].set_index("model")
    assert len(quality) == 3
    majority = quality.loc[next(m for m in quality.index if "majority" in m)]
    assert majority["auc"] == 0.5
    for m in quality.index:
        assert 0 <= quality.loc[m, "auc"] <= 1 and 0 <= quality.loc[m, "brier"] <= 1


def test_run_external_needs_data():
    with pytest.raises(InputError, match="got no external data"):
        run_external()


def test_cli_external(tmp_path, run_cli):
    units = write_units(tmp_path / "u.csv")
    code, out, err = run_cli("benchmark", "external", "--misc", units, "--coder", "ngram")
    assert code == 0, err
    assert "codes against the experts'" in out
    assert "change 0." in out or "change 1." in out
    code, out, err = run_cli("benchmark", "external")
    assert code == 1
    assert "got no external data" in err
    assert "Traceback" not in err

import numpy as np
import pandas as pd
import pytest

from attunement.language.turns import METHOD, response_latencies, talk_metrics, turns


def frame(rows):
    return pd.DataFrame(rows, columns=["speaker", "role", "start_s", "end_s", "text"])


TIMED = frame(
    [
        ("T", "therapist", 0.0, 2.0, "What brings you in today?"),  # 5 words
        ("C", "client", 2.5, 6.0, "I have not been sleeping."),  # 5
        ("C", "client", 6.0, 8.0, "At all."),  # 2
        ("T", "therapist", 9.0, 10.0, "Not at all."),  # 3
        ("C", "client", 9.5, 11.0, "No."),  # 1 (overlaps)
    ]
)


def test_turns_join_consecutive_utterances():
    t = turns(TIMED)
    assert t["speaker"].tolist() == ["T", "C", "T", "C"]
    assert t["n_words"].tolist() == [5, 7, 3, 1]
    assert t.loc[1, "text"] == "I have not been sleeping. At all."
    assert (t.loc[1, "start_s"], t.loc[1, "end_s"]) == (2.5, 8.0)
    assert t["first_index"].tolist() == [0, 1, 3, 4]


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
@pytest.mark.parametrize("dtype", [object, "string"])
def test_missing_text_counts_no_words(missing, dtype):
    # pandas 2 keeps None in an object column, pandas 3's string dtype NaN, nullable ones pd.NA:
    # each is a text without words, never the word "nan" or "None"
    t = TIMED.copy()
    t["text"] = pd.array(["Hello there.", missing, "At all.", "Not at all.", "No."], dtype=dtype)
    got = turns(t)
    assert got["n_words"].tolist() == [2, 2, 3, 1]
    assert got.loc[1, "text"] == " At all."


def test_latencies_known_answer():
    lat = response_latencies(turns(TIMED))
    assert lat["role"].tolist() == ["client", "therapist", "client"]
    np.testing.assert_allclose(lat["latency_s"], [0.5, 1.0, -0.5])


def test_talk_metrics_known_answer():
    m = talk_metrics(TIMED)
    assert m["therapist_talk_share"] == pytest.approx(8 / 16)
    assert m["therapist_talk_time_share"] == pytest.approx(3 / (3 + 7))
    assert m["n_therapist_utterances"] == 2
    assert m["n_client_utterances"] == 3
    assert m["n_turns"] == 4
    assert m["mean_therapist_words_per_turn"] == 4.0
    assert m["mean_client_words_per_turn"] == 4.0
    assert m["median_therapist_response_latency_s"] == 1.0
    assert m["median_client_response_latency_s"] == 0.0
    assert m.table.columns.tolist() == [
        "role",
        "n_utterances",
        "n_turns",
        "n_words",
        "speaking_time_s",
        "mean_words_per_turn",
        "median_response_latency_s",
    ]
    rows = m.table.set_index("role")
    assert rows.loc["therapist", "n_words"] == rows.loc["client", "n_words"] == 8
    assert rows.loc["client", "speaking_time_s"] == 7.0
    assert rows.loc["therapist", "median_response_latency_s"] == 1.0
    assert m.method is METHOD and list(m.metrics()) == m.summary.columns.tolist()


def test_untimed_metrics_are_undefined_not_zero():
    df = TIMED.assign(start_s=np.nan, end_s=np.nan)
    m = talk_metrics(df)
    assert m["therapist_talk_share"] == pytest.approx(0.5)
    assert np.isnan(m["therapist_talk_time_share"])
    assert np.isnan(m["median_therapist_response_latency_s"])
    assert m.metrics()["therapist_talk_time_share"] is None  # as results.json keeps it
    assert m.table["speaking_time_s"].isna().all()


def test_other_speakers_do_not_count_as_handovers():
    df = frame(
        [("T", "therapist", 0, 1, "a"), ("I", "other", 1, 2, "b"), ("C", "client", 3, 4, "c")]
    )
    assert response_latencies(turns(df)).empty


def test_empty():
    assert turns(frame([])).empty
    m = talk_metrics(frame([]))
    assert np.isnan(m["therapist_talk_share"]) and m.metrics()["therapist_talk_share"] is None
    assert m["n_turns"] == 0
    assert m.table["n_words"].tolist() == [0, 0]

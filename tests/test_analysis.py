import datetime as dt
import json

import numpy as np
import pytest

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.errors import InputError
from attunement.model import Session, Signal, Utterance


def make_session(timed=True, signals=()):
    texts = [
        ("therapist", "What would you like to talk about today?"),
        ("client", "My drinking, I guess."),
        ("therapist", "You are not sure it is a problem."),
        ("client", "Maybe it is."),
    ]
    utts = []
    for i, (role, text) in enumerate(texts):
        start, end = (i * 5.0, i * 5.0 + 4.0) if timed else (None, None)
        utts.append(Utterance(i, role.capitalize(), role, start, end, text))
    return Session(
        "s1",
        tuple(utts),
        tuple(signals),
        meta={"inputs": [{"file": "s1.vtt", "kind": "transcript"}]},
    )


def test_results_json_contract():
    created = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    r = analyze_session(make_session(), AnalysisConfig(created=created))
    d = r.to_dict()
    assert set(d) == {"session", "metrics", "mi_quality", "provenance"}
    assert {"id", "duration_s", "n_utterances", "speakers"} <= set(d["session"])
    assert d["session"]["id"] == "s1"
    assert d["session"]["duration_s"] == 19.0
    assert d["session"]["speakers"]["Client"] == {"role": "client", "n_utterances": 2, "n_words": 7}
    for key in [
        "therapist_talk_share",
        "n_therapist_utterances",
        "n_client_utterances",
        "mean_therapist_words_per_turn",
        "mean_client_words_per_turn",
        "median_therapist_response_latency_s",
        "median_client_response_latency_s",
    ]:
        assert key in d["metrics"]
    assert d["metrics"]["median_client_response_latency_s"] == 1.0
    assert 0 <= d["metrics"]["mi_quality_score"] <= 1
    assert d["mi_quality"]["score"] == d["metrics"]["mi_quality_score"]
    assert {x["feature"] for x in d["mi_quality"]["drivers"]} >= {"reflection_share"}
    assert "mi_quality" in {m["name"] for m in d["provenance"]["methods"]}
    p = d["provenance"]
    assert p["created"] == "2026-01-02T03:04:05+00:00"
    assert p["inputs"] == [{"file": "s1.vtt", "kind": "transcript"}]
    assert p["methods"][0]["name"] == "turn_taking"
    assert {"attunement_version", "created", "inputs", "methods"} <= set(p)
    json.dumps(d, allow_nan=False)


def test_untimed_session_gives_nulls_not_zeros():
    d = analyze_session(make_session(timed=False)).to_dict()
    assert d["session"]["duration_s"] is None
    assert d["metrics"]["median_therapist_response_latency_s"] is None
    assert d["metrics"]["therapist_talk_share"] == pytest.approx(16 / 23)


def test_signals_extend_duration_and_are_listed():
    sig = Signal("eda", "client", 4.0, np.ones(400), start=-10.0, meta={"simulated": True})
    d = analyze_session(make_session(signals=[sig])).to_dict()
    assert d["session"]["duration_s"] == 19.0  # the transcript, not the longer recording
    assert d["session"]["signals"][0]["kind"] == "eda"
    assert d["session"]["signals"][0]["simulated"] is True


def test_session_is_not_modified():
    s = make_session()
    before = s.utterances_frame().copy()
    analyze_session(s)
    assert s.utterances_frame().equals(before)


@pytest.mark.parametrize("missing", ["therapist", "client"])
def test_needs_both_roles(missing):
    s = make_session()
    kept = [u for u in s.utterances if u.role != missing]
    kept = tuple(
        Utterance(i, u.speaker, u.role, u.start, u.end, u.text) for i, u in enumerate(kept)
    )
    with pytest.raises(InputError, match=f"no {missing} utterance"):
        analyze_session(Session("s1", kept))


def test_rejects_non_session():
    with pytest.raises(InputError, match="expected a Session"):
        analyze_session("transcript.vtt")


def test_no_coded_therapist_utterance_gives_no_quality_estimate():
    s = Session(
        "s2",
        (
            Utterance(0, "Therapist", "therapist", None, None, "   "),
            Utterance(1, "Client", "client", None, None, "I want to stop drinking."),
        ),
    )
    d = analyze_session(s).to_dict()
    assert d["metrics"]["mi_quality_score"] is None
    assert d["mi_quality"]["score"] is None and d["mi_quality"]["drivers"] == []
    json.dumps(d, allow_nan=False)

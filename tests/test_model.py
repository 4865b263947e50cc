import numpy as np
import pytest

from attunement.errors import InputError
from attunement.model import Session, Signal, Utterance


def test_utterance_rejects_end_before_start():
    with pytest.raises(InputError, match=r"ends .* before it starts"):
        Utterance(0, "Therapist", "therapist", 5.0, 4.0, "Hi")


@pytest.mark.parametrize("role", ["doctor", "", "Therapist"])
def test_utterance_rejects_unknown_role(role):
    with pytest.raises(InputError, match="expected one of therapist, client, other"):
        Utterance(0, "X", role, None, None, "Hi")


def test_utterance_rejects_non_finite_time():
    with pytest.raises(InputError, match="finite"):
        Utterance(0, "X", "client", float("nan"), None, "Hi")


def test_signal_regular_time_axis_and_end():
    s = Signal("eda", "client", 4.0, np.arange(8.0), start=10.0)
    assert s.end == 12.0
    assert s.duration == 2.0
    np.testing.assert_allclose(s.time_axis(), 10.0 + np.arange(8) / 4)
    assert s.unit == "µS"


def test_signal_values_are_read_only():
    s = Signal("hr", "therapist", 1.0, [70.0, 71.0], start=0.0)
    with pytest.raises(ValueError):
        s.values[0] = 1.0


def test_signal_irregular_needs_matching_times():
    s = Signal("ibi", "client", None, [0.8, 0.9], start=1.0, times=[1.0, 1.8])
    assert s.end == 1.8
    with pytest.raises(InputError, match="2 values but 3 times"):
        Signal("ibi", "client", None, [0.8, 0.9], start=1.0, times=[1.0, 1.8, 2.7])
    with pytest.raises(InputError, match="go backwards"):
        Signal("ibi", "client", None, [0.8, 0.9], start=1.0, times=[2.0, 1.8])


@pytest.mark.parametrize("rate", [None, 0.0, -4.0, float("inf")])
def test_signal_regular_needs_positive_rate(rate):
    with pytest.raises(InputError, match="sampling rate"):
        Signal("eda", "client", rate, [1.0, 2.0], start=0.0)


def test_signal_unknown_kind_lists_choices():
    with pytest.raises(InputError, match="expected one of eda, hr, ibi"):
        Signal("gsr", "client", 4.0, [1.0], start=0.0)


def test_signal_shift_keeps_everything_else():
    s = Signal(
        "ibi",
        "client",
        None,
        [0.8, 0.9],
        start=100.0,
        times=[100.0, 100.8],
        meta={"file": "IBI.csv"},
    )
    moved = s.shifted(-100.0)
    assert moved.start == 0.0
    np.testing.assert_allclose(moved.times, [0.0, 0.8])
    assert moved.meta["file"] == "IBI.csv"
    assert s.start == 100.0


def test_session_frame_and_span():
    utts = (
        Utterance(0, "Therapist", "therapist", 1.0, 2.0, "How are you?"),
        Utterance(1, "Client", "client", None, None, "Fine."),
    )
    sig = Signal("hr", "client", 1.0, np.ones(30), start=0.5)
    s = Session("x", utts, (sig,))
    df = s.utterances_frame()
    assert list(df.columns) == ["index", "speaker", "role", "start_s", "end_s", "text"]
    assert np.isnan(df["start_s"][1])
    assert s.time_span() == (0.5, 30.5)
    assert not s.has_timing
    assert s.signal("hr", "client") is sig
    assert s.signal("eda", "client") is None


def test_session_requires_sequential_indices_and_id():
    with pytest.raises(InputError, match="index 3; expected 0"):
        Session("x", (Utterance(3, "T", "therapist", None, None, "hi"),))
    with pytest.raises(InputError, match="session id"):
        Session("  ")


def test_session_is_immutable():
    s = Session("x", meta={"a": 1})
    with pytest.raises(TypeError):
        s.meta["a"] = 2


def test_sessions_and_signals_pickle():
    import pickle

    sig = Signal("ibi", "client", None, [0.8, 0.9], start=1.0, times=[1.0, 1.8], meta={"f": 1})
    s = Session("x", (Utterance(0, "T", "therapist", 0.0, 1.0, "hi"),), (sig,), meta={"a": [1]})
    back = pickle.loads(pickle.dumps(s))
    assert back.id == "x" and back.utterances == s.utterances and back.meta["a"] == [1]
    np.testing.assert_array_equal(back.signals[0].times, sig.times)
    assert back.signals[0].meta["f"] == 1

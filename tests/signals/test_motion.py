import numpy as np
import pytest

from attunement.errors import AttunementWarning, InputError
from attunement.model import Signal
from attunement.signals.motion import motion_flags


def acc(values, rate=32.0, start=100.0):
    return Signal("acc", "therapist", rate, np.asarray(values, dtype=float), start=start)


def test_still_wrist_is_not_flagged():
    rest = np.tile([0.0, 0.0, 64.0], (320, 1))  # 10 s at 1 g
    flags = motion_flags(acc(rest))
    assert list(flags.columns) == ["start_s", "end_s", "enmo_g", "flagged"]
    assert len(flags) == 10
    np.testing.assert_allclose(flags["start_s"], 100 + np.arange(10))
    np.testing.assert_allclose(flags["enmo_g"], 0.0)
    assert not flags["flagged"].any()


def test_known_enmo_and_threshold():
    values = np.tile([0.0, 0.0, 64.0], (96, 1))
    values[32:64, 2] = 96.0  # 1.5 g: ENMO 0.5 g
    values[64:, 2] = 67.2  # 1.05 g: ENMO 0.05 g
    flags = motion_flags(acc(values))
    np.testing.assert_allclose(flags["enmo_g"], [0.0, 0.5, 0.05], atol=1e-12)
    assert flags["flagged"].tolist() == [False, True, False]
    assert motion_flags(acc(values), threshold_g=0.01)["flagged"].tolist() == [False, True, True]


def test_windows_and_last_partial_window():
    values = np.tile([0.0, 64.0, 0.0], (40, 1))
    flags = motion_flags(acc(values, rate=4.0, start=0.0), window_s=2.5)
    assert len(flags) == 4
    assert flags["end_s"].iloc[-1] == pytest.approx(10.0)


def test_window_without_samples_warns():
    values = np.tile([0.0, 0.0, 64.0], (64, 1))
    values[:32] = np.nan
    with pytest.warns(AttunementWarning, match="1 of 2 windows have no finite sample"):
        flags = motion_flags(acc(values))
    assert np.isnan(flags["enmo_g"].iloc[0])
    assert flags["flagged"].tolist() == [False, False]


@pytest.mark.parametrize(
    ("sig", "kwargs", "match"),
    [
        (Signal("eda", "client", 4.0, np.ones(8), start=0.0), {}, "expected 'acc'"),
        (acc(np.ones((8, 2))), {}, "three columns"),
        (acc(np.ones(8)), {}, "three columns"),
        (
            Signal("acc", "client", None, np.ones((3, 3)), start=0.0, times=[0.0, 1.0, 2.0]),
            {},
            "irregular",
        ),
        (acc(np.ones((64, 3))), {"window_s": 0.01}, "whole number of samples"),
        (acc(np.ones((64, 3))), {"window_s": 0}, "window_s"),
        (acc(np.ones((64, 3))), {"threshold_g": -0.1}, "threshold_g"),
        ("ACC.csv", {}, "expected a Signal"),
    ],
)
def test_bad_input(sig, kwargs, match):
    with pytest.raises(InputError, match=match):
        motion_flags(sig, **kwargs)

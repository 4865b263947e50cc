import numpy as np
import pandas as pd
import pytest

from attunement.errors import AttunementWarning, InputError
from attunement.model import Signal
from attunement.signals.align import AlignedPair, Gap
from attunement.signals.motion import (
    mask_motion,
    masking_method,
    motion_flags,
    motion_mask,
    motion_share,
)


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


def burst_flags(start=100.0, seconds=10, moving=(3, 4, 5)):
    """Flags of a 32 Hz accelerometer still but for the given seconds (1.5 g along z)."""
    values = np.tile([0.0, 0.0, 64.0], (32 * seconds, 1))
    for k in moving:
        values[32 * k : 32 * (k + 1), 2] = 96.0
    return motion_flags(acc(values, start=start))


def test_motion_mask_marks_times_inside_flagged_windows():
    flags = burst_flags()  # 103-106 s moving; recording 100-110 s
    times = np.array([99.0, 102.99, 103.0, 104.5, 105.999, 106.0, 110.5])
    assert motion_mask(times, flags).tolist() == [False, False, True, True, True, False, False]
    # A grid time a rounding error below a window start is inside it.
    assert motion_mask(np.array([103.0 - 1e-12]), flags).tolist() == [True]
    assert not motion_mask(times, burst_flags(moving=())).any()


def test_mask_motion_masks_each_person_by_their_own_flags():
    t = np.arange(40) / 4 + 100.0  # 4 Hz grid over 100-110 s
    pair = AlignedPair(
        np.arange(40.0), np.arange(40.0) + 1, 4.0, 100.0, (Gap("client", 90.0, 95.0),), "eda"
    )
    out = mask_motion(pair, client=burst_flags())
    moving = (t >= 103) & (t < 106)
    assert np.isnan(out.client[moving]).all() and np.isnan(out.client).sum() == 12
    np.testing.assert_array_equal(out.client[~moving], pair.client[~moving])
    np.testing.assert_array_equal(out.therapist, pair.therapist)
    assert (out.sampling_rate, out.start, out.gaps, out.kind) == (4.0, 100.0, pair.gaps, "eda")
    assert not out.client.flags.writeable
    assert np.isfinite(pair.client).all()  # the input is not changed
    both = mask_motion(pair, therapist=burst_flags(moving=(0,)), client=burst_flags())
    assert np.isnan(both.therapist).sum() == 4 and np.isnan(both.client).sum() == 12


def test_motion_share():
    assert motion_share(burst_flags()) == pytest.approx(0.3)
    assert motion_share(burst_flags(moving=())) == 0.0
    values = np.tile([0.0, 0.0, 96.0], (64, 1))
    values[:32] = np.nan
    with pytest.warns(AttunementWarning):
        flags = motion_flags(acc(values))
    assert motion_share(flags) == 1.0  # windows without data do not count
    with pytest.warns(AttunementWarning):
        empty = motion_flags(acc(np.full((32, 3), np.nan)))
    assert np.isnan(motion_share(empty))


def test_masking_method_names_threshold_and_citation():
    m = masking_method(threshold_g=0.15, window_s=2.0)
    assert m["name"] == "motion_masking"
    assert m["parameters"] == {"threshold_g": 0.15, "window_s": 2.0}
    assert "above 0.15 g ENMO" in m["description"] and "2 s windows" in m["description"]
    assert "skin-conductance and heart-rate synchrony" in m["description"]
    assert "van Hees" in m["citation"]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: motion_mask(np.zeros(3), "flags"), "flags: got str"),
        (lambda: motion_mask(np.zeros(3), pd.DataFrame({"start_s": [0.0]})), "no column end_s"),
        (lambda: mask_motion("pair", client=burst_flags()), "pair: got str"),
        (
            lambda: mask_motion(
                AlignedPair(np.zeros(2), np.zeros(2), 1.0, 0.0), therapist=pd.DataFrame()
            ),
            "therapist: has no column start_s",
        ),
        (lambda: motion_share(pd.DataFrame({"flagged": [True]})), "no column start_s, end_s"),
    ],
)
def test_masking_bad_input(call, match):
    with pytest.raises(InputError, match=match):
        call()

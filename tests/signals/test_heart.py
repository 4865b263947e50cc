import inspect
import re

import numpy as np
import pytest

from attunement.errors import AttunementWarning, InputError
from attunement.model import Signal
from attunement.signals.heart import heart_rate, heart_rate_method


def ibi_signal(intervals, first_beat=10.0, role="client"):
    intervals = np.asarray(intervals, dtype=float)
    times = first_beat + np.r_[0.0, np.cumsum(intervals[1:])]
    return Signal("ibi", role, None, intervals, start=times[0], times=times)


def test_none_without_input():
    assert heart_rate() is None


def test_hr_series_is_used_as_it_is():
    hr = Signal("hr", "therapist", 1.0, 70 + np.arange(30) % 5, start=12.0)
    out = heart_rate(hr=hr)
    assert out.kind == "hr" and out.role == "therapist"
    assert out.sampling_rate == 1.0 and out.start == 12.0
    np.testing.assert_array_equal(out.values, hr.values)
    assert out.meta["source"] == "hr"


def test_hr_is_preferred_over_ibi():
    hr = Signal("hr", "client", 1.0, np.full(20, 65.0), start=0.0)
    out = heart_rate(hr=hr, ibi=ibi_signal(np.full(20, 0.5)))
    assert out.meta["source"] == "hr"
    np.testing.assert_array_equal(out.values, 65.0)


def test_hr_resampled_to_requested_rate():
    hr = Signal("hr", "client", 1.0, 60 + np.arange(11.0), start=0.0)
    out = heart_rate(hr=hr, sampling_rate=4.0)
    assert out.sampling_rate == 4.0 and len(out) == 41
    np.testing.assert_allclose(out.values, 60 + np.arange(41) / 4)


def test_implausible_hr_samples_are_dropped():
    values = np.full(30, 70.0)
    values[10] = 250.0
    hr = Signal("hr", "client", 1.0, values, start=0.0)
    with pytest.warns(AttunementWarning, match="dropped 1 heart-rate samples outside 30-200"):
        out = heart_rate(hr=hr)
    np.testing.assert_array_equal(out.values, 70.0)  # a 2 s hole, bridged


def test_ibi_known_answer():
    intervals = [0.8, 0.75, 1.0, 0.6, 0.8, 0.75, 1.0, 0.6, 0.8, 0.75, 1.0, 0.6]
    sig = ibi_signal(intervals, first_beat=10.0)
    out = heart_rate(ibi=sig, sampling_rate=4.0)
    assert out.meta["source"] == "ibi"
    assert out.start == 10.0 and out.sampling_rate == 4.0
    expected = np.interp(out.time_axis(), sig.times, 60 / np.asarray(intervals))
    np.testing.assert_allclose(out.values, expected)
    # At a beat that falls on the grid the rate is 60 / its interval.
    on_grid = np.isclose((sig.times - 10.0) * 4, np.round((sig.times - 10.0) * 4))
    beat = np.flatnonzero(on_grid)[1]
    k = round((sig.times[beat] - 10.0) * 4)
    assert out.values[k] == pytest.approx(60 / intervals[beat])


def test_implausible_intervals_are_dropped():
    intervals = np.full(40, 0.8)
    intervals[[5, 20]] = [0.1, 3.0]
    with pytest.warns(AttunementWarning, match=r"dropped 2 inter-beat intervals outside 0.3-2 s"):
        out = heart_rate(ibi=ibi_signal(intervals))
    np.testing.assert_allclose(out.values, 75.0)


def test_long_gap_between_beats_stays_nan():
    times = np.r_[np.arange(0, 20, 1.0), np.arange(40, 60, 1.0)]
    sig = Signal("ibi", "client", None, np.ones(times.size), start=0.0, times=times)
    with pytest.warns(AttunementWarning, match=r"client heart rate: no beat from 19.00 s to 40.00"):
        out = heart_rate(ibi=sig)
    t = out.time_axis()
    assert np.isnan(out.values[(t > 19) & (t < 40)]).all()
    assert np.isfinite(out.values[(t <= 19) | (t >= 40)]).all()


def test_too_few_beats_give_none():
    with pytest.warns(AttunementWarning, match="usable sample"):
        assert heart_rate(ibi=ibi_signal([0.8])) is None
    with pytest.warns(AttunementWarning):
        assert heart_rate(ibi=ibi_signal([5.0, 5.0, 5.0])) is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hr": Signal("eda", "client", 4.0, np.ones(8), start=0.0)}, "hr: is a 'eda' signal"),
        ({"ibi": Signal("hr", "client", 1.0, np.ones(8), start=0.0)}, "ibi: is a 'hr' signal"),
        ({"ibi": Signal("ibi", "client", 1.0, np.ones(8), start=0.0)}, "no beat times"),
        ({"hr": np.ones(5)}, "expected a Signal"),
        ({"hr": Signal("hr", "client", 1.0, np.ones((8, 2)), start=0.0)}, "columns"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"max_gap_s": -1}, "max_gap_s"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        heart_rate(**{"ibi": ibi_signal(np.full(10, 0.8)), **kwargs})


def test_method_is_written_from_the_parameters_that_ran():
    m = heart_rate_method(sampling_rate=2, max_gap_s=3)
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert m["parameters"] == {
        "sampling_rate": 2.0,
        "min_interval_s": 0.3,
        "max_interval_s": 2.0,
        "max_gap_s": 3.0,
    }
    assert "regular 2 Hz grid" in m["description"]
    assert "for more than 3 s" in m["description"] and "0.3-2 s" in m["description"]
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])


def test_method_has_the_options_of_heart_rate():
    measure = inspect.signature(heart_rate).parameters
    for name, p in inspect.signature(heart_rate_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name

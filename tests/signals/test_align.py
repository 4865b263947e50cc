import inspect
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.model import Session, Signal
from attunement.signals.align import (
    AlignedPair,
    Gap,
    align_pair,
    alignment_method,
    prepare_pair,
)


def sig(values, rate=4.0, start=0.0, role="therapist", kind="eda"):
    return Signal(kind, role, rate, np.asarray(values, dtype=float), start=start)


def slow(t):
    return 5 + np.sin(2 * np.pi * t / 30)


def test_same_grid_is_copied_exactly():
    rng = np.random.default_rng(0)
    a, b = rng.random(100), rng.random(100)
    pair = align_pair(sig(a), sig(b, role="client"))
    assert isinstance(pair, AlignedPair)
    np.testing.assert_array_equal(pair.therapist, a)
    np.testing.assert_array_equal(pair.client, b)
    assert (pair.sampling_rate, pair.start, len(pair), pair.kind) == (4.0, 0.0, 100, "eda")
    assert pair.gaps == ()
    assert not pair.therapist.flags.writeable


def test_trimmed_to_the_overlap():
    a = np.arange(100.0)  # 0 .. 24.75 s
    b = np.arange(100.0) + 1000  # 10 .. 34.75 s
    pair = align_pair(sig(a), sig(b, start=10.0, role="client"))
    assert pair.start == 10.0 and len(pair) == 60
    np.testing.assert_array_equal(pair.therapist, a[40:])
    np.testing.assert_array_equal(pair.client, b[:60])
    assert pair.duration == pytest.approx(14.75)
    np.testing.assert_allclose(pair.times(), 10 + np.arange(60) / 4)


def test_different_rates_go_to_the_lower_one_with_anti_aliasing():
    t32 = np.arange(32 * 120) / 32
    fast = slow(t32) + 0.5 * np.sin(2 * np.pi * 5.0 * t32)  # 5 Hz would alias to 1 Hz
    t4 = np.arange(4 * 120) / 4
    pair = align_pair(sig(fast, rate=32.0), sig(slow(t4), role="client"))
    assert pair.sampling_rate == 4.0
    grid = pair.times()
    mid = slice(20, -20)
    np.testing.assert_allclose(pair.therapist[mid], slow(grid)[mid], atol=0.02)
    np.testing.assert_array_equal(pair.client, slow(t4)[: len(pair)])
    # Plain decimation would have kept the 5 Hz wave as a 1 Hz alias.
    plain = fast[::8][: len(pair)]
    assert np.max(np.abs(plain - slow(grid))[mid]) > 0.3


def test_explicit_rate_upsamples_linearly():
    t = np.arange(60.0)
    pair = align_pair(sig(2 * t, rate=1.0), sig(3 * t, rate=1.0, role="client"), sampling_rate=4.0)
    assert len(pair) == 237
    np.testing.assert_allclose(pair.therapist, 2 * pair.times())
    np.testing.assert_allclose(pair.client, 3 * pair.times())


def test_different_phases_interpolate():
    t = np.arange(200) / 4
    pair = align_pair(sig(2 * t), sig(3 * (t + 0.1), start=0.1, role="client"))
    assert pair.start == pytest.approx(0.1)
    np.testing.assert_allclose(pair.therapist, 2 * pair.times())
    np.testing.assert_allclose(pair.client, 3 * pair.times())


def test_irregular_signal_is_interpolated():
    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(0, 60, 200))
    times = times[np.r_[True, np.diff(times) > 0]]
    irregular = Signal("eda", "client", None, 1 + 0.5 * times, start=times[0], times=times)
    t = np.arange(240) / 4
    pair = align_pair(sig(t), irregular)
    np.testing.assert_allclose(pair.client, 1 + 0.5 * pair.times())
    assert pair.start == pytest.approx(times[0], abs=0.25)


def test_both_irregular_needs_a_rate():
    times = np.arange(0, 30, 0.7)
    a = Signal("hr", "therapist", None, np.full(times.size, 70.0), start=0.0, times=times)
    b = Signal("hr", "client", None, np.full(times.size, 80.0), start=0.0, times=times)
    with pytest.raises(InputError, match="irregularly sampled; give sampling_rate"):
        align_pair(a, b)
    pair = align_pair(a, b, sampling_rate=1.0)
    np.testing.assert_array_equal(pair.client, 80.0)


def test_short_hole_bridged_long_hole_nan_with_named_warning():
    t = np.arange(400) / 4
    a = slow(t)
    b = slow(t).copy()
    b[40:44] = np.nan  # 1.25 s: bridged
    b[200:260] = np.nan  # 49.75 s .. 65 s: a 15.25 s gap
    with pytest.warns(AttunementWarning) as record:
        pair = align_pair(sig(a), sig(b, role="client"))
    messages = [str(w.message) for w in record]
    assert len(messages) == 1
    assert re.search(r"client eda: no data from 49\.75 s to 65\.00 s", messages[0])
    assert np.isfinite(pair.client[40:44]).all()
    np.testing.assert_allclose(pair.client[40:44], slow(t[40:44]), atol=0.01)
    assert np.isnan(pair.client[200:260]).all()
    assert np.isfinite(np.delete(pair.client, np.arange(200, 260))).all()
    assert pair.gaps == (Gap("client", 49.75, 65.0),)


def test_max_gap_zero_keeps_every_hole():
    t = np.arange(100) / 4
    b = slow(t).copy()
    b[10] = np.nan
    with pytest.warns(AttunementWarning, match="client eda: no data from 2.25 s to 2.75 s"):
        pair = align_pair(sig(slow(t)), sig(b, role="client"), max_gap_s=0)
    assert np.isnan(pair.client[10]) and np.isfinite(np.delete(pair.client, 10)).all()


def test_gap_survives_downsampling():
    t = np.arange(64 * 60) / 64
    fast = slow(t).copy()
    fast[(t > 20) & (t < 30)] = np.nan
    with pytest.warns(AttunementWarning, match="therapist eda: no data from 20.00 s to 30.00 s"):
        pair = align_pair(sig(fast, rate=64.0), sig(slow(np.arange(240) / 4), role="client"))
    g = pair.times()
    assert np.isnan(pair.therapist[(g > 20.01) & (g < 29.99)]).all()
    assert np.isfinite(pair.therapist[(g < 19.5) | (g > 30.5)]).all()


def test_leading_nan_moves_the_overlap():
    a = slow(np.arange(200) / 4).copy()
    a[:20] = np.nan
    pair = align_pair(sig(a), sig(slow(np.arange(200) / 4), role="client"))
    assert pair.start == 5.0 and np.isfinite(pair.therapist).all()


def test_many_gaps_are_summarised():
    b = np.ones(4000)
    for k in range(15):
        b[200 * k + 10 : 200 * k + 30] = np.nan
    with pytest.warns(AttunementWarning, match="and 5 more"):
        pair = align_pair(sig(np.ones(4000)), sig(b, role="client"))
    assert len(pair.gaps) == 15


@pytest.mark.parametrize(
    ("therapist", "client", "kwargs", "match"),
    [
        (
            sig(np.ones(40)),
            sig(np.ones(40), start=100.0, role="client"),
            {},
            r"do not overlap: therapist eda has data from 0.00 s to 9.75 s, client from "
            r"100.00 s to 109.75 s",
        ),
        (
            sig(np.ones(40)),
            sig(np.ones(40), start=9.0, role="client"),
            {"min_overlap_s": 30.0},
            r"overlap for only 0.75 s .*expected at least 30 s",
        ),
        (
            sig(np.ones(40)),
            sig(np.ones(40), start=9.75, role="client"),
            {},
            "overlap for only 0.00 s",
        ),
        (sig(np.ones(40)), sig(np.ones(40), role="client", kind="hr"), {}, "'eda' but .* 'hr'"),
        (
            sig(np.ones((40, 3)), kind="acc"),
            sig(np.ones((40, 3)), role="client", kind="acc"),
            {},
            "3 columns",
        ),
        (sig(np.full(40, np.nan)), sig(np.ones(40), role="client"), {}, "no finite value"),
        (sig(np.ones(40)), sig(np.ones(40), role="client"), {"sampling_rate": 0}, "sampling_rate"),
        (sig(np.ones(40)), sig(np.ones(40), role="client"), {"max_gap_s": -1.0}, "max_gap_s"),
        (sig(np.ones(40)), np.ones(40), {}, "client: got ndarray; expected a Signal"),
    ],
)
def test_bad_input(therapist, client, kwargs, match):
    with pytest.raises(InputError, match=match):
        align_pair(therapist, client, **kwargs)


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from([1.0, 2.0, 4.0, 32.0, 64.0]),
    st.sampled_from([1.0, 4.0, 8.0]),
    st.floats(-20, 20),
    st.integers(2, 400),
    st.integers(2, 400),
)
def test_fuzz_rates_and_offsets(rate_a, rate_b, offset, n_a, n_b):
    a = sig(np.linspace(0, 1, n_a), rate=rate_a)
    b = sig(np.linspace(5, 6, n_b), rate=rate_b, start=offset, role="client")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            pair = align_pair(a, b)
    except InputError as exc:
        assert "overlap" in str(exc)
        return
    assert len(pair.therapist) == len(pair.client) >= 2
    assert pair.sampling_rate == min(rate_a, rate_b)
    assert max(a.start, b.start) == pytest.approx(pair.start)
    assert pair.times()[-1] <= min(a.time_axis()[-1], b.time_axis()[-1]) + 1e-9
    expected = np.interp(pair.times(), b.time_axis(), b.values)
    np.testing.assert_allclose(pair.client, expected, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(st.floats(0, 10), st.just(float("nan"))), min_size=1, max_size=200),
    st.sampled_from([4.0, 32.0]),
    st.floats(0, 2),
)
def test_fuzz_missing_samples(values, rate, max_gap_s):
    b = sig(values, rate=rate, role="client")
    a = sig(np.ones(400), rate=4.0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            pair = align_pair(a, b, max_gap_s=max_gap_s)
    except InputError as exc:
        assert "no finite value" in str(exc) or "overlap" in str(exc)
        return
    assert np.isfinite(pair.client[0])  # the grid starts on data
    t = pair.times()
    in_gap = np.zeros(len(pair), dtype=bool)
    for gap in pair.gaps:
        assert gap.who == "client" and gap.end_s - gap.start_s > max_gap_s
        in_gap |= (t > gap.start_s) & (t < gap.end_s)
    np.testing.assert_array_equal(np.isnan(pair.client), in_gap)


# -- prepare_pair ------------------------------------------------------------------------------


def session_with(*signals):
    return Session("s1", signals=signals)


def test_prepare_eda_pair_uses_the_cleaned_signal():
    t = np.arange(4 * 300) / 4
    noisy = slow(t) + 0.2 * np.sin(2 * np.pi * 1.5 * t)
    s = session_with(sig(noisy), sig(slow(t), start=30.0, role="client"))
    pair = prepare_pair(s, "eda")
    assert pair.kind == "eda" and pair.start == 30.0
    np.testing.assert_allclose(pair.therapist[20:-20], slow(pair.times())[20:-20], atol=0.02)
    phasic = prepare_pair(s, "eda", eda_component="phasic")
    assert abs(np.nanmean(phasic.client)) < 0.1


def test_prepare_hr_pair_from_hr_and_ibi():
    hr = Signal("hr", "therapist", 1.0, np.full(120, 70.0), start=0.0)
    beats = np.arange(5.0, 130.0, 0.8)
    ibi = Signal("ibi", "client", None, np.full(beats.size, 0.8), start=5.0, times=beats)
    pair = prepare_pair(session_with(hr, ibi), "hr")
    assert pair.kind == "hr" and pair.sampling_rate == 1.0 and pair.start == 5.0
    np.testing.assert_allclose(pair.therapist, 70.0)
    np.testing.assert_allclose(pair.client, 75.0)


def test_prepare_pair_none_when_a_person_lacks_the_signal():
    t = np.arange(400) / 4
    assert prepare_pair(session_with(sig(slow(t))), "eda") is None
    assert prepare_pair(session_with(sig(slow(t))), "hr") is None


@pytest.mark.parametrize(
    ("kind", "kwargs", "match"),
    [
        ("bvp", {}, "kind: is 'bvp'; expected one of eda, hr"),
        ("eda", {"eda_component": "smooth"}, "eda_component"),
    ],
)
def test_prepare_pair_bad_arguments(kind, kwargs, match):
    with pytest.raises(InputError, match=match):
        prepare_pair(session_with(), kind, **kwargs)


def test_method_is_written_from_the_parameters_that_ran():
    m = alignment_method(sampling_rate=2, max_gap_s=4, min_overlap_s=30)
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert m["parameters"] == {"sampling_rate": 2.0, "max_gap_s": 4.0, "min_overlap_s": 30.0}
    text = m["description"]
    assert "at 2 Hz" in text and "(at least 30 s)" in text and "longer than 4 s" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    assert "lower of their sampling rates" in alignment_method()["description"]


def test_method_has_the_options_of_align_pair():
    measure = inspect.signature(align_pair).parameters
    for name, p in inspect.signature(alignment_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name

import inspect
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from attunement.errors import AttunementWarning, InputError
from attunement.signals.eda import MIN_SEGMENT_SAMPLES, eda_method, eda_process

RATE = 4.0


def slow_eda(n=2400, rate=RATE):
    t = np.arange(n) / rate
    return t, 5 + 0.5 * np.sin(2 * np.pi * t / 200)


def test_same_length_and_columns():
    _, x = slow_eda()
    frame, info = eda_process(x, sampling_rate=RATE)
    assert list(frame.columns) == ["eda_raw", "eda_clean", "eda_tonic", "eda_phasic"]
    assert len(frame) == x.size
    np.testing.assert_array_equal(frame["eda_raw"], x)
    assert info["lowpass_hz"] == 1.0
    assert info["phasic_method"] == "highpass"
    assert info["method"]["name"] == "eda_process"


def test_low_pass_removes_fast_noise_at_4_hz():
    """NeuroKit2 skips its low-pass below 6 Hz; a 1.5 Hz ripple must still be removed."""
    t, slow = slow_eda()
    ripple = 0.2 * np.sin(2 * np.pi * 1.5 * t)
    frame, _ = eda_process(slow + ripple, sampling_rate=RATE)
    residual = frame["eda_clean"].to_numpy()[40:-40] - slow[40:-40]
    assert np.std(residual) < 0.1 * np.std(ripple)
    # A slow signal passes unchanged.
    frame, _ = eda_process(slow, sampling_rate=RATE)
    np.testing.assert_allclose(frame["eda_clean"], slow, atol=1e-3)


def test_tonic_takes_the_slow_part_and_phasic_the_responses():
    t, slow = slow_eda()
    responses = 0.3 * np.sin(2 * np.pi * 0.25 * t)  # 4 s cycles, well above 0.05 Hz
    frame, _ = eda_process(slow + responses, sampling_rate=RATE)
    mid = slice(400, -400)
    np.testing.assert_allclose(frame["eda_tonic"].to_numpy()[mid], slow[mid], atol=0.02)
    np.testing.assert_allclose(frame["eda_phasic"].to_numpy()[mid], responses[mid], atol=0.03)
    total = (frame["eda_tonic"] + frame["eda_phasic"]).to_numpy()[mid]
    np.testing.assert_allclose(total, frame["eda_clean"].to_numpy()[mid], atol=1e-6)


def test_smoothmedian_method():
    _, x = slow_eda()
    frame, info = eda_process(x, sampling_rate=RATE, phasic_method="smoothmedian")
    assert info["phasic_method"] == "smoothmedian"
    assert np.isfinite(frame["eda_phasic"]).all()


def test_short_hole_is_bridged_and_long_hole_stays_nan():
    _, x = slow_eda()
    x = x.copy()
    x[100:104] = np.nan  # 4 samples: 1.25 s between the finite neighbours
    x[1000:1040] = np.nan  # 10 s
    frame, info = eda_process(x, sampling_rate=RATE)
    clean = frame["eda_clean"].to_numpy()
    assert np.isfinite(clean[100:104]).all()
    np.testing.assert_allclose(clean[100:104], slow_eda()[1][100:104], atol=1e-3)
    assert np.isnan(clean[1000:1040]).all()
    assert np.isfinite(np.delete(clean, np.arange(1000, 1040))).all()
    for col in ("eda_tonic", "eda_phasic"):
        assert np.isnan(frame[col].to_numpy()[1000:1040]).all()
    assert np.isnan(frame["eda_raw"].to_numpy()[100:104]).all()  # the input is kept
    assert info["n_interpolated"] == 4
    assert info["gaps"] == [(999 / RATE, 1040 / RATE)]


def test_interpolation_limit_is_configurable():
    _, x = slow_eda()
    x = x.copy()
    x[100:104] = np.nan
    frame, info = eda_process(x, sampling_rate=RATE, max_interp_s=1.0)
    assert np.isnan(frame["eda_clean"].to_numpy()[100:104]).all()
    assert info["n_interpolated"] == 0


def test_leading_and_trailing_nan_stay_nan():
    _, x = slow_eda(400)
    x = x.copy()
    x[:3] = np.nan
    x[-2:] = np.nan
    frame, _ = eda_process(x, sampling_rate=RATE)
    clean = frame["eda_clean"].to_numpy()
    assert np.isnan(clean[:3]).all() and np.isnan(clean[-2:]).all()
    assert np.isfinite(clean[3:-2]).all()


def test_segment_too_short_to_filter_is_nan_with_warning():
    _, x = slow_eda(400)
    x = x.copy()
    x[100:120] = np.nan
    x[125:200] = np.nan  # leaves a 5-sample island
    with pytest.warns(AttunementWarning, match="too short to filter"):
        frame, _ = eda_process(x, sampling_rate=RATE)
    assert np.isnan(frame["eda_clean"].to_numpy()[120:125]).all()


def test_all_nan_warns_and_returns_nan():
    with pytest.warns(AttunementWarning, match="no finite value"):
        frame, _ = eda_process(np.full(50, np.nan), sampling_rate=RATE)
    assert frame[["eda_clean", "eda_tonic", "eda_phasic"]].isna().all().all()


def test_low_rate_skips_the_low_pass():
    t = np.arange(600) / 2.0
    x = 5 + np.sin(2 * np.pi * t / 100)
    frame, info = eda_process(x, sampling_rate=2.0)
    assert info["lowpass_hz"] is None
    np.testing.assert_array_equal(frame["eda_clean"], x)


def test_flat_signal_is_fine():
    frame, _ = eda_process(np.full(100, 3.0), sampling_rate=RATE)
    np.testing.assert_allclose(frame["eda_clean"], 3.0)
    np.testing.assert_allclose(frame["eda_phasic"], 0.0, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"values": np.ones((10, 2))}, "expected one value per sample"),
        ({"values": np.array([])}, "no samples"),
        ({"sampling_rate": 0}, "sampling_rate: is 0; expected a positive"),
        ({"sampling_rate": -4}, "sampling_rate"),
        ({"sampling_rate": float("nan")}, "sampling_rate"),
        ({"sampling_rate": "fast"}, "sampling_rate"),
        ({"lowpass_hz": 0}, "lowpass_hz"),
        ({"order": 0}, "order"),
        ({"order": 2.5}, "order"),
        ({"max_interp_s": -1}, "max_interp_s"),
        ({"phasic_method": "cvxEDA"}, "expected one of highpass, smoothmedian"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"values": np.ones(100), "sampling_rate": RATE, **kwargs}
    values = args.pop("values")
    with pytest.raises(InputError, match=match):
        eda_process(values, **args)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        float,
        st.integers(1, 300),
        elements=st.one_of(st.floats(0.0, 50.0), st.just(np.nan)),
    )
)
def test_fuzz_nan_patterns(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        frame, _ = eda_process(x, sampling_rate=RATE)
    assert len(frame) == x.size
    clean = frame["eda_clean"].to_numpy()
    # Never invents data where a long stretch is missing, never fails on a finite stretch.
    assert np.all(np.isfinite(clean) <= np.isfinite(frame["eda_tonic"]))
    if np.isfinite(x).all() and x.size >= MIN_SEGMENT_SAMPLES:
        assert np.isfinite(clean).all()
    if not np.isfinite(x).any():
        assert np.isnan(clean).all()


def test_method_is_written_from_the_parameters_that_ran():
    m = eda_method(lowpass_hz=0.5, order=2, max_interp_s=3, phasic_method="smoothmedian")
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert m["parameters"] == {
        "lowpass_hz": 0.5,
        "order": 2,
        "max_interp_s": 3.0,
        "phasic_method": "smoothmedian",
    }
    text = m["description"]
    assert "low-pass filtered at 0.5 Hz (zero-phase order-2 Butterworth" in text
    assert "running median" in text and "holes of up to 3 s" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    assert "NeuroKit2" in m["citation"]
    used = eda_method(component="clean")
    assert used["parameters"]["component"] == "clean"
    assert "Synchrony was computed on the low-passed skin conductance" in used["description"]


def test_info_method_is_that_of_the_run():
    _, info = eda_process(slow_eda()[1], sampling_rate=RATE, max_interp_s=1.0)
    assert info["method"] == eda_method(max_interp_s=1.0)
    _, info = eda_process(slow_eda(n=400, rate=2.0)[1], sampling_rate=2.0)
    assert info["method"]["parameters"]["lowpass_hz"] is None
    assert "not low-pass filtered" in info["method"]["description"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"phasic_method": "cvx"}, "phasic_method"), ({"component": "x"}, "component")],
)
def test_method_refuses_unknown_choices(kwargs, field):
    with pytest.raises(InputError, match=field):
        eda_method(**kwargs)


def test_method_has_the_options_of_eda_process():
    measure = inspect.signature(eda_process).parameters
    for name, p in inspect.signature(eda_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        if name != "component":
            assert measure[name].default == p.default, name

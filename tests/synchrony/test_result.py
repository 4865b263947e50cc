"""The one result shape of the measurements (``attunement.synchrony.result``)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from attunement.errors import AttunementWarning
from attunement.language import affect_alignment, session_lsm, talk_metrics, turn_lsm_test
from attunement.language.lsm import lsm, turn_lsm
from attunement.synchrony import (
    headline_test,
    leader_follower,
    marci_sci,
    peak_picking,
    pseudo_dyad_test,
    surrogate_test,
    wclc,
)
from attunement.synchrony.result import MeasurementResult, Method, one_row

COLUMN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"


def test_method_is_a_read_only_mapping():
    m = Method("demo_method", "Windows of 30 s.", {"window_s": 30.0}, "Someone (2024).")
    assert list(m) == ["name", "description", "parameters", "citation"]
    assert dict(m) == m.to_dict()
    assert m == {
        "name": "demo_method",
        "description": "Windows of 30 s.",
        "parameters": {"window_s": 30.0},
        "citation": "Someone (2024).",
    }
    assert json.loads(json.dumps(dict(m)))["parameters"] == {"window_s": 30.0}
    with pytest.raises(KeyError):
        m["other"]
    with pytest.raises(AttributeError):
        m.name = "other"  # frozen


@pytest.mark.parametrize(
    ("name", "description", "match"),
    [
        ("Demo", "Fine.", "not snake_case"),
        ("demo", "Windows of {window_s} s.", r"leaves \{window_s\} unfilled"),
    ],
)
def test_method_refuses_a_bad_name_or_an_unfilled_description(name, description, match):
    with pytest.raises(ValueError, match=match):
        Method(name, description)


def test_result_checks_its_shape():
    method = Method("demo", "Demo.")
    ok = MeasurementResult(pd.DataFrame({"r": [0.1]}), one_row(mean_r=0.1), method)
    assert ok["mean_r"] == 0.1 and isinstance(ok["mean_r"], float)
    with pytest.raises(KeyError, match="expected one of mean_r"):
        ok["p_value"]
    with pytest.raises(ValueError, match="2 rows; expected one"):
        MeasurementResult(pd.DataFrame(), pd.DataFrame({"r": [1, 2]}), method)
    with pytest.raises(ValueError, match=r"not snake_case identifiers: \[-1.0\]"):
        MeasurementResult(pd.DataFrame({-1.0: [0.1]}), one_row(r=1), method)
    with pytest.raises(ValueError, match="Lag"):
        MeasurementResult(pd.DataFrame(), one_row(Lag=1), method)
    with pytest.raises(TypeError, match="expected a Method"):
        MeasurementResult(pd.DataFrame(), one_row(r=1), dict(method))


def test_summary_values_are_python_scalars():
    res = MeasurementResult(
        pd.DataFrame(), one_row(n=np.int64(3), x=np.float64(0.5)), Method("a", "A.")
    )
    assert res.as_dict() == {"n": 3, "x": 0.5}
    assert all(type(v) in (int, float) for v in res.as_dict().values())


def _every_measurement():
    rng = np.random.default_rng(0)
    t = np.convolve(rng.standard_normal(700), np.ones(8) / 8, "same")
    c = np.r_[np.zeros(3), t[:-3]] + 0.05 * rng.standard_normal(700)
    opts = {"sampling_rate": 1.0, "window_s": 30, "lag_s": 5, "step_s": 10}
    turns = pd.DataFrame(
        {
            "speaker": ["T", "C"] * 6,
            "role": ["therapist", "client"] * 6,
            "start_s": np.arange(12.0) * 5,
            "end_s": np.arange(12.0) * 5 + 4,
            "text": ["I feel so happy today.", "That is wonderful, I am glad."] * 3
            + ["This is awful.", "I hate it, it hurts."] * 3,
        }
    )
    w = wclc(t, c, **opts)
    yield w
    yield surrogate_test(t, c, **opts, n_surrogates=19)
    yield headline_test(t, c, kind="hr", sampling_rate=1.0, n_surrogates=19)
    yield peak_picking(w)
    yield leader_follower(w)
    yield marci_sci(5 + np.cumsum(t) * 0.01, 3 + np.cumsum(c) * 0.01, sampling_rate=1.0)
    yield pseudo_dyad_test([(t, c), (c, t), (t[::-1].copy(), c[::-1].copy())], **opts)
    yield lsm("The cat and the dog", "A bird and a fish")
    yield session_lsm(turns)
    yield turn_lsm(turns)
    yield turn_lsm_test(turns, n_surrogates=10)
    yield affect_alignment(turns, n_surrogates=10, max_lag_turns=0)
    yield talk_metrics(turns)


def test_every_measurement_returns_the_one_shape():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        results = list(_every_measurement())
    assert len({type(r) for r in results}) == 11  # lsm and session_lsm share one, turn_lsm and
    # turn_lsm_test another
    for res in results:
        name = type(res).__name__
        assert isinstance(res, MeasurementResult), name
        assert isinstance(res.table, pd.DataFrame) and len(res.summary) == 1, name
        for column in [*res.table.columns, *res.summary.columns]:
            assert isinstance(column, str) and pd.Series([column]).str.match(COLUMN)[0], (
                name,
                column,
            )
        assert isinstance(res.method, Method) and res.method.description, name
        assert list(res.as_dict()) == res.summary.columns.tolist()

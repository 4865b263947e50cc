import numpy as np
import pytest

from attunement.benchmarks import run_synchrony_benchmark
from attunement.benchmarks.synchrony import _loop_wclc, simulated_eda
from attunement.synchrony.wclc import wclc


def test_the_table_has_every_task_and_identical_numbers():
    table = run_synchrony_benchmark(seconds=120, n_surrogates=5, repeats=1)
    assert table["task"].tolist() == [
        "attunement_wclc",
        "numpy_loop",
        "neurokit2_signal_synchrony",
        "attunement_surrogates",
        "attunement_headline_test",
    ]
    assert table.columns.tolist() == [
        "task",
        "what",
        "seconds",
        "ratio",
        "peak_mib",
        "max_abs_diff",
        "note",
    ]
    assert (table["seconds"] > 0).all() and (table["peak_mib"] > 0).all()
    assert table.loc[0, "ratio"] == 1.0
    assert table.loc[1, "max_abs_diff"] <= 1e-9
    assert "no lags" in table.loc[2, "note"]


def test_the_loop_is_the_reference_semantics():
    x, y = simulated_eda(300, 4.0, seed=3)
    x[100:110] = np.nan
    expected = wclc(x, y, sampling_rate=4.0, window_s=30, lag_s=5, step_s=10).values
    np.testing.assert_allclose(_loop_wclc(x, y, 4.0), expected, atol=1e-9)


def test_simulated_client_follows_by_two_seconds():
    x, y = simulated_eda(600, 4.0, seed=1)
    res = wclc(x, y, sampling_rate=4.0, window_s=30, lag_s=5, step_s=10)
    assert np.nanmedian(res.windows["best_lag_s"]) == pytest.approx(2.0, abs=0.25)

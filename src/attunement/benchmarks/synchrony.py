"""Benchmark of windowed cross-lagged correlation against its peers, measured in one run.

One recording per person of simulated 4 Hz skin conductance (a slow drift plus skin-conductance
responses; the client's responses follow the therapist's by 2 s), analysed with 30 s windows,
10 s steps and lags of +-5 s:

- ``attunement_wclc``: :func:`attunement.synchrony.wclc.wclc`;
- ``numpy_loop``: a straightforward loop over windows and lags with ``numpy.corrcoef`` on the
  complete pairs; its numbers must equal attunement's (the largest difference is reported);
- ``neurokit2_signal_synchrony``: NeuroKit2's rolling correlation, which has no lags;
- ``attunement_surrogates``: :func:`attunement.synchrony.surrogates.surrogate_test` with
  ``n_surrogates`` surrogates;
- ``attunement_headline_test``: :func:`attunement.synchrony.headline.headline_test` of EDA, the
  test ``analyze`` reports, with ``n_surrogates`` circular shifts.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from attunement.errors import AttunementError, AttunementWarning
from attunement.synchrony.headline import headline_test
from attunement.synchrony.surrogates import surrogate_test
from attunement.synchrony.wclc import Z_BOUND, wclc

__all__ = ["run_synchrony_benchmark"]

WINDOW_S, LAG_S, STEP_S = 30.0, 5.0, 10.0
#: Largest difference allowed between attunement and the per-window loop.
TOLERANCE = 1e-9


def simulated_eda(
    seconds: float, sampling_rate: float, *, lead_s: float = 2.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two people's simulated skin conductance (microsiemens); the client follows by ``lead_s``.

    Examples
    --------
    >>> t, c = simulated_eda(60, 4.0)
    >>> t.shape, c.shape
    ((240,), (240,))
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * sampling_rate)
    delay = round(lead_s * sampling_rate)
    kernel_t = np.arange(int(10 * sampling_rate)) / sampling_rate
    scr = (1 - np.exp(-kernel_t / 0.75)) * np.exp(-kernel_t / 2.0)  # rise and recovery
    onsets = (rng.random(n + delay) < 0.05 / sampling_rate) * rng.uniform(0.1, 0.6, n + delay)
    phasic = np.convolve(onsets, scr)[: n + delay]

    def person(level: float, shared: np.ndarray) -> np.ndarray:
        drift = np.cumsum(rng.standard_normal(n)) * 0.002
        own = np.convolve((rng.random(n) < 0.02 / sampling_rate) * rng.uniform(0.1, 0.6, n), scr)[
            :n
        ]
        return level + drift + shared + own + 0.005 * rng.standard_normal(n)

    return person(4.0, phasic[delay:]), person(2.5, phasic[:n])


def _loop_wclc(x: np.ndarray, y: np.ndarray, sampling_rate: float) -> np.ndarray:
    """The straightforward per-window, per-lag computation (Fisher z, signed)."""
    win = round(WINDOW_S * sampling_rate)
    lag = round(LAG_S * sampling_rate)
    inc = round(STEP_S * sampling_rate)
    n_windows = math.ceil((x.size - win - lag + 1) / inc)
    out = np.full((n_windows, 2 * lag + 1), np.nan)
    for i in range(n_windows):
        a = i * inc
        xw, yw = x[a : a + win + lag], y[a : a + win + lag]
        if max(np.isnan(xw).sum(), np.isnan(yw).sum()) > (win + lag) / 2:
            continue
        for j, k in enumerate(range(-lag, lag + 1)):
            xs = xw[-k : -k + win] if k < 0 else xw[:win]
            ys = yw[:win] if k < 0 else yw[k : k + win]
            ok = ~(np.isnan(xs) | np.isnan(ys))
            if ok.sum() < 3 or np.ptp(xs[ok]) == 0 or np.ptp(ys[ok]) == 0:
                continue
            r = np.corrcoef(xs[ok], ys[ok])[0, 1]
            with np.errstate(divide="ignore"):
                out[i, j] = np.clip(np.arctanh(np.clip(r, -1, 1)), -Z_BOUND, Z_BOUND)
    return out


def _seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds per call over ``repeats`` timings of enough calls to last >= 20 ms."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    number = max(1, math.ceil(0.02 / max(first, 1e-9)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def _peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run_synchrony_benchmark(
    *,
    seconds: float = 3600,
    sampling_rate: float = 4.0,
    n_surrogates: int = 1000,
    repeats: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """Time attunement's windowed cross-lagged correlation beside its peers, in one run.

    Parameters
    ----------
    seconds : float, default 3600
        Length of each person's simulated recording.
    sampling_rate : float, default 4.0
        Samples per second (Empatica E4 skin conductance is 4 Hz).
    n_surrogates : int, default 1000
        Surrogates for the surrogate-test row.
    repeats : int, default 5
        Timings per task; the median is reported.
    seed : int, default 0
        Seed of the simulated recordings and of the surrogates.

    Returns
    -------
    pandas.DataFrame
        One row per task (``task``: ``attunement_wclc``, ``numpy_loop``,
        ``neurokit2_signal_synchrony``, ``attunement_surrogates``,
        ``attunement_headline_test``) with ``what`` (what it
        computes), ``seconds`` (median per call), ``peak_mib`` (peak memory allocated during one
        call, by tracemalloc), ``ratio`` (``seconds`` divided by attunement_wclc's: how many
        times longer than attunement's windowed cross-lagged correlation the task takes),
        ``max_abs_diff`` (largest difference from attunement's matrix, where comparable) and
        ``note``.

    Raises
    ------
    AttunementError
        If the per-window loop's numbers differ from attunement's by more than 1e-9.

    Examples
    --------
    >>> table = run_synchrony_benchmark(seconds=120, n_surrogates=5, repeats=1)
    >>> table["task"].tolist()[:2]
    ['attunement_wclc', 'numpy_loop']
    """
    import neurokit2 as nk

    x, y = simulated_eda(seconds, sampling_rate, seed=seed)
    params = {
        "sampling_rate": sampling_rate,
        "window_s": WINDOW_S,
        "lag_s": LAG_S,
        "step_s": STEP_S,
    }
    win = round(WINDOW_S * sampling_rate)

    def ours() -> np.ndarray:
        return wclc(x, y, **params).values

    def loop() -> np.ndarray:
        return _loop_wclc(x, y, sampling_rate)

    def neurokit() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nk.signal_synchrony(x, y, method="correlation", window_size=win)

    def surrogates() -> object:
        with warnings.catch_warnings():  # short runs allow few different surrogates
            warnings.simplefilter("ignore", AttunementWarning)
            return surrogate_test(x, y, **params, n_surrogates=n_surrogates, seed=seed)

    def headline() -> object:
        return headline_test(
            x, y, kind="eda", sampling_rate=sampling_rate, n_surrogates=n_surrogates, seed=seed
        )

    a, b = ours(), loop()
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        raise AttunementError("the per-window loop and wclc disagree on which cells are NaN")
    diff = float(np.nanmax(np.abs(a - b))) if np.isfinite(a).any() else 0.0
    if diff > TOLERANCE:
        raise AttunementError(f"the per-window loop and wclc differ by {diff:.3g}")

    lags = 2 * round(LAG_S * sampling_rate) + 1
    rows = [
        (
            "attunement_wclc",
            f"windowed cross-lagged correlation, {lags} lags, Fisher z",
            ours,
            math.nan,
            "",
        ),
        (
            "numpy_loop",
            "the same, one numpy.corrcoef per window and lag",
            loop,
            diff,
            "identical numbers",
        ),
        (
            "neurokit2_signal_synchrony",
            f"rolling Pearson r over {win} samples, stepped by 1 sample",
            neurokit,
            math.nan,
            "different semantics: no lags, a window at every sample, edges filled with the mean",
        ),
        (
            "attunement_surrogates",
            f"surrogate test, {n_surrogates} segment-shuffled surrogates",
            surrogates,
            math.nan,
            "observed matrix plus every surrogate's",
        ),
        (
            "attunement_headline_test",
            f"headline EDA test (first differences, 15 s windows), {n_surrogates} circular shifts",
            headline,
            math.nan,
            "what analyze and sync report; preparation included",
        ),
    ]
    table = []
    for task, what, fn, max_diff, note in rows:
        table.append(
            {
                "task": task,
                "what": what,
                "seconds": _seconds(fn, repeats),
                "peak_mib": _peak_mib(fn),
                "max_abs_diff": max_diff,
                "note": note,
            }
        )
    out = pd.DataFrame(table)
    out.insert(3, "ratio", out["seconds"] / out.loc[0, "seconds"])
    return out

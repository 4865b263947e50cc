"""The synchrony figures a surrogate or pseudo-dyad test computes from windowed cross-lagged
correlations, for the true pair and for many surrogates at once.

:data:`STATISTICS` names them; :func:`_window_figure` gives each window's figure (the rolling
plot), :func:`_statistic` the session's, and :func:`_batch_statistics` both for a block of
client series run through the batched kernel.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony._kernel import (
    _BatchKernel,
    _finite_mean,
    _one_blas_thread,
    _Plan,
    _row_max,
    _transform,
)

__all__ = ["DEFAULT_BAND_LAG_S", "STATISTICS"]

#: Synchrony figures :func:`~attunement.synchrony.surrogates.surrogate_test` can test.
STATISTICS: dict[str, str] = {
    "grand_average": "mean of all defined cells of the windowed cross-lagged correlation matrix",
    "peak": "mean over windows of each window's largest value over lags (Boker et al., 2002)",
    "lag_zero": "mean over windows of the lag-0 correlation",
    "lag_band": "mean over windows of the mean correlation over the lags near zero",
}

#: Half-width of the lags averaged by ``statistic="lag_band"`` unless ``band_lag_s`` is given.
DEFAULT_BAND_LAG_S = 2.5


def _check_choice(value: str, choices: dict[str, str], name: str) -> str:
    if value not in choices:
        raise InputError(
            f"unknown {name} {value!r}; expected one of: " + ", ".join(sorted(choices)),
            field=name,
        )
    return value


def _window_figure(z: np.ndarray, statistic: str, lag: int, band: int = 0) -> np.ndarray:
    """(..., n_windows, n_lags) -> (..., n_windows): each window's figure.

    ``lag`` is the column of lag 0; ``band`` the half-width, in samples, of ``lag_band``.
    """
    if statistic == "grand_average":
        return _finite_mean(z, axis=-1)
    if statistic == "peak":
        return _row_max(z)
    if statistic == "lag_band":
        return _finite_mean(z[..., lag - band : lag + band + 1], axis=-1)
    return z[..., lag]


def _statistic(z: np.ndarray, statistic: str, lag: int, band: int = 0) -> np.ndarray:
    """(..., n_windows, n_lags) -> (...): the synchrony figure."""
    if statistic == "grand_average":
        return _finite_mean(z, axis=(-2, -1))
    if statistic == "lag_band":
        return _finite_mean(z[..., lag - band : lag + band + 1], axis=(-2, -1))
    return _finite_mean(_window_figure(z, statistic, lag), axis=-1)


def _band_samples(statistic: str, band_lag_s: float | None, plan: _Plan) -> int:
    """Half-width in samples of the ``lag_band`` lags (0 for the other statistics)."""
    if statistic != "lag_band":
        if band_lag_s is not None:
            raise InputError("band_lag_s applies to statistic='lag_band'", field="band_lag_s")
        return 0
    value = DEFAULT_BAND_LAG_S if band_lag_s is None else band_lag_s
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise InputError(f"is {value!r}; expected seconds >= 0", field="band_lag_s")
    band = math.floor(seconds * plan.sampling_rate + 1e-9)  # the lags within +-band_lag_s
    if band > plan.lag:
        raise InputError(
            f"is {value!r} s; expected at most the largest lag, {plan.lag_s:g} s",
            field="band_lag_s",
        )
    return band


def _batch_statistics(
    kernel: _BatchKernel,
    n_series: int,
    compute: Callable[[int, int], np.ndarray],
    *,
    statistic: str,
    fisher_z: bool,
    absolute: bool,
    band: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Statistic (n_series,) and window figures (n_series, n_windows) of many client series.

    ``compute(lo, hi)`` returns the raw correlations of client series ``lo ... hi - 1``.
    """
    lag = kernel.plan.lag
    stats = np.empty(n_series)
    figures = np.empty((n_series, kernel.plan.n_windows))
    with _one_blas_thread():
        for lo in range(0, n_series, kernel.chunk_rows):
            hi = min(n_series, lo + kernel.chunk_rows)
            z = _transform(compute(lo, hi), fisher_z=fisher_z, absolute=absolute)
            stats[lo:hi] = _statistic(z, statistic, lag, band)
            figures[lo:hi] = _window_figure(z, statistic, lag, band)
    return stats, figures


def _same_length(x: np.ndarray, y: np.ndarray, name: str) -> None:
    if x.size != y.size:
        raise InputError(
            f"the series differ in length: therapist has {x.size} samples, client {y.size}; "
            "expected both on one clock with the same length",
            field=name,
        )


def _warn_undefined_surrogates(values: np.ndarray, what: str) -> None:
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        warnings.warn(
            f"{bad} of {values.size} {what} give no defined synchrony value (every window "
            "missing, flat or too short of complete pairs); they are left out",
            AttunementWarning,
            stacklevel=3,
        )

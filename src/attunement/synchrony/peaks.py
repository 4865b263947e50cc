"""Peak picking in windowed cross-correlations (Boker et al., 2002).

In each window the cross-correlation function (r, or Fisher z, against lag) may have several
bumps. Boker et al. take, per window, the *local maximum closest to lag 0*: the strength and the
lag of the association that is nearest in time, rather than the largest value anywhere, which
is often a spurious bump at a long lag.

As Boker et al. do with loess, each function is first smoothed: here by a local quadratic fit
over ``span_s`` seconds of lags (a Savitzky–Golay filter, i.e. loess with uniform weights and
no robustness iterations), so that sample-to-sample noise near lag 0 does not pass for a peak.
A lag is then a peak when its smoothed value is higher than every value within ``min_size``
lags on each side (near the ends of the lag range, every value that exists). A maximum at the
first or last lag is not a local maximum (it may continue beyond the lags computed) and is not
picked. The reported ``peak_r`` is the unsmoothed correlation at the peak's lag.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony._kernel import _finite_mean
from attunement.synchrony.result import MeasurementResult, Method, one_row
from attunement.synchrony.wclc import WCLCResult

__all__ = ["PeakResult", "peak_picking", "peak_picking_method"]


@dataclass(frozen=True, slots=True, eq=False)
class PeakResult(MeasurementResult):
    """Result of :func:`peak_picking`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per window: ``start_s`` (NaN when the input gave no window starts),
        ``peak_r`` (the value at the peak, in the matrix's unit: r, or Fisher z when the
        correlations were transformed) and ``peak_lag_s`` (its lag in seconds; positive: the
        client follows the therapist). Both NaN for a window without a peak.
    summary : pandas.DataFrame
        One row: ``n_windows``, ``n_peaks`` (windows with a peak), ``median_peak_lag_s`` and
        ``mean_peak_r`` (over the windows with a peak; NaN without any).
    method : Method
        :func:`peak_picking_method` of the parameters that ran.
    """


#: Columns of a lag matrix that are not lags.
_NOT_LAGS = frozenset({"start_s", "end_s", "mid_s", "window"})
_LAG_NAME = re.compile(r"^\s*(?:lag)?[_ ]?([+-]?\d+(?:\.\d*)?(?:e[+-]?\d+)?)\s*s?\s*$", re.I)


def _lag_of(column: Any) -> float | None:
    """The lag (s) a column label stands for: a number, or text such as ``'lag-5'``."""
    if isinstance(column, (int, float, np.integer, np.floating)) and not isinstance(column, bool):
        return float(column)
    if isinstance(column, str):
        m = _LAG_NAME.match(column)
        if m:
            return float(m.group(1))
    return None


def _lag_matrix(
    matrix: Any, *, lags_s: Any = None, start_s: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows x lags values, sorted lags (s) and window starts (s) from a WCLC-like input.

    Accepts a :class:`~attunement.synchrony.wclc.WCLCResult` (its ``.values``, ``.lags_s`` and
    window starts), a DataFrame with an optional ``start_s`` column and one column per lag
    (labels that are numbers of seconds, or text such as ``'lag-5'`` or ``'lag_-5.0'``), or a
    2-D array with ``lags_s``.

    Raises
    ------
    InputError
        For another type, a column that is not a lag, no or duplicate lags, or an array whose
        width differs from ``lags_s``.
    """
    if isinstance(matrix, WCLCResult):
        if lags_s is not None:
            raise InputError(
                "lags_s is given with a WCLC result; expected the lags it holds",
                field="lags_s",
            )
        lags_s = matrix.lags_s
        start_s = matrix.windows["start_s"].to_numpy(dtype=float)
        matrix = matrix.values
    if isinstance(matrix, pd.DataFrame):
        if lags_s is not None:
            raise InputError(
                "lags_s is given with a DataFrame; expected the lags as its column labels",
                field="lags_s",
            )
        columns = [c for c in matrix.columns if not (isinstance(c, str) and c in _NOT_LAGS)]
        lags = [_lag_of(c) for c in columns]
        bad = [repr(c) for c, lag in zip(columns, lags, strict=True) if lag is None]
        if bad:
            raise InputError(
                f"columns {', '.join(bad)} are not lags; expected start_s and one column per "
                "lag in seconds (e.g. -5.0 or 'lag-5')",
                field="matrix",
            )
        try:
            values = matrix[columns].to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"holds a value that is not a number: {exc}", field="matrix") from None
        starts = (
            pd.to_numeric(matrix["start_s"], errors="coerce").to_numpy(dtype=float)
            if "start_s" in matrix.columns
            else np.full(len(matrix), np.nan)
        )
        lags_arr = np.asarray(lags, dtype=float)
    else:
        try:
            values = np.asarray(matrix, dtype=float)
        except (TypeError, ValueError):
            raise InputError(
                f"got {type(matrix).__name__}; expected a WCLC result, a DataFrame of lags or a "
                "2-D array",
                field="matrix",
            ) from None
        if values.ndim != 2:
            raise InputError(
                f"has shape {values.shape}; expected windows x lags (2-D)", field="matrix"
            )
        if lags_s is None:
            raise InputError("a 2-D array needs lags_s (one lag per column)", field="lags_s")
        lags_arr = np.asarray(lags_s, dtype=float).ravel()
        if lags_arr.size != values.shape[1]:
            raise InputError(
                f"has {lags_arr.size} lags for {values.shape[1]} columns; expected one per column",
                field="lags_s",
            )
        starts = (
            np.full(values.shape[0], np.nan)
            if start_s is None
            else np.asarray(start_s, dtype=float).ravel()
        )
        if starts.size != values.shape[0]:
            raise InputError(
                f"has {starts.size} values for {values.shape[0]} windows; expected one per window",
                field="start_s",
            )
    if lags_arr.size == 0:
        raise InputError("has no lag column; expected one column per lag", field="matrix")
    if not np.all(np.isfinite(lags_arr)) or np.unique(lags_arr).size != lags_arr.size:
        raise InputError(
            f"lags {lags_arr.tolist()} are not distinct finite seconds", field="matrix"
        )
    order = np.argsort(lags_arr, kind="stable")
    return values[:, order], lags_arr[order], starts


def _local_peaks(values: np.ndarray, min_size: int) -> np.ndarray:
    """Cells higher than every cell within ``min_size`` columns on each side (those that exist).

    The first and last columns are never peaks: a maximum there may continue beyond the lags
    computed.
    """
    n_rows, n_lags = values.shape
    padded = np.full((n_rows, n_lags + 2 * min_size), -np.inf)
    padded[:, min_size : min_size + n_lags] = values
    mask = np.isfinite(values)
    for j in range(1, min_size + 1):
        mask &= values > padded[:, min_size - j : min_size - j + n_lags]
        mask &= values > padded[:, min_size + j : min_size + j + n_lags]
    mask[:, [0, -1]] = False
    return mask


def _smoothed(values: np.ndarray, lags: np.ndarray, span_s: float) -> np.ndarray:
    """Each fully defined row smoothed by a local quadratic over ``span_s`` seconds of lags."""
    try:
        span = float(span_s)
    except (TypeError, ValueError):
        span = float("nan")
    if not (span >= 0 and np.isfinite(span)):
        raise InputError(
            f"is {span_s!r}; expected a non-negative number of seconds", field="span_s"
        )
    step = np.diff(lags)
    n_points = min(lags.size, int(span / step.min() + 1e-9) + 1) if span > 0 else 0
    n_points -= 1 - n_points % 2
    if n_points <= 3:
        return values
    if not np.allclose(step, step[0], rtol=1e-6):
        raise InputError(
            "lags are not evenly spaced, so they cannot be smoothed; expected lags one sample "
            "apart, or span_s=0",
            field="span_s",
        )
    from scipy.signal import savgol_filter

    out = values.copy()
    full = np.isfinite(values).all(axis=1)
    if full.any():
        out[full] = savgol_filter(values[full], n_points, 2, axis=1, mode="interp")
    return out


def peak_picking(
    matrix: Any,
    *,
    lags_s: Any = None,
    start_s: Any = None,
    search_lag_s: float | None = None,
    min_size: int = 2,
    span_s: float = 2.0,
) -> PeakResult:
    """Per window, the local maximum of the cross-correlation function closest to lag 0.

    Parameters
    ----------
    matrix : WCLCResult, pandas.DataFrame or 2-D array
        Windowed cross-lagged correlations: a result of
        :func:`attunement.synchrony.wclc.wclc`, a DataFrame (``start_s`` and one column per
        lag in seconds, labelled by the number or as ``'lag_-5.0'``), or an array of windows x
        lags with ``lags_s``.
    lags_s : array of float, optional
        The lag (s) of each column; only for an array.
    start_s : array of float, optional
        The start (s) of each window; only for an array (NaN when omitted).
    search_lag_s : float, optional
        Only peaks at ``|lag| <= search_lag_s`` count (the values beyond still decide whether a
        lag is a local maximum). Default: every lag.
    min_size : int, default 2
        A peak must be higher than the ``min_size`` neighbouring lags on each side (a count of
        lags, i.e. of samples, like the span of Boker's smoother; near the ends of the lag
        range, than those that exist).
    span_s : float, default 2.0
        Width in seconds of the local quadratic smoother applied to each window's function
        before peaks are sought (the largest odd number of lags within it; 3 lags or fewer, or
        0, means no smoothing: at 1 Hz the default leaves the function as it is). Windows with
        an undefined lag are not smoothed. Needs evenly spaced lags.

    Returns
    -------
    PeakResult
        ``.table``: one row per window, ``start_s``, ``peak_r`` (the value at the peak, in the
        matrix's unit: r, or Fisher z when the correlations were transformed) and
        ``peak_lag_s`` (its lag in seconds; positive: the client follows the therapist), both
        NaN for a window without a peak; of two peaks equally close to 0, the higher is taken.
        ``.summary``: one row, ``n_windows``, ``n_peaks``, ``median_peak_lag_s``,
        ``mean_peak_r``. ``.method``: :func:`peak_picking_method` of these parameters.

    Raises
    ------
    InputError
        For an input that is not a lag matrix, ``min_size`` that is not a positive whole
        number, fewer than 3 lags, a negative ``search_lag_s`` or ``span_s``, or smoothing
        asked for on unevenly spaced lags.

    Warns
    -----
    AttunementWarning
        When windows have no peak (all NaN, flat, or monotonic within the searched lags).

    References
    ----------
    Boker, S. M., Xu, M., Rotondo, J. L., & King, K. (2002). Windowed cross-correlation and peak
    picking for the analysis of variability in the association between behavioral time series.
    Psychological Methods, 7(3), 338-355.

    Examples
    --------
    >>> lags = np.arange(-3, 4) * 1.0
    >>> m = np.array([[0.1, 0.5, 0.2, 0.1, 0.3, 0.6, 0.4]])   # peaks at -2 s and +2 s
    >>> res = peak_picking(m, lags_s=lags, min_size=1)
    >>> res.table.to_dict("records")
    [{'start_s': nan, 'peak_r': 0.6, 'peak_lag_s': 2.0}]
    >>> res["n_peaks"], res.method["parameters"]["min_size"]
    (1, 1)
    """
    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)) or min_size < 1:
        raise InputError(f"is {min_size!r}; expected a positive whole number", field="min_size")
    min_size = int(min_size)
    values, lags, starts = _lag_matrix(matrix, lags_s=lags_s, start_s=start_s)
    if lags.size < 3:
        raise InputError(
            f"has {lags.size} lag(s); a peak needs a lag on each side: expected at least 3",
            field="matrix",
        )
    peaks = _local_peaks(_smoothed(values, lags, span_s), min_size)
    if search_lag_s is not None:
        try:
            limit = float(search_lag_s)
        except (TypeError, ValueError):
            limit = float("nan")
        if not (limit >= 0):
            raise InputError(
                f"is {search_lag_s!r}; expected a non-negative number of seconds",
                field="search_lag_s",
            )
        peaks &= np.abs(lags) <= limit + 1e-9
    distance = np.where(peaks, np.abs(lags), np.inf)
    nearest = distance.min(axis=1, initial=np.inf)
    found = np.isfinite(nearest)
    tied = peaks & (distance == nearest[:, None])
    best = np.where(tied, values, -np.inf).argmax(axis=1)
    rows = np.arange(values.shape[0])
    peak_r = np.where(found, values[rows, best], np.nan)
    peak_lag = np.where(found, lags[best], np.nan)
    missing = int(np.count_nonzero(~found))
    if missing:
        empty = int(np.count_nonzero(~np.isfinite(values).any(axis=1)))
        warnings.warn(
            f"{missing} of {values.shape[0]} windows have no local peak "
            f"({empty} of them have no defined correlation); their peak_r and peak_lag_s are "
            "NaN",
            AttunementWarning,
            stacklevel=2,
        )
    table = pd.DataFrame({"start_s": starts, "peak_r": peak_r, "peak_lag_s": peak_lag})
    summary = one_row(
        n_windows=int(values.shape[0]),
        n_peaks=int(np.count_nonzero(found)),
        median_peak_lag_s=float(np.median(peak_lag[found])) if found.any() else float("nan"),
        mean_peak_r=float(_finite_mean(peak_r)),
    )
    method = peak_picking_method(span_s=span_s, min_size=min_size, search_lag_s=search_lag_s)
    return PeakResult(table=table, summary=summary, method=method)


_BOKER_2002 = (
    "Boker, S. M., Xu, M., Rotondo, J. L., & King, K. (2002). Windowed cross-correlation and "
    "peak picking for the analysis of variability in the association between behavioral time "
    "series. Psychological Methods, 7(3), 338-355."
)


def _peak_rule(*, span_s: float, min_size: int, search_lag_s: float | None) -> str:
    """The clause of a methods paragraph that says how a peak was picked."""
    where = "" if search_lag_s is None else f" among the lags up to +-{float(search_lag_s):g} s"
    return (
        f"after smoothing the function with a local quadratic fit over {float(span_s):g} s of "
        "lags (none where that spans 3 lags or fewer), a peak being a lag"
        f"{where} whose value exceeds those of the {int(min_size)} "
        f"lag{'' if int(min_size) == 1 else 's'} on each side"
    )


def peak_picking_method(
    *, span_s: float = 2.0, min_size: int = 2, search_lag_s: float | None = None
) -> Method:
    """The methods-paragraph entry of :func:`peak_picking` run with these parameters.

    Parameters
    ----------
    span_s, min_size, search_lag_s
        As given to :func:`peak_picking`.

    Returns
    -------
    Method
        ``name`` ('peak_picking'), ``description`` (written from the parameters),
        ``parameters`` (``span_s``, ``min_size``, ``search_lag_s``) and ``citation``.

    Examples
    --------
    >>> peak_picking_method(min_size=3)["parameters"]
    {'span_s': 2.0, 'min_size': 3, 'search_lag_s': None}
    """
    return Method(
        name="peak_picking",
        description=(
            "In each window, the peak of the cross-correlation function closest to lag 0 was "
            f"picked (Boker et al., 2002): "
            f"{_peak_rule(span_s=span_s, min_size=min_size, search_lag_s=search_lag_s)}; "
            "windows without such a peak were left undefined."
        ),
        parameters={
            "span_s": float(span_s),
            "min_size": int(min_size),
            "search_lag_s": None if search_lag_s is None else float(search_lag_s),
        },
        citation=_BOKER_2002,
    )

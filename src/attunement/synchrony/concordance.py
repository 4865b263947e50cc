"""Skin-conductance concordance index (SCI) of Marci et al. (2007).

Marci et al. related therapist-client skin-conductance concordance to the client's perceived
empathy. Their index:

1. **Slopes.** Each person's skin conductance is summarised by its average slope in windows of
   5 s moved by 1 s. The average slope of a window of ``w`` samples is taken literally as the
   mean first difference per second, ``(x[last] - x[first]) / (w - 1) * rate`` (µS/s), which
   is also what the moving-window implementation of Stuldreher et al. computes (the mean of
   ``gradient``); ``slope_method='least_squares'`` gives the least-squares slope instead, less
   sensitive to the two end samples.
2. **Correlations.** Pearson r between the two slope series in windows of 15 s (15 slopes)
   moved by 1 s.
3. **Index.** ``SCI = ln(sum of positive r / |sum of negative r|)``: positive when the two
   people's skin conductance rises and falls together more than in opposition.

A slope window with a missing sample is NaN; a correlation uses complete pairs and is NaN when
more than half of its pairs are missing, when fewer than 3 remain, or when a slope series is
constant there. The index is NaN, with a warning saying why, when a signal is flat, fewer than
``min_windows`` correlations are defined, or no correlation is negative (or positive).

References
----------
Marci, C. D., Ham, J., Moran, E., & Orr, S. P. (2007). Physiologic correlates of perceived
therapist empathy and social-emotional process during psychotherapy. The Journal of Nervous and
Mental Disease, 195(2), 103–111.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = ["SLOPE_METHODS", "MarciResult", "marci_sci", "marci_sci_method"]

#: ``slope_method`` name -> what it computes.
SLOPE_METHODS: dict[str, str] = {
    "mean_difference": "mean first difference per second (last minus first sample over time)",
    "least_squares": "least-squares slope of the samples on time",
}

#: Fewest complete pairs a rolling correlation needs.
MIN_PAIRS = 3
#: Relative spread below which a window of slopes counts as constant (rounding noise).
_FLAT = 1e-9
_TINY = 1e-12


@dataclass(frozen=True, slots=True, eq=False)
class MarciResult(MeasurementResult):
    """Result of :func:`marci_sci`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per correlation window: ``start_s``, ``end_s`` (seconds from the first
        sample; the exclusive end of the samples it covers) and ``r`` (Pearson r of the two
        slope series; NaN where undefined).
    summary : pandas.DataFrame
        One row: ``sci`` (the skin-conductance concordance index; NaN when undefined, and a
        warning said why), ``n_windows`` (correlation windows), ``n_defined`` (of them with
        a defined r), ``n_positive`` and ``n_negative`` (correlations above and below zero).
    method : Method
        :func:`marci_sci_method` of the parameters that ran.
    slopes : pandas.DataFrame
        One row per slope window: ``start_s``, ``end_s`` (seconds from the first sample; the
        end is exclusive, ``start_s + slope_window_s``), ``therapist_slope`` and
        ``client_slope`` (µS/s; NaN when the window misses a sample).
    """

    slopes: pd.DataFrame

    @property
    def sci(self) -> float:
        """The index (NaN when undefined)."""
        return float(self["sci"])

    @property
    def n_positive(self) -> int:
        return int(self["n_positive"])

    @property
    def n_negative(self) -> int:
        return int(self["n_negative"])


def _series(values: object, name: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"got {type(values).__name__}; expected a series of numbers", field=name
        ) from None
    if x.ndim != 1:
        raise InputError(f"has shape {x.shape}; expected one value per sample", field=name)
    if np.isinf(x).any():
        raise InputError("holds an infinite value; expected numbers or NaN", field=name)
    return x


def _count(seconds: float, per_second: float, name: str, unit: str) -> int:
    """``seconds * per_second`` as a whole number >= 1, else InputError."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"is {seconds!r}; expected a positive number of seconds", field=name)
    exact = value * per_second
    k = round(exact)
    if k < 1 or abs(exact - k) > 1e-6:
        raise InputError(
            f"is {value:g} s, {exact:.6g} {unit}; expected a whole number of {unit}", field=name
        )
    return int(k)


def _slopes(x: np.ndarray, w: int, s: int, rate: float, method: str) -> np.ndarray:
    windows = sliding_window_view(x, w)[::s]
    if method == "mean_difference":
        return (windows[:, -1] - windows[:, 0]) * rate / (w - 1)
    t = np.arange(w) / rate
    kernel = (t - t.mean()) / np.sum((t - t.mean()) ** 2)
    slope = windows @ kernel
    slope[np.isnan(windows).any(axis=1)] = np.nan
    return slope


def _rolling_r(a: np.ndarray, b: np.ndarray, c: int, cs: int) -> np.ndarray:
    """Pearson r of ``a`` and ``b`` in windows of ``c`` values stepped ``cs``, complete pairs."""
    A = sliding_window_view(a, c)[::cs]
    B = sliding_window_view(b, c)[::cs]
    ok = np.isfinite(A) & np.isfinite(B)
    n = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = np.where(ok, A, 0.0).sum(axis=1) / n
        mb = np.where(ok, B, 0.0).sum(axis=1) / n
        da = np.where(ok, A - ma[:, None], 0.0)
        db = np.where(ok, B - mb[:, None], 0.0)
        saa = np.einsum("ij,ij->i", da, da)
        sbb = np.einsum("ij,ij->i", db, db)
        r = np.einsum("ij,ij->i", da, db) / np.sqrt(saa * sbb)
        # A series is constant in a window when its spread is at rounding level.
        varies_a = np.sqrt(saa / n) > _FLAT * np.maximum(np.abs(ma), _TINY)
        varies_b = np.sqrt(sbb / n) > _FLAT * np.maximum(np.abs(mb), _TINY)
    defined = (2 * n >= c) & (n >= MIN_PAIRS) & varies_a & varies_b
    return np.where(defined, np.clip(r, -1.0, 1.0), np.nan)


def marci_sci(
    therapist_eda: np.ndarray,
    client_eda: np.ndarray,
    *,
    sampling_rate: float,
    slope_window_s: float = 5.0,
    slope_step_s: float = 1.0,
    corr_window_s: float = 15.0,
    corr_step_s: float = 1.0,
    slope_method: str = "mean_difference",
    min_windows: int = 10,
) -> MarciResult:
    """Skin-conductance concordance index of Marci et al. (2007).

    Parameters
    ----------
    therapist_eda, client_eda : array of float, shape (n,)
        Both people's skin conductance (µS) on one grid, e.g. an
        :class:`~attunement.signals.align.AlignedPair`; NaN marks missing samples.
    sampling_rate : float
        Hz.
    slope_window_s, slope_step_s : float, default 5.0 and 1.0
        Slope windows and their step (whole numbers of samples).
    corr_window_s, corr_step_s : float, default 15.0 and 1.0
        Correlation windows and their step (whole multiples of ``slope_step_s``).
    slope_method : {'mean_difference', 'least_squares'}, default 'mean_difference'
        See :data:`SLOPE_METHODS`.
    min_windows : int, default 10
        Fewest defined correlations for an index.

    Returns
    -------
    MarciResult
        ``.table`` (one row per correlation window: ``start_s``, ``end_s``, ``r``),
        ``.summary`` (one row: ``sci``, ``n_windows``, ``n_defined``, ``n_positive``,
        ``n_negative``), ``.method`` (:func:`marci_sci_method` of these parameters) and
        ``.slopes`` (``start_s``, ``end_s``, ``therapist_slope``, ``client_slope``); ``.sci``
        is the index. Times are seconds from the first sample.

    Raises
    ------
    InputError
        For series that are not 1-D numbers or differ in length, a rate that is not positive,
        windows or steps that are not whole numbers of samples (slopes) or of slope steps
        (correlations), a slope window shorter than 2 samples, an unknown ``slope_method``, or
        ``min_windows`` below 1.

    Warns
    -----
    AttunementWarning
        When the index is NaN: a flat signal, a recording shorter than one slope window plus
        one correlation window, fewer than ``min_windows`` defined correlations, or no negative
        (or no positive) correlation.

    Examples
    --------
    >>> rng = np.random.default_rng(1)        # 10 min at 4 Hz: a shared drift plus each one's own
    >>> shared, own_t, own_c = np.cumsum(rng.standard_normal((3, 2400)) * 0.01, axis=1)
    >>> res = marci_sci(5 + shared + own_t, 3 + shared + own_c, sampling_rate=4)
    >>> round(res.sci, 2), res["n_positive"], res["n_negative"], res["n_windows"]
    (2.75, 510, 72, 582)
    """
    x = _series(therapist_eda, "therapist_eda")
    y = _series(client_eda, "client_eda")
    if x.size != y.size:
        raise InputError(
            f"the series differ in length: therapist {x.size} samples, client {y.size}; "
            "expected both on one grid (see attunement.signals.align_pair)",
            field="client_eda",
        )
    try:
        rate = float(sampling_rate)
    except (TypeError, ValueError):
        rate = float("nan")
    if not (math.isfinite(rate) and rate > 0):
        raise InputError(
            f"is {sampling_rate!r}; expected a positive number of Hz", field="sampling_rate"
        )
    if slope_method not in SLOPE_METHODS:
        raise InputError(
            f"is {slope_method!r}; expected one of {', '.join(SLOPE_METHODS)}",
            field="slope_method",
        )
    if isinstance(min_windows, bool) or not isinstance(min_windows, (int, np.integer)):
        raise InputError(f"is {min_windows!r}; expected a whole number", field="min_windows")
    if min_windows < 1:
        raise InputError(f"is {min_windows}; expected at least 1", field="min_windows")
    w = _count(slope_window_s, rate, "slope_window_s", "samples")
    if w < 2:
        raise InputError(
            f"is {w} sample at {rate:g} Hz; a slope needs at least 2", field="slope_window_s"
        )
    s = _count(slope_step_s, rate, "slope_step_s", "samples")
    c = _count(corr_window_s, 1 / float(slope_step_s), "corr_window_s", "slope steps")
    cs = _count(corr_step_s, 1 / float(slope_step_s), "corr_step_s", "slope steps")

    nan = float("nan")
    n_slopes = (x.size - w) // s + 1 if x.size >= w else 0
    if n_slopes:
        t_slope = np.arange(n_slopes) * s / rate
        slope_x = _slopes(x, w, s, rate, slope_method)
        slope_y = _slopes(y, w, s, rate, slope_method)
    else:
        t_slope = slope_x = slope_y = np.zeros(0)
    slopes = pd.DataFrame(
        {
            "start_s": t_slope,
            "end_s": t_slope + w / rate,
            "therapist_slope": slope_x,
            "client_slope": slope_y,
        }
    )
    n_corr = (n_slopes - c) // cs + 1 if n_slopes >= c else 0
    if n_corr:
        t_corr = np.arange(n_corr) * cs * s / rate
        r = _rolling_r(slope_x, slope_y, c, cs)
    else:
        t_corr = r = np.zeros(0)
    correlations = pd.DataFrame(
        {"start_s": t_corr, "end_s": t_corr + ((c - 1) * s + w) / rate, "r": r}
    )
    finite = r[np.isfinite(r)]
    n_pos = int(np.count_nonzero(finite > 0))
    n_neg = int(np.count_nonzero(finite < 0))
    method = marci_sci_method(
        slope_window_s=slope_window_s,
        slope_step_s=slope_step_s,
        corr_window_s=corr_window_s,
        corr_step_s=corr_step_s,
        slope_method=slope_method,
        min_windows=min_windows,
    )

    def result(sci: float) -> MarciResult:
        summary = one_row(
            sci=sci,
            n_windows=int(n_corr),
            n_defined=int(finite.size),
            n_positive=n_pos,
            n_negative=n_neg,
        )
        return MarciResult(table=correlations, summary=summary, method=method, slopes=slopes)

    reason = None
    need = ((c - 1) * s + w) / rate
    for who, v in (("therapist", x), ("client", y)):
        vals = v[np.isfinite(v)]
        if vals.size and vals.min() == vals.max():
            reason = f"the {who}'s skin conductance is flat ({vals[0]:g} throughout)"
            break
    if reason is None and n_corr == 0:
        reason = (
            f"the recording ({x.size / rate:g} s) is shorter than one slope window plus one "
            f"correlation window ({need:g} s)"
        )
    elif reason is None and finite.size < min_windows:
        reason = (
            f"only {finite.size} of {n_corr} correlation windows are defined; expected at "
            f"least {min_windows}"
        )
    elif reason is None and n_neg == 0:
        reason = "no correlation window is negative, so the ratio is undefined"
    elif reason is None and n_pos == 0:
        reason = "no correlation window is positive, so the logarithm is undefined"
    if reason is not None:
        warnings.warn(f"SCI is NaN: {reason}", AttunementWarning, stacklevel=2)
        return result(nan)
    return result(math.log(float(finite[finite > 0].sum()) / abs(float(finite[finite < 0].sum()))))


def marci_sci_method(
    *,
    slope_window_s: float = 5.0,
    slope_step_s: float = 1.0,
    corr_window_s: float = 15.0,
    corr_step_s: float = 1.0,
    slope_method: str = "mean_difference",
    min_windows: int = 10,
) -> Method:
    """The methods-paragraph entry of :func:`marci_sci` run with these parameters.

    Parameters
    ----------
    slope_window_s, slope_step_s, corr_window_s, corr_step_s, slope_method, min_windows
        As given to :func:`marci_sci`.

    Returns
    -------
    Method
        ``name`` ('marci_sci'), ``description`` (written from the parameters), ``parameters``
        (the six above) and ``citation``.

    Raises
    ------
    InputError
        For an unknown ``slope_method`` (the message lists the choices).

    Examples
    --------
    >>> "in 20 s windows moved by 2 s" in marci_sci_method(corr_window_s=20,
    ...                                                    corr_step_s=2)["description"]
    True
    """
    if slope_method not in SLOPE_METHODS:
        raise InputError(
            f"is {slope_method!r}; expected one of {', '.join(SLOPE_METHODS)}",
            field="slope_method",
        )
    p = {
        "slope_window_s": float(slope_window_s),
        "slope_step_s": float(slope_step_s),
        "corr_window_s": float(corr_window_s),
        "corr_step_s": float(corr_step_s),
        "slope_method": slope_method,
        "min_windows": int(min_windows),
    }
    return Method(
        name="marci_sci",
        description=(
            "Skin-conductance concordance was computed as in Marci et al. (2007): the average "
            f"slope of each person's skin conductance, as the {SLOPE_METHODS[slope_method]}, "
            f"in {p['slope_window_s']:g} s windows moved by {p['slope_step_s']:g} s, the Pearson "
            f"correlation of the two slope series in {p['corr_window_s']:g} s windows moved by "
            f"{p['corr_step_s']:g} s, and the index SCI = ln(sum of positive correlations / "
            "|sum of negative correlations|), left undefined with fewer than "
            f"{p['min_windows']} defined correlations."
        ),
        parameters=p,
        citation=(
            "Marci, C. D., Ham, J., Moran, E., & Orr, S. P. (2007). Physiologic correlates of "
            "perceived therapist empathy and social-emotional process during psychotherapy. The "
            "Journal of Nervous and Mental Disease, 195(2), 103-111."
        ),
    )

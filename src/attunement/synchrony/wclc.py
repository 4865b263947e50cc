"""Windowed cross-lagged correlation (WCLC) with the semantics of rMEA::MEAccf.

For each window of ``window_s`` seconds, stepped by ``step_s`` seconds, the Pearson correlation
between the therapist's and the client's series is computed at every lag from ``-lag_s`` to
``+lag_s``, one sample apart. A high value at a positive lag means that the client follows the
therapist; at a negative lag, that the therapist follows the client.

With ``win``, ``lag`` and ``inc`` the window, maximum lag and step in samples and ``N`` the length
of the two series, there are ``ceil((N - win - lag + 1) / inc)`` windows; window ``i`` (0-based)
reads samples ``a = i * inc`` to ``a + win + lag - 1`` of each series, and at lag ``K``::

    K >= 0:  r = cor(therapist[a : a + win],     client[a + K : a + K + win])
    K <  0:  r = cor(therapist[a + |K| : a + |K| + win], client[a : a + win])

Correlations use complete pairs only (NaN marks a missing sample). A window in which more than
half of the ``win + lag`` samples read from either series are missing is a row of NaN, as rMEA
intends; a cell whose window of either series is flat (zero variance) or has fewer than three
complete pairs is NaN. Undefined cells are never filled: the summaries average the defined ones.
Optionally ``r`` is Fisher z-transformed (``atanh``, clipped to +-10 as rMEA does) and then
made absolute.

The kernel is vectorised over windows and lags. The samples each window reads are centred on
their mean, and running sums over them give every lag's centred sums of squares and products;
where that could lose precision (a window far from the mean of its block, relative to its own
spread) the window is recomputed with each lag's segments centred on their own means, the
two-pass arithmetic of R's ``cor``. Results agree with rMEA to about 1e-15, and memory grows
linearly with the length of the recording. :func:`wclc_batch` computes one therapist series
against many client series (surrogates) at once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony._kernel import MIN_PAIRS as MIN_PAIRS  # re-export: public name here
from attunement.synchrony._kernel import (
    Z_BOUND,
    _BatchKernel,
    _finite_mean,
    _one_blas_thread,
    _pair_matrix,
    _Plan,
    _plan,
    _series,
    _stack,
    _transform,
    _Undefined,
    _undefined_message,
)
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = ["WCLCResult", "wclc", "wclc_batch", "wclc_method"]


@dataclass(frozen=True, slots=True, eq=False)
class WCLCResult(MeasurementResult):
    """Result of :func:`wclc`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per window and lag (long): ``window`` (0-based), ``start_s`` (window start,
        seconds from the first sample), ``end_s`` (``start_s + window_s``), ``lag_s`` (the lag
        in seconds; positive: the client follows the therapist) and ``value`` (r, or Fisher z,
        optionally absolute, as the method says; NaN where undefined).
    summary : pandas.DataFrame
        One row: ``grand_average`` (mean of all defined cells, rMEA's ``grandAver``),
        ``n_windows``, ``n_lags`` and ``n_undefined`` (cells left NaN).
    method : Method
        :func:`wclc_method` of the parameters that ran.
    windows : pandas.DataFrame
        One row per window: ``start_s``, ``end_s``, ``lag_zero`` (the lag-0 cell),
        ``all_lags`` (mean over lags), ``therapist_leads`` (mean over positive lags, where the
        client follows; rMEA's ``s1_lead``), ``client_leads`` (mean over negative lags;
        rMEA's ``s2_lead``) and ``best_lag_s`` (lag of the first maximum of the row). Means
        are over the defined cells; NaN where none is defined.
    values : numpy.ndarray
        The cells as an (n_windows, n_lags) array, the lags in the order of :attr:`lags_s`.
    lags_s : numpy.ndarray
        The lags in seconds, ascending.
    sampling_rate : float
        Hz.
    """

    windows: pd.DataFrame
    values: np.ndarray
    lags_s: np.ndarray
    sampling_rate: float

    @property
    def grand_average(self) -> float:
        """Mean of all defined cells (NaN when none is defined)."""
        return float(self["grand_average"])

    @property
    def window_s(self) -> float:
        return float(self.method.parameters["window_s"])

    @property
    def lag_s(self) -> float:
        return float(self.method.parameters["lag_s"])

    @property
    def step_s(self) -> float:
        return float(self.method.parameters["step_s"])

    @property
    def fisher_z(self) -> bool:
        return bool(self.method.parameters["fisher_z"])

    @property
    def absolute(self) -> bool:
        return bool(self.method.parameters["absolute"])

    @property
    def parameters(self) -> dict[str, float | bool]:
        """``sampling_rate``, ``window_s``, ``lag_s``, ``step_s``, ``fisher_z``, ``absolute``."""
        return {"sampling_rate": self.sampling_rate, **self.method.parameters}


def _result(z: np.ndarray, plan: _Plan, fisher_z: bool, absolute: bool) -> WCLCResult:
    lag = plan.lag
    lags_s = plan.lags_s
    start_s = plan.starts / plan.sampling_rate
    end_s = start_s + plan.win / plan.sampling_rate
    defined = ~np.isnan(z).all(axis=1)
    best = np.where(defined, lags_s[np.argmax(np.where(np.isnan(z), -np.inf, z), axis=1)], np.nan)
    nan_col = np.full(plan.n_windows, np.nan)
    windows = pd.DataFrame(
        {
            "start_s": start_s,
            "end_s": end_s,
            "lag_zero": z[:, lag],
            "all_lags": _finite_mean(z, axis=1),
            "therapist_leads": _finite_mean(z[:, lag + 1 :], axis=1) if lag else nan_col,
            "client_leads": _finite_mean(z[:, :lag], axis=1) if lag else nan_col,
            "best_lag_s": best,
        }
    )
    n_lags = lags_s.size
    table = pd.DataFrame(
        {
            "window": np.repeat(np.arange(plan.n_windows), n_lags),
            "start_s": np.repeat(start_s, n_lags),
            "end_s": np.repeat(end_s, n_lags),
            "lag_s": np.tile(lags_s, plan.n_windows),
            "value": z.ravel(),
        }
    )
    summary = one_row(
        grand_average=float(_finite_mean(z)),
        n_windows=int(plan.n_windows),
        n_lags=int(n_lags),
        n_undefined=int(np.isnan(z).sum()),
    )
    method = wclc_method(
        window_s=plan.window_s,
        lag_s=plan.lag_s,
        step_s=plan.step_s,
        fisher_z=fisher_z,
        absolute=absolute,
    )
    return WCLCResult(
        table=table,
        summary=summary,
        method=method,
        windows=windows,
        # Column-major, lag by lag: the order in which the figures computed from it have
        # always been summed (it fixes their last bits).
        values=np.asfortranarray(z),
        lags_s=lags_s,
        sampling_rate=plan.sampling_rate,
    )


def _compute(
    x: np.ndarray, y: np.ndarray, plan: _Plan, *, fisher_z: bool, absolute: bool
) -> tuple[WCLCResult, _Undefined]:
    """:func:`wclc` on validated input, without warning."""
    r, undefined = _pair_matrix(x, y, plan)
    z = _transform(r, fisher_z=fisher_z, absolute=absolute)
    return _result(z, plan, fisher_z, absolute), undefined


def wclc(
    therapist: np.ndarray,
    client: np.ndarray,
    *,
    sampling_rate: float,
    window_s: float,
    lag_s: float,
    step_s: float,
    fisher_z: bool = True,
    absolute: bool = False,
) -> WCLCResult:
    """Windowed cross-lagged correlation between the therapist's and the client's series.

    Parameters
    ----------
    therapist, client : array_like of float, 1-D
        The two series on one clock, the same length and sampling rate; NaN marks a missing
        sample. The therapist is rMEA's ``s1``, the client ``s2``.
    sampling_rate : float
        Samples per second (Hz).
    window_s : float
        Window length in seconds (at least 3 samples).
    lag_s : float
        Largest lag in seconds, shorter than the window; lags run from ``-lag_s`` to ``lag_s``
        one sample apart. Positive lags: the client follows the therapist.
    step_s : float
        Seconds between the starts of successive windows.
    fisher_z : bool, default True
        Fisher z-transform the correlations (``atanh``, clipped to +-10 as in rMEA).
    absolute : bool, default False
        Take absolute values (after the z-transform).

    Returns
    -------
    WCLCResult
        ``.table`` (one row per window and lag: ``window``, ``start_s``, ``end_s``, ``lag_s``,
        ``value``), ``.summary`` (one row: ``grand_average``, ``n_windows``, ``n_lags``,
        ``n_undefined``), ``.method`` (:func:`wclc_method` of these parameters),
        ``.windows`` (one row per window: ``start_s``, ``end_s``, ``lag_zero``, ``all_lags``,
        ``therapist_leads``, ``client_leads``, ``best_lag_s``), ``.values`` (windows x lags)
        and ``.lags_s``.

    Raises
    ------
    InputError
        If a series is not 1-D numbers or holds an infinite value, the series differ in length,
        the sampling rate is not positive, a duration is not a whole number of samples, the
        window is shorter than 3 samples, the lag is not shorter than the window, the step is
        not positive, or the series are shorter than one window plus the lag.

    Warns
    -----
    AttunementWarning
        Once per call when cells are undefined (NaN), saying how many and why: windows with more
        than half of a series missing, flat (zero-variance) windows, too few complete pairs.

    Notes
    -----
    rMEA also returns NA when the two windows differ at fewer than two samples (a guard for
    motion-energy windows in which both people are still); here such windows are undefined
    only when a series is flat there, since identical non-constant windows correlate perfectly.

    References
    ----------
    Boker, S. M., Xu, M., Rotondo, J. L., & King, K. (2002). Windowed cross-correlation and peak
    picking for the analysis of variability in the association between behavioral time series.
    Psychological Methods, 7(3), 338-355.

    Kleinbub, J. R., & Ramseyer, F. T. (2021). rMEA: An R package to assess nonverbal
    synchronization in motion energy analysis time-series. Psychotherapy Research, 31(6),
    817-830.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> t = rng.standard_normal(120)
    >>> c = np.r_[np.zeros(2), t[:-2]] + 0.1 * rng.standard_normal(120)  # follows by 2 s
    >>> res = wclc(t, c, sampling_rate=1.0, window_s=30, lag_s=5, step_s=10)
    >>> res.table.columns.tolist()
    ['window', 'start_s', 'end_s', 'lag_s', 'value']
    >>> res["n_windows"], res["n_lags"], res.values.shape
    (9, 11, (9, 11))
    >>> res.windows["best_lag_s"].tolist()
    [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    """
    x = _series(therapist, "therapist")
    y = _series(client, "client")
    if x.size != y.size:
        raise InputError(
            f"the series differ in length: therapist has {x.size} samples, client {y.size}; "
            "expected both on one clock with the same length",
            field="client",
        )
    plan = _plan(x.size, sampling_rate=sampling_rate, window_s=window_s, lag_s=lag_s, step_s=step_s)
    result, undefined = _compute(x, y, plan, fisher_z=fisher_z, absolute=absolute)
    if undefined.total:
        message = _undefined_message(undefined, result.values.size)
        warnings.warn(message, AttunementWarning, stacklevel=2)
    return result


def wclc_method(
    *, window_s: float, lag_s: float, step_s: float, fisher_z: bool = True, absolute: bool = False
) -> Method:
    """The methods-paragraph entry of :func:`wclc` run with these parameters.

    Parameters
    ----------
    window_s, lag_s, step_s : float
        Seconds, as given to :func:`wclc`.
    fisher_z, absolute : bool
        As given to :func:`wclc`.

    Returns
    -------
    Method
        ``name`` ('windowed_cross_lagged_correlation'), ``description`` (sentences for a methods
        paragraph, written from the parameters), ``parameters`` (``window_s``, ``lag_s``,
        ``step_s``, ``fisher_z``, ``absolute``) and ``citation``.

    Examples
    --------
    >>> m = wclc_method(window_s=60, lag_s=3, step_s=20)
    >>> m["parameters"]["window_s"], "windows of 60 s stepped by 20 s" in m["description"]
    (60.0, True)
    """
    window_s, lag_s, step_s = float(window_s), float(lag_s), float(step_s)
    transform = (
        f", and correlations were Fisher z-transformed (clipped to +-{Z_BOUND:g})"
        if fisher_z
        else ""
    )
    if absolute:
        transform += " and taken as absolute values" if fisher_z else ", taken as absolute values"
    return Method(
        name="windowed_cross_lagged_correlation",
        description=(
            "Synchrony was computed as windowed cross-lagged correlation (Boker et al., 2002) "
            "with the semantics of rMEA's MEAccf (Kleinbub & Ramseyer, 2021): Pearson "
            f"correlations between the two series in windows of {window_s:g} s stepped by "
            f"{step_s:g} s, at every lag up to +-{lag_s:g} s one sample apart, on complete pairs; "
            "windows with more than half of either series missing were left undefined"
            f"{transform}."
        ),
        parameters={
            "window_s": window_s,
            "lag_s": lag_s,
            "step_s": step_s,
            "fisher_z": bool(fisher_z),
            "absolute": bool(absolute),
        },
        citation=(
            "Boker, S. M., Xu, M., Rotondo, J. L., & King, K. (2002). Windowed cross-correlation "
            "and peak picking for the analysis of variability in the association between "
            "behavioral time series. Psychological Methods, 7(3), 338-355. Kleinbub, J. R., & "
            "Ramseyer, F. T. (2021). rMEA: An R package to assess nonverbal synchronization in "
            "motion energy analysis time-series. Psychotherapy Research, 31(6), 817-830."
        ),
    )


def wclc_batch(
    therapist: np.ndarray,
    clients: np.ndarray,
    *,
    sampling_rate: float,
    window_s: float,
    lag_s: float,
    step_s: float,
    fisher_z: bool = True,
    absolute: bool = False,
) -> np.ndarray:
    """:func:`wclc` cells of one therapist series against many client series at once.

    Made for surrogate tests: the client series are surrogates (or partners from other
    sessions), and the therapist's windows are prepared once for all of them.

    Parameters
    ----------
    therapist : array_like of float, 1-D
        The therapist's series (length ``n``).
    clients : array_like of float, 2-D
        ``(n_clients, n)``: one client series per row.
    sampling_rate, window_s, lag_s, step_s, fisher_z, absolute
        As for :func:`wclc`.

    Returns
    -------
    numpy.ndarray
        ``(n_clients, n_windows, n_lags)``: row ``i`` equals ``wclc(therapist, clients[i],
        ...).values`` to about 1e-13. The grand average of client ``i`` is the mean of the
        finite values of ``out[i]``.

    Raises
    ------
    InputError
        As :func:`wclc`; also if ``clients`` is not 2-D or its rows differ in length from
        ``therapist``.

    Warns
    -----
    AttunementWarning
        Once when cells are undefined (NaN), with their number.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t, cs = rng.standard_normal(100), rng.standard_normal((3, 100))
    >>> out = wclc_batch(t, cs, sampling_rate=1, window_s=20, lag_s=3, step_s=10)
    >>> out.shape
    (3, 8, 7)
    >>> one = wclc(t, cs[1], sampling_rate=1, window_s=20, lag_s=3, step_s=10).values
    >>> bool(np.allclose(out[1], one, atol=1e-12))
    True
    """
    x = _series(therapist, "therapist")
    Y = _stack(clients, x.size, "clients")
    plan = _plan(x.size, sampling_rate=sampling_rate, window_s=window_s, lag_s=lag_s, step_s=step_s)
    kernel = _BatchKernel(x, plan)
    out = np.empty((Y.shape[0], plan.n_windows, 2 * plan.lag + 1))
    rows = kernel.chunk_rows
    with _one_blas_thread():
        for lo in range(0, Y.shape[0], rows):
            out[lo : lo + rows] = _transform(
                kernel(Y[lo : lo + rows]), fisher_z=fisher_z, absolute=absolute
            )
    n_undefined = int(np.isnan(out).sum())
    if n_undefined:
        warnings.warn(
            f"{n_undefined} of {out.size} windowed cross-lagged correlations are undefined (NaN): "
            "windows with more than half of a series missing, flat windows or too few complete "
            "pairs",
            AttunementWarning,
            stacklevel=2,
        )
    return out

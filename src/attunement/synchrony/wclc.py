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
from typing import Any

import numpy as np

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony._kernel import MIN_PAIRS as MIN_PAIRS  # re-export: public name here
from attunement.synchrony._kernel import (
    Z_BOUND,
    WCLCResult,
    _BatchKernel,
    _compute,
    _one_blas_thread,
    _plan,
    _series,
    _stack,
    _transform,
    _undefined_message,
)

__all__ = ["WCLCResult", "wclc", "wclc_batch", "wclc_method"]


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
        ``.matrix`` (``start_s`` then one column per lag in seconds), ``.summary`` (``start_s``,
        ``end_s``, ``lag_zero``, ``all_lags``, ``therapist_leads``, ``client_leads``,
        ``best_lag_s``), ``.grand_average`` and ``.lags_s``.

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
    >>> res.matrix.columns[:3].tolist()
    ['start_s', -5.0, -4.0]
    >>> res.summary["best_lag_s"].tolist()
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
) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`wclc` run with these parameters.

    Parameters
    ----------
    window_s, lag_s, step_s : float
        Seconds, as given to :func:`wclc`.
    fisher_z, absolute : bool
        As given to :func:`wclc`.

    Returns
    -------
    dict
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
    return {
        "name": "windowed_cross_lagged_correlation",
        "description": (
            "Synchrony was computed as windowed cross-lagged correlation (Boker et al., 2002) "
            "with the semantics of rMEA's MEAccf (Kleinbub & Ramseyer, 2021): Pearson "
            f"correlations between the two series in windows of {window_s:g} s stepped by "
            f"{step_s:g} s, at every lag up to +-{lag_s:g} s one sample apart, on complete pairs; "
            "windows with more than half of either series missing were left undefined"
            f"{transform}."
        ),
        "parameters": {
            "window_s": window_s,
            "lag_s": lag_s,
            "step_s": step_s,
            "fisher_z": bool(fisher_z),
            "absolute": bool(absolute),
        },
        "citation": (
            "Boker, S. M., Xu, M., Rotondo, J. L., & King, K. (2002). Windowed cross-correlation "
            "and peak picking for the analysis of variability in the association between "
            "behavioral time series. Psychological Methods, 7(3), 338-355. Kleinbub, J. R., & "
            "Ramseyer, F. T. (2021). rMEA: An R package to assess nonverbal synchronization in "
            "motion energy analysis time-series. Psychotherapy Research, 31(6), 817-830."
        ),
    }


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

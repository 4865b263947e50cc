"""Chance control for windowed cross-lagged correlation: surrogate and pseudo-dyad tests.

Two people's physiological series correlate by chance: both drift, both follow the same room
and the same session structure. A synchrony figure therefore means something only beside the
same figure computed on surrogate data in which the true pairing is destroyed while each
series keeps its own properties. :func:`surrogate_test` offers two surrogates of the client:

- ``segment_shuffle`` (the default): the sequence of windows is cut into segments of whole
  windows, at least one window plus the lag long, and the segments' order is shuffled, so that
  each window of the therapist meets the client's samples of another window whose block does
  not overlap its own (segment shuffling as in Ramseyer & Tschacher, 2011, and SUSY, Tschacher
  & Meier, 2020). Whole window blocks are moved, never cut: shuffling cut segments of the
  *series* puts seams inside windows, and in simulations of independent pairs that biased the
  test (too liberal for AR(1) series, too conservative for drifting ones);
- ``circular_shift``: the client's series is rotated by a random offset at least
  ``min_shift_s`` (by default one window) from either end, which keeps all of its
  autocorrelation but one seam (Moulder et al., 2018).

:func:`pseudo_dyad_test` compares sessions with pseudo-dyads: each therapist with the clients
of the other sessions (Bernieri, Reznick & Rosenthal, 1988; rMEA's ``shuffle``).
:func:`segment_shuffle` and :func:`circular_shift` make surrogate series for other measures.
The effect size and p-value come from :func:`attunement.synchrony.stats.summarize_surrogates`.

Which figure to test. The default is the grand average of the absolute Fisher z
(``absolute=True``, ``statistic="grand_average"``): rMEA's default (``r2Z = TRUE, ABS =
TRUE``) and SUSY's *Z_abs*, the usual measure of synchrony *strength* in psychotherapy research,
which counts in-phase and anti-phase coupling alike. ``absolute=False`` tests signed (in-phase)
synchrony instead; ``statistic="peak"`` the mean over windows of each window's maximum over
lags (the peak picking of Boker et al., 2002), and ``statistic="lag_zero"`` the mean
simultaneous correlation.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony._kernel import (
    WCLCResult,
    _BatchKernel,
    _compute,
    _finite_mean,
    _one_blas_thread,
    _Plan,
    _plan,
    _row_max,
    _samples,
    _series,
    _transform,
    _undefined_message,
)
from attunement.synchrony.stats import SurrogateSummary, summarize_surrogates

__all__ = [
    "STATISTICS",
    "SURROGATE_METHODS",
    "SurrogateTest",
    "circular_shift",
    "pseudo_dyad_test",
    "segment_shuffle",
    "surrogate_test",
    "surrogate_test_method",
]

#: Surrogate generators for :func:`surrogate_test`, with the text a methods paragraph uses.
SURROGATE_METHODS: dict[str, str] = {
    "segment_shuffle": (
        "cut into segments of whole windows whose order was shuffled, so that each window of "
        "the therapist met a non-overlapping window of the client"
    ),
    "circular_shift": "circularly shifted by a random offset of at least one window",
}

#: Fewer different surrogates than this (and than asked for) earn a warning.
_FEW_DISTINCT = 100

#: Rounds of drawing segment orders before a recording counts as too short to shuffle.
_MAX_ROUNDS = 20

#: Synchrony figures :func:`surrogate_test` can test.
STATISTICS: dict[str, str] = {
    "grand_average": "mean of all defined cells of the windowed cross-lagged correlation matrix",
    "peak": "mean over windows of each window's largest value over lags (Boker et al., 2002)",
    "lag_zero": "mean over windows of the lag-0 correlation",
    "lag_band": "mean over windows of the mean correlation over the lags near zero",
}

#: Half-width of the lags averaged by ``statistic="lag_band"`` unless ``band_lag_s`` is given.
DEFAULT_BAND_LAG_S = 2.5


@dataclass(frozen=True)
class SurrogateTest:
    """Result of :func:`surrogate_test`.

    Attributes
    ----------
    observed : WCLCResult
        The windowed cross-lagged correlation of the true pair.
    summary : SurrogateSummary
        The observed statistic beside its surrogates: ``observed``, ``surrogate_mean``,
        ``surrogate_sd``, ``effect_size``, ``p_value``, ``n_surrogates``.
    statistic, method : str
        What was tested, and how the surrogates were made.
    surrogates : numpy.ndarray
        The statistic of each surrogate (NaN where undefined).
    band : pandas.DataFrame
        One row per window, for a rolling synchrony plot: ``start_s``, ``end_s``,
        ``observed`` (the window's figure: the mean over lags for ``grand_average``, the
        maximum for ``peak``, the lag-0 cell for ``lag_zero``), ``surrogate_low`` and
        ``surrogate_high`` (the band's percentiles of the same figure across surrogates) and
        ``surrogate_median``.
    parameters : dict
        ``n_surrogates``, ``seed``, ``n_possible_surrogates`` (how many different surrogates
        the recording allows; None when there are too many to count),
        ``segment_s`` or ``min_shift_s``, ``band_percentiles``.
    notes : tuple of str
        What the test also warned of: windows left undefined (and why), or a recording too
        short for many different surrogates; a report shows them beside the figure.
    """

    observed: WCLCResult
    summary: SurrogateSummary
    statistic: str
    method: str
    surrogates: np.ndarray
    band: pd.DataFrame
    parameters: dict[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


# -- surrogate generators ----------------------------------------------------------------------


def segment_shuffle(
    x: np.ndarray,
    *,
    sampling_rate: float,
    segment_s: float,
    rng: np.random.Generator,
    size: int | None = None,
) -> np.ndarray:
    """Cut ``x`` into segments of ``segment_s`` seconds and put them in a random order.

    The last segment is shorter when the length is not a multiple of the segment; it is
    shuffled with the others, so the surrogate has the length of ``x``.

    Parameters
    ----------
    x : array_like of float, 1-D
        The series (NaN allowed: missing samples move with their segment).
    sampling_rate : float
        Samples per second (Hz).
    segment_s : float
        Segment length in seconds (a whole number of samples).
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.
    size : int, optional
        Number of surrogates; by default one, returned as a 1-D array.

    Returns
    -------
    numpy.ndarray
        The surrogate (shape of ``x``), or ``(size, len(x))`` surrogates.

    Raises
    ------
    InputError
        If ``x`` is not a 1-D series, ``segment_s`` is not a positive whole number of samples,
        or the series holds fewer than two segments.

    Examples
    --------
    >>> segment_shuffle(np.arange(6.0), sampling_rate=1, segment_s=2,
    ...                 rng=np.random.default_rng(3)).tolist()
    [4.0, 5.0, 2.0, 3.0, 0.0, 1.0]
    """
    arr = _series(x, "x")
    fs = _rate(sampling_rate)
    seg = _samples(segment_s, fs, "segment_s", minimum=1)
    orders = _segment_orders(arr.size, seg, _generator(rng), 1 if size is None else size)
    index = _segment_index(arr.size, seg, orders)
    out = arr[index]
    return out if size is not None else out[0]


def circular_shift(
    x: np.ndarray,
    *,
    sampling_rate: float,
    min_shift_s: float,
    rng: np.random.Generator,
    size: int | None = None,
) -> np.ndarray:
    """Rotate ``x`` by a random offset at least ``min_shift_s`` away from no shift.

    The offset (in samples) is uniform on ``m ... n - m``, with ``m`` the minimum shift in
    samples and ``n`` the length, so that the surrogate is at least ``min_shift_s`` away from
    the original alignment in either direction; sample ``t`` of the result is ``x[t - k]``.

    Parameters
    ----------
    x : array_like of float, 1-D
        The series.
    sampling_rate : float
        Samples per second (Hz).
    min_shift_s : float
        Smallest shift in seconds (a positive whole number of samples, at most half the
        series).
    rng : numpy.random.Generator
        Source of randomness.
    size : int, optional
        Number of surrogates; by default one, returned as a 1-D array.

    Returns
    -------
    numpy.ndarray
        The surrogate (shape of ``x``), or ``(size, len(x))`` surrogates.

    Raises
    ------
    InputError
        If ``x`` is not a 1-D series or ``min_shift_s`` is not a positive whole number of
        samples of at most half the series.

    Examples
    --------
    >>> y = circular_shift(np.arange(10.0), sampling_rate=1, min_shift_s=3,
    ...                    rng=np.random.default_rng(0))
    >>> y.tolist()
    [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 0.0, 1.0, 2.0]
    """
    arr = _series(x, "x")
    fs = _rate(sampling_rate)
    m = _samples(min_shift_s, fs, "min_shift_s", minimum=1)
    index = _shift_index(
        arr.size, _shifts(arr.size, m, _generator(rng), 1 if size is None else size)
    )
    out = arr[index]
    return out if size is not None else out[0]


def _rate(sampling_rate: float) -> float:
    try:
        fs = float(sampling_rate)
    except (TypeError, ValueError):
        fs = math.nan
    if not (math.isfinite(fs) and fs > 0):
        raise InputError(
            f"expected a positive sampling rate in Hz, got {sampling_rate!r}",
            field="sampling_rate",
        )
    return fs


def _generator(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise InputError(
            f"expected a numpy.random.Generator, e.g. numpy.random.default_rng(0), got "
            f"{type(rng).__name__}",
            field="rng",
        )
    return rng


def _count(n: object, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InputError(f"expected a positive whole number, got {n!r}", field=name)
    return int(n)


def _segment_orders(n: int, seg: int, rng: np.random.Generator, size: int) -> np.ndarray:
    n_seg = -(-n // seg)
    if n_seg < 2:
        raise InputError(
            f"a segment of {seg} samples leaves fewer than two segments in {n} samples; "
            "expected a shorter segment",
            field="segment_s",
        )
    return rng.permuted(np.broadcast_to(np.arange(n_seg), (_count(size, "size"), n_seg)), axis=1)


def _segment_index(n: int, seg: int, orders: np.ndarray) -> np.ndarray:
    """(size, n) source indices that lay out the segments in ``orders``."""
    starts = np.arange(orders.shape[1]) * seg
    lengths = np.minimum(seg, n - starts)
    src, length = starts[orders], lengths[orders]
    dest = np.cumsum(length, axis=1) - length
    offset = np.repeat((src - dest).ravel(), length.ravel()).reshape(orders.shape[0], n)
    return offset + np.arange(n)


def _shifts(n: int, m: int, rng: np.random.Generator, size: int) -> np.ndarray:
    if 2 * m > n:
        raise InputError(
            f"a shift of at least {m} samples from either end of {n} samples is impossible; "
            f"expected at most {n // 2} samples",
            field="min_shift_s",
        )
    return rng.integers(m, n - m, size=_count(size, "size"), endpoint=True)


def _shift_index(n: int, shifts: np.ndarray) -> np.ndarray:
    return (np.arange(n) - shifts[:, None]) % n


# -- statistics --------------------------------------------------------------------------------


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


def _window_partners(
    plan: _Plan, per_segment: int, rng: np.random.Generator, size: int
) -> np.ndarray:
    """(size, n_windows) client windows paired with each therapist window.

    The windows are cut into segments of ``per_segment`` consecutive windows whose order is
    shuffled; a draw is kept only if no window is paired with a client block that overlaps its
    own (so the true alignment never enters a surrogate).
    """
    n_windows = plan.n_windows
    n_seg = -(-n_windows // per_segment)
    apart = -(-plan.span // plan.inc)  # windows apart for two blocks not to overlap
    starts = np.arange(n_seg) * per_segment
    lengths = np.minimum(per_segment, n_windows - starts)
    kept: list[np.ndarray] = []
    n_kept = 0
    for _ in range(_MAX_ROUNDS):
        orders = rng.permuted(np.broadcast_to(np.arange(n_seg), (4 * size, n_seg)), axis=1)
        length = lengths[orders]
        moved = starts[orders] - (np.cumsum(length, axis=1) - length)
        ok = (np.abs(moved) >= apart).all(axis=1)
        kept.append(orders[ok])
        n_kept += int(ok.sum())
        if n_kept >= size:
            return _segment_index(n_windows, per_segment, np.concatenate(kept)[:size])
    raise InputError(
        f"the recording is too short to shuffle segments: {n_windows} windows in segments of "
        f"{per_segment} leave almost no order in which every window meets a client block that "
        "does not overlap its own; expected a longer recording, or method='circular_shift'",
        field="method",
    )


def _possible_orders(plan: _Plan, per_segment: int) -> int | None:
    """How many segment orders :func:`_window_partners` can draw; None when too many to count."""
    n_windows = plan.n_windows
    n_seg = -(-n_windows // per_segment)
    if math.factorial(n_seg) > 50 * _FEW_DISTINCT:
        return None
    apart = -(-plan.span // plan.inc)
    starts = np.arange(n_seg) * per_segment
    lengths = np.minimum(per_segment, n_windows - starts)
    orders = np.array(list(itertools.permutations(range(n_seg))), dtype=int)
    length = lengths[orders]
    moved = starts[orders] - (np.cumsum(length, axis=1) - length)
    return int((np.abs(moved) >= apart).all(axis=1).sum())


# -- tests -------------------------------------------------------------------------------------


def surrogate_test(
    therapist: np.ndarray,
    client: np.ndarray,
    *,
    sampling_rate: float,
    window_s: float,
    lag_s: float,
    step_s: float,
    fisher_z: bool = True,
    absolute: bool = True,
    statistic: str = "grand_average",
    method: str = "segment_shuffle",
    n_surrogates: int = 1000,
    seed: int = 0,
    segment_s: float | None = None,
    min_shift_s: float | None = None,
    band_lag_s: float | None = None,
    band_percentiles: tuple[float, float] = (2.5, 97.5),
) -> SurrogateTest:
    """Windowed cross-lagged synchrony of a pair, tested against surrogates of the client.

    Parameters
    ----------
    therapist, client : array_like of float, 1-D
        The two series, as for :func:`attunement.synchrony.wclc.wclc`.
    sampling_rate, window_s, lag_s, step_s, fisher_z
        As for :func:`attunement.synchrony.wclc.wclc`.
    absolute : bool, default True
        Test synchrony strength (absolute values, in-phase and anti-phase alike); False tests
        signed, in-phase synchrony.
    statistic : {"grand_average", "peak", "lag_zero", "lag_band"}
        The synchrony figure (see :data:`STATISTICS`).
    method : {"segment_shuffle", "circular_shift"}
        How the client's surrogates are made (see :data:`SURROGATE_METHODS`).
    n_surrogates : int, default 1000
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the same seed gives the same result. For
        ``circular_shift`` the surrogates are those of ``circular_shift(client, ...,
        rng=default_rng(seed), size=n_surrogates)``.
    segment_s : float, optional
        Segment length for ``segment_shuffle``: a whole number of steps, at least one window
        plus the lag; by default the shortest such length (40 s for 30 s windows, 5 s lags and
        10 s steps).
    min_shift_s : float, optional
        Smallest shift for ``circular_shift``; by default one window, so that no lag of any
        window sees the true alignment.
    band_lag_s : float, optional
        For ``statistic="lag_band"``: the lags averaged are those within this many seconds of
        zero, lag 0 included (default :data:`DEFAULT_BAND_LAG_S`; at most ``lag_s``).
    band_percentiles : (float, float), default (2.5, 97.5)
        Percentiles of the surrogates' window figures that bound the band.

    Returns
    -------
    SurrogateTest
        ``.observed`` (the pair's WCLCResult), ``.summary`` (effect size and p-value of the
        statistic), ``.surrogates``, and ``.band`` (per window: ``start_s``, ``end_s``,
        ``observed``, ``surrogate_low``, ``surrogate_median``, ``surrogate_high``).

    Raises
    ------
    InputError
        For the inputs :func:`~attunement.synchrony.wclc.wclc` refuses, an unknown
        ``statistic`` or ``method`` (the message lists the choices), a ``n_surrogates`` that is
        not a positive integer, or a segment or shift that does not fit the series.

    Warns
    -----
    AttunementWarning
        When cells of the observed matrix are undefined (as ``wclc``), when surrogates give no
        defined value, and when the recording allows fewer than 100 different surrogates.

    References
    ----------
    Ramseyer, F., & Tschacher, W. (2011). Nonverbal synchrony in psychotherapy. Journal of
    Consulting and Clinical Psychology, 79(3), 284-295.

    Tschacher, W., & Meier, D. (2020). Physiological synchrony in psychotherapy sessions.
    Psychotherapy Research, 30(5), 558-573.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.convolve(rng.standard_normal(700), np.ones(8) / 8, "same")
    >>> c = np.r_[np.zeros(3), t[:-3]] + 0.05 * rng.standard_normal(700)
    >>> res = surrogate_test(t, c, sampling_rate=1, window_s=30, lag_s=5, step_s=10,
    ...                      n_surrogates=99)
    >>> res.summary.p_value, res.summary.effect_size > 3
    (0.01, True)
    """
    x = _series(therapist, "therapist")
    y = _series(client, "client")
    _same_length(x, y, "client")
    plan = _plan(x.size, sampling_rate=sampling_rate, window_s=window_s, lag_s=lag_s, step_s=step_s)
    _check_choice(statistic, STATISTICS, "statistic")
    _check_choice(method, SURROGATE_METHODS, "method")
    half = _band_samples(statistic, band_lag_s, plan)
    n_sur = _count(n_surrogates, "n_surrogates")
    low_q, high_q = _percentiles(band_percentiles)
    rng = np.random.default_rng(seed)
    kernel = _BatchKernel(x, plan)
    has_nan = bool(np.isnan(y).any())
    if method == "segment_shuffle":
        per_segment = _windows_per_segment(plan, segment_s)
        partners = _window_partners(plan, per_segment, rng, n_sur)
        blocks = y[plan.block_index]
        flat = kernel.flat_windows(blocks)
        settings: dict[str, object] = {"segment_s": per_segment * plan.step_s}

        def compute(lo: int, hi: int) -> np.ndarray:
            chosen = partners[lo:hi]
            return kernel.blocks(blocks[chosen], flat_y=flat[chosen], has_nan=has_nan)

    else:
        if segment_s is not None:
            raise InputError("segment_s applies to method='segment_shuffle'", field="segment_s")
        shift_s = window_s if min_shift_s is None else min_shift_s
        m = _samples(shift_s, plan.sampling_rate, "min_shift_s", minimum=1)
        shifts = _shifts(x.size, m, rng, n_sur)
        settings = {"min_shift_s": float(shift_s)}

        def compute(lo: int, hi: int) -> np.ndarray:
            return kernel(y[_shift_index(x.size, shifts[lo:hi])])

    if method == "segment_shuffle" and min_shift_s is not None:
        raise InputError("min_shift_s applies to method='circular_shift'", field="min_shift_s")
    if method == "segment_shuffle":
        possible = _possible_orders(plan, per_segment)
    else:
        possible = x.size - 2 * m + 1
    notes = []
    if possible is not None and possible < min(n_sur, _FEW_DISTINCT):
        notes.append(
            f"only {possible} different surrogates exist for a recording this short with "
            f"method={method!r}, so the p-value cannot go below about {1 / (possible + 1):.2g}"
        )
    observed, undefined = _compute(x, y, plan, fisher_z=fisher_z, absolute=absolute)
    if undefined.total:
        notes.append(_undefined_message(undefined, observed.values.size))
    for note in notes:
        warnings.warn(note, AttunementWarning, stacklevel=2)
    z = observed.values
    stat = float(_statistic(z, statistic, plan.lag, half))
    sur, figures = _batch_statistics(
        kernel,
        n_sur,
        compute,
        statistic=statistic,
        fisher_z=fisher_z,
        absolute=absolute,
        band=half,
    )
    _warn_undefined_surrogates(sur, "surrogates")
    low, median, high = _band(figures, (low_q, 50.0, high_q))
    band = pd.DataFrame(
        {
            "start_s": observed.summary["start_s"],
            "end_s": observed.summary["end_s"],
            "observed": _window_figure(z, statistic, plan.lag, half),
            "surrogate_low": low,
            "surrogate_median": median,
            "surrogate_high": high,
        }
    )
    return SurrogateTest(
        observed=observed,
        summary=summarize_surrogates(stat, sur),
        statistic=statistic,
        method=method,
        surrogates=sur,
        band=band,
        parameters={
            "n_surrogates": n_sur,
            "seed": seed,
            "n_possible_surrogates": possible,
            **settings,
            **({"band_lag_s": half / plan.sampling_rate} if statistic == "lag_band" else {}),
            "band_percentiles": (low_q, high_q),
        },
        notes=tuple(notes),
    )


def surrogate_test_method(
    *,
    n_surrogates: int = 1000,
    method: str = "segment_shuffle",
    statistic: str = "grand_average",
    absolute: bool = True,
    seed: int | None = 0,
    min_shift_s: float | None = None,
    band_lag_s: float | None = None,
) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`surrogate_test` run with these parameters.

    Parameters
    ----------
    n_surrogates : int, default 1000
    method : {"segment_shuffle", "circular_shift"}, default "segment_shuffle"
        How the surrogates were made (:data:`SURROGATE_METHODS`).
    statistic : {"grand_average", "peak", "lag_zero"}, default "grand_average"
        The figure tested (:data:`STATISTICS`).
    absolute : bool, default True
    seed : int or None, default 0
    min_shift_s : float, optional
        The smallest circular shift, when it is not one window.
    band_lag_s : float, optional
        The half-width of ``lag_band``'s lags (default :data:`DEFAULT_BAND_LAG_S`).
        As given to :func:`surrogate_test`.

    Returns
    -------
    dict
        ``name`` ('surrogate_synchrony_test'), ``description`` (written from the parameters),
        ``parameters`` (``n_surrogates``, ``method``, ``statistic``, ``absolute``, ``seed``) and
        ``citation``.

    Raises
    ------
    InputError
        For an unknown ``method`` or ``statistic`` (the message lists the choices), or a
        ``n_surrogates`` that is not a positive integer.

    Examples
    --------
    >>> m = surrogate_test_method(n_surrogates=50, method="circular_shift")
    >>> m["description"][:69]
    'Synchrony was tested against chance with 50 surrogates (random seed 0'
    """
    _check_choice(method, SURROGATE_METHODS, "method")
    _check_choice(statistic, STATISTICS, "statistic")
    n_sur = _count(n_surrogates, "n_surrogates")
    values = "absolute values" if absolute else "signed values (in-phase synchrony)"
    seeded = "" if seed is None else f" (random seed {seed})"
    how = SURROGATE_METHODS[method]
    if method == "circular_shift" and min_shift_s is not None:
        how = f"circularly shifted by a random offset of at least {min_shift_s:g} s"
    what = STATISTICS[statistic]
    band = DEFAULT_BAND_LAG_S if band_lag_s is None else float(band_lag_s)
    if statistic == "lag_band":
        what += f" (the lags within +-{band:g} s)"
    return {
        "name": "surrogate_synchrony_test",
        "description": (
            f"Synchrony was tested against chance with {n_sur} surrogate"
            f"{'' if n_sur == 1 else 's'}{seeded} in which the client's series was "
            f"{how}; the figure tested was the {what}, "
            f"on {values}. The effect size is the observed figure minus the surrogate mean, "
            "divided by the surrogate standard deviation, and the one-sided p-value is (1 + "
            "number of surrogates at least as large) / (1 + number of surrogates)."
        ),
        "parameters": {
            "n_surrogates": n_sur,
            "method": method,
            "statistic": statistic,
            "absolute": bool(absolute),
            "seed": seed,
            **({"min_shift_s": float(min_shift_s)} if min_shift_s is not None else {}),
            **({"band_lag_s": band} if statistic == "lag_band" else {}),
        },
        "citation": (
            "Ramseyer, F., & Tschacher, W. (2011). Nonverbal synchrony in psychotherapy: "
            "Coordinated body movement reflects relationship quality and outcome. Journal of "
            "Consulting and Clinical Psychology, 79(3), 284-295. Tschacher, W., & Meier, D. "
            "(2020). Physiological synchrony in psychotherapy sessions. Psychotherapy Research, "
            "30(5), 558-573. Moulder, R. G., Boker, S. M., Ramseyer, F., & Tschacher, W. (2018). "
            "Determining synchrony between behavioral time series: An application of surrogate "
            "data generation for establishing falsifiable null-hypotheses. Psychological "
            "Methods, 23(4), 757-773."
        ),
    }


def pseudo_dyad_test(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    sampling_rate: float,
    window_s: float,
    lag_s: float,
    step_s: float,
    fisher_z: bool = True,
    absolute: bool = True,
    statistic: str = "grand_average",
) -> list[SurrogateSummary]:
    """Each session's synchrony against the pseudo-dyads it could have formed.

    For session ``i`` the surrogates are every pseudo-pair that shares one of its members: its
    therapist with the client of each other session, and each other session's therapist with
    its client; a pseudo-pair is truncated to the shorter of its two series (both start at
    their first sample). With ``k`` sessions, each gets ``2 (k - 1)`` surrogates, so the
    smallest possible p-value is ``1 / (2k - 1)``.

    Parameters
    ----------
    pairs : sequence of (therapist, client)
        One pair of same-length 1-D series per session, all at ``sampling_rate``.
    sampling_rate, window_s, lag_s, step_s, fisher_z, absolute, statistic
        As for :func:`surrogate_test`.

    Returns
    -------
    list of SurrogateSummary
        One per session, in the order of ``pairs``.

    Raises
    ------
    InputError
        If there are fewer than two sessions, a pair is not two same-length series (the
        message names the session), a series is shorter than one window plus the lag, or as
        :func:`surrogate_test`.

    Warns
    -----
    AttunementWarning
        Once when a true pair or pseudo-pair gives no defined value.

    References
    ----------
    Bernieri, F. J., Reznick, J. S., & Rosenthal, R. (1988). Synchrony, pseudosynchrony, and
    dissynchrony: Measuring the entrainment process in mother-infant interactions. Journal of
    Personality and Social Psychology, 54(2), 243-253.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pairs = []
    >>> for _ in range(4):
    ...     t = np.convolve(rng.standard_normal(300), np.ones(5) / 5, "same")
    ...     pairs.append((t, t + 0.1 * rng.standard_normal(300)))
    >>> out = pseudo_dyad_test(pairs, sampling_rate=1, window_s=30, lag_s=5, step_s=10)
    >>> [s.p_value for s in out]
    [0.14285714285714285, 0.14285714285714285, 0.14285714285714285, 0.14285714285714285]
    """
    _check_choice(statistic, STATISTICS, "statistic")
    if isinstance(pairs, str | bytes) or len(pairs) < 2:
        raise InputError(
            f"expected at least two sessions, got {len(pairs)}; pseudo-dyads pair people "
            "across sessions",
            field="pairs",
        )
    series: list[tuple[np.ndarray, np.ndarray]] = []
    for i, pair in enumerate(pairs):
        name = f"pairs[{i}]"
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InputError("expected a (therapist, client) pair", field=name)
        x, y = _series(pair[0], f"{name} therapist"), _series(pair[1], f"{name} client")
        _same_length(x, y, name)
        try:
            _plan(
                x.size, sampling_rate=sampling_rate, window_s=window_s, lag_s=lag_s, step_s=step_s
            )
        except InputError as exc:
            raise InputError(exc.message, field=f"{name} ({exc.field})") from None
        series.append((x, y))

    k = len(series)
    grid = np.full((k, k), np.nan)  # grid[i, j]: therapist i with client j
    lengths = np.array([x.size for x, _ in series])
    for i, (x, y) in enumerate(series):
        plan = _plan(
            x.size, sampling_rate=sampling_rate, window_s=window_s, lag_s=lag_s, step_s=step_s
        )
        observed, _ = _compute(x, y, plan, fisher_z=fisher_z, absolute=absolute)
        grid[i, i] = _statistic(observed.values, statistic, plan.lag)
        others = np.array([j for j in range(k) if j != i])
        common = np.minimum(lengths[others], x.size)
        for m in np.unique(common):
            group = others[common == m]
            plan_m = _plan(
                int(m), sampling_rate=sampling_rate, window_s=window_s, lag_s=lag_s, step_s=step_s
            )
            clients = [series[j][1][:m] for j in group]
            kernel = _BatchKernel(x[:m], plan_m)
            stats, _ = _batch_statistics(
                kernel,
                len(group),
                lambda lo, hi, c=clients, k=kernel: k(np.stack(c[lo:hi])),
                statistic=statistic,
                fisher_z=fisher_z,
                absolute=absolute,
            )
            grid[i, group] = stats
    _warn_undefined_surrogates(grid.ravel(), "true pairs and pseudo-pairs")
    off = ~np.eye(k, dtype=bool)
    return [
        summarize_surrogates(float(grid[i, i]), np.r_[grid[i][off[i]], grid[:, i][off[:, i]]])
        for i in range(k)
    ]


def _windows_per_segment(plan: _Plan, segment_s: float | None) -> int:
    """Windows per shuffled segment: whole steps, at least one window plus the lag."""
    apart = -(-plan.span // plan.inc)
    if segment_s is None:
        return apart
    seg = _samples(segment_s, plan.sampling_rate, "segment_s", minimum=1)
    if seg % plan.inc or seg < plan.span:
        raise InputError(
            f"{segment_s:g} s is not a whole number of steps of {plan.step_s:g} s at least as "
            f"long as one window plus the lag ({plan.span / plan.sampling_rate:g} s); expected "
            f"e.g. {apart * plan.step_s:g} s",
            field="segment_s",
        )
    return seg // plan.inc


def _same_length(x: np.ndarray, y: np.ndarray, name: str) -> None:
    if x.size != y.size:
        raise InputError(
            f"the series differ in length: therapist has {x.size} samples, client {y.size}; "
            "expected both on one clock with the same length",
            field=name,
        )


def _percentiles(values: tuple[float, float]) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(
            f"expected two percentiles, got {values!r}", field="band_percentiles"
        ) from None
    if not 0 <= low < high <= 100:
        raise InputError(
            f"expected 0 <= low < high <= 100, got {values!r}", field="band_percentiles"
        )
    return low, high


def _band(figures: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Percentiles over surrogates (axis 0) of each window; NaN where no surrogate is defined."""
    out = np.full((len(qs), figures.shape[1]), np.nan)
    defined = np.isfinite(figures).any(axis=0)
    if defined.any():
        out[:, defined] = np.nanpercentile(figures[:, defined], qs, axis=0)
    return list(out)


def _warn_undefined_surrogates(values: np.ndarray, what: str) -> None:
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        warnings.warn(
            f"{bad} of {values.size} {what} give no defined synchrony value (every window "
            "missing, flat or too short of complete pairs); they are left out",
            AttunementWarning,
            stacklevel=3,
        )

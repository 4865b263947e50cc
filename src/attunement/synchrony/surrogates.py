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

:func:`pseudo_dyad_test` (:mod:`attunement.synchrony.pseudo_dyads`) compares sessions with
pseudo-dyads: each therapist with the clients of the other sessions (Bernieri, Reznick &
Rosenthal, 1988; rMEA's ``shuffle``). :func:`segment_shuffle` and :func:`circular_shift`
(:mod:`attunement.synchrony._generators`) make surrogate series for other measures.
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

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony._generators import (
    _FEW_DISTINCT,
    _count,
    _possible_orders,
    _shift_index,
    _shifts,
    _window_partners,
    _windows_per_segment,
    circular_shift,
    segment_shuffle,
)
from attunement.synchrony._kernel import (
    _BatchKernel,
    _plan,
    _samples,
    _series,
    _undefined_message,
)
from attunement.synchrony._statistics import (
    DEFAULT_BAND_LAG_S,
    STATISTICS,
    _band_samples,
    _batch_statistics,
    _check_choice,
    _same_length,
    _statistic,
    _warn_undefined_surrogates,
    _window_figure,
)
from attunement.synchrony.pseudo_dyads import PseudoDyadTest, pseudo_dyad_test
from attunement.synchrony.result import MeasurementResult, Method, one_row
from attunement.synchrony.stats import SurrogateSummary, summarize_surrogates
from attunement.synchrony.wclc import WCLCResult, _compute

__all__ = [
    "DEFAULT_BAND_LAG_S",
    "STATISTICS",
    "SURROGATE_METHODS",
    "PseudoDyadTest",
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


@dataclass(frozen=True, slots=True, eq=False)
class SurrogateTest(MeasurementResult):
    """Result of :func:`surrogate_test`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per window, for a rolling synchrony plot: ``start_s``, ``end_s``,
        ``observed`` (the window's figure: the mean over lags for ``grand_average``, the
        maximum for ``peak``, the lag-0 cell for ``lag_zero``, the mean over the lags near 0
        for ``lag_band``), ``surrogate_low`` and ``surrogate_high`` (the band's percentiles of
        the same figure across surrogates) and ``surrogate_median``.
    summary : pandas.DataFrame
        One row: ``statistic`` (what was tested, :data:`STATISTICS`), ``surrogate_method``
        (how the surrogates were made, :data:`SURROGATE_METHODS`), ``observed`` (the figure of
        the true pair), ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value``
        (one-sided) and ``n_surrogates`` (surrogates with a defined figure).
    method : Method
        :func:`surrogate_test_method` of the parameters that ran.
    observed : WCLCResult
        The windowed cross-lagged correlation of the true pair.
    surrogates : numpy.ndarray
        The statistic of each surrogate (NaN where undefined).
    parameters : dict
        ``n_surrogates``, ``seed``, ``n_possible_surrogates`` (how many different surrogates
        the recording allows; None when there are too many to count),
        ``segment_s`` or ``min_shift_s``, ``band_lag_s`` (``lag_band`` only),
        ``band_percentiles``.
    notes : tuple of str
        What the test also warned of: windows left undefined (and why), or a recording too
        short for many different surrogates; a report shows them beside the figure.
    """

    observed: WCLCResult
    surrogates: np.ndarray
    parameters: dict[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def band(self) -> pd.DataFrame:
        """The per-window figures and their chance band: :attr:`table`."""
        return self.table

    @property
    def chance(self) -> SurrogateSummary:
        """The summary's figures as a :class:`~attunement.synchrony.stats.SurrogateSummary`."""
        return SurrogateSummary(
            float(self["observed"]),
            float(self["surrogate_mean"]),
            float(self["surrogate_sd"]),
            float(self["effect_size"]),
            float(self["p_value"]),
            int(self["n_surrogates"]),
        )

    @property
    def statistic(self) -> str:
        """What was tested (a key of :data:`STATISTICS`)."""
        return str(self["statistic"])

    @property
    def surrogate_method(self) -> str:
        """How the surrogates were made (a key of :data:`SURROGATE_METHODS`)."""
        return str(self["surrogate_method"])


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
        ``.table`` (per window: ``start_s``, ``end_s``, ``observed``, ``surrogate_low``,
        ``surrogate_median``, ``surrogate_high``), ``.summary`` (one row: ``statistic``,
        ``surrogate_method``, ``observed``, ``surrogate_mean``, ``surrogate_sd``,
        ``effect_size``, ``p_value``, ``n_surrogates``), ``.method``
        (:func:`surrogate_test_method` of what ran), ``.observed`` (the pair's WCLCResult),
        ``.surrogates``, ``.chance``, ``.parameters`` and ``.notes``.

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
    >>> res["p_value"], res["effect_size"] > 3
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
            "start_s": observed.windows["start_s"],
            "end_s": observed.windows["end_s"],
            "observed": _window_figure(z, statistic, plan.lag, half),
            "surrogate_low": low,
            "surrogate_median": median,
            "surrogate_high": high,
        }
    )
    chance = summarize_surrogates(stat, sur)
    return SurrogateTest(
        table=band,
        summary=one_row(statistic=statistic, surrogate_method=method, **chance.to_dict()),
        method=surrogate_test_method(
            n_surrogates=n_sur,
            method=method,
            statistic=statistic,
            absolute=absolute,
            seed=seed,
            min_shift_s=settings.get("min_shift_s"),
            band_lag_s=half / plan.sampling_rate if statistic == "lag_band" else None,
            segment_s=settings.get("segment_s"),
        ),
        observed=observed,
        surrogates=sur,
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
    segment_s: float | None = None,
) -> Method:
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
    segment_s : float, optional
        The length of the shuffled segments, when it is given (for ``segment_shuffle``).
        As given to :func:`surrogate_test`.

    Returns
    -------
    Method
        ``name`` ('surrogate_synchrony_test'), ``description`` (written from the parameters),
        ``parameters`` (``n_surrogates``, ``method``, ``statistic``, ``absolute``, ``seed``, and
        ``min_shift_s``, ``band_lag_s`` and ``segment_s`` where they apply) and ``citation``.

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
    if method == "segment_shuffle" and segment_s is not None:
        how = how.replace("of whole windows", f"of {segment_s:g} s (whole windows)")
    what = STATISTICS[statistic]
    band = DEFAULT_BAND_LAG_S if band_lag_s is None else float(band_lag_s)
    if statistic == "lag_band":
        what += f" (the lags within +-{band:g} s)"
    return Method(
        name="surrogate_synchrony_test",
        description=(
            f"Synchrony was tested against chance with {n_sur} surrogate"
            f"{'' if n_sur == 1 else 's'}{seeded} in which the client's series was "
            f"{how}; the figure tested was the {what}, "
            f"on {values}. The effect size is the observed figure minus the surrogate mean, "
            "divided by the surrogate standard deviation, and the one-sided p-value is (1 + "
            "number of surrogates at least as large) / (1 + number of surrogates)."
        ),
        parameters={
            "n_surrogates": n_sur,
            "method": method,
            "statistic": statistic,
            "absolute": bool(absolute),
            "seed": seed,
            **({"min_shift_s": float(min_shift_s)} if min_shift_s is not None else {}),
            **({"band_lag_s": band} if statistic == "lag_band" else {}),
            **({"segment_s": float(segment_s)} if segment_s is not None else {}),
        },
        citation=(
            "Ramseyer, F., & Tschacher, W. (2011). Nonverbal synchrony in psychotherapy: "
            "Coordinated body movement reflects relationship quality and outcome. Journal of "
            "Consulting and Clinical Psychology, 79(3), 284-295. Tschacher, W., & Meier, D. "
            "(2020). Physiological synchrony in psychotherapy sessions. Psychotherapy Research, "
            "30(5), 558-573. Moulder, R. G., Boker, S. M., Ramseyer, F., & Tschacher, W. (2018). "
            "Determining synchrony between behavioral time series: An application of surrogate "
            "data generation for establishing falsifiable null-hypotheses. Psychological "
            "Methods, 23(4), 757-773."
        ),
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

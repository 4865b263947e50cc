"""Who leads: a leader-follower summary of windowed cross-lagged correlations.

Each window's peak (Boker et al., 2002; :func:`attunement.synchrony.peaks.peak_picking`) has a
lag: positive when the client follows the therapist (the therapist leads), negative when the
therapist follows the client. The rule:

* ``lead_s`` is the median peak lag over the windows that have a peak (windows at lag 0
  included), as a magnitude; ``median_lag_s`` keeps its sign.
* The leader is named only when the windows agree: a two-sided sign test of the windows with
  a positive against those with a negative peak lag (windows at lag 0 left out) gives
  ``p_value < alpha``, the majority has the sign of the median, and the median is more than one
  lag step (one sample) away from 0. Otherwise the leader is ``'none'``.

The sign test treats windows as independent; overlapping windows are not, so ``p_value`` is a
screening criterion, not an inferential test: compare it with surrogates for inference.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.peaks import (
    _BOKER_2002,
    PeakResult,
    _lag_matrix,
    _peak_rule,
    peak_picking,
)
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = ["LEADERS", "LeaderResult", "leader_follower", "leader_follower_method"]

LEADERS: tuple[str, ...] = ("therapist", "client", "none")


def _sign_test(n_positive: int, n_negative: int) -> float:
    """Two-sided exact binomial p-value of ``n_positive`` out of ``n_positive + n_negative``."""
    n = n_positive + n_negative
    if n == 0:
        return float("nan")
    from scipy.stats import binomtest

    return float(binomtest(n_positive, n, 0.5, alternative="two-sided").pvalue)


@dataclass(frozen=True, slots=True, eq=False)
class LeaderResult(MeasurementResult):
    """Result of :func:`leader_follower`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per window: ``start_s``, ``peak_r`` and ``peak_lag_s`` (the window's peak, as
        :func:`~attunement.synchrony.peaks.peak_picking` gives it) and ``leader`` (who led in
        that window: 'therapist' for a positive peak lag, 'client' for a negative one, 'none'
        at lag 0; None without a peak).
    summary : pandas.DataFrame
        One row: ``leader`` ('therapist', 'client' or 'none'); ``lead_s`` (magnitude of the
        median peak lag, s; NaN without peaks); ``median_lag_s`` (signed); ``p_value``
        (two-sided sign test; NaN when no window has a non-zero peak lag); ``n_windows``;
        ``n_peaks`` (windows with a peak); ``n_therapist_leads`` and ``n_client_leads``
        (windows with a positive / negative peak lag); ``lag_step_s`` (one sample).
    method : Method
        :func:`leader_follower_method` of the parameters that ran.
    peaks : PeakResult
        The peaks the rule read.
    """

    peaks: PeakResult

    @property
    def leader(self) -> str:
        """'therapist', 'client' or 'none'."""
        return str(self["leader"])

    @property
    def lead_s(self) -> float:
        """By how many seconds the leader leads (NaN without peaks)."""
        return float(self["lead_s"])


def leader_follower(
    matrix: Any,
    *,
    lags_s: Any = None,
    search_lag_s: float | None = None,
    min_size: int = 2,
    span_s: float = 2.0,
    alpha: float = 0.05,
) -> LeaderResult:
    """Who leads, and by how many seconds, from windowed cross-lagged correlations.

    Parameters
    ----------
    matrix : WCLCResult, pandas.DataFrame or 2-D array
        As :func:`attunement.synchrony.peaks.peak_picking` takes it (positive lags: the client
        follows the therapist).
    lags_s : array of float, optional
        The lag of each column, for an array.
    search_lag_s, min_size, span_s
        Passed to :func:`~attunement.synchrony.peaks.peak_picking`.
    alpha : float, default 0.05
        Significance level of the sign test.

    Returns
    -------
    LeaderResult
        ``.summary`` (one row): ``leader`` ('therapist', 'client' or 'none'); ``lead_s``
        (magnitude of the median peak lag, s; NaN without peaks); ``median_lag_s`` (signed);
        ``p_value`` (two-sided sign test; NaN when no window has a non-zero peak lag);
        ``n_windows``; ``n_peaks`` (windows with a peak); ``n_therapist_leads`` and
        ``n_client_leads`` (windows with a positive / negative peak lag); ``lag_step_s`` (one
        sample). ``.table`` (one row per window): ``start_s``, ``peak_r``, ``peak_lag_s``,
        ``leader``. ``.method``: :func:`leader_follower_method` of these parameters.
        ``.peaks``: the :class:`~attunement.synchrony.peaks.PeakResult` read.

    Raises
    ------
    InputError
        As :func:`~attunement.synchrony.peaks.peak_picking`, and for ``alpha`` outside (0, 1).

    Warns
    -----
    AttunementWarning
        When no window has a peak (``lead_s`` NaN, leader 'none').

    Examples
    --------
    >>> lags = np.arange(-5, 6) * 1.0
    >>> rows = [np.exp(-((lags - 3) ** 2) / 4) + 0.01 * k for k in range(8)]  # peaks at +3 s
    >>> out = leader_follower(np.array(rows), lags_s=lags)
    >>> out["leader"], out["lead_s"], out["n_therapist_leads"], round(out["p_value"], 4)
    ('therapist', 3.0, 8, 0.0078)
    >>> out.table["leader"].unique().tolist()
    ['therapist']
    """
    try:
        level = float(alpha)
    except (TypeError, ValueError):
        level = float("nan")
    if not (0 < level < 1):
        raise InputError(f"is {alpha!r}; expected a number between 0 and 1", field="alpha")
    _, lags, _ = _lag_matrix(matrix, lags_s=lags_s)
    steps = np.diff(lags)
    step = float(np.median(steps)) if steps.size else float("nan")
    with warnings.catch_warnings():
        # One message for the summary below, not one per window table.
        warnings.simplefilter("ignore", AttunementWarning)
        peaks = peak_picking(
            matrix, lags_s=lags_s, search_lag_s=search_lag_s, min_size=min_size, span_s=span_s
        )
    window_lag = peaks.table["peak_lag_s"].to_numpy(dtype=float)
    lag = window_lag[np.isfinite(window_lag)]
    tol = 1e-9 * max(1.0, abs(step)) if math.isfinite(step) else 1e-9
    n_pos = int(np.count_nonzero(lag > tol))
    n_neg = int(np.count_nonzero(lag < -tol))
    out: dict[str, Any] = {
        "leader": "none",
        "lead_s": float("nan"),
        "median_lag_s": float("nan"),
        "p_value": _sign_test(n_pos, n_neg),
        "n_windows": len(peaks.table),
        "n_peaks": int(lag.size),
        "n_therapist_leads": n_pos,
        "n_client_leads": n_neg,
        "lag_step_s": step,
    }
    if lag.size == 0:
        warnings.warn(
            f"none of the {len(peaks.table)} windows has a cross-correlation peak; lead_s is NaN "
            "and no leader is named",
            AttunementWarning,
            stacklevel=2,
        )
    else:
        median = float(np.median(lag))
        out["median_lag_s"] = median
        out["lead_s"] = abs(median)
        consistent = out["p_value"] < level
        beyond_one_sample = abs(median) > step + tol
        if consistent and beyond_one_sample:
            if median > 0 and n_pos > n_neg:
                out["leader"] = "therapist"
            elif median < 0 and n_neg > n_pos:
                out["leader"] = "client"
    who = np.where(window_lag > tol, "therapist", np.where(window_lag < -tol, "client", "none"))
    table = peaks.table.assign(
        leader=pd.Series(np.where(np.isfinite(window_lag), who, None), dtype=object)
    )
    return LeaderResult(
        table=table,
        summary=one_row(**out),
        method=leader_follower_method(
            alpha=level, min_size=min_size, span_s=span_s, search_lag_s=search_lag_s
        ),
        peaks=peaks,
    )


def leader_follower_method(
    *,
    alpha: float = 0.05,
    min_size: int = 2,
    span_s: float = 2.0,
    search_lag_s: float | None = None,
) -> Method:
    """The methods-paragraph entry of :func:`leader_follower` run with these parameters.

    Parameters
    ----------
    alpha, min_size, span_s, search_lag_s
        As given to :func:`leader_follower`.

    Returns
    -------
    Method
        ``name`` ('leader_follower'), ``description`` (written from the parameters),
        ``parameters`` (``alpha``, ``min_size``, ``span_s``, ``search_lag_s``) and ``citation``.

    Examples
    --------
    >>> "p < 0.01" in leader_follower_method(alpha=0.01)["description"]
    True
    """
    rule = _peak_rule(span_s=span_s, min_size=min_size, search_lag_s=search_lag_s)
    return Method(
        name="leader_follower",
        description=(
            "Leadership was read from the lag of each window's cross-correlation peak "
            f"(positive: the client follows the therapist), picked {rule}: the leader is the "
            "person the median peak lag points to, named only when the median is more than one "
            f"sample from 0 and a two-sided sign test over windows gives p < {float(alpha):g}."
        ),
        parameters={
            "alpha": float(alpha),
            "min_size": int(min_size),
            "span_s": float(span_s),
            "search_lag_s": None if search_lag_s is None else float(search_lag_s),
        },
        citation=_BOKER_2002,
    )

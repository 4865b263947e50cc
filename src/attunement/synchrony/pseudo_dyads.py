"""Pseudo-dyads: each session's synchrony against pairings of people who never met.

A pseudo-dyad pairs a therapist with the client of another session (Bernieri, Reznick &
Rosenthal, 1988; rMEA's ``shuffle``): the same people, the same devices and the same kind of
session, but no interaction. :func:`pseudo_dyad_test` compares each session's figure with every
pseudo-dyad that shares one of its members. For corpora too large to pair every session with
every other, :func:`attunement.batch.pseudo.ring_pseudo_dyad_test` draws a fixed number of
partners per session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attunement.errors import InputError
from attunement.synchrony._kernel import _BatchKernel, _finite_mean, _plan, _series
from attunement.synchrony._statistics import (
    STATISTICS,
    _batch_statistics,
    _check_choice,
    _same_length,
    _statistic,
    _warn_undefined_surrogates,
)
from attunement.synchrony.result import MeasurementResult, Method, one_row
from attunement.synchrony.stats import SurrogateSummary, summarize_surrogates
from attunement.synchrony.wclc import _compute, wclc_method

__all__ = ["PseudoDyadTest", "pseudo_dyad_test", "pseudo_dyad_test_method"]

_SESSION_COLUMNS = (
    "session",
    "observed",
    "surrogate_mean",
    "surrogate_sd",
    "effect_size",
    "p_value",
    "n_surrogates",
)

_BERNIERI_1988 = (
    "Bernieri, F. J., Reznick, J. S., & Rosenthal, R. (1988). Synchrony, pseudosynchrony, and "
    "dissynchrony: Measuring the entrainment process in mother-infant interactions. Journal of "
    "Personality and Social Psychology, 54(2), 243-253."
)


@dataclass(frozen=True, slots=True, eq=False)
class PseudoDyadTest(MeasurementResult):
    """Result of :func:`pseudo_dyad_test`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per session, in the order given: ``session`` (0-based position),
        ``observed`` (the session's figure), ``surrogate_mean``, ``surrogate_sd`` (over its
        pseudo-dyads), ``effect_size``, ``p_value`` (one-sided) and ``n_surrogates``
        (pseudo-dyads with a defined figure).
    summary : pandas.DataFrame
        One row: ``statistic``, ``n_sessions``, ``n_surrogates`` (pseudo-dyads per session,
        ``2 (n_sessions - 1)``), ``mean_observed`` and ``mean_effect_size`` (over the sessions
        where they are defined).
    method : Method
        :func:`pseudo_dyad_test_method` of the parameters that ran.
    """

    @property
    def chances(self) -> list[SurrogateSummary]:
        """Each session's figure beside its pseudo-dyads, in the order of the sessions."""
        return [
            SurrogateSummary(
                float(row.observed),
                float(row.surrogate_mean),
                float(row.surrogate_sd),
                float(row.effect_size),
                float(row.p_value),
                int(row.n_surrogates),
            )
            for row in self.table.itertuples()
        ]


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
) -> PseudoDyadTest:
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
    PseudoDyadTest
        ``.table`` (one row per session, in the order of ``pairs``: ``session``,
        ``observed``, ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value``,
        ``n_surrogates``), ``.summary`` (one row: ``statistic``, ``n_sessions``,
        ``n_surrogates``, ``mean_observed``, ``mean_effect_size``), ``.method``
        (:func:`pseudo_dyad_test_method` of these parameters) and ``.chances`` (one
        :class:`~attunement.synchrony.stats.SurrogateSummary` per session).

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
    >>> out.table["p_value"].tolist()
    [0.14285714285714285, 0.14285714285714285, 0.14285714285714285, 0.14285714285714285]
    >>> out["n_sessions"], out["n_surrogates"]
    (4, 6)
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
    chances = [
        summarize_surrogates(float(grid[i, i]), np.r_[grid[i][off[i]], grid[:, i][off[:, i]]])
        for i in range(k)
    ]
    table = pd.DataFrame([c.to_dict() for c in chances], columns=list(_SESSION_COLUMNS[1:]))
    table.insert(0, "session", np.arange(k))
    return PseudoDyadTest(
        table=table,
        summary=one_row(
            statistic=statistic,
            n_sessions=k,
            n_surrogates=2 * (k - 1),
            mean_observed=float(_finite_mean(table["observed"].to_numpy(dtype=float))),
            mean_effect_size=float(_finite_mean(table["effect_size"].to_numpy(dtype=float))),
        ),
        method=pseudo_dyad_test_method(
            window_s=window_s,
            lag_s=lag_s,
            step_s=step_s,
            fisher_z=fisher_z,
            absolute=absolute,
            statistic=statistic,
        ),
    )


def pseudo_dyad_test_method(
    *,
    window_s: float,
    lag_s: float,
    step_s: float,
    fisher_z: bool = True,
    absolute: bool = True,
    statistic: str = "grand_average",
) -> Method:
    """The methods-paragraph entry of :func:`pseudo_dyad_test` run with these parameters.

    Parameters
    ----------
    window_s, lag_s, step_s, fisher_z, absolute, statistic
        As given to :func:`pseudo_dyad_test`.

    Returns
    -------
    Method
        ``name`` ('pseudo_dyad_test'), ``description`` (written from the parameters, the
        windowed cross-lagged correlation's included), ``parameters`` (the six above) and
        ``citation``.

    Raises
    ------
    InputError
        For an unknown ``statistic`` (the message lists the choices).

    Examples
    --------
    >>> m = pseudo_dyad_test_method(window_s=30, lag_s=5, step_s=10)
    >>> "pseudo-dyads" in m["description"], m["parameters"]["statistic"]
    (True, 'grand_average')
    """
    _check_choice(statistic, STATISTICS, "statistic")
    wclc = wclc_method(
        window_s=window_s, lag_s=lag_s, step_s=step_s, fisher_z=fisher_z, absolute=absolute
    )
    return Method(
        name="pseudo_dyad_test",
        description=(
            f"{wclc.description} Each session's figure, the {STATISTICS[statistic]}, was "
            "compared with the pseudo-dyads it could form (Bernieri, Reznick & Rosenthal, "
            "1988): its therapist with the client of every other session and the therapist of "
            "every other session with its client, each pseudo-pair cut to the shorter of its "
            "two recordings. The effect size is the figure minus the pseudo-dyads' mean, "
            "divided by their standard deviation, and the one-sided p-value is (1 + number of "
            "pseudo-dyads at least as large) / (1 + number of pseudo-dyads)."
        ),
        parameters={**wclc.parameters, "statistic": statistic},
        citation=f"{wclc.citation} {_BERNIERI_1988}",
    )

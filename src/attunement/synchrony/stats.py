"""Observed statistic against its surrogate distribution: effect size and p-value.

Every synchrony figure is reported against chance: the same statistic computed on surrogate
data in which the true pairing is destroyed (segments shuffled, one series circularly shifted,
partners taken from other sessions, turns shuffled).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from attunement.errors import InputError

__all__ = ["SurrogateSummary", "summarize_surrogates"]


@dataclass(frozen=True, slots=True)
class SurrogateSummary:
    """An observed statistic beside its surrogates.

    Attributes
    ----------
    observed : float
    surrogate_mean, surrogate_sd : float
        Mean and standard deviation (ddof=1) of the finite surrogate values.
    effect_size : float
        ``(observed - surrogate_mean) / surrogate_sd``; NaN when the sd is 0 or undefined.
    p_value : float
        One-sided, ``(1 + #{surrogate >= observed}) / (1 + n)`` (Phipson & Smyth 2010): never 0,
        and exact under the null when surrogates are exchangeable with the observed pairing.
    n_surrogates : int
        Finite surrogate values used.
    """

    observed: float
    surrogate_mean: float
    surrogate_sd: float
    effect_size: float
    p_value: float
    n_surrogates: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize_surrogates(observed: float, surrogates: np.ndarray) -> SurrogateSummary:
    """Compare ``observed`` with its surrogate values.

    Parameters
    ----------
    observed : float
        The statistic on the real pairing (NaN gives an all-NaN summary).
    surrogates : array of float
        The statistic on each surrogate; NaN values (undefined surrogates) are left out.

    Returns
    -------
    SurrogateSummary

    References
    ----------
    Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be zero. Statistical
    Applications in Genetics and Molecular Biology, 9(1).

    Examples
    --------
    >>> s = summarize_surrogates(2.0, np.array([0.0, 1.0, -1.0, 0.0]))
    >>> round(s.effect_size, 3), s.p_value
    (2.449, 0.2)
    """
    values = np.asarray(surrogates, dtype=float).ravel()
    if values.size == 0:
        raise InputError("no surrogate values; expected at least one", field="surrogates")
    finite = values[np.isfinite(values)]
    n = int(finite.size)
    if not np.isfinite(observed) or n == 0:
        nan = float("nan")
        return SurrogateSummary(float(observed), nan, nan, nan, nan, n)
    mean = float(finite.mean())
    sd = float(finite.std(ddof=1)) if n > 1 else float("nan")
    effect = (observed - mean) / sd if np.isfinite(sd) and sd > 0 else float("nan")
    p = (1 + int(np.count_nonzero(finite >= observed))) / (1 + n)
    return SurrogateSummary(float(observed), mean, sd, float(effect), float(p), n)

"""The chance test of the moments: circular shifts of the moment labels.

Is the client's response after the therapist's empathic moments different from the response
after the therapist's other utterances? Both the labels and the responses run along the
session in order, and neither is independent from one utterance to the next: empathic
moments come in runs (a stretch of reflective listening), and a client's skin conductance or
talkativeness drifts. Shuffling the labels would break the runs and test against a null in
which moments are scattered at random; a drifting response would then look related to any
clustered labelling. :func:`shift_test` instead rotates the labels along the therapist's
utterances: for a shift of ``k``, utterance ``i`` takes the label of utterance ``i - k``
(modulo their number), so the number of moments and the spacing between them are kept and
only their alignment with the client's responses is destroyed, as circular shifts do for
synchrony (Moulder et al., 2018).

The statistic is the difference in mean response, moments minus others, over the utterances
with a response (NaN responses are left out, never filled); the two-sided p-value is
``(1 + #{|shifted| >= |observed|}) / (1 + n_shifts)``, so with ``N`` therapist utterances it
is at least ``1 / N``. The effect size is Cohen's d of the observed split: the difference over
the pooled within-group standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attunement.errors import InputError
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = [
    "MIN_MOMENTS",
    "MIN_OTHERS",
    "MIN_UTTERANCES",
    "ShiftTest",
    "shift_test",
    "shift_test_method",
]

#: Fewest empathic moments with a response for a test (fewer: "not testable").
MIN_MOMENTS = 5
#: Fewest other therapist utterances with a response.
MIN_OTHERS = 5
#: Fewest therapist utterances: 20 give 19 shifts, so that p can fall below 0.05.
MIN_UTTERANCES = 20


@dataclass(frozen=True, slots=True, eq=False)
class ShiftTest(MeasurementResult):
    """Result of :func:`shift_test`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per shift used: ``shift`` (utterances, 1 to N - 1), ``difference`` (mean
        response of the shifted moments minus that of the rest; NaN where either group is
        empty) and ``effect_size`` (that difference over the observed pooled SD). Empty
        when not testable.
    summary : pandas.DataFrame
        One row: ``difference`` (moments minus others, in the response's unit),
        ``mean_moments``, ``mean_others``, ``effect_size`` (Cohen's d), ``p_value``
        (two-sided), ``n_moments`` and ``n_others`` (utterances with a response),
        ``n_shifts``, ``chance_low`` and ``chance_high`` (2.5th and 97.5th percentiles of
        the shifted differences) and ``chance_test`` (which test ran, or ``'not testable: '``
        and the reason). The figures are NaN when not testable; ``mean_moments`` and
        ``mean_others`` are given whenever the group has a response.
    method : Method
        :func:`shift_test_method` of the parameters that ran.
    """


def shift_test_method(
    *, n_permutations: int = 1000, seed: int = 0, min_moments: int = MIN_MOMENTS
) -> Method:
    """The methods-paragraph entry of :func:`shift_test` run with these parameters.

    Examples
    --------
    >>> shift_test_method(n_permutations=500)["parameters"]["n_permutations"]
    500
    """
    return Method(
        name="moment_shift_test",
        description=(
            "Each response was compared between the therapist's empathic moments and the "
            "therapist's other utterances by the difference in mean response, tested against "
            "circular shifts of the moment labels along the therapist's utterances (which keep "
            "the moments' number and spacing): every shift when there are at most "
            f"{n_permutations} of them, else {n_permutations} drawn without replacement (seed "
            f"{seed}); two-sided p = (1 + shifts with an absolute difference at least the "
            "observed one) / (1 + shifts). The effect size is Cohen's d (the difference over "
            f"the pooled within-group SD). A response with fewer than {min_moments} moments or "
            f"{MIN_OTHERS} other utterances with a value, or fewer than {MIN_UTTERANCES} "
            "therapist utterances, was not tested."
        ),
        parameters={
            "n_permutations": int(n_permutations),
            "seed": int(seed),
            "min_moments": int(min_moments),
            "min_others": MIN_OTHERS,
            "min_utterances": MIN_UTTERANCES,
        },
        citation=(
            "Moulder, Boker, Ramseyer & Tschacher, Determining synchrony between behavioral "
            "time series: an application of surrogate data generation for establishing "
            "falsifiable null-hypotheses, Psychological Methods 23(4):757-773, 2018"
        ),
    )


def _circular_sums(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``out[k] = sum_i labels[(i - k) % n] * values[i]`` for every shift ``k``."""
    n = labels.size
    spec = np.fft.rfft(values, n) * np.conj(np.fft.rfft(labels, n))
    return np.fft.irfft(spec, n)


def _not_testable(
    reason: str, mean_moments: float, mean_others: float, n_moments: int, n_others: int, method
) -> ShiftTest:
    nan = float("nan")
    return ShiftTest(
        table=pd.DataFrame(
            {"shift": pd.Series(dtype="int64"), "difference": [], "effect_size": []}
        ),
        summary=one_row(
            difference=nan,
            mean_moments=mean_moments,
            mean_others=mean_others,
            effect_size=nan,
            p_value=nan,
            n_moments=n_moments,
            n_others=n_others,
            n_shifts=0,
            chance_low=nan,
            chance_high=nan,
            chance_test=f"not testable: {reason}",
        ),
        method=method,
    )


def shift_test(
    values: np.ndarray,
    moments: np.ndarray,
    *,
    n_permutations: int = 1000,
    seed: int = 0,
    min_moments: int = MIN_MOMENTS,
    reason: str | None = None,
) -> ShiftTest:
    """Compare responses after moments with those after other utterances, against shifts.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        The client's response after each of the therapist's ``n`` utterances, in spoken order;
        NaN where there is none (left out of both means, never filled).
    moments : array_like of bool, shape (n,)
        Which utterances are empathic moments.
    n_permutations : int, default 1000
        Most shifts used: all ``n - 1`` when there are no more, else this many drawn without
        replacement.
    seed : int, default 0
        Seed of that draw.
    min_moments : int, default :data:`MIN_MOMENTS`
        Fewest moments with a response for a test.
    reason : str, optional
        Why the responses are missing altogether ('no client skin conductance'): given, the
        result is "not testable" with this reason.

    Returns
    -------
    ShiftTest
        See :class:`ShiftTest`.

    Raises
    ------
    InputError
        When ``values`` and ``moments`` differ in length, or ``n_permutations`` or
        ``min_moments`` is not a positive whole number.

    References
    ----------
    Moulder, R. G., Boker, S. M., Ramseyer, F., & Tschacher, W. (2018). Determining synchrony
    between behavioral time series. *Psychological Methods*, 23(4), 757-773.

    Examples
    --------
    Responses of 1 after every fifth utterance and 0 elsewhere:

    >>> moments = np.arange(40) % 5 == 0
    >>> res = shift_test(moments.astype(float), moments)
    >>> res["difference"], res["n_moments"], res["n_others"], res["n_shifts"]
    (1.0, 8, 32, 39)
    >>> res["p_value"] == 8 / 40  # the 7 shifts by a multiple of 5 tie with the observed
    True
    >>> shift_test(np.zeros(40), moments)["p_value"]
    1.0
    >>> shift_test(np.zeros(10), np.arange(10) < 5)["chance_test"]
    'not testable: 10 therapist utterances; at least 20 needed'
    """
    for name, value in (("n_permutations", n_permutations), ("min_moments", min_moments)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"is {value!r}; expected a positive whole number", field=name)
    x = np.asarray(values, dtype=float).ravel()
    labels = np.asarray(moments, dtype=bool).ravel()
    if x.size != labels.size:
        raise InputError(
            f"has {labels.size} labels for {x.size} values; expected one per utterance",
            field="moments",
        )
    method = shift_test_method(n_permutations=n_permutations, seed=seed, min_moments=min_moments)
    ok = np.isfinite(x)
    n_moments, n_others = int((ok & labels).sum()), int((ok & ~labels).sum())
    nan = float("nan")
    mean_m = float(x[ok & labels].mean()) if n_moments else nan
    mean_o = float(x[ok & ~labels].mean()) if n_others else nan
    why = reason
    if why is None and x.size < MIN_UTTERANCES:
        why = f"{x.size} therapist utterances; at least {MIN_UTTERANCES} needed"
    if why is None and n_moments < min_moments:
        why = f"{n_moments} empathic moments with a value; at least {min_moments} needed"
    if why is None and n_others < MIN_OTHERS:
        why = f"{n_others} other therapist utterances with a value; at least {MIN_OTHERS} needed"
    if why is not None:
        return _not_testable(why, mean_m, mean_o, n_moments, n_others, method)

    n = x.size
    filled = np.where(ok, x, 0.0)
    lab = labels.astype(float)
    sum_m = _circular_sums(lab, filled)
    cnt_m = np.rint(_circular_sums(lab, ok.astype(float)))
    total, count = float(filled.sum()), float(ok.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = sum_m / cnt_m - (total - sum_m) / (count - cnt_m)
    diff[(cnt_m == 0) | (cnt_m == count)] = np.nan
    observed = mean_m - mean_o
    shifts = np.arange(1, n)
    if shifts.size > n_permutations:
        rng = np.random.default_rng(seed)
        shifts = np.sort(rng.choice(shifts, size=n_permutations, replace=False))
    null = diff[shifts]
    used = np.isfinite(null)
    # a tie within rounding error counts as at least as large
    tol = 1e-9 * max(1.0, abs(observed))
    p = (1 + int(np.sum(np.abs(null[used]) >= abs(observed) - tol))) / (1 + int(used.sum()))
    var_m = float(x[ok & labels].var(ddof=1)) if n_moments > 1 else 0.0
    var_o = float(x[ok & ~labels].var(ddof=1)) if n_others > 1 else 0.0
    pooled = np.sqrt(((n_moments - 1) * var_m + (n_others - 1) * var_o) / (count - 2))
    d = observed / pooled if pooled > 0 else nan
    low, high = (
        (float(np.quantile(null[used], 0.025)), float(np.quantile(null[used], 0.975)))
        if used.any()
        else (nan, nan)
    )
    described = f"circular shifts of the moment labels, {int(used.sum())} shifts" + (
        " (all)" if shifts.size == n - 1 else ""
    )
    table = pd.DataFrame(
        {
            "shift": shifts.astype("int64"),
            "difference": null,
            "effect_size": null / pooled if pooled > 0 else np.full(null.size, nan),
        }
    )
    summary = one_row(
        difference=float(observed),
        mean_moments=mean_m,
        mean_others=mean_o,
        effect_size=float(d),
        p_value=float(p),
        n_moments=n_moments,
        n_others=n_others,
        n_shifts=int(used.sum()),
        chance_low=low,
        chance_high=high,
        chance_test=described,
    )
    return ShiftTest(table=table, summary=summary, method=method)

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

A response measured on the client's reply alone (its length, its words) has no baseline of its
own, as the physiological responses have in the seconds before the turn's end: a client who
grows more talkative over the session, or whose long replies come in stretches, gives
neighbouring turns similar values whatever the labels. With ``baseline_turns``,
:func:`local_baseline` first takes each turn's value against its neighbours: the value minus
the mean of the values of the ``baseline_turns`` turns on either side (the turn itself
excluded), less the part of that difference which the adjacent turns' differences predict (a
least-squares coefficient fitted over the session). Both steps use the values only, never the
labels, so the shifts remain a valid null; the first takes out drift slower than the window,
the second the turn-to-turn likeness of neighbouring replies (and, where there is none, its
coefficient is near zero). The difference and its shifts are then those of these residuals,
and Cohen's d that difference over the pooled within-group SD of the values themselves (as a
covariate-adjusted difference is standardised), so that d stays in SDs of the response.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import InputError
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = [
    "BASELINE_TURNS",
    "MIN_MOMENTS",
    "MIN_OTHERS",
    "MIN_UTTERANCES",
    "ShiftTest",
    "local_baseline",
    "shift_test",
    "shift_test_method",
]

#: Fewest empathic moments with a response for a test (fewer: "not testable").
MIN_MOMENTS = 5
#: Fewest other therapist utterances with a response.
MIN_OTHERS = 5
#: Fewest therapist utterances: 20 give 19 shifts, so that p can fall below 0.05.
MIN_UTTERANCES = 20
#: Half-width, in therapist turns, of :func:`local_baseline`'s window: 20 turns either side is
#: about 5 minutes of an hour's session (some 240 turns), so drift over some 10 minutes or more
#: is followed, while the window's own noise adds only 1/40 of an independent response's
#: variance to the residual.
BASELINE_TURNS = 20


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
        One row: ``difference`` (moments minus others, in the response's unit; with a local
        baseline, of the residuals from it), ``mean_moments``, ``mean_others`` (of the
        values themselves), ``effect_size`` (Cohen's d), ``p_value``
        (two-sided), ``n_moments`` and ``n_others`` (utterances with a response),
        ``n_shifts``, ``chance_low`` and ``chance_high`` (2.5th and 97.5th percentiles of
        the shifted differences) and ``chance_test`` (which test ran, or ``'not testable: '``
        and the reason). The figures are NaN when not testable; ``mean_moments`` and
        ``mean_others`` are given whenever the group has a response (with a local baseline,
        one with a residual).
    method : Method
        :func:`shift_test_method` of the parameters that ran.
    """


def shift_test_method(
    *,
    n_permutations: int = 1000,
    seed: int = 0,
    min_moments: int = MIN_MOMENTS,
    baseline_turns: int | None = None,
    baselined: Sequence[str] | None = None,
) -> Method:
    """The methods-paragraph entry of :func:`shift_test` run with these parameters.

    Parameters
    ----------
    n_permutations, seed, min_moments, baseline_turns
        As for :func:`shift_test` (``baseline_turns`` None: no local baseline).
    baselined : sequence of str, optional
        With ``baseline_turns``, the client's responses that were taken against the local
        baseline, in words ('words in reply'), for the description; None: the response
        tested.

    Examples
    --------
    >>> shift_test_method(n_permutations=500)["parameters"]["n_permutations"]
    500
    >>> text = shift_test_method(baseline_turns=20, baselined=["words", "change talk"])
    >>> "For the client's words and change talk, each turn's value" in text["description"]
    True
    """
    description = (
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
    )
    if baseline_turns is not None:
        which = "the response"
        if baselined:
            names = list(baselined)
            which = "the client's " + (
                names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            )
        description += (
            f" For {which}, each turn's value was first taken against a local baseline: "
            f"the value minus the mean of the values of the {baseline_turns} turns on either "
            "side (the turn itself excluded), less the part of that difference predicted by "
            "the mean of the adjacent turns' differences (a least-squares coefficient fitted "
            "over the session), which removes slow drift and the likeness of neighbouring "
            "turns; both steps use the values only, never the moment labels, so that the "
            "shifts remain a valid null. The difference and its shifts were those of these "
            "residuals, and Cohen's d that difference over the pooled within-group SD of the "
            "values themselves."
        )
    parameters: dict[str, Any] = {
        "n_permutations": int(n_permutations),
        "seed": int(seed),
        "min_moments": int(min_moments),
        "min_others": MIN_OTHERS,
        "min_utterances": MIN_UTTERANCES,
        "baseline_turns": None if baseline_turns is None else int(baseline_turns),
    }
    if baseline_turns is not None and baselined is not None:
        parameters["baselined"] = list(baselined)
    return Method(
        name="moment_shift_test",
        description=description,
        parameters=parameters,
        citation=(
            "Moulder, Boker, Ramseyer & Tschacher, Determining synchrony between behavioral "
            "time series: an application of surrogate data generation for establishing "
            "falsifiable null-hypotheses, Psychological Methods 23(4):757-773, 2018"
        ),
    )


def _neighbour_mean(x: np.ndarray, lags: range) -> np.ndarray:
    """Mean of the finite values ``x[i - k]`` and ``x[i + k]`` for ``k`` in ``lags``; NaN
    where there are none."""
    n = x.size
    total, count = np.zeros(n), np.zeros(n)
    finite = np.isfinite(x)
    filled = np.where(finite, x, 0.0)
    for k in lags:
        if k >= n:
            break
        total[k:] += filled[:-k]
        count[k:] += finite[:-k]
        total[:-k] += filled[k:]
        count[:-k] += finite[k:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _check_turns(value: Any, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise InputError(f"is {value!r}; expected a whole number of turns, at least 2", field=field)


def local_baseline(values: np.ndarray, *, half_width: int = BASELINE_TURNS) -> np.ndarray:
    """Each turn's value against its neighbours: minus their local mean, less what the adjacent
    turns predict.

    With ``b[i]`` the mean of the values of turns ``i - half_width`` to ``i + half_width``
    (turn ``i`` and missing values excluded; at the ends, those there are), the difference
    ``d[i] = x[i] - b[i]``; with ``a[i]`` the mean of ``d[i - 1]`` and ``d[i + 1]``, the
    residual is ``d[i] - (c0 + c1 * a[i])``, the coefficients fitted by least squares over
    the turns where both are defined. The labels play no part.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per therapist turn, in spoken order; NaN where there is none.
    half_width : int, default :data:`BASELINE_TURNS`
        Turns either side in the local mean (at least 2).

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        The residuals; NaN where the value is missing, or no turn within ``half_width`` has
        one, or neither adjacent turn has a difference. All NaN when fewer than 4 turns
        have both.

    Raises
    ------
    InputError
        When ``half_width`` is not a whole number of at least 2.

    Examples
    --------
    A client who talks more and more over the session: the drift is taken out (but at the
    ends, where the neighbours are on one side only).

    >>> x = np.arange(30.0)
    >>> bool(np.abs(local_baseline(x, half_width=3)[4:-4]).max() < 1e-9)
    True

    Independent values pass almost unchanged:

    >>> x = np.random.default_rng(0).normal(size=400)
    >>> round(float(np.corrcoef(x, local_baseline(x))[0, 1]), 2)
    0.99
    """
    _check_turns(half_width, "half_width")
    x = np.asarray(values, dtype=float).ravel()
    out = np.full(x.size, np.nan)
    d = x - _neighbour_mean(x, range(1, int(half_width) + 1))
    adjacent = _neighbour_mean(d, range(1, 2))
    ok = np.isfinite(d) & np.isfinite(adjacent)
    if ok.sum() < 4:
        return out
    design = np.column_stack([np.ones(int(ok.sum())), adjacent[ok]])
    coef, *_ = np.linalg.lstsq(design, d[ok], rcond=None)
    out[ok] = d[ok] - design @ coef
    return out


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
    baseline_turns: int | None = None,
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
    baseline_turns : int, optional
        Take each value against its local baseline first (:func:`local_baseline` with this
        half-width, e.g. :data:`BASELINE_TURNS`), and compare the residuals; None (the
        default): compare the values themselves. A turn without a residual is left out.
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
        When ``values`` and ``moments`` differ in length, ``n_permutations`` or
        ``min_moments`` is not a positive whole number, or ``baseline_turns`` is not a whole
        number of at least 2.

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

    Replies that grow longer over the session while the moments gather in its second half:
    the replies after the moments are longer, but no longer than their neighbours.

    >>> turns = np.arange(200)
    >>> moments = ((turns % 4 == 0) & (turns >= 100)) | (turns % 20 == 0)
    >>> values = 10 + turns / 10 + np.random.default_rng(0).normal(0, 2, 200)
    >>> round(shift_test(values, moments)["difference"], 1)
    3.8
    >>> res = shift_test(values, moments, baseline_turns=20)
    >>> round(res["difference"], 1), res["p_value"] > 0.05
    (0.3, True)
    >>> res["chance_test"]
    'circular shifts of the moment labels, 199 shifts (all), against a local baseline of +-20 turns'
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
    if baseline_turns is None:
        y = x
    else:
        _check_turns(baseline_turns, "baseline_turns")
        y = local_baseline(x, half_width=baseline_turns)
    method = shift_test_method(
        n_permutations=n_permutations,
        seed=seed,
        min_moments=min_moments,
        baseline_turns=baseline_turns,
    )
    ok = np.isfinite(y)
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
    filled = np.where(ok, y, 0.0)
    lab = labels.astype(float)
    sum_m = _circular_sums(lab, filled)
    cnt_m = np.rint(_circular_sums(lab, ok.astype(float)))
    total, count = float(filled.sum()), float(ok.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = sum_m / cnt_m - (total - sum_m) / (count - cnt_m)
    diff[(cnt_m == 0) | (cnt_m == count)] = np.nan
    observed = float(y[ok & labels].mean() - y[ok & ~labels].mean())
    shifts = np.arange(1, n)
    if shifts.size > n_permutations:
        rng = np.random.default_rng(seed)
        shifts = np.sort(rng.choice(shifts, size=n_permutations, replace=False))
    null = diff[shifts]
    used = np.isfinite(null)
    # a tie within rounding error counts as at least as large
    tol = 1e-9 * max(1.0, abs(observed))
    p = (1 + int(np.sum(np.abs(null[used]) >= abs(observed) - tol))) / (1 + int(used.sum()))
    # the SD of the values themselves (not of the residuals), as for an adjusted difference
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
    if baseline_turns is not None:
        described += f", against a local baseline of +-{int(baseline_turns)} turns"
    table = pd.DataFrame(
        {
            "shift": shifts.astype("int64"),
            "difference": null,
            "effect_size": null / pooled if pooled > 0 else np.full(null.size, nan),
        }
    )
    summary = one_row(
        difference=observed,
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

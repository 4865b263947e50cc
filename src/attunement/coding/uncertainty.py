"""How much a session's code-derived metrics could move by chance: bootstrap intervals.

A session's reflection-to-question ratio, its shares of complex reflections, open questions and
change talk, its mean empathy scores and its MI quality estimate all rest on a few hundred coded
utterances, often far fewer. :func:`code_intervals` gives each a percentile interval from a
bootstrap over the session's coded units, stratified by role: every resample draws, with
replacement, as many therapist units from the therapist's units and as many client units from
the client's units as the session has, and recomputes every metric from the codes of the
units drawn.

A *coded unit* is what was coded once: a row of :func:`attunement.coding.code_utterances`' table,
or, where that table has a ``unit`` column, all rows with the same ``unit`` (consecutive caption
cues of one speaker coded together, carrying the same codes); a unit is drawn or left out whole.

What the interval covers, and what it does not: it is the sampling uncertainty of this
session's utterances -- how much the metric would vary had the same therapist and client said
other utterances of the same kinds in the same proportions. The codes are taken as given: the
coders' own errors (a question coded as a reflection) are not resampled, nor is the MI quality
model's uncertainty about its coefficients, and utterances are treated as exchangeable, so the
dependence of one utterance on the one before is ignored (which makes the interval somewhat too
narrow for a strongly patterned session).

References
----------
Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall/CRC.
(Percentile intervals: chapter 13; stratified resampling: section 6.5 of Davison, A. C., &
Hinkley, D. V. (1997). Bootstrap methods and their application. Cambridge University Press.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from attunement import metrics as m
from attunement.coding._quality_bootstrap import (
    divide,
    draw_counts,
    fast_quality,
    is_code,
    is_word_model,
    slow_quality,
)
from attunement.coding.apply import EMPATHY_METRICS, check_frame, session_codes
from attunement.coding.quality import session_quality
from attunement.errors import InputError

__all__ = [
    "CODE_METRICS",
    "INTERVAL_METRICS",
    "MIN_UNITS",
    "QUALITY_METRIC",
    "code_intervals",
    "code_intervals_method",
    "coded_units",
]

_CODES = ("mi_behaviour", "reflection_type", "question_type", "client_talk")
#: The code-derived metrics of :func:`attunement.coding.session_codes`, named by it.
CODE_METRICS: tuple[str, ...] = tuple(session_codes(pd.DataFrame(columns=list(_CODES))))
#: The metric of the MI quality estimate (:func:`attunement.coding.session_quality`'s score).
QUALITY_METRIC = m.MI_QUALITY_SCORE.name
#: Every metric :func:`code_intervals` gives an interval for, in its table's order.
INTERVAL_METRICS: tuple[str, ...] = (*CODE_METRICS, QUALITY_METRIC)
_SCORES = {metric: f"{mechanism}_score" for mechanism, metric in EMPATHY_METRICS.items()}
#: Resamples of the MI quality estimate when it has to be recomputed resample by resample.
_SLOW_QUALITY_RESAMPLES = 200
#: Fewer coded units of a role than this give its metrics no interval: resampling a handful
#: of units shows little of the variation they could have.
MIN_UNITS = 10


def coded_units(coded: pd.DataFrame) -> pd.DataFrame:
    """One row per coded unit of a coded utterance table, in spoken order.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table: at least ``mi_behaviour``,
        ``reflection_type``, ``question_type`` and ``client_talk``; ``text``, the score and
        probability columns and ``unit`` where present.

    Returns
    -------
    pandas.DataFrame
        - ``unit``: the unit's ``unit`` value, or its row's position where ``coded`` has no
          ``unit`` column;
        - ``stratum``: 'therapist' (a behaviour code or an empathy score) or 'client' (a
          talk type); uncoded rows belong to no unit and are left out;
        - ``n_rows``: rows of ``coded`` in the unit;
        - ``n_words``: whitespace-separated words of its rows' ``text`` (NaN without
          ``text``);
        - then, from the unit's first row, every code, score and probability column of
          ``coded`` (a unit's rows carry the same codes).

    Raises
    ------
    InputError
        When ``coded`` is not a DataFrame or lacks a code column.

    Examples
    --------
    >>> coded = pd.DataFrame({"text": ["You feel", "stuck.", "Yes."],
    ...                       "mi_behaviour": ["reflection", "reflection", None],
    ...                       "reflection_type": ["complex", "complex", None],
    ...                       "question_type": [None, None, None],
    ...                       "client_talk": [None, None, "change"], "unit": [0, 0, 1]})
    >>> coded_units(coded)[["unit", "stratum", "n_rows", "n_words"]].values.tolist()
    [[0, 'therapist', 2, 3], [1, 'client', 1, 1]]
    """
    check_frame(coded, _CODES, "coded")
    scores = [c for c in _SCORES.values() if c in coded.columns]
    therapist = coded["mi_behaviour"].notna().to_numpy(copy=True)
    for column in scores:
        therapist |= pd.to_numeric(coded[column], errors="coerce").notna().to_numpy()
    client = coded["client_talk"].notna().to_numpy() & ~therapist
    keep = therapist | client
    if "text" in coded.columns:
        words = np.array(
            [0 if pd.isna(t) else len(str(t).split()) for t in coded["text"].tolist()], dtype=float
        )
    else:
        words = np.full(len(coded), np.nan)
    if "unit" in coded.columns:
        key = coded["unit"].to_numpy(dtype=object)
        keep &= ~pd.isna(coded["unit"]).to_numpy()
    else:
        key = np.arange(len(coded), dtype=object)
    columns = [
        c
        for c in coded.columns
        if c in _CODES or c in scores or (c.startswith("p_") and c != "p_value")
    ]
    rows = coded.loc[keep, columns].reset_index(drop=True)
    rows.insert(0, "unit", key[keep])
    rows.insert(1, "stratum", np.where(therapist[keep], "therapist", "client"))
    rows["n_rows"] = 1
    rows["n_words"] = words[keep]
    first = rows.groupby("unit", sort=False, dropna=False).first()
    totals = rows.groupby("unit", sort=False, dropna=False)[["n_rows", "n_words"]].sum(min_count=1)
    first[["n_rows", "n_words"]] = totals
    first["n_rows"] = first["n_rows"].astype(int)
    if "text" in coded.columns:
        first["n_words"] = first["n_words"].astype(int)
    return first.reset_index()[["unit", "stratum", "n_rows", "n_words", *columns]]


def _code_metrics(
    therapist: pd.DataFrame, client: pd.DataFrame, wt: np.ndarray, wc: np.ndarray
) -> dict[str, np.ndarray]:
    """Every code metric of each resample (rows of the count matrices ``wt`` and ``wc``)."""
    reflections = wt @ is_code(therapist, "mi_behaviour", "reflection")
    questions = wt @ is_code(therapist, "mi_behaviour", "question")
    change = wc @ is_code(client, "client_talk", "change")
    sustain = wc @ is_code(client, "client_talk", "sustain")
    found = {
        m.REFLECTION_TO_QUESTION_RATIO.name: divide(reflections, questions),
        m.PERCENT_COMPLEX_REFLECTIONS.name: divide(
            wt @ is_code(therapist, "reflection_type", "complex"), reflections, 100.0
        ),
        m.PERCENT_OPEN_QUESTIONS.name: divide(
            wt @ is_code(therapist, "question_type", "open"), questions, 100.0
        ),
        m.CHANGE_TALK_SHARE.name: divide(change, change + sustain),
    }
    for metric, column in _SCORES.items():
        if column in therapist.columns:
            score = pd.to_numeric(therapist[column], errors="coerce").to_numpy(dtype=float)
            has = np.isfinite(score)
            found[metric] = divide(wt @ np.where(has, score, 0.0), wt @ has.astype(float))
        else:
            found[metric] = np.full(wt.shape[0], np.nan)
    return found


def _denominators(therapist: pd.DataFrame, client: pd.DataFrame) -> dict[str, int]:
    """The units each metric's point value rests on."""
    reflections = int(is_code(therapist, "mi_behaviour", "reflection").sum())
    questions = int(is_code(therapist, "mi_behaviour", "question").sum())
    talk = int(
        (is_code(client, "client_talk", "change") + is_code(client, "client_talk", "sustain")).sum()
    )
    out = {
        m.REFLECTION_TO_QUESTION_RATIO.name: reflections + questions,
        m.PERCENT_COMPLEX_REFLECTIONS.name: reflections,
        m.PERCENT_OPEN_QUESTIONS.name: questions,
        m.CHANGE_TALK_SHARE.name: talk,
        QUALITY_METRIC: int(therapist["mi_behaviour"].notna().sum()),
    }
    for metric, column in _SCORES.items():
        out[metric] = (
            int(pd.to_numeric(therapist[column], errors="coerce").notna().sum())
            if column in therapist.columns
            else 0
        )
    return out


def _interval(values: np.ndarray, point: float, alpha: float) -> tuple[float, float, float]:
    """(low, high, share of undefined resamples): NaN bounds when the point is undefined or
    more than ``alpha`` of the resamples are (a bound would fall among them)."""
    defined = np.isfinite(values)
    undefined = 1.0 - float(defined.mean()) if values.size else 1.0
    if not math.isfinite(point) or undefined > alpha or not defined.any():
        return math.nan, math.nan, undefined
    low, high = np.quantile(values[defined], [alpha, 1.0 - alpha])
    return float(low), float(high), undefined


def _level_name(level: float) -> str:
    try:
        percent = float(level) * 100
    except (TypeError, ValueError):
        percent = math.nan
    if not (1 <= percent <= 99) or abs(percent - round(percent)) > 1e-9:
        raise InputError(
            f"is {level!r}; expected a coverage between 0.01 and 0.99 in whole percent (e.g. 0.95)",
            field="level",
        )
    return f"ci{round(percent)}"


def code_intervals(
    coded: pd.DataFrame,
    *,
    quality_model: Any = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Bootstrap percentile intervals of a session's code-derived metrics.

    Each of ``n_resamples`` resamples draws, with replacement, the session's number of
    therapist units from its therapist units and its number of client units from its client
    units (see :func:`coded_units`), and recomputes every metric from the codes drawn:
    reflections / questions, 100 x complex / reflections, 100 x open / questions,
    change / (change + sustain), the mean of each EPITOME score, and (given
    ``quality_model``) the MI quality estimate from the resample's session features. The
    interval is the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the resampled
    values (linear interpolation).

    The interval is the sampling uncertainty of the session's utterances, nothing more: the
    codes are taken as given (the coders' errors are not resampled), the MI quality model's
    coefficients are fixed, and utterances are treated as exchangeable (their order and
    dependence on the turn before are ignored).

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table (``text`` needed for the MI quality
        estimate; ``unit``, where present, groups rows into units).
    quality_model : MIQualityModel or WordQualityModel, optional
        The fitted model of :func:`attunement.coding.session_quality`; without it, the table
        has no ``mi_quality_score`` row (nothing is read from disk here). A model on session
        features (:class:`attunement.coding.quality.MIQualityModel`) gets each resample's
        features from its code counts; a model on the therapist's words
        (:class:`attunement.coding.quality_words.WordQualityModel`) each resample's n-gram
        counts, summed over the units drawn (a unit's counts include the word pair joining it
        to the next therapist unit, so that the units' counts add up to the session's). Both
        are checked on the session itself (the counts must give its
        :func:`~attunement.coding.session_quality` score); where the check fails, or for
        another kind of model, the estimate is recomputed by
        :func:`~attunement.coding.session_quality` on each resampled table, with at most 200
        resamples.
    n_resamples : int, default 1000
        At least 10.
    seed : int, default 0
        Seed of the resampling (the same seed gives the same intervals).
    level : float, default 0.95
        Coverage, in whole percent (0.9, 0.95, 0.99, ...): names the interval columns.

    Returns
    -------
    pandas.DataFrame
        One row per metric of :data:`INTERVAL_METRICS` (``mi_quality_score`` only with a
        model), with columns

        - ``metric``: the metric's name in results.json's ``metrics``;
        - ``value``: the metric on the session itself, as :func:`attunement.coding.session_codes`
          (counting each unit once) and :func:`attunement.coding.session_quality` give it;
        - ``ci95_low``, ``ci95_high`` (``ci90_*`` at level 0.9, ...): the interval; NaN where
          the value is undefined, where the role it is measured on has fewer than
          :data:`MIN_UNITS` coded units (the client's for ``change_talk_share``, the
          therapist's for the others), or where more than ``(1 - level) / 2`` of the
          resamples leave it undefined (e.g. a session with one question: about a third of
          its resamples have none, and no ratio), so that a bound would be undefined. Where
          every unit counted is alike (all reflections complex) the interval is that one
          value: the resampling found no variation, which is not certainty;
        - ``n_units``: the coded units the value rests on (its denominator: reflections +
          questions, reflections, questions, change + sustain talk, therapist units with an
          empathy score, therapist units with a behaviour code);
        - ``undefined_share``: the share of resamples in which the metric was undefined;
        - ``n_resamples``: resamples the interval comes from;
        - ``recomputed_from``: how each resample's value was computed: 'codes' (the code
          metrics), 'features' or 'words' (the MI quality estimate from counts, see
          ``quality_model``), 'tables' (by ``session_quality`` on each resampled table) or
          'none' (no therapist unit coded: no estimate);
        - ``median_centred``: True for the estimate of a word model, whose resampled
          log-odds are shifted so that their median is the session's own: a resample repeats
          some utterances and leaves others out, which by itself lowers a word model's
          estimate (fewer distinct phrases; by a median 0.9 log-odds on the HLQC-dev
          sessions, putting the session's own estimate above a plain percentile interval in
          a quarter of them); the shift removes that bias and keeps the spread.

    Raises
    ------
    InputError
        When ``coded`` is not a code table, ``n_resamples`` is below 10 or ``level`` is not a
        whole percent between 1 and 99.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman &
    Hall/CRC.

    Examples
    --------
    >>> coded = pd.DataFrame({
    ...     "text": ["So you want to stop.", "Why now?", "Yes.", "I will try."] * 10,
    ...     "mi_behaviour": ["reflection", "question", None, None] * 10,
    ...     "reflection_type": ["complex", None, None, None] * 10,
    ...     "question_type": [None, "open", None, None] * 10,
    ...     "client_talk": [None, None, "change", "sustain"] * 10})
    >>> table = code_intervals(coded).set_index("metric")
    >>> row = table.loc["change_talk_share"]
    >>> float(row["value"]), int(row["n_units"])
    (0.5, 20)
    >>> low, high = row["ci95_low"], row["ci95_high"]
    >>> bool(0.2 <= low < 0.5 < high <= 0.8)
    True
    >>> table.loc["percent_complex_reflections", ["ci95_low", "ci95_high"]].tolist()
    [100.0, 100.0]
    """
    name = _level_name(level)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)):
        raise InputError(f"is {n_resamples!r}; expected a whole number", field="n_resamples")
    if n_resamples < 10:
        raise InputError(f"is {n_resamples}; expected at least 10", field="n_resamples")
    units = coded_units(coded)
    therapist_at = np.flatnonzero(units["stratum"].to_numpy() == "therapist")
    client_at = np.flatnonzero(units["stratum"].to_numpy() == "client")
    therapist = units.iloc[therapist_at].reset_index(drop=True)
    client = units.iloc[client_at].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    wt = draw_counts(rng, len(therapist), n_resamples).astype(float)
    wc = draw_counts(rng, len(client), n_resamples).astype(float)
    one_t, one_c = np.ones((1, len(therapist))), np.ones((1, len(client)))
    points = {k: float(v[0]) for k, v in _code_metrics(therapist, client, one_t, one_c).items()}
    resampled = _code_metrics(therapist, client, wt, wc)
    counts = {m: n_resamples for m in CODE_METRICS}
    recomputed = dict.fromkeys(CODE_METRICS, "codes")
    if quality_model is not None:
        found = session_quality(coded, model=quality_model)["score"]
        points[QUALITY_METRIC] = math.nan if found is None else float(found)
        fast = fast_quality(coded, therapist, client, wt, wc, quality_model, points[QUALITY_METRIC])
        if fast is None:
            counts[QUALITY_METRIC] = min(n_resamples, _SLOW_QUALITY_RESAMPLES)
            resampled[QUALITY_METRIC] = slow_quality(
                coded,
                units,
                therapist_at,
                client_at,
                rng,
                counts[QUALITY_METRIC],
                quality_model,
                centre=is_word_model(quality_model),
            )
            recomputed[QUALITY_METRIC] = "tables"
        else:
            counts[QUALITY_METRIC] = n_resamples
            resampled[QUALITY_METRIC], recomputed[QUALITY_METRIC] = fast
    alpha = (1.0 - float(level)) / 2
    denominators = _denominators(therapist, client)
    rows = []
    for metric in INTERVAL_METRICS:
        if metric not in resampled:
            continue
        low, high, undefined = _interval(resampled[metric], points[metric], alpha)
        if len(client if metric == m.CHANGE_TALK_SHARE.name else therapist) < MIN_UNITS:
            low = high = math.nan
        rows.append(
            {
                "metric": metric,
                "value": points[metric],
                f"{name}_low": low,
                f"{name}_high": high,
                "n_units": denominators[metric],
                "undefined_share": undefined,
                "n_resamples": counts[metric],
                "recomputed_from": recomputed[metric],
                "median_centred": metric == QUALITY_METRIC and is_word_model(quality_model),
            }
        )
    return pd.DataFrame(rows)


_QUALITY_FROM = {
    "features": (
        "recomputes the session features of each resample from its codes and applies the "
        "same fitted model to them"
    ),
    "words": (
        "recomputes the n-gram counts of each resample's therapist utterances (each with the "
        "word pair joining it to the next) and applies the same fitted model to them"
    ),
    "tables": "recomputes the estimate on each resampled table",
}


def code_intervals_method(
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    quality_resamples: int | None = None,
    quality_from: str | None = None,
    quality_centred: bool = False,
) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`code_intervals` run with these parameters.

    Parameters
    ----------
    n_resamples, seed, level
        As given to :func:`code_intervals`.
    quality_resamples : int, optional
        The resamples of the MI quality estimate (its table row's ``n_resamples``); None when
        the estimate had no interval.
    quality_from : str, optional
        Its table row's ``recomputed_from``: 'features', 'words' or 'tables'.
    quality_centred : bool, default False
        Its table row's ``median_centred``.

    Returns
    -------
    dict
        ``name`` ('code_intervals'), ``description`` (written from the parameters),
        ``parameters`` (``n_resamples``, ``seed``, ``level``, ``quality_resamples``) and
        ``citation``.

    Examples
    --------
    >>> m = code_intervals_method(n_resamples=500, seed=3, quality_resamples=500)
    >>> "95% intervals" in m["description"], "500 bootstrap resamples" in m["description"]
    (True, True)
    """
    percent = _level_name(level)[2:]
    if quality_resamples is None or quality_from not in _QUALITY_FROM:
        quality = ""
    else:
        quality = f" The MI quality estimate's interval {_QUALITY_FROM[quality_from]}" + (
            "." if quality_resamples == n_resamples else f", from {quality_resamples} resamples."
        )
        if quality_centred:
            quality += (
                " Its resampled log-odds are shifted so that their median is the session's own "
                "estimate: a resample repeats some utterances and leaves others out, which by "
                "itself lowers the word model's estimate (fewer distinct phrases)."
            )
    return {
        "name": "code_intervals",
        "description": (
            f"Each code-derived session metric is shown with a {percent}% interval: the "
            f"percentile interval of {n_resamples:,} bootstrap resamples (seed {seed}) of the "
            "session's coded units (an utterance, or the consecutive caption cues of one "
            "speaker coded together), drawn with replacement separately among the therapist's "
            "and the client's units, so that every resample keeps the session's number of "
            "each, and every metric recomputed from the codes drawn; where more than "
            f"{(100 - float(percent)) / 2:g}% of the resamples leave a metric undefined (too "
            "few questions, reflections or change and sustain talk), or a person has fewer "
            f"than {MIN_UNITS} coded units, no interval is given."
            + quality
            + f" The {percent}% intervals show the sampling uncertainty of the session's "
            "utterances only: the codes are taken as given, so the coders' own errors are not "
            "in them, and utterances are treated as exchangeable."
        ),
        "parameters": {
            "n_resamples": int(n_resamples),
            "seed": int(seed),
            "level": float(level),
            "quality_resamples": None if quality_resamples is None else int(quality_resamples),
            "quality_from": quality_from if quality_from in _QUALITY_FROM else None,
            "quality_centred": bool(quality_centred),
        },
        "citation": (
            "Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. "
            "Chapman & Hall/CRC"
        ),
    }

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
import warnings
from typing import Any

import numpy as np
import pandas as pd

from attunement.coding.apply import EMPATHY_METRICS, check_frame, session_codes
from attunement.coding.quality import MIQualityModel, session_features, session_quality
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
QUALITY_METRIC = "mi_quality_score"
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


def _is(units: pd.DataFrame, column: str, value: str) -> np.ndarray:
    return (units[column] == value).fillna(False).to_numpy(dtype=float)


def _counts(rng: np.random.Generator, n: int, n_resamples: int) -> np.ndarray:
    """How often each of ``n`` units is drawn in each resample: shape (n_resamples, n)."""
    if n == 0:
        return np.zeros((n_resamples, 0))
    draws = rng.integers(0, n, size=(n_resamples, n)) + n * np.arange(n_resamples)[:, None]
    return np.bincount(draws.ravel(), minlength=n_resamples * n).reshape(n_resamples, n)


def _divide(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, scale * num / np.where(den > 0, den, 1.0), np.nan)


def _code_metrics(
    therapist: pd.DataFrame, client: pd.DataFrame, wt: np.ndarray, wc: np.ndarray
) -> dict[str, np.ndarray]:
    """Every code metric of each resample (rows of the count matrices ``wt`` and ``wc``)."""
    reflections = wt @ _is(therapist, "mi_behaviour", "reflection")
    questions = wt @ _is(therapist, "mi_behaviour", "question")
    change = wc @ _is(client, "client_talk", "change")
    sustain = wc @ _is(client, "client_talk", "sustain")
    found = {
        "reflection_to_question_ratio": _divide(reflections, questions),
        "percent_complex_reflections": _divide(
            wt @ _is(therapist, "reflection_type", "complex"), reflections, 100.0
        ),
        "percent_open_questions": _divide(
            wt @ _is(therapist, "question_type", "open"), questions, 100.0
        ),
        "change_talk_share": _divide(change, change + sustain),
    }
    for metric, column in _SCORES.items():
        if column in therapist.columns:
            score = pd.to_numeric(therapist[column], errors="coerce").to_numpy(dtype=float)
            has = np.isfinite(score)
            found[metric] = _divide(wt @ np.where(has, score, 0.0), wt @ has.astype(float))
        else:
            found[metric] = np.full(wt.shape[0], np.nan)
    return found


def _denominators(therapist: pd.DataFrame, client: pd.DataFrame) -> dict[str, int]:
    """The units each metric's point value rests on."""
    reflections = int(_is(therapist, "mi_behaviour", "reflection").sum())
    questions = int(_is(therapist, "mi_behaviour", "question").sum())
    talk = int((_is(client, "client_talk", "change") + _is(client, "client_talk", "sustain")).sum())
    out = {
        "reflection_to_question_ratio": reflections + questions,
        "percent_complex_reflections": reflections,
        "percent_open_questions": questions,
        "change_talk_share": talk,
        QUALITY_METRIC: int(therapist["mi_behaviour"].notna().sum()),
    }
    for metric, column in _SCORES.items():
        out[metric] = (
            int(pd.to_numeric(therapist[column], errors="coerce").notna().sum())
            if column in therapist.columns
            else 0
        )
    return out


#: The features of :data:`attunement.coding.quality.FEATURES` this module recomputes from
#: counts; a model with any other feature is bootstrapped resample by resample.
_KNOWN_FEATURES = frozenset(
    {
        "reflection_question_log_ratio",
        "reflection_share",
        "therapist_input_share",
        "complex_reflection_share",
        "open_question_share",
        "change_talk_share",
        "therapist_words_per_utterance_log",
    }
)


def _features(
    therapist: pd.DataFrame,
    client: pd.DataFrame,
    wt: np.ndarray,
    wc: np.ndarray,
    *,
    per_row: bool,
) -> dict[str, np.ndarray]:
    """The MI-quality session features of each resample, from weighted counts.

    ``per_row``: a unit counts as its number of rows (as a row-by-row count of the coded
    table does) instead of once.
    """
    mt = therapist["n_rows"].to_numpy(dtype=float) if per_row else np.ones(len(therapist))
    mc = client["n_rows"].to_numpy(dtype=float) if per_row else np.ones(len(client))
    coded = therapist["mi_behaviour"].notna().to_numpy(dtype=float)
    n = wt @ (coded * mt)
    reflections = wt @ (_is(therapist, "mi_behaviour", "reflection") * mt)
    questions = wt @ (_is(therapist, "mi_behaviour", "question") * mt)
    change = wc @ (_is(client, "client_talk", "change") * mc)
    sustain = wc @ (_is(client, "client_talk", "sustain") * mc)
    words = wt @ (coded * therapist["n_words"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.clip(np.log((reflections + 1) / (questions + 1)), -3.0, 3.0)
        length = np.log(np.maximum(1.0, _divide(words, n)))
    return {
        "reflection_question_log_ratio": np.where(n > 0, ratio, np.nan),
        "reflection_share": _divide(reflections, n),
        "therapist_input_share": _divide(
            wt @ (_is(therapist, "mi_behaviour", "therapist_input") * mt), n
        ),
        "complex_reflection_share": _divide(
            wt @ (_is(therapist, "reflection_type", "complex") * mt), reflections
        ),
        "open_question_share": _divide(
            wt @ (_is(therapist, "question_type", "open") * mt), questions
        ),
        "change_talk_share": _divide(change, change + sustain),
        "therapist_words_per_utterance_log": np.where(n > 0, length, np.nan),
    }


def _same(a: dict[str, np.ndarray], b: dict[str, float], names: list[str]) -> bool:
    x = np.array([float(a[n][0]) for n in names])
    y = np.array([float(b.get(n, math.nan)) for n in names])
    return bool(np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True))


def _fast_quality(
    coded: pd.DataFrame,
    therapist: pd.DataFrame,
    client: pd.DataFrame,
    wt: np.ndarray,
    wc: np.ndarray,
    model: Any,
    expected: float,
) -> tuple[np.ndarray, str] | None:
    """The MI quality estimate of every resample at once and what it was recomputed from
    ('features' or 'words'), or None where that cannot be done from counts: a model of
    another kind, or one whose inputs are counted otherwise than here (checked on the
    session itself: the count-based estimate of the session must be ``expected``, its
    :func:`attunement.coding.session_quality` score)."""
    if "text" not in coded.columns:
        return None
    if not therapist["mi_behaviour"].notna().any():
        return np.full(wt.shape[0], np.nan), "none"  # as session_quality: no score
    if not math.isfinite(expected):
        return None
    if isinstance(model, MIQualityModel):
        found = _feature_quality(coded, therapist, client, wt, wc, model)
        how = "features"
    elif _is_word_model(model):
        found = _word_quality(coded, therapist, wt, model)
        how = "words"
    else:
        return None
    if found is None or not np.isclose(found[1], expected, rtol=1e-9, atol=1e-12):
        return None
    return found[0], how


def _feature_quality(
    coded: pd.DataFrame,
    therapist: pd.DataFrame,
    client: pd.DataFrame,
    wt: np.ndarray,
    wc: np.ndarray,
    model: MIQualityModel,
) -> tuple[np.ndarray, float] | None:
    """(each resample's estimate, the session's own) of a model on session features."""
    names = [str(n) for n in model.feature_names_in_]
    if not set(names) <= _KNOWN_FEATURES:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = session_features(coded)
    one_t, one_c = np.ones((1, len(therapist))), np.ones((1, len(client)))
    for per_row in (False, True):
        itself = _features(therapist, client, one_t, one_c, per_row=per_row)
        if _same(itself, expected, names):
            found = _features(therapist, client, wt, wc, per_row=per_row)
            x = np.vstack(
                [
                    np.column_stack([itself[n] for n in names]),
                    np.column_stack([found[n] for n in names]),
                ]
            )
            score = model.predict_proba(x)[:, 1]
            return score[1:], float(score[0])
    return None


#: Resamples scored at once by the word model (bounds the memory of the count matrix).
_WORD_BLOCK = 250


def _word_quality(
    coded: pd.DataFrame, therapist: pd.DataFrame, wt: np.ndarray, model: Any
) -> tuple[np.ndarray, float]:
    """(each resample's estimate, :func:`_centred`; the session's own) of a word model."""
    found, itself = _word_log_odds(coded, therapist, wt, model)
    return _centred(found, itself), float(1.0 / (1.0 + math.exp(-itself)))


def _word_log_odds(
    coded: pd.DataFrame, therapist: pd.DataFrame, wt: np.ndarray, model: Any
) -> tuple[np.ndarray, float]:
    """(each resample's log-odds, the session's own) of a model on the TF-IDF word 1- and
    2-grams of the therapist's coded utterances (sublinear term frequencies, l2-normalised,
    Platt-scaled log-odds: :class:`attunement.coding.quality_words.WordQualityModel`).

    A resample's n-gram counts are the sums of its units' counts, where a unit's counts are
    those of its words plus the word pair that joins it to the next therapist unit in the
    session (as the session's joined text has it), so that the units' counts add up to the
    session's exactly.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    key = coded["unit"].to_numpy(dtype=object) if "unit" in coded.columns else None
    rows = coded["mi_behaviour"].notna().to_numpy()
    texts = ["" if pd.isna(t) else str(t) for t in coded["text"].tolist()]
    joined: dict[Any, list[str]] = {}
    for i in np.flatnonzero(rows):
        if not pd.isna(coded["text"].iloc[i]):
            joined.setdefault(key[i] if key is not None else i, []).append(texts[i])
    unit_texts = [" ".join(joined.get(u, [])) for u in therapist["unit"]]
    vocabulary = {str(t): i for i, t in enumerate(model.vocabulary_)}
    counter = CountVectorizer(ngram_range=(1, 2), vocabulary=vocabulary)
    analyze = counter.build_analyzer()
    with_words = [i for i, t in enumerate(unit_texts) if analyze(t)]
    following = dict(zip(with_words, [*with_words[1:], None], strict=True))
    pairs, nexts = [], []
    for i, text in enumerate(unit_texts):
        j = following.get(i)
        pairs.append(text if j is None else f"{text} {unit_texts[j]}")
        nexts.append("" if j is None else unit_texts[j])
    counts = counter.transform(pairs) - counter.transform(nexts)
    used = np.flatnonzero(np.asarray(counts.sum(axis=0)).ravel() > 0)
    per_unit = counts[:, used].toarray().astype(float)
    idf = np.asarray(model.idf_, dtype=float)[used]
    weights = float(model.calibration_[0]) * np.asarray(model.coef_, dtype=float)[used]

    def log_odds(w: np.ndarray) -> np.ndarray:
        c = w @ per_unit
        with np.errstate(divide="ignore"):
            tf = np.where(c > 0, 1.0 + np.log(np.where(c > 0, c, 1.0)), 0.0) * idf
        norm = np.sqrt((tf**2).sum(axis=1))
        return np.where(norm > 0, (tf @ weights) / np.where(norm > 0, norm, 1.0), 0.0)

    itself = log_odds(np.ones((1, len(unit_texts))))[0] + model.intercept_
    found = np.concatenate(
        [log_odds(wt[k : k + _WORD_BLOCK]) for k in range(0, wt.shape[0], _WORD_BLOCK)]
    )
    return found + model.intercept_, float(itself)


def _centred(log_odds: np.ndarray, itself: float) -> np.ndarray:
    """Resampled estimates (from their log-odds) shifted so that their median log-odds is the
    session's own: drawn with replacement, a resample repeats some utterances and leaves
    others out, which by itself lowers a word model's evidence (fewer distinct phrases),
    whatever the session; the shift removes that bias, the spread stays."""
    defined = np.isfinite(log_odds)
    shift = float(np.median(log_odds[defined])) - itself if defined.any() else 0.0
    return 1.0 / (1.0 + np.exp(-(log_odds - shift)))


def _is_word_model(model: Any) -> bool:
    return all(hasattr(model, a) for a in ("vocabulary_", "idf_", "coef_", "calibration_"))


def _slow_quality(
    coded: pd.DataFrame,
    units: pd.DataFrame,
    therapist_at: np.ndarray,
    client_at: np.ndarray,
    rng: np.random.Generator,
    n_resamples: int,
    model: Any,
    *,
    centre: bool = False,
) -> np.ndarray:
    """The MI quality estimate recomputed by :func:`session_quality` on each resampled table
    (their log-odds :func:`_centred` on the session's with ``centre``)."""
    key = "unit" in coded.columns
    if key:
        positions = pd.Series(np.arange(len(coded)), index=coded["unit"].to_numpy(dtype=object))
        found = positions.groupby(level=0, sort=False).indices
        rows_of = [positions.to_numpy()[found[u]] for u in units["unit"]]
    else:
        rows_of = [np.array([u]) for u in units["unit"]]
    sizes = np.array([r.size for r in rows_of], dtype=int)
    out = np.full(n_resamples, np.nan)
    for b in range(n_resamples):
        picked = np.concatenate(
            [
                rng.choice(therapist_at, size=therapist_at.size),
                rng.choice(client_at, size=client_at.size),
            ]
        ).astype(int)
        if not picked.size:
            continue
        frame = coded.iloc[np.concatenate([rows_of[u] for u in picked])]
        if key:  # a unit drawn twice is two units
            frame = frame.assign(unit=np.repeat(np.arange(picked.size), sizes[picked]))
        found = session_quality(frame, model=model)["log_odds"]
        out[b] = math.nan if found is None else found
    if centre:
        itself = session_quality(coded, model=model)["log_odds"]
        return _centred(out, itself) if itself is not None else np.full(n_resamples, np.nan)
    return 1.0 / (1.0 + np.exp(-out))


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
    wt = _counts(rng, len(therapist), n_resamples).astype(float)
    wc = _counts(rng, len(client), n_resamples).astype(float)
    one_t, one_c = np.ones((1, len(therapist))), np.ones((1, len(client)))
    points = {k: float(v[0]) for k, v in _code_metrics(therapist, client, one_t, one_c).items()}
    resampled = _code_metrics(therapist, client, wt, wc)
    counts = {m: n_resamples for m in CODE_METRICS}
    recomputed = dict.fromkeys(CODE_METRICS, "codes")
    if quality_model is not None:
        found = session_quality(coded, model=quality_model)["score"]
        points[QUALITY_METRIC] = math.nan if found is None else float(found)
        fast = _fast_quality(
            coded, therapist, client, wt, wc, quality_model, points[QUALITY_METRIC]
        )
        if fast is None:
            counts[QUALITY_METRIC] = min(n_resamples, _SLOW_QUALITY_RESAMPLES)
            resampled[QUALITY_METRIC] = _slow_quality(
                coded,
                units,
                therapist_at,
                client_at,
                rng,
                counts[QUALITY_METRIC],
                quality_model,
                centre=_is_word_model(quality_model),
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
        if len(client if metric == "change_talk_share" else therapist) < MIN_UNITS:
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
                "median_centred": metric == QUALITY_METRIC and _is_word_model(quality_model),
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

"""Language style matching (LSM): how alike two people's use of function words is.

For each of the nine function-word categories of :mod:`attunement.language.function_words`,
with ``p1`` and ``p2`` the category's percentage of each text's words (Ireland & Pennebaker,
2010)::

    LSM_c = 1 - |p1 - p2| / (p1 + p2 + 0.0001)

and LSM is the mean of the nine. The constant only keeps a category that neither text uses from
dividing by zero (it then scores 1, a perfect match). It was chosen for rates in *percent*, as
LIWC reports them: with percentages (typically 1-15) it is negligible, whereas with proportions
(0.01-0.15) it would shrink every score by up to 1%. Rates here are therefore percentages.

Three levels:

* :func:`lsm` for any two texts (its table: each category's score);
* :func:`session_lsm`: all the therapist's words against all the client's, as Ireland &
  Pennebaker compute LSM for a conversation;
* :func:`turn_lsm` for every adjacent therapist/client turn pair, and :func:`turn_lsm_test`,
  whose mean is compared with pairs of the client's turns rotated along the session (circular
  shifts, which keep each person's drift), a chance level the session-level figure cannot have
  (it ignores turn order).

Short turns use few categories, and a category neither turn uses scores 1, so turn-level LSM of
short turns is high by construction; ``both_absent="skip"`` averages only the categories at least
one of the two turns uses, and ``min_words`` leaves out pairs with a turn shorter than that.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.language._pairs import (
    MIN_ROTATION_TURNS,
    as_text,
    check_options,
    direction_of,
    require_columns,
    rotated_positions,
    rotation_text,
    summarize,
    turn_pairs,
)
from attunement.language.function_words import CATEGORIES, category_counts
from attunement.synchrony.result import MeasurementResult, Method, one_row
from attunement.synchrony.stats import SurrogateSummary

__all__ = [
    "BOTH_ABSENT",
    "LSMResult",
    "TurnLSMResult",
    "lsm",
    "lsm_method",
    "session_lsm",
    "turn_lsm",
    "turn_lsm_test",
]

#: Ireland & Pennebaker's constant, for rates in percent.
EPSILON = 0.0001

#: ``both_absent`` -> how a category that neither text uses is scored.
BOTH_ABSENT: Mapping[str, str] = {
    "match": "scores 1 (the published formula)",
    "skip": "is left out of the mean",
}


_IRELAND_2010 = (
    "Ireland, M. E., & Pennebaker, J. W. (2010). Language style matching in writing: "
    "Synchrony in essays, correspondence, and poetry. Journal of Personality and Social "
    "Psychology, 99(3), 549-571."
)


_EACH_PERSON = "each person's"
_EACH_TURN = "each turn's"


def _formula(whose: str) -> str:
    """The opening of every LSM description: the formula and its categories."""
    return (
        "Language style matching was computed per function-word category as "
        f"1 - |p1 - p2| / (p1 + p2 + {EPSILON:g}), p being the category's percentage of "
        f"{whose} words, and averaged over the {len(CATEGORIES)} categories (Ireland "
        "& Pennebaker, 2010)"
    )


def _short(min_words: int) -> str:
    if int(min_words) <= 1:
        return ""
    return f", leaving out pairs with a turn of fewer than {int(min_words)} words"


def _pair_method(level: str) -> Method:
    """The method of :func:`lsm` (``level='texts'``) or :func:`session_lsm` ('session')."""
    scope = {
        "texts": ("each text's", ", for two texts."),
        "session": (
            _EACH_PERSON,
            ", for the whole session (all the therapist's words against all the client's).",
        ),
    }[level]
    return Method(
        name="language_style_matching",
        description=_formula(scope[0]) + scope[1],
        parameters={"level": level},
        citation=_IRELAND_2010,
    )


def _turn_method(*, min_words: int, both_absent: str) -> Method:
    """The method of :func:`turn_lsm`: turn pairs, without a chance level."""
    return Method(
        name="language_style_matching",
        description=(
            f"{_formula(_EACH_TURN)}, for each adjacent therapist-client turn pair"
            f"{_short(min_words)}; a category neither turn uses {BOTH_ABSENT[both_absent]}."
        ),
        parameters={"level": "turns", "min_words": int(min_words), "both_absent": both_absent},
        citation=_IRELAND_2010,
    )


def lsm_method(
    *,
    min_words: int = 1,
    both_absent: str = "match",
    n_surrogates: int = 1000,
    seed: int | None = 0,
) -> Method:
    """The methods-paragraph entry of :func:`session_lsm` and :func:`turn_lsm_test` run with
    these parameters.

    Parameters
    ----------
    min_words, both_absent, n_surrogates, seed
        As given to :func:`turn_lsm_test`.

    Returns
    -------
    Method
        ``name`` ('language_style_matching'), ``description`` (written from the parameters),
        ``parameters`` (``min_words``, ``both_absent``, ``n_surrogates``, ``seed``) and
        ``citation``.

    Raises
    ------
    InputError
        For an unknown ``both_absent`` (the message lists the choices).

    Examples
    --------
    >>> "100 rotations" in lsm_method(n_surrogates=100)["description"]
    True
    """
    _check_absent(both_absent)
    n_sur = int(n_surrogates)
    chance = (
        " was compared with " + rotation_text(n_sur, seed, min_shift=MIN_ROTATION_TURNS)
        if n_sur > 0
        else " was not compared with a chance level"
    )
    return Method(
        name="language_style_matching",
        description=(
            f"{_formula(_EACH_PERSON)}, for the whole session and for each "
            f"adjacent therapist-client turn pair{_short(min_words)}; at the turn level a "
            f"category neither turn uses {BOTH_ABSENT[both_absent]}, and the mean turn-pair "
            f"LSM{chance}."
        ),
        parameters={
            "min_words": int(min_words),
            "both_absent": both_absent,
            "n_surrogates": n_sur,
            "seed": seed,
        },
        citation=_IRELAND_2010,
    )


@dataclass(frozen=True, slots=True, eq=False)
class LSMResult(MeasurementResult):
    """Result of :func:`lsm` and :func:`session_lsm`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per function-word category (:data:`~attunement.language.function_words.\
CATEGORIES`, in order): ``category``, ``percent_a`` and ``percent_b`` (the category's
        percentage of each text's words: text_a and text_b, or the therapist's and the
        client's) and ``lsm`` (its score, 0-1). NaN when a text has no words.
    summary : pandas.DataFrame
        One row: ``lsm`` (the mean of the category scores; NaN when a text has no words),
        ``n_words_a`` and ``n_words_b``.
    method : Method
        How it was computed.
    """

    @property
    def lsm(self) -> float:
        """The language style matching (0-1; NaN when undefined)."""
        return float(self["lsm"])


@dataclass(frozen=True, slots=True, eq=False)
class TurnLSMResult(MeasurementResult):
    """Result of :func:`turn_lsm` and :func:`turn_lsm_test`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per adjacent therapist/client turn pair: ``first_turn`` and ``second_turn``
        (row labels of the turn table), ``direction`` (``therapist_to_client`` or
        ``client_to_therapist``), ``n_words_first``, ``n_words_second``, ``lsm`` and one
        ``lsm_<category>`` column per function-word category (NaN for a pair left out).
    summary : pandas.DataFrame
        One row: ``observed`` (the mean turn-pair LSM over the pairs with a value),
        ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value`` (one-sided, against
        rotations of the client's turns; NaN without surrogates), ``n_surrogates`` (rotations
        used; 0 for :func:`turn_lsm`), ``n_pairs`` and ``n_defined`` (pairs with a value).
    method : Method
        How it was computed, from the parameters that ran.
    """

    @property
    def chance(self) -> SurrogateSummary:
        """The mean turn-pair LSM beside its rotations."""
        return SurrogateSummary(
            float(self["observed"]),
            float(self["surrogate_mean"]),
            float(self["surrogate_sd"]),
            float(self["effect_size"]),
            float(self["p_value"]),
            int(self["n_surrogates"]),
        )


_TURN_COLUMNS = (
    "first_turn",
    "second_turn",
    "direction",
    "n_words_first",
    "n_words_second",
    "lsm",
    *(f"lsm_{c}" for c in CATEGORIES),
)


def _warn(message: str, stacklevel: int = 3) -> None:
    warnings.warn(message, AttunementWarning, stacklevel=stacklevel)


def _check_absent(both_absent: str) -> None:
    if both_absent not in BOTH_ABSENT:
        raise InputError(
            f"is {both_absent!r}; expected one of {', '.join(BOTH_ABSENT)}", field="both_absent"
        )


def _scores(p1: np.ndarray, p2: np.ndarray, both_absent: str = "match") -> np.ndarray:
    """Per-category LSM of rates in percent (last axis = category)."""
    score = 1.0 - np.abs(p1 - p2) / (p1 + p2 + EPSILON)
    if both_absent == "skip":
        score = np.where((p1 == 0) & (p2 == 0), np.nan, score)
    return score


def _mean(scores: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
        return np.nanmean(scores, axis=-1)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"is a {type(value).__name__}; expected a text (str)", field=name)
    return value


def _pair_result(
    counts_a: np.ndarray, n_a: float, counts_b: np.ndarray, n_b: float, method: Method
) -> LSMResult:
    """The per-category table and summary of two word counts (NaN where one has no words)."""
    nan = np.full(len(CATEGORIES), np.nan)
    rate_a = counts_a * (100.0 / n_a) if n_a else nan
    rate_b = counts_b * (100.0 / n_b) if n_b else nan
    scores = _scores(rate_a, rate_b) if n_a and n_b else nan
    table = pd.DataFrame(
        {"category": list(CATEGORIES), "percent_a": rate_a, "percent_b": rate_b, "lsm": scores}
    )
    mean = float(scores.mean()) if n_a and n_b else float("nan")
    summary = one_row(lsm=mean, n_words_a=int(n_a), n_words_b=int(n_b))
    return LSMResult(table=table, summary=summary, method=method)


def lsm(text_a: str, text_b: str) -> LSMResult:
    """Language style matching of two texts (0-1; 1 = identical function-word rates).

    Parameters
    ----------
    text_a, text_b : str

    Returns
    -------
    LSMResult
        ``.summary`` (one row): ``lsm`` (the mean of the nine category scores; NaN, with a
        warning, when a text has no words), ``n_words_a``, ``n_words_b``. ``.table`` (one row
        per category of :data:`attunement.language.function_words.CATEGORIES`):
        ``category``, ``percent_a``, ``percent_b`` (its percentage of each text's words) and
        ``lsm`` (its score, 0-1). ``.method``: how it was computed. ``.lsm`` is the figure.

    Raises
    ------
    InputError
        When a text is not a str.

    Examples
    --------
    Articles are 2 of 4 words against 1 of 4 (50% vs 25%): 1 - 25 / 75 = 2/3; personal pronouns
    0% vs 25%: 0; the seven other categories are unused by both and score 1:

    >>> res = lsm("The cat, the dog", "I saw a cat")
    >>> round(res.lsm, 4), res["n_words_a"]
    (0.8519, 4)
    >>> res.table.set_index("category").loc["articles"].round(4).tolist()
    [50.0, 25.0, 0.6667]
    """
    counts_a, n_a = category_counts(_text(text_a, "text_a"))
    counts_b, n_b = category_counts(_text(text_b, "text_b"))
    if n_a == 0 or n_b == 0:
        which = " and ".join(n for n, k in (("text_a", n_a), ("text_b", n_b)) if k == 0)
        _warn(f"{which} has no words; language style matching is NaN")
    return _pair_result(counts_a, n_a, counts_b, n_b, _pair_method("texts"))


def _turn_counts(turns: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roles, per-turn category counts (n, 9) and word totals (n,)."""
    require_columns(turns, ("role", "text"), "the turn table")
    roles = turns["role"].astype(str).to_numpy()
    counts = np.zeros((len(turns), len(CATEGORIES)))
    totals = np.zeros(len(turns))
    for i, text in enumerate(turns["text"].tolist()):
        c, n = category_counts(as_text(text))
        counts[i], totals[i] = c, n
    return roles, counts, totals


def _check_min_words(min_words: int) -> None:
    if isinstance(min_words, bool) or not isinstance(min_words, int | np.integer) or min_words < 1:
        raise InputError(f"is {min_words!r}; expected a whole number >= 1", field="min_words")


def session_lsm(turns: pd.DataFrame) -> LSMResult:
    """LSM of all the therapist's words against all the client's words.

    Parameters
    ----------
    turns : pandas.DataFrame
        Columns ``role`` and ``text``: turns (:func:`attunement.language.turns.turns`) or
        utterances, the result is the same.

    Returns
    -------
    LSMResult
        As :func:`lsm`, with the therapist's words as text a and the client's as text b:
        ``.summary`` (``lsm``, ``n_words_a``, ``n_words_b``), ``.table`` (``category``,
        ``percent_a``, ``percent_b``, ``lsm``), ``.method``. ``lsm`` is NaN (with a
        warning) when either person has no words.

    Examples
    --------
    >>> t = pd.DataFrame({"role": ["therapist", "client", "therapist"],
    ...                   "text": ["The cat,", "I saw a cat", "the dog"]})
    >>> res = session_lsm(t)
    >>> round(res.lsm, 4), res["n_words_a"], res["n_words_b"]
    (0.8519, 4, 4)
    """
    roles, counts, totals = _turn_counts(turns)
    pooled = {}
    for role in ("therapist", "client"):
        pooled[role] = (counts[roles == role].sum(axis=0), totals[roles == role].sum())
    for role, (_, n) in pooled.items():
        if n == 0:
            _warn(f"the {role} has no words; session language style matching is NaN")
            break
    return _pair_result(*pooled["therapist"], *pooled["client"], _pair_method("session"))


def _pair_scores(
    turns: pd.DataFrame, min_words: int, both_absent: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    _check_min_words(min_words)
    _check_absent(both_absent)
    roles, counts, totals = _turn_counts(turns)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = counts * (100.0 / totals)[:, None]
    eligible = totals >= min_words
    first, second = turn_pairs(roles)
    return roles, rates, totals, eligible, first, second


def _pair_table(
    turns: pd.DataFrame,
    roles: np.ndarray,
    rates: np.ndarray,
    totals: np.ndarray,
    ok: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    both_absent: str,
) -> pd.DataFrame:
    """One row per turn pair: who, how many words, LSM and each category's score."""
    scores = np.full((first.size, len(CATEGORIES)), np.nan)
    scores[ok] = _scores(rates[first[ok]], rates[second[ok]], both_absent)
    labels = turns.index.to_numpy()
    out = pd.DataFrame(
        {
            "first_turn": labels[first],
            "second_turn": labels[second],
            "direction": direction_of(roles, first),
            "n_words_first": totals[first].astype(np.int64),
            "n_words_second": totals[second].astype(np.int64),
            "lsm": _mean(scores),
        }
    )
    for i, c in enumerate(CATEGORIES):
        out[f"lsm_{c}"] = scores[:, i]
    return out[list(_TURN_COLUMNS)]


def _turn_result(
    table: pd.DataFrame, chance: SurrogateSummary, method: Method, n_defined: int
) -> TurnLSMResult:
    summary = one_row(**chance.to_dict(), n_pairs=len(table), n_defined=n_defined)
    return TurnLSMResult(table=table, summary=summary, method=method)


def turn_lsm(
    turns: pd.DataFrame, *, min_words: int = 1, both_absent: str = "match"
) -> TurnLSMResult:
    """LSM of every adjacent therapist/client turn pair.

    Parameters
    ----------
    turns : pandas.DataFrame
        Columns ``role`` and ``text``, one row per turn
        (:func:`attunement.language.turns.turns`). Turns of role ``other`` are skipped.
    min_words : int
        Pairs where either turn has fewer words are NaN (a turn without words always is).
    both_absent : {'match', 'skip'}
        A category neither turn uses scores 1 (``match``, the published formula) or is left
        out of the mean (``skip``; a pair where neither turn uses any category is then NaN).

    Returns
    -------
    TurnLSMResult
        ``.table``: one row per pair, ``first_turn`` and ``second_turn`` (row labels of
        ``turns``), ``direction`` (``therapist_to_client`` or ``client_to_therapist``),
        ``n_words_first``, ``n_words_second``, ``lsm`` and one ``lsm_<category>`` column per
        category. ``.summary``: one row, ``observed`` (the mean pair LSM), ``surrogate_mean``,
        ``surrogate_sd``, ``effect_size``, ``p_value`` (NaN: no chance level here, see
        :func:`turn_lsm_test`), ``n_surrogates`` (0), ``n_pairs``, ``n_defined``.
        ``.method``: how it was computed.

    Examples
    --------
    >>> t = pd.DataFrame({"role": ["therapist", "client"],
    ...                   "text": ["The cat, the dog", "I saw a cat"]})
    >>> row = turn_lsm(t).table.iloc[0]
    >>> row["direction"], round(float(row["lsm"]), 4), round(float(row["lsm_articles"]), 4)
    ('therapist_to_client', 0.8519, 0.6667)
    """
    roles, rates, totals, eligible, first, second = _pair_scores(turns, min_words, both_absent)
    ok = eligible[first] & eligible[second]
    n_short = int((~ok).sum())
    if n_short:
        _warn(
            f"{n_short} of {first.size} turn pairs have a turn with fewer than {min_words} "
            "word(s) (min_words); their language style matching is NaN"
        )
    table = _pair_table(turns, roles, rates, totals, ok, first, second, both_absent)
    values = table["lsm"].to_numpy(dtype=float)
    defined = np.isfinite(values)
    observed = float(values[defined].mean()) if defined.any() else float("nan")
    return _turn_result(
        table,
        summarize(observed, np.zeros(0)),
        _turn_method(min_words=min_words, both_absent=both_absent),
        int(defined.sum()),
    )


def turn_lsm_test(
    turns: pd.DataFrame,
    *,
    min_words: int = 1,
    both_absent: str = "match",
    n_surrogates: int = 1000,
    seed: int | None = 0,
) -> TurnLSMResult:
    """Mean turn-pair LSM against pairs formed after rotating the client's turns.

    The observed statistic is the mean of :func:`turn_lsm` over the pairs that have a value.
    Each surrogate rotates the client's turns (those with at least ``min_words`` words) along
    the session while the therapist's stay in place, re-forms the adjacent pairs and takes the
    same mean: a higher observed mean says that each person's style follows the other's turn
    by turn, beyond their overall similarity.

    Parameters
    ----------
    turns : pandas.DataFrame
        Columns ``role`` and ``text``, one row per turn.
    min_words, both_absent
        As in :func:`turn_lsm`.
    n_surrogates : int
        Rotations (0 for none: the comparison fields are then NaN).
    seed : int or None
        Seed of the rotations.

    Returns
    -------
    TurnLSMResult
        ``.summary`` (one row): ``observed`` (NaN, with a warning, when no pair has a value),
        ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value``, ``n_surrogates``,
        ``n_pairs``, ``n_defined``; ``.table``: the pairs, as :func:`turn_lsm` gives them;
        ``.method``: :func:`lsm_method` of these parameters; ``.chance``: the summary as a
        :class:`~attunement.synchrony.stats.SurrogateSummary`.

    Examples
    --------
    >>> t = pd.DataFrame({"role": ["therapist", "client"] * 3,
    ...                   "text": ["I think I know", "I think so too", "The cat and the dog",
    ...                            "The bird and the fish", "Not now", "Never"]})
    >>> s = turn_lsm_test(t, n_surrogates=100)
    >>> round(s["observed"], 3), s["n_surrogates"]  # too few client turns to rotate: no chance
    (0.775, 0)
    """
    check_options(n_surrogates=n_surrogates, seed=seed, min_pairs=2, max_lag_turns=0)
    roles, rates, totals, eligible, first, second = _pair_scores(turns, min_words, both_absent)
    ok = eligible[first] & eligible[second]
    method = lsm_method(
        min_words=min_words, both_absent=both_absent, n_surrogates=n_surrogates, seed=seed
    )
    table = _pair_table(turns, roles, rates, totals, ok, first, second, both_absent)
    n_defined = int(np.isfinite(table["lsm"].to_numpy(dtype=float)).sum())
    a, b = first[ok], second[ok]
    if a.size == 0:
        _warn(
            f"no therapist/client turn pair with at least {min_words} word(s) in each turn; "
            "turn-level language style matching is NaN"
        )
        chance = summarize(float("nan"), np.full(max(n_surrogates, 1), np.nan))
        return _turn_result(table, chance, method, n_defined)
    observed = float(np.nanmean(_mean(_scores(rates[a], rates[b], both_absent))))
    index = rotated_positions(roles, eligible, n_surrogates, np.random.default_rng(seed))
    surrogates = np.empty(index.shape[0])
    for s in range(0, index.shape[0], 64):
        block = index[s : s + 64]
        pair_means = _mean(_scores(rates[block[:, a]], rates[block[:, b]], both_absent))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            surrogates[s : s + 64] = np.nanmean(pair_means, axis=1)
    return _turn_result(table, summarize(observed, surrogates), method, n_defined)

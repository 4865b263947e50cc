"""Affect alignment: whether the emotional tone of one person's turn is echoed in the other's.

Each turn's valence is VADER's compound score (Hutto & Gilbert, 2014), an open rule-based
lexicon shipped on PyPI as ``vaderSentiment``: -1 (most negative) to +1 (most positive), 0 for
neutral text. VADER is made for sentences; a long turn scored as one text drifts towards ±1 as
its words add up, so by default each sentence is scored and the turn's valence is their mean.

Alignment is the Pearson correlation of valence across adjacent therapist/client turn pairs
(and the other person's turn up to ``max_lag_turns`` exchanges later), z-scored within each
speaker so that pooling both directions compares each person with their own usual tone; its
chance level comes from shuffling the order of the client's turns (the therapist's stay).
"""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from attunement.errors import AttunementWarning
from attunement.language._pairs import (
    MIN_ROTATION_TURNS,
    TurnAlignmentResult,
    align_turn_values,
    as_text,
    require_columns,
    rotation_text,
)
from attunement.language.function_words import tokenize
from attunement.synchrony.result import Method

__all__ = ["affect_alignment", "affect_alignment_method", "turn_valence", "valence"]

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    """VADER's analyzer, built once per process (it loads its lexicon from disk)."""
    return SentimentIntensityAnalyzer()


def valence(text: str, *, by_sentence: bool = True) -> float:
    """VADER compound valence of a text (-1 to 1), NaN for a text without words.

    Parameters
    ----------
    text : str
    by_sentence : bool
        Score each sentence (split after ``.``, ``!``, ``?`` or ``…``) and average, rather than
        scoring the text as one.

    Returns
    -------
    float

    Examples
    --------
    >>> valence("I feel awful."), valence("That is great!"), valence("We met on Tuesday.")
    (-0.4588, 0.6588, 0.0)
    """
    text = as_text(text)
    if not tokenize(text):
        return float("nan")
    analyzer = _analyzer()
    if not by_sentence:
        return float(analyzer.polarity_scores(text)["compound"])
    parts = [p for p in _SENTENCE_END.split(text.strip()) if tokenize(p)]
    return float(np.mean([analyzer.polarity_scores(p)["compound"] for p in parts]))


def turn_valence(turns: pd.DataFrame, *, by_sentence: bool = True) -> pd.Series:
    """Valence of every turn.

    Parameters
    ----------
    turns : pandas.DataFrame
        A ``text`` column (turns or utterances).
    by_sentence : bool
        See :func:`valence`.

    Returns
    -------
    pandas.Series
        Named ``valence``, with the index of ``turns``; NaN (warned) for turns without words.

    Examples
    --------
    >>> turn_valence(pd.DataFrame({"text": ["I am so happy.", "It hurts."]})).tolist()
    [0.6948, -0.4767]
    """
    return _turn_valence(turns, by_sentence, stacklevel=3)


def _turn_valence(turns: pd.DataFrame, by_sentence: bool, stacklevel: int) -> pd.Series:
    require_columns(turns, ("text",), "the turn table")
    values = [valence(t, by_sentence=by_sentence) for t in turns["text"].tolist()]
    out = pd.Series(values, index=turns.index, name="valence", dtype=float)
    n_empty = int(out.isna().sum())
    if n_empty:
        warnings.warn(
            f"{n_empty} of {len(out)} turns have no words; their valence is NaN",
            AttunementWarning,
            stacklevel=stacklevel,
        )
    return out


def affect_alignment(
    turns: pd.DataFrame,
    *,
    max_lag_turns: int = 2,
    n_surrogates: int = 1000,
    seed: int | None = 0,
    min_pairs: int = 5,
    by_sentence: bool = True,
) -> TurnAlignmentResult:
    """Correlation of valence across therapist/client turn pairs, against turn rotations.

    Parameters
    ----------
    turns : pandas.DataFrame
        Columns ``role`` and ``text`` (and ``speaker`` to standardise per speaker), one row per
        turn (:func:`attunement.language.turns.turns`).
    max_lag_turns : int
        Also correlate each turn with the other person's turn up to this many exchanges later
        (lag 1: a client turn and the therapist's turn after the client's next one).
    n_surrogates : int
        Rotations of the client's turns for the chance level (0 for none).
    seed : int or None
        Seed of the rotations.
    min_pairs : int
        Fewest pairs with values for which ``r`` is computed; below, ``r`` is NaN (warned).
    by_sentence : bool
        See :func:`valence`.

    Returns
    -------
    TurnAlignmentResult
        ``.summary`` (one row, both directions at adjacent turns: ``r``, ``surrogate_mean``,
        ``surrogate_sd``, ``effect_size``, ``p_value``, ``n_surrogates``, ``n_pairs``) and
        ``.r``; ``.table`` (per direction - ``client_to_therapist`` is the client's turn
        against the therapist's response - and lag: ``direction``, ``lag_turns``, ``n_pairs``,
        ``r``, ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value``,
        ``n_surrogates``); ``.method`` (:func:`affect_alignment_method` of these parameters);
        ``.pairs`` (the valences of each adjacent pair).

    Raises
    ------
    InputError
        For a table without ``role`` or ``text``, or bad options.

    References
    ----------
    Hutto & Gilbert (2014) (see :func:`affect_alignment_method`).

    Examples
    --------
    >>> texts = ["How was your week?", "Awful, I was miserable.", "That sounds painful.",
    ...          "Yes, but Sunday was lovely.", "I'm glad there was something good.",
    ...          "Thanks, it made me happy.", "That is wonderful.", "I feel hopeful now.",
    ...          "Did anything upset you?", "My boss was cruel and I hated it.",
    ...          "That is a terrible way to be treated.", "It was."]
    >>> t = pd.DataFrame({"role": ["therapist", "client"] * 6, "text": texts})
    >>> result = affect_alignment(t, n_surrogates=200, max_lag_turns=0)
    >>> round(result.r, 2), result.table["n_pairs"].tolist()
    (0.6, [11, 6, 5])
    """
    table = require_columns(turns, ("role", "text"), "the turn table")
    values = _turn_valence(table, by_sentence, stacklevel=3).to_numpy()
    found = align_turn_values(
        values,
        table,
        max_lag_turns=max_lag_turns,
        n_surrogates=n_surrogates,
        seed=seed,
        min_pairs=min_pairs,
        what="affect alignment",
        parameters={
            "by_sentence": by_sentence,
            "max_lag_turns": max_lag_turns,
            "n_surrogates": n_surrogates,
            "seed": seed,
            "min_pairs": min_pairs,
        },
        stacklevel=3,
    )
    method = affect_alignment_method(
        max_lag_turns=max_lag_turns,
        n_surrogates=n_surrogates,
        seed=seed,
        min_pairs=min_pairs,
        by_sentence=by_sentence,
    )
    return TurnAlignmentResult.from_alignment(found, method)


def affect_alignment_method(
    *,
    max_lag_turns: int = 2,
    n_surrogates: int = 1000,
    seed: int | None = 0,
    min_pairs: int = 5,
    by_sentence: bool = True,
) -> Method:
    """The methods-paragraph entry of :func:`affect_alignment` run with these parameters.

    Parameters
    ----------
    max_lag_turns, n_surrogates, seed, min_pairs, by_sentence
        As given to :func:`affect_alignment`.

    Returns
    -------
    Method
        ``name`` ('affect_alignment'), ``description`` (written from the parameters),
        ``parameters`` (``by_sentence``, ``max_lag_turns``, ``n_surrogates``, ``seed``,
        ``min_pairs``) and ``citation``.

    Examples
    --------
    >>> "up to 3 exchanges later" in affect_alignment_method(max_lag_turns=3)["description"]
    True
    """
    k, n_sur = int(max_lag_turns), int(n_surrogates)
    scored = (
        "the mean VADER compound score of its sentences"
        if by_sentence
        else "the VADER compound score of the whole turn"
    )
    later = (
        ""
        if k <= 0
        else f", and with the other person's turns up to {k} exchange{'' if k == 1 else 's'} later"
    )
    chance = (
        ", compared with " + rotation_text(n_sur, seed, min_shift=k + MIN_ROTATION_TURNS)
        if n_sur > 0
        else ", without a chance level"
    )
    return Method(
        name="affect_alignment",
        description=(
            f"Each turn's valence was {scored} (Hutto & Gilbert, 2014); affect alignment was "
            "the Pearson correlation of within-speaker z-scored valence across adjacent "
            f"therapist-client turn pairs{later}{chance}; it was left undefined with fewer "
            f"than {int(min_pairs)} pairs."
        ),
        parameters={
            "by_sentence": bool(by_sentence),
            "max_lag_turns": k,
            "n_surrogates": n_sur,
            "seed": seed,
            "min_pairs": int(min_pairs),
        },
        citation=(
            "Hutto, C. J., & Gilbert, E. (2014). VADER: A parsimonious rule-based model for "
            "sentiment analysis of social media text. Proceedings of the Eighth International "
            "AAAI Conference on Weblogs and Social Media (ICWSM-14), 216-225."
        ),
    )

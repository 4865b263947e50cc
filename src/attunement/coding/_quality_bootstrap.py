"""The bootstrap of the MI quality estimate (:func:`attunement.coding.uncertainty.code_intervals`):
each resample's estimate from unit counts, without recoding a session.

A code-feature model's features are sums over the drawn units, so every resample's features
(and log-odds) come from one matrix product of the draw counts; a word model's TF-IDF rows are
summed the same way. A model whose features are not all known here is recomputed resample by
resample (:func:`slow_quality`, fewer resamples).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from attunement.coding.quality import MIQualityModel, session_features, session_quality

__all__ = ["divide", "draw_counts", "fast_quality", "is_code", "is_word_model", "slow_quality"]


def is_code(units: pd.DataFrame, column: str, value: str) -> np.ndarray:
    return (units[column] == value).fillna(False).to_numpy(dtype=float)


def draw_counts(rng: np.random.Generator, n: int, n_resamples: int) -> np.ndarray:
    """How often each of ``n`` units is drawn in each resample: shape (n_resamples, n)."""
    if n == 0:
        return np.zeros((n_resamples, 0))
    draws = rng.integers(0, n, size=(n_resamples, n)) + n * np.arange(n_resamples)[:, None]
    return np.bincount(draws.ravel(), minlength=n_resamples * n).reshape(n_resamples, n)


def divide(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, scale * num / np.where(den > 0, den, 1.0), np.nan)


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
    reflections = wt @ (is_code(therapist, "mi_behaviour", "reflection") * mt)
    questions = wt @ (is_code(therapist, "mi_behaviour", "question") * mt)
    change = wc @ (is_code(client, "client_talk", "change") * mc)
    sustain = wc @ (is_code(client, "client_talk", "sustain") * mc)
    words = wt @ (coded * therapist["n_words"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.clip(np.log((reflections + 1) / (questions + 1)), -3.0, 3.0)
        length = np.log(np.maximum(1.0, divide(words, n)))
    return {
        "reflection_question_log_ratio": np.where(n > 0, ratio, np.nan),
        "reflection_share": divide(reflections, n),
        "therapist_input_share": divide(
            wt @ (is_code(therapist, "mi_behaviour", "therapist_input") * mt), n
        ),
        "complex_reflection_share": divide(
            wt @ (is_code(therapist, "reflection_type", "complex") * mt), reflections
        ),
        "open_question_share": divide(
            wt @ (is_code(therapist, "question_type", "open") * mt), questions
        ),
        "change_talk_share": divide(change, change + sustain),
        "therapist_words_per_utterance_log": np.where(n > 0, length, np.nan),
    }


def _same(a: dict[str, np.ndarray], b: dict[str, float], names: list[str]) -> bool:
    x = np.array([float(a[n][0]) for n in names])
    y = np.array([float(b.get(n, math.nan)) for n in names])
    return bool(np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True))


def fast_quality(
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
    elif is_word_model(model):
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


def is_word_model(model: Any) -> bool:
    return all(hasattr(model, a) for a in ("vocabulary_", "idf_", "coef_", "calibration_"))


def slow_quality(
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

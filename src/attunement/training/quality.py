"""Training the MI-quality model on AnnoMI: cross-fitted codes, grouped cross-validation.

The training features come from *predicted* codes, as at run time: the transcripts are split
into grouped folds (by video, stratified by quality,
:func:`attunement.training.folds.quality_folds`), the four utterance coders are trained on
the other folds' videos, with the regularisation of the shipped coders, and code the held-out
transcripts (:func:`cross_fitted_codes`). The session model is evaluated by cross-validation
on the same folds (:func:`cross_validate_quality`), with a fixed ``C`` (never chosen on test
folds), beside the majority-class baseline, and stored as JSON
(:func:`attunement.coding.quality.save_quality_model`). The shipped word model is trained by
:func:`train_word_quality` (Platt-scaled on out-of-fold scores).
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from attunement.coding.apply import code_utterances
from attunement.coding.artifact import ARTIFACT_NAME, Coders
from attunement.coding.estimator import TextCoder
from attunement.coding.loader import default_model_dir
from attunement.coding.quality import save_quality_model
from attunement.coding.quality_model import (
    DEFAULT_C,
    FEATURE_NAMES,
    MIQualityModel,
    session_features,
)
from attunement.coding.quality_words import WordQualityModel
from attunement.errors import AttunementWarning, InputError
from attunement.io.corpora import annomi_transcripts
from attunement.training.corpus import annomi_tasks
from attunement.training.folds import quality_folds

__all__ = [
    "cross_fitted_codes",
    "cross_validate_quality",
    "cross_validate_words",
    "quality_from_codes",
    "session_table",
    "train_quality",
    "train_word_quality",
]

logger = logging.getLogger(__name__)


def _coder_params(coders_dir: str | Path | None) -> dict[str, dict[str, Any]]:
    """Task -> TextCoder parameters, as stored with the trained coders."""
    path = (default_model_dir() if coders_dir is None else Path(coders_dir)) / (
        f"{ARTIFACT_NAME}.json"
    )
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))["tasks"]
        return {
            task: {k: tuple(v) if isinstance(v, list) else v for k, v in t["params"].items()}
            for task, t in tasks.items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"could not be read ({exc!r}); expected the coders' metadata, written by "
            "`attunement train`",
            path=str(path),
        ) from None


def cross_fitted_codes(
    annomi: str | Path,
    *,
    n_splits: int = 5,
    seed: int = 0,
    coders_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Every AnnoMI transcript coded by utterance coders that never saw its video.

    The transcripts are split into ``n_splits`` folds grouped by video and stratified by
    ``mi_quality``; for each fold, the four coders are trained (with the parameters stored in
    ``coders_dir``) on the other folds' utterances and code the fold's transcripts.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv and AnnoMI-full.csv.
    n_splits : int, default 5
    seed : int, default 0
    coders_dir : str or path-like, optional
        Whose ``annomi_coders.json`` gives each coder's parameters (its chosen ``C``);
        default: the shipped coders.

    Returns
    -------
    pandas.DataFrame
        :func:`attunement.io.corpora.annomi_transcripts`' columns, then ``fold`` (0 to
        ``n_splits`` - 1) and the code columns of :func:`attunement.coding.code_utterances`.

    Raises
    ------
    InputError
        When the data are missing, have one quality class, or too few videos.
    """
    transcripts = annomi_transcripts(annomi)
    per = transcripts.groupby("transcript_id", sort=True)[["group", "mi_quality"]].first()
    folds = quality_folds(per, n_splits, seed)
    params = _coder_params(coders_dir)
    tables = annomi_tasks(annomi)
    coded = []
    for k in range(n_splits):
        start = time.perf_counter()
        held_out = set(per.loc[folds == k, "group"])
        coders = {}
        for task, table in tables.items():
            part = table[~table["group"].isin(held_out)]
            if part["label"].nunique() < 2:
                continue
            coders[task] = TextCoder(**params.get(task, {})).fit(
                part["text"], part["label"], part["context"]
            )
        bundle = Coders(coders)
        for tid in per.index[folds == k]:
            rows = transcripts[transcripts["transcript_id"] == tid].reset_index(drop=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AttunementWarning)  # long utterances are cut
                coded.append(code_utterances(rows.assign(fold=k), coder=bundle))
        logger.info("fold %d: coders trained and applied in %.0f s", k, time.perf_counter() - start)
    return pd.concat(coded, ignore_index=True)


def session_table(coded: pd.DataFrame) -> pd.DataFrame:
    """One row per transcript: its features and label, from :func:`cross_fitted_codes`.

    Returns
    -------
    pandas.DataFrame
        Index ``transcript_id``; columns :data:`FEATURE_NAMES`, then ``high`` (1 for
        high-quality MI), ``group`` and ``fold``.
    """
    rows = {}
    for tid, part in coded.groupby("transcript_id", sort=True):
        rows[tid] = {
            **session_features(part),
            "high": int(part["mi_quality"].iloc[0] == "high"),
            "group": part["group"].iloc[0],
            "fold": int(part["fold"].iloc[0]),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "transcript_id"
    return table


def _scores(y: np.ndarray, p: np.ndarray, auc: float | None = None) -> dict[str, float]:
    """AUC (or the one given, for a constant), accuracy at 0.5 and Brier score."""
    return {
        "auc": round(float(roc_auc_score(y, p)) if auc is None else auc, 4),
        "accuracy": round(float(((p >= 0.5).astype(int) == y).mean()), 4),
        "brier": round(float(((p - y) ** 2).mean()), 4),
    }


def cross_validate_quality(table: pd.DataFrame, *, C: float = DEFAULT_C) -> dict[str, Any]:
    """Cross-validation of the session model on the folds of ``table`` (grouped by video).

    For each fold, the model is fitted on the other folds and predicts the fold; the
    out-of-fold probabilities are pooled and scored once. The baseline predicts, for every
    session of a fold, the share of high-quality sessions among the other folds (so it always
    says "high"); a constant ranks no session above another, so its AUC is 0.5.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`session_table`'s output (features, ``high``, ``fold``).
    C : float
        Fixed in advance; nothing is chosen on the test folds.

    Returns
    -------
    dict
        ``auc``, ``accuracy`` (threshold 0.5), ``brier`` (mean squared error of the
        probability), ``n``, ``n_high``, ``n_low``, ``n_splits``, ``C``, ``baseline`` (``auc``,
        ``accuracy``, ``brier``) and ``predicted`` (numpy array, the pooled out-of-fold
        probabilities of high quality, in the order of ``table``).

    Examples
    --------
    >>> t = pd.DataFrame({"reflection_share": [0.1, 0.5, 0.12, 0.6, 0.15, 0.55, 0.45, 0.5],
    ...                   "high": [0, 1, 0, 1, 0, 1, 1, 1], "fold": [0, 0, 1, 1] * 2})
    >>> found = cross_validate_quality(t)
    >>> found["auc"], found["accuracy"], found["baseline"]["accuracy"]
    (1.0, 1.0, 0.625)
    """
    names = [c for c in table.columns if c not in ("high", "group", "fold")]
    y = table["high"].to_numpy().astype(int)
    folds = table["fold"].to_numpy()
    predicted = np.full(len(table), np.nan)
    baseline = np.full(len(table), np.nan)
    for k in np.unique(folds):
        test = folds == k
        model = MIQualityModel(C=C).fit(table.loc[~test, names], y[~test])
        predicted[test] = model.predict_proba(table.loc[test, names])[:, 1]
        baseline[test] = y[~test].mean()

    return {
        **_scores(y, predicted),
        "n": len(table),
        "n_high": int(y.sum()),
        "n_low": int((1 - y).sum()),
        "n_splits": len(np.unique(folds)),
        "C": C,
        "baseline": _scores(y, baseline, auc=0.5),
        "predicted": predicted,
    }


def train_quality(
    annomi: str | Path,
    out_dir: str | Path,
    *,
    coders_dir: str | Path | None = None,
    n_splits: int = 5,
    seed: int = 0,
    C: float = DEFAULT_C,
) -> Path:
    """Train the MI-quality model on AnnoMI, evaluate it, and write ``mi_quality.json``.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv and AnnoMI-full.csv.
    out_dir : str or path-like
        Where ``mi_quality.json`` is written.
    coders_dir : str or path-like, optional
        Whose coder parameters the cross-fitting uses (default: the shipped coders).
    n_splits : int, default 5
        Folds (grouped by video) of the cross-fitting and of the evaluation.
    seed : int, default 0
    C : float
        The session model's regularisation (fixed).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        When the data are missing or malformed, or have one quality class.
    """
    start = time.perf_counter()
    coded = cross_fitted_codes(annomi, n_splits=n_splits, seed=seed, coders_dir=coders_dir)
    target = quality_from_codes(
        coded,
        out_dir,
        features_from=(
            f"codes predicted by coders trained on the other {n_splits - 1} of {n_splits} "
            "folds (grouped by video_url), with the shipped coders' parameters"
        ),
        seed=seed,
        C=C,
    )
    logger.info("MI-quality model trained in %.0f s", time.perf_counter() - start)
    return target


def quality_from_codes(
    coded: pd.DataFrame,
    out_dir: str | Path,
    *,
    features_from: str,
    seed: int = 0,
    C: float = DEFAULT_C,
) -> Path:
    """Evaluate and fit the MI-quality model on cross-fitted codes; write ``mi_quality.json``.

    Parameters
    ----------
    coded : pandas.DataFrame
        Every AnnoMI utterance with its codes and ``fold`` (as :func:`cross_fitted_codes`
        gives), coded by coders that never saw its video.
    out_dir : str or path-like
    features_from : str
        How the codes were made, stored with the model.
    seed : int
        Stored with the model (the folds' seed).
    C : float
        The session model's regularisation (fixed).
    """
    table = session_table(coded)
    found = cross_validate_quality(table, C=C)
    found.pop("predicted")
    n_splits = found["n_splits"]
    names = list(FEATURE_NAMES)
    model = MIQualityModel(C=C).fit(table[names], table["high"])
    info = {
        "training": {
            "n_transcripts": len(table),
            "n_videos": int(table["group"].nunique()),
            "n_high": int(table["high"].sum()),
            "n_low": int((1 - table["high"]).sum()),
            "features_from": features_from,
            "missing": "replaced by the training mean of the feature (contributes 0)",
            "seed": seed,
        },
        "cv": {
            **found,
            "description": (
                f"{n_splits}-fold cross-validation grouped by video_url and stratified by "
                "mi_quality (the cross-fitting folds), pooled out-of-fold probabilities; C "
                "fixed; baseline: the training folds' share of high quality"
            ),
        },
    }
    return save_quality_model(model, out_dir, info=info)


# --- the word model -----------------------------------------------------------------------


def _transcript_words(annomi: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Per transcript (sorted): ``group``, ``high``, and the therapist's words."""
    transcripts = annomi_transcripts(annomi)
    per = transcripts.groupby("transcript_id", sort=True)[["group", "mi_quality"]].first()
    therapist = transcripts[transcripts["role"] == "therapist"]
    words = therapist.groupby("transcript_id", sort=True)["text"].apply(
        lambda s: " ".join(str(t) for t in s if not pd.isna(t))
    )
    per = per.assign(high=(per["mi_quality"] == "high").astype(int))
    return per, [str(w) for w in words.reindex(per.index).fillna("")]


def cross_validate_words(
    annomi: str | Path, *, n_splits: int = 5, seed: int = 0, C: float = 1.0
) -> dict[str, Any]:
    """Grouped cross-validation of :class:`WordQualityModel` on AnnoMI.

    The folds are those of the code model's cross-fitting (by video, stratified by quality);
    each fold's model, its calibration included, is fitted on the other folds alone.

    Returns
    -------
    dict
        As :func:`cross_validate_quality`: ``auc``, ``accuracy``, ``brier``, ``n``,
        ``n_high``, ``n_low``, ``n_splits``, ``C``, ``baseline`` and ``predicted``.

    Raises
    ------
    InputError
        When the data are missing, have one quality class, or too few videos.
    """
    per, words = _transcript_words(annomi)
    folds = quality_folds(per, n_splits, seed)
    y = per["high"].to_numpy()
    groups = per["group"].to_numpy()
    predicted = np.full(len(y), np.nan)
    baseline = np.full(len(y), np.nan)
    for k in range(n_splits):
        test = folds == k
        model = WordQualityModel(C=C, n_splits=max(2, n_splits - 1), seed=seed).fit(
            [w for w, t in zip(words, test, strict=True) if not t], y[~test], groups[~test]
        )
        predicted[test] = model.predict_proba([w for w, t in zip(words, test, strict=True) if t])[
            :, 1
        ]
        baseline[test] = y[~test].mean()

    return {
        **_scores(y, predicted),
        "n": len(y),
        "n_high": int(y.sum()),
        "n_low": int((1 - y).sum()),
        "n_splits": n_splits,
        "C": C,
        "baseline": _scores(y, baseline, auc=0.5),
        "predicted": predicted,
    }


def train_word_quality(
    annomi: str | Path,
    out_dir: str | Path,
    *,
    n_splits: int = 5,
    seed: int = 0,
    C: float = 1.0,
    external: Mapping[str, Any] | None = None,
) -> Path:
    """Train the word MI-quality model on AnnoMI, cross-validate it, write ``mi_quality.json``.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv.
    out_dir : str or path-like
    n_splits : int, default 5
        Folds (grouped by video) of the evaluation and of the calibration.
    seed : int, default 0
    C : float, default 1.0
        Fixed in advance.
    external : mapping, optional
        A check on other data, stored as the model's ``external`` block (``data``, ``n``,
        ``auc``, ``brier``), e.g. from ``attunement benchmark external --hlqc``.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        When the data are missing or malformed, or have one quality class.
    """
    start = time.perf_counter()
    found = cross_validate_words(annomi, n_splits=n_splits, seed=seed, C=C)
    found.pop("predicted")
    per, words = _transcript_words(annomi)
    model = WordQualityModel(C=C, n_splits=n_splits, seed=seed).fit(
        words, per["high"].to_numpy(), per["group"].to_numpy()
    )
    info: dict[str, Any] = {
        "training": {
            "n_transcripts": len(per),
            "n_videos": int(per["group"].nunique()),
            "n_high": int(per["high"].sum()),
            "n_low": int((1 - per["high"]).sum()),
            "features_from": "the words of the therapist's utterances (AnnoMI's own text)",
            "n_ngrams": len(model.vocabulary_),
            "calibration": "Platt scaling on out-of-fold log-odds, folds grouped by video_url",
            "seed": seed,
        },
        "cv": {
            **found,
            "description": (
                f"{n_splits}-fold cross-validation grouped by video_url and stratified by "
                "mi_quality, pooled out-of-fold probabilities (each fold's calibration fitted "
                "on its training folds); C fixed; baseline: the training folds' share of high "
                "quality"
            ),
        },
    }
    if external:
        info["external"] = dict(external)
    target = save_quality_model(model, out_dir, info=info)
    logger.info("word MI-quality model trained in %.0f s", time.perf_counter() - start)
    return target

"""Training and honest evaluation of the utterance coders on AnnoMI.

Evaluation is nested: the outer 5-fold cross-validation is grouped by video (no video's
utterances are split between training and test); inside each outer training part, the
regularisation strength ``C`` is chosen from :data:`C_GRID` by a grouped 3-fold cross-validation
of that part alone, so the test folds never influence any choice. Macro-F1 is pooled: the
predictions of all outer folds are concatenated and scored once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from attunement.coding.artifact import save_coders
from attunement.coding.corpus import TASKS, annomi_tasks
from attunement.coding.estimator import TextCoder
from attunement.errors import InputError

__all__ = ["C_GRID", "cross_validate", "select_c", "train_annomi"]

logger = logging.getLogger(__name__)

#: The regularisation strengths tried (inner cross-validation only).
C_GRID: tuple[float, ...] = (0.3, 1.0, 3.0)


def _splits(table: pd.DataFrame, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n_groups = table["group"].nunique()
    if n_groups < n_splits:
        raise InputError(
            f"has {n_groups} videos; expected at least {n_splits} for {n_splits}-fold "
            "cross-validation grouped by video",
            field="annomi",
        )
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(cv.split(table["text"], table["label"], table["group"]))


def select_c(
    table: pd.DataFrame,
    *,
    grid: Sequence[float] = C_GRID,
    n_splits: int = 3,
    seed: int = 0,
    base: TextCoder | None = None,
) -> tuple[float, float]:
    """Choose ``C`` by grouped cross-validation of ``table`` alone.

    Parameters
    ----------
    table : pandas.DataFrame
        ``text``, ``context``, ``label``, ``group`` (see
        :func:`attunement.coding.corpus.annomi_tasks`).
    grid : sequence of float
    n_splits : int
    seed : int
    base : TextCoder, optional
        The coder whose other parameters are kept (default: ``TextCoder()``).

    Returns
    -------
    (float, float)
        The chosen C and its pooled macro-F1 on these (inner) folds.
    """
    base = base or TextCoder()
    labels = table["label"].to_numpy().astype(str)
    predicted = {c: np.empty(len(table), dtype=object) for c in grid}
    for train, test in _splits(table, n_splits, seed):
        coder = clone(base).set_params(C=grid[0])
        coder.fit(table["text"].iloc[train], labels[train], table["context"].iloc[train])
        x_train = coder._features(table["text"].iloc[train], table["context"].iloc[train])
        x_test = coder._features(table["text"].iloc[test], table["context"].iloc[test])
        for c in grid:
            coder.set_params(C=c)._fit_classifier(x_train, labels[train])
            predicted[c][test] = coder.classifier_.predict(x_test)
    scores = {c: f1_score(labels, predicted[c].astype(str), average="macro") for c in grid}
    best = max(grid, key=lambda c: (scores[c], -c))
    return best, float(scores[best])


def cross_validate(
    table: pd.DataFrame,
    *,
    n_splits: int = 5,
    inner_splits: int = 3,
    grid: Sequence[float] = C_GRID,
    seed: int = 0,
) -> dict[str, Any]:
    """Nested, video-grouped cross-validation of one task.

    Returns
    -------
    dict
        ``macro_f1`` (pooled over the outer folds), ``n`` (utterances), ``c_chosen`` (one per
        outer fold) and ``predicted`` (numpy array, the pooled out-of-fold labels).

    Examples
    --------
    >>> table = pd.DataFrame({"text": ["What now?", "You are sad."] * 8, "context": "",
    ...                       "label": ["q", "r"] * 8, "group": [i // 2 for i in range(16)]})
    >>> cross_validate(table, n_splits=2, inner_splits=2, grid=(1.0,))["macro_f1"]
    1.0
    """
    labels = table["label"].to_numpy().astype(str)
    predicted = np.empty(len(table), dtype=object)
    chosen = []
    for train, test in _splits(table, n_splits, seed):
        part = table.iloc[train]
        c, _ = select_c(part, grid=grid, n_splits=inner_splits, seed=seed)
        chosen.append(c)
        coder = TextCoder(C=c).fit(part["text"], labels[train], part["context"])
        predicted[test] = coder.predict(table["text"].iloc[test], table["context"].iloc[test])
    return {
        "macro_f1": float(f1_score(labels, predicted.astype(str), average="macro")),
        "n": len(table),
        "c_chosen": chosen,
        "predicted": predicted.astype(str),
    }


def train_annomi(
    annomi: str | Path,
    out_dir: str | Path,
    *,
    evaluate: bool = True,
    n_splits: int = 5,
    seed: int = 0,
) -> Path:
    """Train the four AnnoMI coders on all of AnnoMI and write the artifact.

    ``C`` is chosen by video-grouped cross-validation; with ``evaluate`` the nested
    cross-validated macro-F1 of each task is measured too and stored in the metadata.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv and AnnoMI-full.csv.
    out_dir : str or path-like
        Where ``annomi_coders.npz`` and ``annomi_coders.json`` are written.
    evaluate : bool
    n_splits : int
        Outer folds of the evaluation.
    seed : int

    Returns
    -------
    pathlib.Path
        The metadata (JSON) file written.

    Raises
    ------
    InputError
        When the data are missing or malformed.
    """
    tables = annomi_tasks(annomi)
    coders, info = {}, {}
    for task, table in tables.items():
        c, _ = select_c(table, seed=seed)
        coders[task] = TextCoder(C=c).fit(table["text"], table["label"], table["context"])
        info[task] = {
            "n_train": len(table),
            "n_videos": int(table["group"].nunique()),
            "labels": {k: int(v) for k, v in table["label"].value_counts().sort_index().items()},
            "C": c,
            "applies_to": TASKS[task][1],
        }
        if evaluate:
            found = cross_validate(table, n_splits=n_splits, seed=seed)
            info[task]["cv_macro_f1"] = round(found["macro_f1"], 4)
            info[task]["cv"] = f"nested, {n_splits}-fold grouped by video_url, pooled"
        logger.info("trained %s on %d utterances (C=%g)", task, len(table), c)
    return save_coders(coders, out_dir, info=info)

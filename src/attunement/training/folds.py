"""The folds every training and cross-validation step shares: grouped by video, so no
utterance is scored by a model that saw its video, and sessions kept whole."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from attunement.errors import InputError

__all__ = ["grouped_splits", "quality_folds", "session_starts"]


def grouped_splits(
    table: pd.DataFrame, n_splits: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test row positions of ``table`` (columns ``text``, ``label``, ``group``) in
    ``n_splits`` folds stratified by label and grouped by ``group`` (the video)."""
    n_groups = table["group"].nunique()
    if n_groups < n_splits:
        raise InputError(
            f"has {n_groups} videos; expected at least {n_splits} for {n_splits}-fold "
            "cross-validation grouped by video",
            field="annomi",
        )
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(cv.split(table["text"], table["label"], table["group"]))


def quality_folds(per: pd.DataFrame, n_splits: int, seed: int) -> np.ndarray:
    """Fold of each transcript (rows of ``per``: ``group`` and ``mi_quality``)."""
    if per["mi_quality"].nunique() < 2:
        raise InputError(
            f"has only {'/'.join(per['mi_quality'].unique())}-quality transcripts; expected "
            "both high and low",
            field="mi_quality",
        )
    n_groups = per["group"].nunique()
    if n_groups < n_splits:
        raise InputError(
            f"has {n_groups} videos; expected at least {n_splits} for {n_splits}-fold "
            "cross-validation grouped by video",
            field="annomi",
        )
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    folds = np.full(len(per), -1)
    for k, (_, test) in enumerate(cv.split(per, per["mi_quality"], per["group"])):
        folds[test] = k
    return folds


def session_starts(sessions: Sequence[Any]) -> np.ndarray:
    """Row positions where a new session begins (rows of one session are consecutive)."""
    values = pd.Series(list(sessions))
    starts = np.flatnonzero((values != values.shift()).to_numpy())
    if len(pd.unique(values)) != len(starts):
        raise InputError(
            "has a session whose utterances are not consecutive; expected each session's "
            "rows together, in spoken order",
            field="session",
        )
    return starts

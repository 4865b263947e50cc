"""Benchmark of the session MI-quality models on AnnoMI, beside the majority-class baseline.

The shipped model reads the therapist's words
(:func:`attunement.training.quality.cross_validate_words`: grouped folds, each fold's model and
calibration fitted on the other folds). The code-feature model is measured beside it: the
transcripts are coded by cross-fitted utterance coders (trained on the other folds' videos,
:func:`attunement.training.quality.cross_fitted_codes`), so the session features look like those
of a new session; that model is then cross-validated on the same folds, grouped by video, with
its regularisation fixed in advance. The baseline predicts, for each test fold, the share of
high-quality transcripts in the training folds (so it always answers "high").
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from attunement.coding.quality_model import DEFAULT_C
from attunement.training.quality import (
    cross_fitted_codes,
    cross_validate_quality,
    cross_validate_words,
    session_table,
)

__all__ = ["run_quality_benchmark"]


def run_quality_benchmark(
    annomi: str | Path,
    *,
    n_splits: int = 5,
    seed: int = 0,
    coders_dir: str | Path | None = None,
) -> pd.DataFrame:
    """AUC, accuracy and Brier score of the MI-quality model under grouped cross-validation.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv and AnnoMI-full.csv.
    n_splits : int, default 5
        Folds grouped by video (for the cross-fitted coding and the session model alike).
    seed : int, default 0
    coders_dir : str or path-like, optional
        Whose coder parameters the cross-fitting uses (default: the shipped coders).

    Returns
    -------
    pandas.DataFrame
        Columns ``measure`` (``auc``, ``accuracy``, ``brier``, then ``seconds``),
        ``words_model`` (the shipped model), ``codes_model`` (the seven code features, from
        cross-fitted codes; its seconds include the cross-fitting), ``majority_baseline`` and
        ``note``.

    Raises
    ------
    InputError
        When the data are missing, have one quality class, or too few videos.
    """
    start = time.perf_counter()
    words = cross_validate_words(annomi, n_splits=n_splits, seed=seed)
    words_seconds = time.perf_counter() - start
    start = time.perf_counter()
    table = session_table(
        cross_fitted_codes(annomi, n_splits=n_splits, seed=seed, coders_dir=coders_dir)
    )
    found = cross_validate_quality(table, C=DEFAULT_C)
    seconds = time.perf_counter() - start
    sizes = f"{found['n']} transcripts ({found['n_high']} high, {found['n_low']} low)"
    notes = {
        "auc": f"pooled out-of-fold, {found['n_splits']} folds grouped by video; {sizes}",
        "accuracy": "threshold 0.5",
        "brier": "mean squared error of the probability (lower is better)",
    }
    rows = [
        (m, words[m], found[m], found["baseline"][m], notes[m])
        for m in ("auc", "accuracy", "brier")
    ]
    rows.append(
        (
            "seconds",
            round(words_seconds, 1),
            round(seconds, 1),
            float("nan"),
            "codes model: cross-fitted coding and cross-validation",
        )
    )
    return pd.DataFrame(
        rows, columns=["measure", "words_model", "codes_model", "majority_baseline", "note"]
    )

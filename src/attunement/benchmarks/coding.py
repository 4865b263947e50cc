"""Benchmark of the utterance coders: accuracy on AnnoMI beside published anchors, and speed.

Accuracy is the pooled macro-F1 of nested cross-validation grouped by video
(:func:`attunement.coding.train.cross_validate`): no video's utterances are split between
training and test, and the regularisation is chosen on the training folds alone. Published
anchors (same grouping): therapist behaviour 0.72 (the dataset authors' baseline) and 0.80
(RoBERTa-base with context); client talk type 0.55 and 0.61; none for the subtypes.

Speed is measured with the shipped coders on one session of about 700 AnnoMI utterances (the
utterances of consecutive transcripts), after a warm-up call.
"""

from __future__ import annotations

import math
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from attunement.coding.apply import code_utterances
from attunement.coding.artifact import default_model_dir, load_coder, read_coders
from attunement.coding.corpus import annomi_tasks
from attunement.coding.train import cross_validate
from attunement.errors import InputError

__all__ = ["ANCHORS", "run_coding_benchmark"]

#: Task -> (authors' baseline, best published) macro-F1 under transcript/video-grouped CV.
ANCHORS: dict[str, tuple[float, float]] = {
    "therapist_behaviour": (0.72, 0.80),
    "client_talk": (0.55, 0.61),
    "reflection_type": (math.nan, math.nan),
    "question_type": (math.nan, math.nan),
}


def _peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _session(annomi: Path, size: int) -> pd.DataFrame:
    path = annomi / "AnnoMI-simple.csv"
    try:
        rows = pd.read_csv(path, usecols=["interlocutor", "utterance_text"], dtype=str)
    except (OSError, ValueError) as exc:
        raise InputError(f"could not be read ({exc}); expected AnnoMI", path=str(path)) from None
    rows = rows.head(size).rename(columns={"interlocutor": "role", "utterance_text": "text"})
    return rows.reset_index(drop=True)


def run_coding_benchmark(
    annomi: str | Path,
    *,
    n_splits: int = 5,
    seed: int = 0,
    session_size: int = 700,
    repeats: int = 5,
    model_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Cross-validated macro-F1 of each coding task, then coding speed and memory.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv and AnnoMI-full.csv.
    n_splits : int, default 5
        Outer folds, grouped by video.
    seed : int, default 0
    session_size : int, default 700
        Utterances in the session coded for the speed rows.
    repeats : int, default 5
        Timings of that session; the median is reported.
    model_dir : str or path-like, optional
        Coders to time (default: the shipped ones).

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``value``, ``authors_baseline``, ``best_published``, ``note``. One
        row per task (``macro_f1 <task>``), then ``utterances_per_s`` (coding the session
        after a warm-up), ``load_s`` and ``peak_mib`` (tracemalloc peak while loading the
        coders and coding the session once).

    Raises
    ------
    InputError
        When the data are missing or too small for ``n_splits`` grouped folds.
    """
    annomi = Path(annomi)
    rows = []
    for task, table in annomi_tasks(annomi).items():
        found = cross_validate(table, n_splits=n_splits, seed=seed)
        base, best = ANCHORS.get(task, (math.nan, math.nan))
        rows.append(
            (
                f"macro_f1 {task}",
                round(found["macro_f1"], 4),
                base,
                best,
                f"n={found['n']}, C chosen per fold: {sorted(set(found['c_chosen']))}",
            )
        )
    session = _session(annomi, session_size)
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    coders = load_coder(directory)
    code_utterances(session, coder=coders)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        code_utterances(session, coder=coders)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    read_coders(directory)
    load_s = time.perf_counter() - start
    peak = _peak_mib(lambda: code_utterances(session, coder=read_coders(directory)))
    cores = os.cpu_count()
    note = f"one session of {len(session)} utterances, {cores} CPU cores, median of {repeats}"
    rows += [
        (
            "utterances_per_s",
            round(len(session) / statistics.median(times)),
            math.nan,
            math.nan,
            note,
        ),
        ("load_s", round(load_s, 3), math.nan, math.nan, "reading the coders, once per process"),
        (
            "peak_mib",
            round(peak, 1),
            math.nan,
            math.nan,
            "loading the coders and coding the session",
        ),
    ]
    return pd.DataFrame(
        rows, columns=["measure", "value", "authors_baseline", "best_published", "note"]
    )

"""Benchmark of the utterance coders: accuracy on AnnoMI beside published anchors, and speed.

Accuracy is the pooled macro-F1 of nested cross-validation grouped by video
(:func:`attunement.coding.train.cross_validate`): no video's utterances are split between
training and test, and the regularisation is chosen on the training folds alone. Published
anchors (same grouping): therapist behaviour 0.72 (the dataset authors' baseline) and 0.80
(RoBERTa-base with context); client talk type 0.55 and 0.61; none for the subtypes.

With an EPITOME folder, the three empathy mechanisms are measured too, by EPITOME's protocol
(:func:`attunement.coding.train.evaluate_epitome`): repeated stratified 75/5/20 splits, C chosen
on the dev part, macro-F1 pooled on the test part of each seed, mean and standard deviation over
the seeds. Published anchor: the paper's RoBERTa model (Sharma et al., 2020), ER 0.745, IP 0.626,
EX 0.726; attunement's targets are 0.75, 0.65 and 0.74.

Speed is measured with the shipped coders (the EPITOME empathy model included, where installed)
on one session of about 700 AnnoMI utterances (the utterances of consecutive transcripts), after
a warm-up call.
"""

from __future__ import annotations

import math
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from attunement.coding.apply import code_utterances
from attunement.coding.artifact import (
    EPITOME_NAME,
    Coders,
    default_model_dir,
    epitome_model_dir,
    load_coder,
    read_coders,
)
from attunement.coding.corpus import annomi_tasks
from attunement.coding.epitome import epitome_tasks
from attunement.coding.train import EPITOME_SEEDS, cross_validate, evaluate_epitome
from attunement.errors import InputError

__all__ = ["ANCHORS", "EPITOME_ANCHORS", "EPITOME_TARGETS", "run_coding_benchmark"]

#: Task -> (authors' baseline, best published) macro-F1 under transcript/video-grouped CV.
ANCHORS: dict[str, tuple[float, float]] = {
    "therapist_behaviour": (0.72, 0.80),
    "client_talk": (0.55, 0.61),
    "reflection_type": (math.nan, math.nan),
    "question_type": (math.nan, math.nan),
}
#: EPITOME mechanism -> the paper's own model (RoBERTa with rationales), test macro-F1.
EPITOME_ANCHORS: dict[str, float] = {"er": 0.745, "ip": 0.626, "ex": 0.726}
#: EPITOME mechanism -> attunement's target macro-F1.
EPITOME_TARGETS: dict[str, float] = {"er": 0.75, "ip": 0.65, "ex": 0.74}


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
    epitome: str | Path | None = None,
    epitome_seeds: Sequence[int] = EPITOME_SEEDS,
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
    epitome : str or path-like, optional
        EPITOME folder (the three Reddit CSV files); without it the empathy rows are left out.
    epitome_seeds : sequence of int, default (0, 1, 2)
        Seeds of the repeated 75/5/20 splits.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``value``, ``authors_baseline``, ``best_published``, ``note``. One
        row per task (``macro_f1 <task>``); with ``epitome``, one per mechanism
        (``macro_f1 epitome_er``, ``_ip``, ``_ex``: the mean over seeds as ``value``, the
        paper's model in both anchor columns, the sample sd, per-seed values, target and the
        C chosen on each dev part in ``note``);
        then ``utterances_per_s`` (coding the session
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
    if epitome is not None:
        for mechanism, table in epitome_tasks(epitome).items():
            found = evaluate_epitome(table, seeds=epitome_seeds)
            anchor = EPITOME_ANCHORS[mechanism]
            per_seed = ", ".join(f"{v:.3f}" for v in found["macro_f1"])
            rows.append(
                (
                    f"macro_f1 epitome_{mechanism}",
                    round(found["macro_f1_mean"], 4),
                    anchor,
                    anchor,
                    f"± {found['macro_f1_sd']:.3f} sd over {len(found['seeds'])} seeds "
                    f"({per_seed}); target {EPITOME_TARGETS[mechanism]}; n={found['n']}, "
                    f"stratified 75/5/20, C chosen on dev: {found['c_chosen']}",
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
    has_empathy = (epitome_model_dir() / f"{EPITOME_NAME}.json").is_file()

    def read_all() -> tuple[Coders, Coders | None]:
        empathy = read_coders(epitome_model_dir(), name=EPITOME_NAME) if has_empathy else None
        return read_coders(directory), empathy

    start = time.perf_counter()
    read_all()
    load_s = time.perf_counter() - start

    def load_and_code() -> None:
        coder, empathy = read_all()
        code_utterances(session, coder=coder, empathy=empathy)

    peak = _peak_mib(load_and_code)
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
        (
            "load_s",
            round(load_s, 3),
            math.nan,
            math.nan,
            "reading the coders (and the EPITOME model), once per process",
        ),
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

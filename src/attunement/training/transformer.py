"""Training and evaluating the transformer coder on AnnoMI (``attunement train --transformer``).

- :func:`multitask_tables` gives the four tasks' rows, each with the fold of its video; the folds
  are those of the MI-quality cross-fitting (:func:`attunement.training.quality.cross_fitted_codes`:
  5 folds grouped by video, stratified by the transcript's MI quality), so that one
  cross-validation scores the coder *and* gives every transcript codes from a model that never
  saw its video;
- :func:`cross_validate_transformer` fine-tunes one model per fold and returns the pooled
  macro-F1 of each task and the out-of-fold probabilities of every AnnoMI utterance;
- :func:`quality_from_out_of_fold` trains a code-feature MI-quality model on those codes (the
  shipped quality model reads words instead:
  :func:`attunement.training.quality.train_word_quality`);
- :func:`train_transformer` does all of it and writes the folder that
  :func:`attunement.coding.resolve_coder` reads.

Fine-tuning needs the ``train`` extra (PyTorch, transformers); see
:mod:`attunement.training.finetune` for the model and its fixed hyper-parameters.
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from attunement.coding.apply import code_utterances
from attunement.coding.artifact import Coders
from attunement.coding.context import contexts
from attunement.errors import AttunementWarning
from attunement.io.corpora import annomi_transcripts
from attunement.training.corpus import TASKS, annomi_tasks
from attunement.training.folds import quality_folds
from attunement.training.ngram import write_reference
from attunement.training.quality import quality_from_codes, train_word_quality

__all__ = [
    "cross_validate_transformer",
    "multitask_tables",
    "quality_from_out_of_fold",
    "quantization_agreement",
    "session_probabilities",
    "shipped_config",
    "train_transformer",
]

logger = logging.getLogger(__name__)

#: Task -> its labels, in the order of the model's outputs.
HEADS: dict[str, list[str]] = {task: list(spec[3]) for task, spec in TASKS.items()}


def shipped_config():
    """The shipped AnnoMI coder's fine-tuning: 64 tokens (the utterance's first 48 at most,
    then the other person's last words), for speed on two CPU cores; a session coder whose
    behaviour and client-talk heads also read the 8 utterances before and after each one."""
    from attunement.training.finetune import FinetuneConfig

    return FinetuneConfig(
        epochs=4,
        max_len=64,
        max_text=48,
        context=8,
        context_heads=("therapist_behaviour", "client_talk"),
    )


def multitask_tables(
    annomi: str | Path, *, n_splits: int = 5, seed: int = 0
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The four tasks' training rows and every AnnoMI utterance, with the fold of its video.

    Returns
    -------
    (dict of pandas.DataFrame, pandas.DataFrame)
        Task -> rows (``text``, ``context``, ``label``, ``group``, ``transcript_id``,
        ``fold``, and ``row``: the utterance's position in the second table); and
        :func:`attunement.io.corpora.annomi_transcripts`' table with
        ``context``, ``fold``, ``session`` (the transcript) and one column per task added, the
        utterance's label for that task (missing where it has none).
    """
    transcripts = annomi_transcripts(annomi)
    per = transcripts.groupby("transcript_id", sort=True)[["group", "mi_quality"]].first()
    folds = quality_folds(per, n_splits, seed)
    by_group = dict(zip(per["group"], folds, strict=True))
    by_transcript = dict(zip(per.index, folds, strict=True))
    where = {
        key: i
        for i, key in enumerate(
            zip(transcripts["transcript_id"], transcripts["utterance_id"], strict=True)
        )
    }
    tables = {
        task: table.assign(
            fold=table["group"].map(by_group).astype(int),
            row=[
                where[key]
                for key in zip(table["transcript_id"], table["utterance_id"], strict=True)
            ],
        )
        for task, table in annomi_tasks(annomi).items()
    }
    ctx: list[str] = []
    for _, rows in transcripts.groupby("transcript_id", sort=False):
        ctx.extend(contexts(rows["role"].tolist(), rows["text"].tolist()))
    utterances = transcripts.assign(
        context=ctx,
        fold=transcripts["transcript_id"].map(by_transcript).astype(int),
        session=transcripts["transcript_id"],
    )
    for task, table in tables.items():
        labels = np.full(len(utterances), None, dtype=object)
        labels[table["row"].to_numpy()] = table["label"].to_numpy()
        utterances[task] = pd.array(labels, dtype="string")
    return tables, utterances


def cross_validate_transformer(
    annomi: str | Path,
    *,
    base: str | None = None,
    config: Any = None,
    n_splits: int = 5,
    seed: int = 0,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
    data: tuple[dict[str, pd.DataFrame], pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """Fine-tune one coder per fold (grouped by video) and score the held-out videos.

    Each fold's model is exported as it ships (:func:`attunement.training.finetune.export_onnx`:
    int8 ONNX) and the held-out videos are coded by ONNX Runtime one utterance at a time, as at
    run time, so the scores are those of the shipped kind of model; the fine-tuned PyTorch
    model's own (fp32) scores are kept beside them. ``data`` is :func:`multitask_tables`'
    result, when the caller has it already.

    Returns
    -------
    dict
        ``macro_f1`` (task -> pooled over the folds, int8 ONNX), ``macro_f1_fp32`` (the same
        from the PyTorch models), ``agreement`` (task -> share of held-out rows whose most
        probable label is the same in both), ``n`` (task -> rows), ``seconds`` and
        ``out_of_fold``: a DataFrame of every AnnoMI utterance (``transcript_id``, ``role``,
        ``fold``) with one column ``task:label`` per output, its probability from the int8
        model of the other folds.
    """
    from attunement.coding.neural import read_transformer
    from attunement.training.finetune import (
        export_onnx,
        fit_multitask,
        fit_sessions,
        predict_multitask,
        predict_sessions,
    )

    config = config or shipped_config()
    tables, utterances = data or multitask_tables(annomi, n_splits=n_splits, seed=seed)
    oof = {t: np.zeros((len(tables[t]), len(HEADS[t]))) for t in tables}
    oof_fp32 = {t: np.zeros((len(tables[t]), len(HEADS[t]))) for t in tables}
    utt = {t: np.zeros((len(utterances), len(HEADS[t]))) for t in tables}
    utt_fp32 = {t: np.zeros((len(utterances), len(HEADS[t]))) for t in tables}
    started = time.perf_counter()
    for k in range(n_splits):
        if config.context:
            fitted = fit_sessions(
                utterances[utterances["fold"] != k].reset_index(drop=True),
                HEADS,
                base=base,
                config=config,
                device=device,
                progress=progress,
            )
        else:
            fitted = fit_multitask(
                {t: table[table["fold"] != k] for t, table in tables.items()},
                base=base,
                config=config,
                labels=HEADS,
                device=device,
                progress=progress,
            )
        with tempfile.TemporaryDirectory(prefix="attunement-fold-") as folder:
            export_onnx(fitted, folder)
            model = read_transformer(folder)
        rows = np.flatnonzero(utterances["fold"].to_numpy() == k)
        held = utterances.iloc[rows].reset_index(drop=True)
        if config.context:
            found = session_probabilities(model, held)
            original = predict_sessions(fitted, held)
            for task in tables:
                utt_fp32[task][rows] = original[task]
        else:
            with model.remembering():
                for task, table in tables.items():
                    sel = np.flatnonzero(table["fold"].to_numpy() == k)
                    texts = table["text"].iloc[sel].tolist()
                    context = table["context"].iloc[sel].tolist()
                    oof[task][sel] = model.predict_all(texts, context)[task]
                    oof_fp32[task][sel] = predict_multitask(fitted, context, texts)[task]
                found = model.predict_all(held["text"].tolist(), held["context"].tolist())
        for task in tables:
            utt[task][rows] = found[task]
        del fitted, model
        if progress:
            progress(f"fold {k + 1}/{n_splits} done ({time.perf_counter() - started:.0f} s)")
    if config.context:  # the tasks' rows are utterances: their session codes
        for task, table in tables.items():
            at = table["row"].to_numpy()
            oof[task], oof_fp32[task] = utt[task][at], utt_fp32[task][at]

    def pooled(found: Mapping[str, np.ndarray]) -> dict[str, float]:
        return {
            task: float(
                f1_score(
                    table["label"].to_numpy().astype(str),
                    np.asarray(HEADS[task])[found[task].argmax(axis=1)],
                    average="macro",
                )
            )
            for task, table in tables.items()
        }

    columns = {
        f"{task}:{label}": utt[task][:, j] for task in tables for j, label in enumerate(HEADS[task])
    }
    out_of_fold = pd.concat(
        [
            utterances[["transcript_id", "role", "fold"]].reset_index(drop=True),
            pd.DataFrame(columns),
        ],
        axis=1,
    )
    return {
        "macro_f1": pooled(oof),
        "macro_f1_fp32": pooled(oof_fp32),
        "agreement": {
            t: float((oof[t].argmax(axis=1) == oof_fp32[t].argmax(axis=1)).mean()) for t in tables
        },
        "runtime": "int8 ONNX (as shipped), one utterance per call"
        + ("; each held-out session coded whole" if config.context else ""),
        "n": {t: len(table) for t, table in tables.items()},
        "seconds": round(time.perf_counter() - started, 1),
        "out_of_fold": out_of_fold,
    }


def session_probabilities(model: Any, utterances: pd.DataFrame) -> dict[str, np.ndarray]:
    """A loaded coder's probabilities for every row of ``utterances`` (``session``, ``role``,
    ``text``, ``context``; each session's rows consecutive, in spoken order), each session
    coded whole (:meth:`attunement.coding.neural.TransformerCoder.predict_session`)."""
    from attunement.training.folds import session_starts

    out = {t: np.zeros((len(utterances), len(v))) for t, v in model.heads.items()}
    starts = [*session_starts(utterances["session"]).tolist(), len(utterances)]
    for a, b in itertools.pairwise(starts):
        part = utterances.iloc[a:b]
        found = model.predict_session(
            part["role"].tolist(), part["text"].tolist(), part["context"].tolist()
        )
        for t in out:
            out[t][a:b] = found[t]
    return out


class _Recorded:
    """Probabilities computed earlier, looked up by (context, utterance): the interface of a
    fitted coder for :func:`attunement.coding.code_utterances`."""

    def __init__(self, task: str, table: Mapping[tuple[str, str], np.ndarray]) -> None:
        self.classes_ = np.asarray(HEADS[task], dtype=object)
        self._table = table

    def predict_proba(self, texts, contexts_):
        return np.asarray([self._table[(c, t)] for c, t in zip(contexts_, texts, strict=True)])


def quality_from_out_of_fold(
    annomi: str | Path,
    out_of_fold: pd.DataFrame,
    out_dir: str | Path,
    *,
    n_splits: int = 5,
    seed: int = 0,
    describe: str = "the fine-tuned transformer",
    data: tuple[dict[str, pd.DataFrame], pd.DataFrame] | None = None,
) -> Path:
    """Train the MI-quality session model on out-of-fold transformer codes; writes
    ``mi_quality.json`` into ``out_dir``.

    ``out_of_fold`` is :func:`cross_validate_transformer`'s table (same rows and order as
    :func:`multitask_tables`' utterances, folds included); ``data`` is that function's result,
    when the caller has it already.
    """
    _, utterances = data or multitask_tables(annomi, n_splits=n_splits, seed=seed)
    if (
        len(out_of_fold) != len(utterances)
        or not (
            out_of_fold["transcript_id"].to_numpy() == utterances["transcript_id"].to_numpy()
        ).all()
    ):
        raise ValueError("the out-of-fold table does not match AnnoMI's utterances row by row")
    coded = []
    for _, rows in utterances.groupby("transcript_id", sort=True):
        part = out_of_fold.loc[rows.index]
        keys = list(zip(rows["context"], rows["text"], strict=True))
        coders = {
            task: _Recorded(
                task,
                {
                    k: part[[f"{task}:{label}" for label in labels]].iloc[i].to_numpy(float)
                    for i, k in enumerate(keys)
                },
            )
            for task, labels in HEADS.items()
        }
        frame = rows[["transcript_id", "group", "mi_quality", "role", "text", "fold"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            coded.append(
                code_utterances(
                    frame.reset_index(drop=True),
                    coder=Coders(coders),
                    empathy=None,
                    merge_turns=False,  # the probabilities were recorded per utterance
                )
            )
    return quality_from_codes(
        pd.concat(coded, ignore_index=True),
        out_dir,
        features_from=(
            f"codes predicted by {describe} fine-tuned on the other {n_splits - 1} of "
            f"{n_splits} folds (grouped by video_url)"
        ),
        seed=seed,
    )


def quantization_agreement(
    fitted: Any, directory: str | Path, utterances: pd.DataFrame
) -> dict[str, Any]:
    """How closely an exported (int8) coder follows the PyTorch model it was exported from.

    Parameters
    ----------
    fitted : attunement.training.finetune.Fitted
    directory : str or path-like
        The folder :func:`attunement.training.finetune.export_onnx` wrote from ``fitted``.
    utterances : pandas.DataFrame
        ``role``, ``text`` and ``context`` (:func:`multitask_tables`' utterances; ``session``
        too for a session coder); each head is compared on the utterances of the role it
        codes.

    Returns
    -------
    dict
        ``agreement`` (task -> share of utterances whose most probable label is the same),
        ``mean_abs_probability_difference`` (task -> mean over utterances and labels) and
        ``n`` (task -> utterances compared).
    """
    from attunement.coding.neural import read_transformer
    from attunement.training.finetune import predict_multitask, predict_sessions

    model = read_transformer(directory)
    if model.reads_sessions:
        exported = session_probabilities(model, utterances)
        original = predict_sessions(fitted, utterances)
    else:
        texts, context = utterances["text"].tolist(), utterances["context"].tolist()
        exported = model.predict_all(texts, context)
        original = predict_multitask(fitted, context, texts)
    out: dict[str, Any] = {"agreement": {}, "mean_abs_probability_difference": {}, "n": {}}
    for task in HEADS:
        role = TASKS[task][1]
        rows = (utterances["role"] == role).to_numpy()
        a, b = exported[task][rows], original[task][rows]
        out["agreement"][task] = round(float((a.argmax(1) == b.argmax(1)).mean()), 4)
        out["mean_abs_probability_difference"][task] = round(float(np.abs(a - b).mean()), 4)
        out["n"][task] = int(rows.sum())
    out["what"] = (
        "the shipped int8 model against the same model in fp32, on every AnnoMI utterance of "
        "the role each head codes"
    )
    return out


def train_transformer(
    annomi: str | Path,
    out_dir: str | Path,
    *,
    base: str | None = None,
    evaluate: bool = True,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
    config: Any = None,
) -> Path:
    """Fine-tune the AnnoMI transformer coder on all of AnnoMI and export it to ``out_dir``
    (``model.onnx``, ``tokenizer.json``, ``model.json``); with ``evaluate``, first the 5-fold
    video-grouped cross-validation (stored in ``model.json`` as ``evaluation``); then the
    MI-quality model (``mi_quality.json``, :func:`attunement.training.quality.train_word_quality`,
    which reads the therapist's words and so does not depend on the coder).

    About 5 minutes on one H100 GPU with ``evaluate``; on two CPU cores about half an hour per
    model, so about three hours. ``config`` (a
    :class:`~attunement.training.finetune.FinetuneConfig`) replaces the shipped coder's
    fine-tuning.
    """
    from attunement.training.finetune import export_onnx, fit_multitask, fit_sessions

    config = config or shipped_config()
    out_dir = Path(out_dir)
    data = multitask_tables(annomi)
    evaluation = None
    if evaluate:
        cv = cross_validate_transformer(
            annomi, base=base, config=config, device=device, progress=progress, data=data
        )
        cv.pop("out_of_fold")  # quality_from_out_of_fold would build a code model from them
        evaluation = {
            **cv,
            "protocol": "5-fold cross-validation grouped by video_url (the MI-quality folds), "
            "pooled out-of-fold macro-F1; hyper-parameters fixed in advance",
        }
    tables, utterances = data
    if config.context:
        fitted = fit_sessions(
            utterances, HEADS, base=base, config=config, device=device, progress=progress
        )
    else:
        fitted = fit_multitask(
            tables,
            base=base,
            config=config,
            labels=HEADS,
            device=device,
            progress=progress,
        )
    export_onnx(fitted, out_dir)
    meta = json.loads((out_dir / "model.json").read_text(encoding="utf-8"))
    meta.update(
        {
            "format_version": 1,
            "kind": "transformer",
            "data": "AnnoMI (public domain)",
            "training": {"n": {t: len(v) for t, v in tables.items()}, **asdict(config)},
            "quantization": quantization_agreement(fitted, out_dir, utterances),
        }
    )
    if evaluation is not None:
        meta["evaluation"] = evaluation
    (out_dir / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    train_word_quality(annomi, out_dir)  # reads the therapist's words, whatever the coder
    write_reference(annomi, out_dir)  # the ranges the out-of-domain check compares with
    return out_dir / "model.json"

"""AnnoMI as training tables for the utterance coders.

The four tasks:

- ``therapist_behaviour``: therapist utterances of ``AnnoMI-simple.csv``, labelled
  reflection | question | therapist_input | other;
- ``client_talk``: client utterances of ``AnnoMI-simple.csv``, labelled change | neutral | sustain;
- ``reflection_type``: therapist utterances of ``AnnoMI-full.csv`` whose main behaviour is a
  reflection, labelled simple | complex;
- ``question_type``: likewise for questions, labelled open | closed.

``AnnoMI-full.csv`` repeats the seven transcripts coded by ten annotators; the rows of the lowest
``annotator_id`` are kept (as :mod:`attunement.io.annomi` does). Each utterance is read with its
context as at run time (:func:`attunement.coding.context.contexts`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from attunement.coding.context import contexts
from attunement.errors import InputError
from attunement.io.corpora import COLUMNS, read_annomi_csv

__all__ = ["TASKS", "annomi_tasks"]

#: Task -> (file, role, label column, labels kept, main behaviour the task applies to).
TASKS: dict[str, tuple[str, str, str, tuple[str, ...], str | None]] = {
    "therapist_behaviour": (
        "AnnoMI-simple.csv",
        "therapist",
        "main_therapist_behaviour",
        ("reflection", "question", "therapist_input", "other"),
        None,
    ),
    "reflection_type": (
        "AnnoMI-full.csv",
        "therapist",
        "reflection_subtype",
        ("simple", "complex"),
        "reflection",
    ),
    "question_type": (
        "AnnoMI-full.csv",
        "therapist",
        "question_subtype",
        ("open", "closed"),
        "question",
    ),
    "client_talk": (
        "AnnoMI-simple.csv",
        "client",
        "client_talk_type",
        ("change", "neutral", "sustain"),
        None,
    ),
}


def annomi_tasks(directory: str | Path) -> dict[str, pd.DataFrame]:
    """The four training tables from a folder holding AnnoMI-simple.csv and AnnoMI-full.csv.

    Parameters
    ----------
    directory : str or path-like

    Returns
    -------
    dict of pandas.DataFrame
        Task name (see :data:`TASKS`) -> table with columns ``text``, ``context``, ``label``,
        ``group`` (the video URL, for grouped cross-validation), ``transcript_id`` and
        ``utterance_id``.

    Raises
    ------
    InputError
        When a file is missing or lacks a column, or a task has fewer than two labels.
    """
    directory = Path(directory)
    frames: dict[str, pd.DataFrame] = {}
    out = {}
    for task, (name, role, column, labels, behaviour) in TASKS.items():
        if name not in frames:
            raw = read_annomi_csv(directory / name, COLUMNS, one_annotator=True)
            raw = raw.sort_values(["transcript_id", "utterance_id"], kind="stable")
            ctx = []
            for _, rows in raw.groupby("transcript_id", sort=False):
                ctx.extend(contexts(rows["interlocutor"].tolist(), rows["utterance_text"].tolist()))
            frames[name] = raw.assign(context=ctx)
        raw = frames[name]
        needed = [column] if behaviour is None else [column, "main_therapist_behaviour"]
        missing = [c for c in needed if c not in raw.columns]
        if missing:
            raise InputError(
                f"has no column {', '.join(missing)}; expected AnnoMI's labels",
                path=str(directory / name),
                line=1,
            )
        rows = raw[(raw["interlocutor"] == role) & raw[column].isin(labels)]
        if behaviour is not None:
            rows = rows[rows["main_therapist_behaviour"] == behaviour]
        if rows[column].nunique() < 2:
            raise InputError(
                f"has fewer than two {column} labels for {task}; expected {' | '.join(labels)}",
                path=str(directory / name),
            )
        out[task] = pd.DataFrame(
            {
                "text": rows["utterance_text"].to_numpy(),
                "context": rows["context"].to_numpy(),
                "label": rows[column].to_numpy(),
                "group": rows["video_url"].to_numpy(),
                "transcript_id": rows["transcript_id"].to_numpy(),
                "utterance_id": rows["utterance_id"].to_numpy(),
            }
        )
    return out

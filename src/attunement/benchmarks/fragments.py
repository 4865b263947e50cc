"""Benchmark: coding a transcript cut into caption cues, cue by cue and merged into turns.

Zoom, Teams, WebVTT and SRT captions cut one speaker's turn into many cues of a few words.
This benchmark takes AnnoMI transcripts, codes them whole with the shipped coder (the
reference: each AnnoMI utterance on its own, as its annotators coded it), then cuts every
utterance into cues of ``words`` words and codes the cues twice: each cue alone
(``merge_turns=False``, as attunement did before) and merged into turns (the default of
:func:`attunement.coding.code_utterances`). A third coding, of the whole utterances with
merging on, measures how much merging changes transcripts that were not cut (AnnoMI has a few
consecutive utterances of one speaker, which merging joins).

For each coding it reports the share of rows (cues) whose therapist behaviour or client talk
type is the code of the uncut utterance they came from, and the mean over transcripts of the
absolute difference of each session metric (:func:`attunement.coding.session_codes`) from
the reference's.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from attunement.coding.apply import code_utterances, session_codes
from attunement.coding.artifact import Coders
from attunement.coding.loader import resolve_coder
from attunement.errors import InputError
from attunement.io.corpora import annomi_transcripts

__all__ = [
    "CONDITIONS",
    "DEFAULT_TRANSCRIPTS",
    "METRICS",
    "cut_into_cues",
    "run_fragments_benchmark",
]

#: Transcripts coded by default (of AnnoMI's 133): under a minute with the transformer on 2 CPU
#: cores (all of them: about two).
DEFAULT_TRANSCRIPTS = 60
#: Column -> what was coded.
CONDITIONS: dict[str, str] = {
    "cues_alone": "cues, each coded alone (merge_turns=False)",
    "cues_merged": "cues, merged into turns (the default)",
    "utterances_merged": "the uncut utterances, merged into turns",
}
#: The session metrics compared (keys of :func:`attunement.coding.session_codes`).
METRICS: tuple[str, ...] = (
    "reflection_to_question_ratio",
    "percent_complex_reflections",
    "percent_open_questions",
    "change_talk_share",
    "empathy_emotional_reactions",
    "empathy_interpretations",
    "empathy_explorations",
)
#: Task -> (role, label column).
_TASKS = {
    "therapist_behaviour": ("therapist", "mi_behaviour"),
    "client_talk": ("client", "client_talk"),
}


def cut_into_cues(utterances: pd.DataFrame, words: int) -> pd.DataFrame:
    """Each utterance cut into cues of ``words`` whitespace-separated words (the last one
    shorter), as captions cut a turn.

    Parameters
    ----------
    utterances : pandas.DataFrame
        With ``speaker``, ``role`` and ``text``, in spoken order.
    words : int
        Words per cue, at least 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``speaker``, ``role``, ``text`` and ``source`` (the position of the utterance
        the cue was cut from), one row per cue; an utterance without words stays one row.

    Raises
    ------
    InputError
        When ``words`` is below 1.

    Examples
    --------
    >>> frame = pd.DataFrame({"speaker": ["Therapist"], "role": ["therapist"],
    ...                       "text": ["So you want to drink less this week."]})
    >>> cut_into_cues(frame, 3)["text"].tolist()
    ['So you want', 'to drink less', 'this week.']
    """
    if words < 1:
        raise InputError(f"is {words}; expected at least 1 word per cue", field="words")
    rows = []
    for source, (speaker, role, text) in enumerate(
        utterances[["speaker", "role", "text"]].itertuples(index=False)
    ):
        tokens = ("" if pd.isna(text) else str(text)).split()
        pieces = [" ".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]
        for piece in pieces or [text]:
            rows.append((speaker, role, piece, source))
    return pd.DataFrame(rows, columns=["speaker", "role", "text", "source"])


def run_fragments_benchmark(
    annomi: str | Path,
    *,
    words: int = 8,
    transcripts: int | None = DEFAULT_TRANSCRIPTS,
    seed: int = 0,
    coder: Coders | str | Path | None = None,
) -> pd.DataFrame:
    """How closely codes of caption cues follow the codes of the uncut utterances.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv.
    words : int, default 8
        Words per cue.
    transcripts : int or None, default :data:`DEFAULT_TRANSCRIPTS`
        How many transcripts, drawn at random (``seed``); None or 0 codes every transcript.
    seed : int, default 0
    coder : Coders, str or path-like, optional
        The coder (default: :func:`attunement.coding.resolve_coder`, the shipped transformer).

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``cues_alone``, ``cues_merged``, ``utterances_merged`` (see
        :data:`CONDITIONS`), ``reference`` and ``note``. Rows:

        - ``agreement therapist_behaviour``, ``agreement client_talk``: the share of the
          therapist (client) rows whose code is that of the uncut utterance they came from
          (``reference`` 1);
        - ``abs_diff <metric>`` for each of :data:`METRICS`: the mean over transcripts of
          the absolute difference from the reference's value (``reference``: the reference's
          mean), over the transcripts where both are defined.

        ``attrs`` holds ``transcripts`` (how many were coded), ``of`` (how many there are),
        ``words``, ``seconds`` (the time coding took), and ``rows`` and ``units``: the rows and
        coded units of each coding (``reference`` and each of :data:`CONDITIONS`), summed over
        the transcripts.

    Raises
    ------
    InputError
        When the file is missing or unreadable, ``words`` is below 1 or ``transcripts``
        is negative.
    """
    if transcripts is not None and transcripts < 0:
        raise InputError(
            f"is {transcripts}; expected a positive number (0: all)", field="transcripts"
        )
    if words < 1:
        raise InputError(f"is {words}; expected at least 1 word per cue", field="words")
    table = annomi_transcripts(annomi)
    ids = table["transcript_id"].drop_duplicates().to_numpy()
    chosen = ids
    if transcripts and transcripts < len(ids):
        rng = np.random.default_rng(seed)
        chosen = ids[np.sort(rng.choice(len(ids), size=transcripts, replace=False))]
    coder = coder if isinstance(coder, Coders) else resolve_coder(coder)
    agree = {c: {t: [0, 0] for t in _TASKS} for c in CONDITIONS}
    diffs: dict[str, dict[str, list[float]]] = {c: {m: [] for m in METRICS} for c in CONDITIONS}
    reference_values: dict[str, list[float]] = {m: [] for m in METRICS}
    counts = {c: [0, 0] for c in ["reference", *CONDITIONS]}
    start = time.perf_counter()
    for tid in chosen:
        rows = table[table["transcript_id"] == tid]
        whole = pd.DataFrame(
            {
                "speaker": rows["role"].str.title().to_numpy(),
                "role": rows["role"].to_numpy(),
                "text": rows["text"].to_numpy(),
            }
        )
        cues = cut_into_cues(whole, words)
        reference = code_utterances(whole, coder=coder, merge_turns=False)
        codings = {
            "cues_alone": (code_utterances(cues, coder=coder, merge_turns=False), cues["source"]),
            "cues_merged": (code_utterances(cues, coder=coder), cues["source"]),
            "utterances_merged": (code_utterances(whole, coder=coder), pd.RangeIndex(len(whole))),
        }
        found = session_codes(reference)
        for metric in METRICS:
            if found[metric] is not None:
                reference_values[metric].append(found[metric])
        counts["reference"][0] += len(reference)
        counts["reference"][1] += int(reference["unit"].nunique())
        for condition, (coded, source) in codings.items():
            counts[condition][0] += len(coded)
            counts[condition][1] += int(coded["unit"].nunique())
            expected = reference.iloc[np.asarray(source)].reset_index(drop=True)
            for task, (role, column) in _TASKS.items():
                mine = coded["role"].to_numpy() == role
                same = coded[column].fillna("").to_numpy() == expected[column].fillna("").to_numpy()
                agree[condition][task][0] += int((same & mine).sum())
                agree[condition][task][1] += int(mine.sum())
            metrics = session_codes(coded)
            for metric in METRICS:
                if metrics[metric] is not None and found[metric] is not None:
                    diffs[condition][metric].append(abs(metrics[metric] - found[metric]))
    seconds = time.perf_counter() - start
    out = []
    for task, (role, _) in _TASKS.items():
        differ = ", ".join(
            f"{agree[c][task][1] - agree[c][task][0]} of {agree[c][task][1]}" for c in CONDITIONS
        )
        out.append(
            (
                f"agreement {task}",
                *[_share(*agree[c][task]) for c in CONDITIONS],
                1.0,
                f"share of {role} rows coded as the uncut utterance they came from; rows "
                f"that differ: {differ}",
            )
        )
    for metric in METRICS:
        ns = {len(diffs[c][metric]) for c in CONDITIONS}
        out.append(
            (
                f"abs_diff {metric}",
                *[_mean(diffs[c][metric]) for c in CONDITIONS],
                _mean(reference_values[metric]),
                "mean over transcripts of |value - reference value| (reference: its mean), "
                f"{'/'.join(str(n) for n in sorted(ns))} transcripts where both are defined",
            )
        )
    frame = pd.DataFrame(out, columns=["measure", *CONDITIONS, "reference", "note"])
    frame.attrs.update(
        transcripts=len(chosen),
        of=len(ids),
        words=words,
        seconds=seconds,
        rows={c: n for c, (n, _) in counts.items()},
        units={c: n for c, (_, n) in counts.items()},
    )
    return frame


def _share(num: int, den: int) -> float:
    return num / den if den else float("nan")


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")

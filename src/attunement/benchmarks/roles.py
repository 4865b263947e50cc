"""``benchmark roles``: how often :func:`attunement.io.roles.guess_therapist` picks the
therapist of a transcript whose speakers are only numbered, beside two simple rules, in the
same run.

Every session of each corpus (roles known) is read with its speakers renamed ``Speaker 1``,
``Speaker 2`` in the order they first speak, and each rule names one of them the therapist:

* ``you minus I`` (attunement's, :data:`~attunement.io.roles.ADDRESS_RULE`);
* ``first speaker``: whoever speaks first;
* ``more questions``: whoever ends more of their turns with a question mark (ties: first).

Corpora: AnnoMI (vendored) and the development sets given (HLQC, MIV6.3A). The rule was
chosen on these among the three here and two more (first-person pronouns alone, and whoever
talks less: 40% and 37% right on AnnoMI and HLQC); nothing is fitted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from attunement.io._common import RawTranscript, RawUtterance
from attunement.io.corpora import (
    annomi_transcripts,
    default_annomi_dir,
    hlqc_sessions,
    misc_units,
)
from attunement.io.roles import guess_therapist

__all__ = ["RULES", "run_roles_benchmark"]


def _first(raw: RawTranscript) -> str:
    return raw.utterances[0].speaker


def _questions(raw: RawTranscript) -> str:
    labels = list(dict.fromkeys(u.speaker for u in raw.utterances))
    share = {
        k: np.mean([u.text.rstrip().endswith("?") for u in raw.utterances if u.speaker == k])
        for k in labels
    }
    return max(labels, key=lambda k: (share[k], -labels.index(k)))


def _address(raw: RawTranscript) -> str | None:
    found = guess_therapist(raw)
    return None if found is None else found["therapist"]


RULES = {
    "you minus I (attunement)": _address,
    "first speaker": _first,
    "more questions": _questions,
}


def _sessions(frame: pd.DataFrame, key: str) -> list[tuple[RawTranscript, str]]:
    """(transcript with numbered speakers, the therapist's number) per session of both roles."""
    out = []
    for _, g in frame.groupby(key, sort=False):
        roles = list(dict.fromkeys(g["role"]))
        if set(roles) != {"therapist", "client"}:
            continue
        number = {role: f"Speaker {i + 1}" for i, role in enumerate(roles)}
        raw = RawTranscript(
            [RawUtterance(number[r], str(t)) for r, t in zip(g["role"], g["text"], strict=True)],
            "benchmark",
        )
        out.append((raw, number["therapist"]))
    return out


def run_roles_benchmark(
    *, annomi: Path | None = None, hlqc: Path | None = None, misc: Path | None = None
) -> pd.DataFrame:
    """One row per corpus and rule: ``corpus``, ``rule``, ``sessions``, ``right`` and
    ``accuracy`` with its exact (Clopper-Pearson) 95% interval (``ci95_low``, ``ci95_high``)."""
    from scipy import stats

    corpora: list[tuple[str, list]] = []
    a = annomi_transcripts(annomi or default_annomi_dir())
    corpora.append(("AnnoMI", _sessions(a, "transcript_id")))
    if hlqc is not None:
        corpora.append((hlqc.name, _sessions(hlqc_sessions(hlqc), "conv_id")))
    if misc is not None:
        # one row per utterance unit, as the experts coded them
        corpora.append((misc.name, _sessions(misc_units(misc), "conv_id")))
    rows = []
    for corpus, sessions in corpora:
        for rule, pick in RULES.items():
            right = sum(pick(raw) == truth for raw, truth in sessions)
            n = len(sessions)
            ci = stats.binomtest(right, n).proportion_ci(method="exact") if n else None
            low, high = (ci.low, ci.high) if ci is not None else (np.nan, np.nan)
            rows.append(
                {
                    "corpus": corpus,
                    "rule": rule,
                    "sessions": n,
                    "right": right,
                    "accuracy": right / n if n else np.nan,
                    "ci95_low": low,
                    "ci95_high": high,
                }
            )
    return pd.DataFrame(rows)

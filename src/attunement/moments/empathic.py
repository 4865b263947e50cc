"""Empathic moments: the therapist's utterances whose empathy the codes rate high.

An utterance is an *empathic moment* when its codes (:func:`attunement.coding.code_utterances`)
say at least one of:

- a **complex reflection** (``reflection_type`` complex: a reflection that adds meaning or
  emphasis to what the client said, MITI 4.2.1);
- **strong emotional reactions** (``er_level`` 2: warmth, compassion, concern expressed);
- **strong interpretations** (``ip_level`` 2: communicated understanding of the client's
  feelings and experiences);
- **strong explorations** (``ex_level`` 2: exploring feelings and experiences the client has
  not stated), EPITOME's level 2 of 0-2 (Sharma et al., 2020).

Consecutive rows of one speaker were coded as one turn (the ``unit`` column), so a moment is
one coded unit, however many caption cues it spans; its time is the first row's start to the
last row's end. Sources with start times only (AnnoMI) give no end: the next utterance's
start stands for it, and ``end_estimated`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attunement.errors import InputError
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = ["EMPATHY_LEVEL", "METHOD", "REASONS", "EmpathicMoments", "empathic_moments"]

#: The EPITOME level that makes a moment (0 none, 1 weak, 2 strong).
EMPATHY_LEVEL = 2
#: Code -> how a moment's evidence names it.
REASONS: dict[str, str] = {
    "complex": "complex reflection",
    "er": "emotional reactions",
    "ip": "interpretations",
    "ex": "explorations",
}

#: The methods-paragraph entry of :func:`empathic_moments`.
METHOD = Method(
    name="empathic_moments",
    description=(
        "Empathic moments were the therapist's coded turns whose most probable codes were a "
        "complex reflection or a strong (level "
        f"{EMPATHY_LEVEL} of 0-2) EPITOME emotional reaction, interpretation or exploration; "
        "each moment's time is its turn's, with the next utterance's start standing for its "
        "end where the transcript gives start times only."
    ),
    parameters={"empathy_level": EMPATHY_LEVEL},
    citation=(
        "Sharma, Miner, Atkins & Althoff, A Computational Approach to Understanding Empathy "
        "Expressed in Text-Based Mental Health Support, EMNLP 2020; Moyers, Manuel & Ernst, "
        "Motivational Interviewing Treatment Integrity Coding Manual 4.2.1, 2014"
    ),
)

_TABLE = (
    "unit",
    "position",
    "index",
    "first_row",
    "last_row",
    "start_s",
    "end_s",
    "end_estimated",
    "text",
    "is_moment",
    "reasons",
    "mi_behaviour",
    "reflection_type",
    "p_reflection",
    "p_complex",
    "er_level",
    "ip_level",
    "ex_level",
    "er_score",
    "ip_score",
    "ex_score",
)


@dataclass(frozen=True, slots=True, eq=False)
class EmpathicMoments(MeasurementResult):
    """Result of :func:`empathic_moments`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per coded therapist unit, in spoken order: ``unit``, ``position`` (0, 1, ...
        among the therapist's units), ``index`` (the utterance index of its first row),
        ``first_row`` and ``last_row`` (row positions in the coded table), ``start_s``,
        ``end_s`` (NaN without timing), ``end_estimated`` (the end is the next utterance's
        start), ``text`` (its rows' words joined), ``is_moment``, ``reasons`` (the evidence:
        '; '-joined, e.g. 'complex reflection (p 0.81); explorations level 2 (score 1.74)';
        '' for other units), and its codes: ``mi_behaviour``, ``reflection_type``,
        ``p_reflection``, ``p_complex``, ``er_level``, ``ip_level``, ``ex_level``,
        ``er_score``, ``ip_score``, ``ex_score`` (missing where the code does not apply).
    summary : pandas.DataFrame
        One row: ``n_units`` (therapist units), ``n_moments``, ``n_complex_reflections``,
        ``n_strong_emotional_reactions``, ``n_strong_interpretations``,
        ``n_strong_explorations`` (moments may count in several).
    method : Method
        :data:`METHOD`.
    """


def _column(coded: pd.DataFrame, name: str, dtype=object) -> np.ndarray:
    if name in coded.columns:
        return coded[name].to_numpy(dtype=dtype, na_value=np.nan if dtype is float else None)
    return np.full(len(coded), np.nan if dtype is float else None, dtype=dtype)


def _level(value) -> float:
    return np.nan if value is None or pd.isna(value) else float(value)


def empathic_moments(coded: pd.DataFrame) -> EmpathicMoments:
    """The therapist's coded units, each marked empathic moment or not, with its evidence.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table of one session (``role``, ``text``,
        ``unit``, ``start_s``, ``end_s`` and the codes; absent code columns count as not
        given, so a table without the EPITOME columns finds complex reflections only).

    Returns
    -------
    EmpathicMoments
        See :class:`EmpathicMoments`.

    Raises
    ------
    InputError
        When ``coded`` is not a DataFrame with ``role``, ``text`` and ``unit`` columns.

    References
    ----------
    Sharma, A., Miner, A. S., Atkins, D. C., & Althoff, T. (2020). A computational approach to
    understanding empathy expressed in text-based mental health support. *EMNLP 2020*.

    Examples
    --------
    >>> coded = pd.DataFrame({
    ...     "role": ["therapist", "client", "therapist"], "unit": [0, 1, 2],
    ...     "start_s": [0.0, 4.0, 9.0], "end_s": [np.nan, np.nan, np.nan],
    ...     "text": ["You feel let down.", "Yes.", "What else?"],
    ...     "mi_behaviour": ["reflection", None, "question"],
    ...     "reflection_type": ["complex", None, None], "p_reflection": [0.9, None, 0.1],
    ...     "p_complex": [0.8, None, None], "er_level": [1, None, 0], "ip_level": [2, None, 0],
    ...     "ex_level": [0, None, 1], "ip_score": [1.6, None, 0.1]})
    >>> found = empathic_moments(coded)
    >>> found.table[["unit", "end_s", "is_moment"]].values.tolist()
    [[0, 4.0, True], [2, nan, False]]
    >>> found.table.loc[0, "reasons"]
    'complex reflection (p 0.80); interpretations level 2 (score 1.60)'
    """
    if not isinstance(coded, pd.DataFrame):
        raise InputError(f"got {type(coded).__name__}; expected a DataFrame", field="coded")
    missing = [c for c in ("role", "text", "unit") if c not in coded.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(missing)}; expected the table of "
            "attunement.coding.code_utterances",
            field="coded",
        )
    n = len(coded)
    role = coded["role"].astype(str).to_numpy()
    unit = pd.to_numeric(coded["unit"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    start = _column(coded, "start_s", float)
    end = _column(coded, "end_s", float)
    index = coded["index"].to_numpy() if "index" in coded.columns else np.arange(n)
    text = ["" if pd.isna(t) else str(t) for t in coded["text"].tolist()]
    codes = {c: _column(coded, c) for c in _TABLE[11:]}
    # the next start after each row (any role), standing for a missing end
    next_start = np.full(n, np.nan)
    later = np.nan
    for i in range(n - 1, -1, -1):
        next_start[i] = later
        if np.isfinite(start[i]):
            later = start[i]
    rows = []
    mine = np.flatnonzero((role == "therapist") & np.isfinite(unit))
    groups = pd.Series(mine).groupby(unit[mine], sort=False)
    for position, (u, members) in enumerate(groups):
        first, last = int(members.iloc[0]), int(members.iloc[-1])
        stop, estimated = end[last], False
        if not np.isfinite(stop) and np.isfinite(start[first]):
            stop, estimated = next_start[last], bool(np.isfinite(next_start[last]))
        given = {c: codes[c][first] for c in codes}
        reasons = []
        if given["reflection_type"] == "complex":
            p = _level(given["p_complex"])
            reasons.append(REASONS["complex"] + ("" if np.isnan(p) else f" (p {p:.2f})"))
        for mechanism in ("er", "ip", "ex"):
            if _level(given[f"{mechanism}_level"]) == EMPATHY_LEVEL:
                score = _level(given[f"{mechanism}_score"])
                reasons.append(
                    f"{REASONS[mechanism]} level {EMPATHY_LEVEL}"
                    + ("" if np.isnan(score) else f" (score {score:.2f})")
                )
        rows.append(
            {
                "unit": int(u),
                "position": position,
                "index": index[first],
                "first_row": first,
                "last_row": last,
                "start_s": float(start[first]),
                "end_s": float(stop),
                "end_estimated": estimated,
                "text": " ".join(text[i] for i in members),
                "is_moment": bool(reasons),
                "reasons": "; ".join(reasons),
                **given,
            }
        )
    table = pd.DataFrame(rows, columns=list(_TABLE))
    for c in ("p_reflection", "p_complex", "er_score", "ip_score", "ex_score"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    for c in ("er_level", "ip_level", "ex_level"):
        table[c] = pd.array(
            [pd.NA if v is None or pd.isna(v) else int(v) for v in table[c]], dtype="Int64"
        )
    table["is_moment"] = table["is_moment"].astype(bool)
    table["end_estimated"] = table["end_estimated"].astype(bool)

    def count(mask) -> int:
        return int(np.sum(np.asarray(mask, dtype=bool)))

    summary = one_row(
        n_units=len(table),
        n_moments=count(table["is_moment"]),
        n_complex_reflections=count(table["reflection_type"] == "complex"),
        n_strong_emotional_reactions=count((table["er_level"] == EMPATHY_LEVEL).fillna(False)),
        n_strong_interpretations=count((table["ip_level"] == EMPATHY_LEVEL).fillna(False)),
        n_strong_explorations=count((table["ex_level"] == EMPATHY_LEVEL).fillna(False)),
    )
    return EmpathicMoments(table=table, summary=summary, method=METHOD)

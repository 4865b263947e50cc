"""The units a session is coded in: one speaker's turn, however many rows it was cut into.

Captions (Zoom, Teams, WebVTT, SRT) cut one speaker's turn into many cues of a few words. Coded
cue by cue, each piece is read without the rest of its sentence (about a third of the codes
change when AnnoMI is cut into 8-word cues: ``attunement benchmark fragments``), and the
session metrics count each cue as an utterance. :func:`coding_units` groups consecutive rows
of one speaker into one unit, which :func:`attunement.coding.code_utterances` codes once and
:func:`attunement.coding.session_codes` counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CODED_ROLES", "coding_units", "unit_members"]

#: The roles whose utterances are coded; rows of any other role are not.
CODED_ROLES: tuple[str, ...] = ("therapist", "client")


def _name(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def coding_units(
    roles: Sequence[str],
    texts: Sequence[str],
    speakers: Sequence[Any] | None = None,
    *,
    merge: bool = True,
) -> np.ndarray:
    """The 0-based coding unit of each row, -1 for rows that are not coded.

    A row is coded when its role is therapist or client and its text is not blank. With
    ``merge``, consecutive rows of the same role and speaker are one turn, coded as one unit;
    a blank row of that speaker does not end the turn (it is not coded), and a row of anyone
    else (another speaker, or role ``other``; blank or not) does. Without ``merge``, each
    coded row is a unit of its own.

    Parameters
    ----------
    roles : sequence of str
        'therapist', 'client' or 'other', in spoken order.
    texts : sequence of str
        The rows' texts (None or NaN read as blank).
    speakers : sequence, optional
        The rows' speaker names (None or NaN read as ''); without them, rows of one role are
        one speaker.
    merge : bool, default True
        Whether consecutive rows of one speaker are one unit.

    Returns
    -------
    numpy.ndarray
        Integers, one per row: the unit (0, 1, ... in spoken order) or -1.

    Examples
    --------
    >>> coding_units(["therapist", "therapist", "client", "other", "client", "client"],
    ...              ["So you", "feel stuck.", "Yes.", "(door)", "I do.", "  "]).tolist()
    [0, 0, 1, -1, 2, -1]
    >>> coding_units(["client", "client", "therapist", "client", "client"],
    ...              ["I", "", "", "see.", "Me too."],
    ...              ["Client 1", "Client 1", "Therapist", "Client 1", "Client 2"]).tolist()
    [0, -1, -1, 1, 2]
    >>> coding_units(["client", "client", "client"], ["I", " ", "see."]).tolist()
    [0, -1, 0]
    >>> coding_units(["therapist", "therapist"], ["So you", "feel stuck."], merge=False).tolist()
    [0, 1]
    """
    names = [""] * len(roles) if speakers is None else [_name(s) for s in speakers]
    units = np.full(len(roles), -1, dtype=np.int64)
    last: tuple[str, str] | None = None  # (role, speaker) of the row before
    open_unit = False  # whether the rows since the last change of speaker have a unit
    n = 0
    for i, (role, text, name) in enumerate(zip(roles, texts, names, strict=True)):
        who = (_name(role), name)
        if who != last or not merge:
            open_unit = False
        last = who
        if who[0] in CODED_ROLES and _name(text).strip():
            if not open_unit:
                n += 1
                open_unit = True
            units[i] = n - 1
    return units


def unit_members(units: np.ndarray) -> list[list[int]]:
    """The row positions of each unit of :func:`coding_units`, in order.

    Examples
    --------
    >>> unit_members(np.array([0, 0, -1, 1]))
    [[0, 1], [3]]
    """
    members: list[list[int]] = [[] for _ in range(int(units.max(initial=-1)) + 1)]
    for i, unit in enumerate(units.tolist()):
        if unit >= 0:
            members[unit].append(i)
    return members

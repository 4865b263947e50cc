"""What the client said next: the client's words after each of the therapist's utterances.

The client's *response* to a therapist utterance is everything the client says after it and
before the therapist speaks again (rows of role ``other`` neither end nor join it). From its
words come five measures:

- ``words``: its length in words (0 when the client says nothing before the therapist
  speaks again);
- ``feeling_words``: emotion words per 100 words (the ``feelings`` kind of
  :data:`attunement.language.mentalizing.MENTAL_STATES`);
- ``first_person_present``: first-person present-tense statements per 100 words
  (:func:`first_person_present`): speaking of oneself now ("I feel", "I'm scared", "I don't
  know") rather than narrating the past;
- ``change_talk``: the share of the response's coded units that the coder calls change talk
  (``client_talk``);
- ``mentalizing``: mental-state words per 100 words
  (:func:`attunement.language.mentalizing.mental_state_counts`).

The rates are NaN for an empty response, the change-talk share for a response without coded
units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attunement.language.function_words import tokenize
from attunement.language.mentalizing import mental_state_counts

__all__ = [
    "COLUMNS",
    "PAST_FORMS",
    "PRESENT_SUBJECTS",
    "client_responses",
    "first_person_present",
    "word_measures",
]

#: The columns of :func:`word_measures`, in order.
COLUMNS = ("words", "feeling_words", "first_person_present", "change_talk", "mentalizing")
#: First-person subjects whose contraction is itself present tense.
PRESENT_SUBJECTS = frozenset({"i'm", "im", "i've", "ive"})


#: Verb forms after "I" that are not the present (past forms and past or hypothetical modals).
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PAST_FORMS = _words(
    """
    was were did didn't didnt had hadn't hadnt would wouldn't could couldn't should shouldn't
    might used went said felt thought knew got made came saw told took left found gave kept
    began became lost meant heard ran sat stood wrote spoke brought bought caught taught fought
    sought held met paid sent spent built fell forgot forgave grew hid hurt let put quit read set
    shut slept woke wore won understood
    """
)
#: Words that may stand between "I" and its verb ("I just feel", "I really don't").
_BETWEEN = _words("just really still also actually always never often sometimes kind sort of")


def first_person_present(tokens: list[str]) -> int:
    """Count first-person present-tense statements in a list of words.

    A statement is ``i'm`` or ``i've``, or ``i`` followed (after at most two words such as
    *just*, *really*, *still*) by a verb that is not a past form or a past or hypothetical
    modal (:data:`PAST_FORMS`, or a word ending in *-ed*): "I feel", "I don't know", "I
    really want". A heuristic: it cannot tell "I hurt" now from "I hurt" then (counted as
    past), and counts "I will" as present.

    Parameters
    ----------
    tokens : list of str
        Lower-case words (:func:`attunement.language.function_words.tokenize`).

    Returns
    -------
    int

    Examples
    --------
    >>> first_person_present(tokenize("I'm tired. I just feel stuck, but I was fine. I walked."))
    2
    """
    n = 0
    for i, word in enumerate(tokens):
        if word in PRESENT_SUBJECTS:
            n += 1
        elif word == "i":
            j = i + 1
            while j < len(tokens) and j - i <= 2 and tokens[j] in _BETWEEN:
                j += 1
            if j < len(tokens):
                verb = tokens[j]
                if verb not in PAST_FORMS and not verb.endswith("ed") and verb != "i":
                    n += 1
    return n


def client_responses(coded: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """The client's response to each therapist unit.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table (``role``, ``text``, ``start_s``,
        ``end_s``; ``unit`` and ``client_talk`` where coded).
    units : pandas.DataFrame
        :func:`attunement.moments.empathic.empathic_moments`' table of the same session
        (``first_row``, ``last_row``).

    Returns
    -------
    pandas.DataFrame
        One row per therapist unit, in its order: ``n_rows`` (client rows in the response),
        ``text`` (their words joined; '' for none), ``start_s`` and ``end_s`` (the first
        row's start and the last row's end, or the next utterance's start where the end is
        missing; NaN without timing), ``n_units`` (coded client units) and ``n_change``
        (those coded change talk).

    Examples
    --------
    >>> coded = pd.DataFrame({"role": ["therapist", "client", "client", "therapist"],
    ...                       "text": ["So?", "Well.", "I want to stop.", "Okay."],
    ...                       "start_s": [0.0, 2.0, 3.0, 6.0], "end_s": [1.0, 2.5, 5.0, 7.0],
    ...                       "unit": [0, 1, 1, 2],
    ...                       "client_talk": [None, "change", "change", None]})
    >>> units = pd.DataFrame({"first_row": [0, 3], "last_row": [0, 3]})
    >>> client_responses(coded, units)[["text", "start_s", "end_s", "n_units"]].values.tolist()
    [['Well. I want to stop.', 2.0, 5.0, 1], ['', nan, nan, 0]]
    """
    role = coded["role"].astype(str).to_numpy()
    text = ["" if pd.isna(t) else str(t) for t in coded["text"].tolist()]
    start = (
        coded["start_s"].to_numpy(dtype=float) if "start_s" in coded else np.full(len(role), np.nan)
    )
    end = coded["end_s"].to_numpy(dtype=float) if "end_s" in coded else np.full(len(role), np.nan)
    unit = (
        pd.to_numeric(coded["unit"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if "unit" in coded
        else np.full(len(role), np.nan)
    )
    talk = (
        coded["client_talk"].astype(object).to_numpy()
        if "client_talk" in coded
        else np.full(len(role), None, dtype=object)
    )
    n = len(role)
    rows = []
    for last in units["last_row"].to_numpy(dtype=int):
        members = []
        j = last + 1
        while j < n and role[j] != "therapist":
            if role[j] == "client":
                members.append(j)
            j += 1
        if not members:
            rows.append(
                {
                    "n_rows": 0,
                    "text": "",
                    "start_s": np.nan,
                    "end_s": np.nan,
                    "n_units": 0,
                    "n_change": 0,
                }
            )
            continue
        stop = end[members[-1]]
        if not np.isfinite(stop) and np.isfinite(start[members[-1]]):
            after = start[members[-1] + 1 :]
            after = after[np.isfinite(after)]
            stop = after[0] if after.size else np.nan
        coded_units = {}
        for k in members:
            if np.isfinite(unit[k]) and unit[k] not in coded_units:
                coded_units[unit[k]] = talk[k]
        rows.append(
            {
                "n_rows": len(members),
                "text": " ".join(text[k] for k in members if text[k].strip()),
                "start_s": float(start[members[0]]),
                "end_s": float(stop),
                "n_units": len(coded_units),
                "n_change": sum(v == "change" for v in coded_units.values() if isinstance(v, str)),
            }
        )
    return pd.DataFrame(rows, columns=["n_rows", "text", "start_s", "end_s", "n_units", "n_change"])


def word_measures(responses: pd.DataFrame) -> pd.DataFrame:
    """The five word measures of each response.

    Parameters
    ----------
    responses : pandas.DataFrame
        :func:`client_responses`' table.

    Returns
    -------
    pandas.DataFrame
        One row per response: ``words``, ``feeling_words``, ``first_person_present``,
        ``change_talk``, ``mentalizing`` (see the module; NaN where undefined).

    Examples
    --------
    >>> r = pd.DataFrame({"text": ["I feel scared because I think he left.", ""],
    ...                   "n_units": [1, 0], "n_change": [0, 0]})
    >>> word_measures(r).round(1).values.tolist()
    [[8.0, 25.0, 25.0, 0.0, 37.5], [0.0, nan, nan, nan, nan]]
    """
    out = []
    for text, n_units, n_change in zip(
        responses["text"], responses["n_units"], responses["n_change"], strict=True
    ):
        counts = mental_state_counts(text)
        n = counts["n_words"]
        per = 100.0 / n if n else np.nan
        out.append(
            {
                "words": float(n),
                "feeling_words": counts["feelings"] * per,
                "first_person_present": first_person_present(tokenize(text)) * per,
                "change_talk": n_change / n_units if n_units else np.nan,
                "mentalizing": counts["mental_states"] * per,
            }
        )
    return pd.DataFrame(out, columns=list(COLUMNS))

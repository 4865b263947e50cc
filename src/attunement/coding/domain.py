"""Whether a session lies within what the coders were trained on.

The utterance coders learned from AnnoMI: English transcripts of motivational-interviewing
demonstration videos. A session far from those -- another language, far longer or shorter
utterances, one person doing nearly all the talking, or utterances the coders are unsure about
-- gets codes that were never checked on anything like it. :func:`domain_check` compares a coded
session with the range of the AnnoMI transcripts on five signals (:data:`SIGNALS`):

- ``english_share``: the share of its words that are common English function words (the words
  :mod:`attunement.coding.apply` uses to warn about a transcript that is not English);
- ``therapist_words_per_unit``, ``client_words_per_unit``: mean words per coded unit of each
  person (see :func:`attunement.coding.uncertainty.coded_units`);
- ``therapist_word_share``: the therapist's share of the therapist's and client's words;
- ``coder_confidence``: the mean, over coded therapist and client units, of the probability of
  the most probable code (therapist behaviour; client talk type).

The reference ranges (:func:`domain_reference`, run once at training time and stored as
``domain.json`` in the coder's folder) are the 2.5th and 97.5th percentiles of each signal over
AnnoMI's transcripts coded by that coder. For language only the lower bound counts (more
English than AnnoMI is no reason for caution).

The coder's confidence is shown beside its AnnoMI range but never flags a session: on AnnoMI,
its own training data, it is optimistic (it has seen those utterances), and measured so it
would flag about half of the real counselling sessions of HLQC-dev on confidence alone. For
the n-gram coder, coders that had not seen the transcript gave a range of 0.50 to 0.66 (median
0.59) where the coder's own gives 0.58 to 0.71; a fair range for the transformer needs its
out-of-fold codes, which were not kept.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attunement.coding.apply import ENGLISH_MIN_WORDS, ENGLISH_WORDS
from attunement.coding.loader import coder_dir
from attunement.coding.uncertainty import coded_units
from attunement.errors import InputError
from attunement.language.function_words import tokenize

__all__ = [
    "DOMAIN_FILE",
    "SIGNALS",
    "domain_block",
    "domain_check",
    "domain_method",
    "domain_path",
    "domain_signals",
    "load_domain_reference",
    "read_domain_reference",
]

#: The reference's file name, in the coder's folder (:func:`attunement.coding.loader.coder_dir`).
DOMAIN_FILE = "domain.json"
FORMAT_VERSION = 1
#: Percentiles of the AnnoMI transcripts stored as the range (low, median, high).
PERCENTILES = (2.5, 50.0, 97.5)

#: Signal -> (plain-language label, which bound counts: 'both', 'low' or 'none' -- shown beside
#: its range, never flagged -- and the definition).
SIGNALS: dict[str, tuple[str, str, str]] = {
    "english_share": (
        "common English function words",
        "low",
        "share of the session's words that are common English function words "
        f"(undefined below {ENGLISH_MIN_WORDS} words)",
    ),
    "therapist_words_per_unit": (
        "therapist words per utterance",
        "both",
        "mean whitespace-separated words per coded therapist unit",
    ),
    "client_words_per_unit": (
        "client words per utterance",
        "both",
        "mean whitespace-separated words per coded client unit",
    ),
    "therapist_word_share": (
        "therapist share of words",
        "both",
        "therapist words / (therapist + client words), all utterances",
    ),
    "coder_confidence": (
        "coder confidence",
        "none",
        "mean over coded therapist and client units of the most probable code's probability "
        "(therapist behaviour; client talk type)",
    ),
}
_THERAPIST_P = ("p_reflection", "p_question", "p_therapist_input", "p_other")
_CLIENT_P = ("p_change", "p_neutral", "p_sustain")
CONFIDENCE_NOTE = (
    "coder_confidence is measured on AnnoMI, the coder's own training data, where it is "
    "optimistic: on sessions the coder has not seen, its confidence runs lower"
)


def _words(texts: pd.Series) -> np.ndarray:
    return np.array([0 if pd.isna(t) else len(str(t).split()) for t in texts.tolist()], dtype=float)


def domain_signals(coded: pd.DataFrame) -> dict[str, float]:
    """The signals of :data:`SIGNALS` of a coded session.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table: ``role``, ``text``, the codes and
        their probabilities (``unit``, where present, groups rows into units).

    Returns
    -------
    dict
        Signal name -> float; NaN where undefined (no coded unit of a person, no words, no
        probabilities, fewer than 30 words for the language signal).

    Raises
    ------
    InputError
        When ``coded`` is not a code table with ``role`` and ``text``.

    Examples
    --------
    >>> coded = pd.DataFrame({"role": ["therapist", "client"],
    ...                       "text": ["What brings you here today?", "My drinking."],
    ...                       "mi_behaviour": ["question", None], "p_question": [0.9, None],
    ...                       "reflection_type": [None, None], "question_type": ["open", None],
    ...                       "client_talk": [None, "neutral"], "p_neutral": [None, 0.7]})
    >>> found = domain_signals(coded)
    >>> found["therapist_words_per_unit"], found["therapist_word_share"]
    (5.0, 0.7142857142857143)
    >>> round(found["coder_confidence"], 2), math.isnan(found["english_share"])
    (0.8, True)
    """
    units = coded_units(coded)  # checks the code columns
    missing = [c for c in ("role", "text") if c not in coded.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(missing)}; expected code_utterances' table", field="coded"
        )
    texts = coded["text"]
    roles = coded["role"].astype(str).to_numpy()
    words = [w for t in texts.tolist() if not pd.isna(t) for w in tokenize(str(t))]
    english = (
        sum(w in ENGLISH_WORDS for w in words) / len(words)
        if len(words) >= ENGLISH_MIN_WORDS
        else math.nan
    )
    counts = _words(texts)
    spoken = {r: float(counts[roles == r].sum()) for r in ("therapist", "client")}
    total = spoken["therapist"] + spoken["client"]

    def per_unit(stratum: str) -> float:
        part = units[units["stratum"] == stratum]
        return float(part["n_words"].mean()) if len(part) else math.nan

    tops = []
    for stratum, columns in (("therapist", _THERAPIST_P), ("client", _CLIENT_P)):
        present = [c for c in columns if c in units.columns]
        part = units.loc[units["stratum"] == stratum, present].apply(pd.to_numeric, errors="coerce")
        if present and len(part):
            top = part.max(axis=1, skipna=True).to_numpy(dtype=float)
            tops.append(top[np.isfinite(top)])
    tops_all = np.concatenate(tops) if tops else np.array([])
    return {
        "english_share": float(english),
        "therapist_words_per_unit": per_unit("therapist"),
        "client_words_per_unit": per_unit("client"),
        "therapist_word_share": spoken["therapist"] / total if total else math.nan,
        "coder_confidence": float(tops_all.mean()) if tops_all.size else math.nan,
    }


def domain_check(coded: pd.DataFrame, reference: Mapping[str, Any] | None) -> pd.DataFrame:
    """Each signal of a coded session beside the coders' training range.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table.
    reference : mapping or None
        A reference as :func:`domain_reference` makes it (``signals``: name -> ``low``,
        ``median``, ``high``), e.g. :func:`load_domain_reference`; None where the coder has
        none (every ``inside`` is then missing).

    Returns
    -------
    pandas.DataFrame
        One row per signal of :data:`SIGNALS`, with columns ``signal``, ``label``, ``value``
        (:func:`domain_signals`), ``median``, ``low`` and ``high`` (the 2.5th, 50th and 97.5th
        percentiles over the training transcripts; NaN without a reference), ``checks``
        ('both' bounds, 'low' only, or 'none': shown, never flagged) and ``inside``
        (pandas ``boolean``: False when the value is beyond a bound that counts; ``<NA>``
        when the value or the reference is missing, or no bound counts).

    Raises
    ------
    InputError
        When ``coded`` is not a code table, or ``reference`` has no ``signals`` mapping.

    Examples
    --------
    >>> coded = pd.DataFrame({"role": ["therapist", "client"],
    ...                       "text": [" ".join(["word"] * 80), "Yes."],
    ...                       "mi_behaviour": ["other", None], "p_other": [0.9, None],
    ...                       "reflection_type": [None, None], "question_type": [None, None],
    ...                       "client_talk": [None, "neutral"], "p_neutral": [None, 0.8]})
    >>> reference = {"signals": {"therapist_words_per_unit":
    ...                          {"low": 4.0, "median": 12.0, "high": 30.0}}}
    >>> table = domain_check(coded, reference).set_index("signal")
    >>> bool(table.loc["therapist_words_per_unit", "inside"])
    False
    >>> table.loc["client_words_per_unit", "inside"] is pd.NA
    True
    """
    values = domain_signals(coded)
    if reference is None:
        ranges: Mapping[str, Any] = {}
    else:
        ranges = reference.get("signals") if isinstance(reference, Mapping) else None
        if not isinstance(ranges, Mapping):
            raise InputError(
                "has no 'signals' mapping; expected a domain reference (domain_reference)",
                field="reference",
            )
    rows = []
    for name, (label, checks, _) in SIGNALS.items():
        bounds = ranges.get(name) or {}
        low, median, high = (_number(bounds.get(k)) for k in ("low", "median", "high"))
        value = values[name]
        if (
            checks == "none"
            or math.isnan(value)
            or math.isnan(low)
            or (checks == "both" and math.isnan(high))
        ):
            inside: Any = pd.NA
        else:
            inside = bool(value >= low and (checks == "low" or value <= high))
        rows.append(
            {
                "signal": name,
                "label": label,
                "value": value,
                "median": median,
                "low": low,
                "high": high,
                "checks": checks,
                "inside": inside,
            }
        )
    table = pd.DataFrame(rows)
    table["inside"] = table["inside"].astype("boolean")
    return table


def _number(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def domain_block(table: pd.DataFrame, reference: Mapping[str, Any] | None) -> dict[str, Any]:
    """results.json's ``domain`` block from :func:`domain_check`'s table.

    Returns
    -------
    dict
        ``available`` (a reference was found), ``inside`` (True: every measured signal within
        its range; False: at least one outside; None: not available or nothing measured),
        ``outside`` (the signals outside), ``reference`` (what the ranges come from, or why
        there are none) and ``signals``: name -> ``value``, ``median``, ``low``, ``high``,
        ``checks``, ``inside`` (None where missing).

    Examples
    --------
    >>> table = pd.DataFrame({"signal": ["coder_confidence"], "label": ["coder confidence"],
    ...     "value": [0.5], "median": [0.8], "low": [0.7], "high": [0.9], "checks": ["low"],
    ...     "inside": pd.array([False], dtype="boolean")})
    >>> block = domain_block(table, {"data": "AnnoMI", "n_transcripts": 133, "signals": {}})
    >>> block["available"], block["inside"], block["outside"]
    (True, False, ['coder_confidence'])
    """
    signals = {}
    for row in table.to_dict("records"):
        signals[row["signal"]] = {
            k: (None if pd.isna(row[k]) else (bool(row[k]) if k == "inside" else row[k]))
            for k in ("value", "median", "low", "high", "checks", "inside")
        }
    measured = [s for s, v in signals.items() if v["inside"] is not None]
    outside = [s for s in measured if not signals[s]["inside"]]
    if reference is None:
        about = "not available: the coder has no reference ranges (domain.json)"
    else:
        about = (
            f"{reference.get('data', 'the training data')}: 2.5th to 97.5th percentile over "
            f"{reference.get('n_transcripts', '?')} transcripts coded by the "
            f"{reference.get('coder', 'same')} coder"
        )
    return {
        "available": reference is not None,
        "inside": None if reference is None or not measured else not outside,
        "outside": outside,
        "reference": about,
        "signals": signals,
    }


def domain_method(reference: Mapping[str, Any] | None) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`domain_check` with this reference.

    Examples
    --------
    >>> m = domain_method({"n_transcripts": 133, "coder": "transformer", "signals": {}})
    >>> "133 AnnoMI transcripts" in m["description"]
    True
    >>> "not available" in domain_method(None)["description"]
    True
    """
    if reference is None:
        description = (
            "Whether the session lies within what the coders were trained on is not "
            "available: the coder has no reference ranges (domain.json beside it)."
        )
    else:
        description = (
            "The session was compared with the range (2.5th to 97.5th percentile) of the "
            f"{reference.get('n_transcripts', '?')} AnnoMI transcripts coded by the same coder "
            "on five signals: the share of common English function words, the therapist's and "
            "the client's mean words per coded utterance, the therapist's share of the words, "
            "and the coder's confidence (the mean probability of the most probable code); for "
            "language only the lower bound counts. The confidence is shown beside its range "
            "but flags nothing: measured on the coder's own training data, that range is "
            "optimistic."
        )
    return {
        "name": "coder_domain",
        "description": description,
        "parameters": {
            "percentiles": list(PERCENTILES),
            "signals": list(SIGNALS),
            "n_transcripts": None if reference is None else reference.get("n_transcripts"),
        },
        "citation": (
            "Wu et al., Creation, Analysis and Evaluation of AnnoMI, a Dataset of "
            "Expert-Annotated Counselling Dialogues, Future Internet 15(3):110, 2023"
        )
        if reference is not None
        else None,
    }


# --- the stored reference -------------------------------------------------------------------


def domain_path(coder: str | Path | None = None) -> Path:
    """Where a coder's reference ranges are: ``domain.json`` in its folder (see
    :func:`attunement.coding.resolve_coder` for ``coder``)."""
    return coder_dir(coder) / DOMAIN_FILE


def read_domain_reference(path: str | Path) -> dict[str, Any]:
    """Read a ``domain.json`` (or a folder holding one).

    Raises
    ------
    InputError
        When the file is missing, not JSON, or not a reference of this format.
    """
    path = Path(path)
    if path.is_dir():
        path = path / DOMAIN_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            "was not found; expected a coder's domain reference", path=str(path)
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"could not be read as JSON ({exc}); expected a coder's domain reference",
            path=str(path),
        ) from None
    if not isinstance(document, dict) or document.get("format_version") != FORMAT_VERSION:
        found = document.get("format_version") if isinstance(document, dict) else None
        raise InputError(f"has format_version {found}; expected {FORMAT_VERSION}", path=str(path))
    if not isinstance(document.get("signals"), dict):
        raise InputError("has no 'signals' mapping; expected signal ranges", path=str(path))
    return document


def load_domain_reference(coder: str | Path | None = None) -> dict[str, Any] | None:
    """A coder's reference ranges (:func:`domain_path`), or None where it has none; read once
    per process for each file (a batch of sessions reads it once, as it does the models).

    Raises
    ------
    InputError
        When the file is there but not a valid reference.

    Examples
    --------
    >>> sorted(load_domain_reference("transformer")["signals"]) == sorted(SIGNALS)
    True
    """
    path = domain_path(coder)
    return _cached_reference(str(path.resolve())) if path.is_file() else None


@functools.cache
def _cached_reference(path: str) -> dict[str, Any]:
    return read_domain_reference(path)

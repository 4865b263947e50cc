"""Validating and scoring one person's answers to a questionnaire.

:func:`score_responses` takes the answers as they arrive (from an HTML form every value is text,
``"2"``; from JSON or Python they may be numbers), checks each against its item and returns a
:class:`ScoredResponse`: the answers as typed values, the total and its band when the
questionnaire is scored, and every flag the answers raise.

Rules:

* An answer that is None, empty or only white space counts as not given.
* Choice and scale answers are whole numbers (``2``, ``"2"``, ``" 2 "`` and ``2.0`` are all 2);
  a choice answer must be one of the option values, a scale answer within min..max.
* Text answers: line breaks are normalised to ``\\n``, control characters other than line breaks
  and tabs are removed, the text is NFC-normalised and stripped, and must then be at most the
  item's ``max_length`` characters.
* Every required item needs an answer; an item with ``ask_if`` is required only when its
  condition holds (an answer given anyway is kept).
* The total is the sum of the scored items when all of them are answered, otherwise None (no
  prorating); the band is the one holding the total.
* A flag is raised when its item's answer is greater than the flag's ``above``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from attunement.errors import InputError
from attunement.ratings.questionnaire import Item, Questionnaire

__all__ = ["RaisedFlag", "ScoredResponse", "clean_text", "score_responses"]

_INTEGER = re.compile(r"[+-]?\d{1,9}")
_KEEP_CONTROLS = frozenset("\n\t")


@dataclass(frozen=True, slots=True)
class RaisedFlag:
    """A flag the answers raised: the ``item``, the ``answer`` given and the ``message``."""

    item: str
    answer: int
    message: str


@dataclass(frozen=True, slots=True)
class ScoredResponse:
    """One validated, scored set of answers.

    Parameters
    ----------
    questionnaire : str
        The questionnaire's id.
    version : str
        The questionnaire's version.
    respondent : {'client', 'therapist'}
    answers : mapping of str to int or str
        The answered items only, in the questionnaire's order: whole numbers for choice and scale
        items, cleaned text for text items.
    total : int or None
        The sum of the scored items; None when the questionnaire has no scoring or a scored item
        is unanswered.
    band : str or None
        The label of the band holding ``total`` (None without a total or without bands).
    total_range : tuple of (int, int) or None
        The lowest and highest possible total; None without scoring.
    flags : tuple of RaisedFlag
        In the order the questionnaire lists its flags.
    unanswered : tuple of str
        Items that were asked but left empty (all optional).
    """

    questionnaire: str
    version: str
    respondent: str
    answers: Mapping[str, int | str] = field(default_factory=dict)
    total: int | None = None
    band: str | None = None
    total_range: tuple[int, int] | None = None
    flags: tuple[RaisedFlag, ...] = ()
    unanswered: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", MappingProxyType(dict(self.answers)))

    def __reduce__(self):  # read-only mappings do not pickle; worker processes need pickling
        return (
            ScoredResponse,
            (
                self.questionnaire,
                self.version,
                self.respondent,
                dict(self.answers),
                self.total,
                self.band,
                self.total_range,
                self.flags,
                self.unanswered,
            ),
        )

    @property
    def ratings(self) -> dict[str, int]:
        """The numeric answers (choice and scale items), by item id."""
        return {k: v for k, v in self.answers.items() if isinstance(v, int)}

    @property
    def texts(self) -> dict[str, str]:
        """The free-text answers, by item id."""
        return {k: v for k, v in self.answers.items() if isinstance(v, str)}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (plain dicts, lists, numbers, text and None).

        Examples
        --------
        >>> ScoredResponse("x", "1", "client", {"a": 2}).to_dict()["answers"]
        {'a': 2}
        """
        return {
            "questionnaire": self.questionnaire,
            "version": self.version,
            "respondent": self.respondent,
            "answers": dict(self.answers),
            "total": self.total,
            "band": self.band,
            "total_range": None if self.total_range is None else list(self.total_range),
            "flags": [
                {"item": f.item, "answer": f.answer, "message": f.message} for f in self.flags
            ],
            "unanswered": list(self.unanswered),
        }


def clean_text(text: str) -> str:
    """Normalise free text: line breaks to ``\\n``, control characters removed, NFC, stripped.

    Examples
    --------
    >>> clean_text("  It helped.\\r\\nThank you\\x00!\\x1b  ")
    'It helped.\\nThank you!'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in _KEEP_CONTROLS or unicodedata.category(ch) != "Cc")
    return unicodedata.normalize("NFC", text).strip()


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(item: Item, raw: Any) -> int:
    if item.kind == "choice":
        expected = "one of " + ", ".join(f"{o.value} ({o.label})" for o in item.options)
    else:
        expected = (
            f"a whole number from {item.min} ({item.min_label}) to {item.max} ({item.max_label})"
        )
    value: int | None = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        value = int(raw.strip())
    if value is None or value not in item.values:
        raise InputError(f"is {_shown(raw)}; expected {expected}", field=item.id)
    return value


def _text(item: Item, raw: Any) -> str:
    if not isinstance(raw, str):
        raise InputError(f"is {_shown(raw)}; expected text", field=item.id)
    text = clean_text(raw)
    if len(text) > item.max_length:
        raise InputError(
            f"is {len(text)} characters long; expected at most {item.max_length}", field=item.id
        )
    return text


def score_responses(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> ScoredResponse:
    """Validate one person's answers and score them.

    Parameters
    ----------
    questionnaire : Questionnaire
    answers : mapping of str to Any
        Item id -> answer, e.g. an HTML form's fields (``{"item1": "2", ...}``). Every key must
        be an item id; optional items may be left out or empty.

    Returns
    -------
    ScoredResponse

    Raises
    ------
    InputError
        ``field`` is the item id: an unknown item, an answer that is not an option or out of
        range, a text too long or not text, or required items left unanswered (the message lists
        all of them; ``field`` names the first).

    Examples
    --------
    >>> from attunement.ratings import builtin_questionnaires
    >>> phq9 = builtin_questionnaires()["phq9"]
    >>> r = score_responses(phq9, {f"item{i}": "1" for i in range(1, 10)} | {"difficulty": "1"})
    >>> r.total, r.band, [f.item for f in r.flags]
    (9, 'mild', ['item9'])
    """
    if not isinstance(answers, Mapping):
        raise InputError(
            f"answers are {type(answers).__name__}; expected a mapping of item id to answer"
        )
    known = set(questionnaire.item_ids)
    for key in answers:
        if key not in known:
            raise InputError(
                f"is not an item of {questionnaire.id}; expected one of "
                f"{', '.join(questionnaire.item_ids)}",
                field=str(key),
            )
    values: dict[str, int | str] = {}
    missing: list[str] = []
    unanswered: list[str] = []
    for item in questionnaire.items:
        raw = answers.get(item.id)
        if isinstance(raw, list | tuple):
            if len(raw) > 1:
                raise InputError(f"has {len(raw)} answers; expected one", field=item.id)
            raw = raw[0] if raw else None
        value: int | str | None = None
        if not _is_blank(raw):
            value = _number(item, raw) if item.numeric else _text(item, raw)
            if value == "":
                value = None
        if value is not None:
            values[item.id] = value
            continue
        asked = item.ask_if is None or item.ask_if.holds(values)
        if item.required and asked:
            missing.append(item.id)
        elif asked:
            unanswered.append(item.id)
    if missing:
        raise InputError(
            f"{'is' if len(missing) == 1 else 'are'} not answered; expected an answer to every "
            f"required item of {questionnaire.id} (missing: {', '.join(missing)})",
            field=missing[0],
        )
    total = band = total_range = None
    scoring = questionnaire.scoring
    if scoring is not None:
        total_range = (scoring.minimum, scoring.maximum)
        if all(i in values for i in scoring.items):
            total = sum(int(values[i]) for i in scoring.items)
            band = scoring.band_for(total)
    flags = tuple(
        RaisedFlag(f.item, int(values[f.item]), f.message)
        for f in questionnaire.flags
        if f.item in values and int(values[f.item]) > f.above
    )
    return ScoredResponse(
        questionnaire=questionnaire.id,
        version=questionnaire.version,
        respondent=questionnaire.respondent,
        answers=values,
        total=total,
        band=band,
        total_range=total_range,
        flags=flags,
        unanswered=tuple(unanswered),
    )

"""What a questionnaire is once read: its items, options, scoring bands and flags (frozen), and
the limits every definition keeps (:mod:`attunement.ratings.questionnaire` reads the files)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from attunement.errors import InputError

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "ID",
    "ID_WHAT",
    "ITEM_KINDS",
    "MAX_TEXT_LIMIT",
    "RESPONDENTS",
    "Band",
    "Condition",
    "Flag",
    "Item",
    "Option",
    "Questionnaire",
    "Scoring",
]

ItemKind = Literal["choice", "scale", "text"]
Respondent = Literal["client", "therapist"]

#: The kinds of item a questionnaire may hold.
ITEM_KINDS: tuple[str, ...] = ("choice", "scale", "text")
#: Who fills in a questionnaire.
RESPONDENTS: tuple[str, ...] = ("client", "therapist")
#: Longest free-text answer (characters) when a text item gives no ``max_length``.
DEFAULT_MAX_LENGTH = 2000
#: Largest ``max_length`` a text item may ask for.
MAX_TEXT_LIMIT = 100_000
ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
ID_WHAT = "an identifier-safe id: a lower-case letter, then lower-case letters, digits or _"


@dataclass(frozen=True, slots=True)
class Option:
    """One response anchor of a choice item: the stored ``value`` and the ``label`` shown."""

    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Condition:
    """When an item is asked: if any item of ``any_of`` was answered ``at_least`` or more.

    Examples
    --------
    >>> Condition(("a", "b"), 1).holds({"a": 0, "b": 2})
    True
    >>> Condition(("a", "b"), 1).holds({"a": 0})
    False
    """

    any_of: tuple[str, ...]
    at_least: int

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether the condition holds for validated numeric answers (missing ones do not count)."""
        return any(
            isinstance(values.get(i), int) and values[i] >= self.at_least for i in self.any_of
        )


@dataclass(frozen=True, slots=True)
class Item:
    """One question.

    Parameters
    ----------
    id : str
        Identifier-safe (lower-case letters, digits, ``_``); unique within the questionnaire.
    text : str
        The question or statement, as shown.
    kind : {'choice', 'scale', 'text'}
    required : bool
        Whether an answer is needed (for an item with ``ask_if``: needed when it is asked).
    options : tuple of Option
        ``choice`` only: the response anchors in the order shown.
    min, max : int or None
        ``scale`` only: the lowest and highest whole number.
    min_label, max_label : str or None
        ``scale`` only: what the ends of the scale mean.
    max_length : int or None
        ``text`` only: the longest answer, in characters.
    ask_if : Condition or None
        Ask the item only when the condition holds (e.g. PHQ-9's difficulty question).
    """

    id: str
    text: str
    kind: ItemKind
    required: bool
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    min_label: str | None = None
    max_label: str | None = None
    max_length: int | None = None
    ask_if: Condition | None = None

    @property
    def numeric(self) -> bool:
        """True for choice and scale items (their answers are whole numbers)."""
        return self.kind in ("choice", "scale")

    @property
    def values(self) -> tuple[int, ...]:
        """Every allowed answer of a choice or scale item, in order; empty for text items."""
        if self.kind == "choice":
            return tuple(o.value for o in self.options)
        if self.kind == "scale":
            return tuple(range(self.min, self.max + 1))
        return ()

    @property
    def lowest(self) -> int | None:
        """The smallest allowed answer (None for text items)."""
        return min(self.values) if self.numeric else None

    @property
    def highest(self) -> int | None:
        """The largest allowed answer (None for text items)."""
        return max(self.values) if self.numeric else None

    def label_for(self, value: int) -> str | None:
        """The label of a choice value, or the end label of a scale end; otherwise None."""
        if self.kind == "choice":
            return next((o.label for o in self.options if o.value == value), None)
        if self.kind == "scale":
            if value == self.min:
                return self.min_label
            if value == self.max:
                return self.max_label
        return None


@dataclass(frozen=True, slots=True)
class Band:
    """A range of totals, ``min`` to ``max`` inclusive, with its severity ``label``."""

    min: int
    max: int
    label: str


@dataclass(frozen=True, slots=True)
class Scoring:
    """How the total is computed: the ``method`` (only ``"sum"``) of ``items``.

    ``minimum`` and ``maximum`` are the lowest and highest possible totals; ``bands`` (ascending,
    possibly empty) cover every total from ``minimum`` to ``maximum`` exactly once.
    """

    method: Literal["sum"]
    items: tuple[str, ...]
    minimum: int
    maximum: int
    bands: tuple[Band, ...] = ()

    def band_for(self, total: int) -> str | None:
        """The label of the band holding ``total``, or None without bands or out of range.

        Examples
        --------
        >>> Scoring("sum", ("a",), 0, 3, (Band(0, 1, "low"), Band(2, 3, "high"))).band_for(2)
        'high'
        """
        return next((b.label for b in self.bands if b.min <= total <= b.max), None)


@dataclass(frozen=True, slots=True)
class Flag:
    """A warning raised when item ``item`` is answered with a value greater than ``above``."""

    item: str
    above: int
    message: str


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A validated questionnaire definition (read one with :func:`load_questionnaire`).

    Parameters
    ----------
    id : str
        Identifier-safe, unique among the questionnaires in use.
    title, version : str
    respondent : {'client', 'therapist'}
    instructions : str
        Shown above the items.
    attribution : str
        Shown under the form, always.
    license : str
        The terms under which the instrument is used.
    items : tuple of Item
    time_frame : str or None
        The period the answers refer to (``"Over the last 2 weeks"``).
    scoring : Scoring or None
    flags : tuple of Flag
    source : str or None
        The file the definition was read from.
    """

    id: str
    title: str
    version: str
    respondent: Respondent
    instructions: str
    attribution: str
    license: str
    items: tuple[Item, ...]
    time_frame: str | None = None
    scoring: Scoring | None = None
    flags: tuple[Flag, ...] = ()
    source: str | None = None

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The item ids in the order shown."""
        return tuple(i.id for i in self.items)

    def item(self, item_id: str) -> Item:
        """The item with id ``item_id``.

        Raises
        ------
        InputError
            No such item; the message lists the ids there are.
        """
        for it in self.items:
            if it.id == item_id:
                return it
        raise InputError(
            f"is not an item of {self.id}; expected one of {', '.join(self.item_ids)}",
            field=item_id,
        )

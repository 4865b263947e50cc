"""Questionnaire definitions: the TOML format, its validation and the shipped instruments.

A questionnaire is a TOML file (the format is described in ``docs/questionnaires.md``): a few
top-level keys (``id``, ``title``, ``version``, ``respondent``, ``instructions``,
``attribution``, ``license``, optional ``time_frame``), optional named ``option_sets``, a list
of ``[[items]]`` of kind ``choice``, ``scale`` or ``text``, an optional ``[scoring]`` table
(a sum of items with severity ``bands``) and optional ``[[flags]]`` (an answer above a threshold
that the therapist must see).

Everything is validated when the file is read, so a :class:`Questionnaire` is always usable: ids
are identifier-safe and unique, choice items have at least two distinct options, scale items
have ``min < max``, scored items are numeric, bands cover every possible total exactly once, and
flags can be raised by some answers but not by all.

Definitions shipped with attunement (:func:`builtin_questionnaires`): ``phq9`` and ``gad7``
(public-domain screeners, with their attribution), ``client_session`` and
``therapist_reflection`` (written for attunement). Licensed instruments are not shipped; a user
who holds a licence puts their own definition in a folder read by :func:`load_questionnaires`.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from attunement.errors import InputError
from attunement.io._common import parse_toml, read_bytes

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "ITEM_KINDS",
    "RESPONDENTS",
    "Band",
    "Condition",
    "Flag",
    "Item",
    "Option",
    "Questionnaire",
    "Scoring",
    "available_questionnaires",
    "builtin_questionnaires",
    "load_questionnaire",
    "load_questionnaires",
    "parse_questionnaire",
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
_MAX_TEXT_LIMIT = 100_000
#: Largest definition file read (bytes).
_MAX_FILE_BYTES = 1024 * 1024
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ID_WHAT = "an identifier-safe id: a lower-case letter, then lower-case letters, digits or _"


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


# --- parsing -------------------------------------------------------------------------------------

_TOP_KEYS = {
    "id",
    "title",
    "version",
    "respondent",
    "instructions",
    "attribution",
    "license",
    "time_frame",
    "option_sets",
    "items",
    "scoring",
    "flags",
}
_ITEM_KEYS = {
    "id",
    "text",
    "kind",
    "required",
    "options",
    "min",
    "max",
    "min_label",
    "max_label",
    "max_length",
    "ask_if",
}
_KIND_KEYS = {
    "choice": {"options"},
    "scale": {"min", "max", "min_label", "max_label"},
    "text": {"max_length"},
}
_SCORING_KEYS = {"method", "items", "bands"}
_BAND_KEYS = {"min", "max", "label"}
_FLAG_KEYS = {"item", "above", "message"}
_OPTION_KEYS = {"value", "label"}
_CONDITION_KEYS = {"any_of", "at_least"}


def _describe(value: Any) -> str:
    if value is None:
        return "missing"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = {
        bool: "true/false",
        int: "a whole number",
        float: "a decimal number",
        str: "text",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    return f"{kind} {text}" if not isinstance(value, dict) else "a table"


class _Parser:
    """Validates one parsed TOML document; every error names ``source`` and the field."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, field: str, message: str) -> InputError:
        return InputError(message, path=self.source, field=field)

    def keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = [k for k in table if k not in allowed]
        if unknown:
            field = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.fail(
                field, f"is not a known key; expected one of {', '.join(sorted(allowed))}"
            )

    def text(self, table: dict[str, Any], key: str, where: str, *, required: bool = True) -> Any:
        field = f"{where}.{key}" if where else key
        if key not in table:
            if required:
                raise self.fail(field, "is missing; expected non-empty text")
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"is {_describe(value)}; expected non-empty text")
        return value.strip()

    def integer(self, table: dict[str, Any], key: str, where: str, what: str) -> int:
        field = f"{where}.{key}" if where else key
        if key not in table:
            raise self.fail(field, f"is missing; expected {what}")
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"is {_describe(value)}; expected {what}")
        return value

    def table(self, value: Any, field: str, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, f"is {_describe(value)}; expected {what}")
        return value

    def array(self, value: Any, field: str, what: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(field, f"is {_describe(value)}; expected {what}")
        return value

    def ident(self, table: dict[str, Any], key: str, where: str) -> str:
        field = f"{where}.{key}" if where else key
        if key not in table:
            raise self.fail(field, f"is missing; expected {_ID_WHAT}")
        value = table[key]
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise self.fail(field, f"is {_describe(value)}; expected {_ID_WHAT} (at most 64)")
        return value

    # -- the document --------------------------------------------------------------------------

    def questionnaire(self, doc: dict[str, Any]) -> Questionnaire:
        self.keys(doc, _TOP_KEYS, "")
        qid = self.ident(doc, "id", "")
        version = doc.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str) or not version.strip():
            raise self.fail(
                "version",
                'is missing; expected text such as "1.0"'
                if "version" not in doc
                else f'is {_describe(version)}; expected text such as "1.0"',
            )
        respondent = self.text(doc, "respondent", "")
        if respondent not in RESPONDENTS:
            raise self.fail(
                "respondent", f"is {respondent!r}; expected one of {', '.join(RESPONDENTS)}"
            )
        option_sets = self.option_sets(doc.get("option_sets", {}))
        if "items" not in doc:
            raise self.fail("items", "is missing; expected at least one [[items]] table")
        raw_items = self.array(doc["items"], "items", "a list of [[items]] tables")
        if not raw_items:
            raise self.fail("items", "is empty; expected at least one [[items]] table")
        items: list[Item] = []
        seen: dict[str, int] = {}
        for i, raw in enumerate(raw_items):
            item = self.item(raw, f"items[{i}]", option_sets, items)
            if item.id in seen:
                raise self.fail(
                    f"items[{i}].id",
                    f"{item.id!r} is used twice (also by items[{seen[item.id]}]); "
                    "expected unique item ids",
                )
            seen[item.id] = i
            items.append(item)
        by_id = {it.id: it for it in items}
        scoring = None
        if "scoring" in doc:
            scoring = self.scoring(
                self.table(doc["scoring"], "scoring", "a [scoring] table"), items, by_id
            )
        flags = tuple(
            self.flag(raw, f"flags[{i}]", by_id)
            for i, raw in enumerate(
                self.array(doc.get("flags", []), "flags", "a list of [[flags]] tables")
            )
        )
        return Questionnaire(
            id=qid,
            title=self.text(doc, "title", ""),
            version=version.strip(),
            respondent=respondent,
            instructions=self.text(doc, "instructions", ""),
            attribution=self.text(doc, "attribution", ""),
            license=self.text(doc, "license", ""),
            items=tuple(items),
            time_frame=self.text(doc, "time_frame", "", required=False),
            scoring=scoring,
            flags=flags,
            source=self.source,
        )

    def option_sets(self, raw: Any) -> dict[str, tuple[Option, ...]]:
        table = self.table(raw, "option_sets", "an [option_sets] table of named option lists")
        out = {}
        for name, options in table.items():
            if not _ID.fullmatch(name):
                raise self.fail(f"option_sets.{name}", f"is not a valid name; expected {_ID_WHAT}")
            out[name] = self.options(options, f"option_sets.{name}")
        return out

    def options(self, raw: Any, where: str) -> tuple[Option, ...]:
        what = "a list of at least two {value = <whole number>, label = <text>} options"
        entries = self.array(raw, where, what)
        if len(entries) < 2:
            found = "empty" if not entries else "a single option"
            raise self.fail(where, f"is {found}; expected {what}")
        options: list[Option] = []
        for j, entry in enumerate(entries):
            field = f"{where}[{j}]"
            entry = self.table(entry, field, "a {value, label} table")
            self.keys(entry, _OPTION_KEYS, field)
            value = self.integer(entry, "value", field, "a whole number")
            label = self.text(entry, "label", field)
            for k, other in enumerate(options):
                if other.value == value:
                    raise self.fail(
                        f"{field}.value",
                        f"{value} is used twice (also by {where}[{k}]); expected distinct values",
                    )
                if other.label == label:
                    raise self.fail(
                        f"{field}.label",
                        f"{label!r} is used twice (also by {where}[{k}]); expected distinct labels",
                    )
            options.append(Option(value, label))
        return tuple(options)

    def item(
        self,
        raw: Any,
        where: str,
        option_sets: Mapping[str, tuple[Option, ...]],
        earlier: list[Item],
    ) -> Item:
        raw = self.table(raw, where, "an [[items]] table")
        self.keys(raw, _ITEM_KEYS, where)
        item_id = self.ident(raw, "id", where)
        text = self.text(raw, "text", where)
        kind = raw.get("kind")
        if kind not in ITEM_KINDS:
            found = "missing" if "kind" not in raw else f"{_describe(kind)}"
            raise self.fail(f"{where}.kind", f"is {found}; expected one of {', '.join(ITEM_KINDS)}")
        for other_kind, keys in _KIND_KEYS.items():
            if other_kind != kind:
                stray = sorted(keys & set(raw))
                if stray:
                    raise self.fail(
                        f"{where}.{stray[0]}",
                        f"belongs to {other_kind} items; this item is of kind {kind!r}",
                    )
        required = raw.get("required", True)
        if not isinstance(required, bool):
            raise self.fail(
                f"{where}.required", f"is {_describe(required)}; expected true or false"
            )
        fields: dict[str, Any] = {}
        if kind == "choice":
            if "options" not in raw:
                raise self.fail(
                    f"{where}.options",
                    "is missing; expected a list of {value, label} options or the name of an "
                    "option set",
                )
            options = raw["options"]
            if isinstance(options, str):
                if options not in option_sets:
                    known = ", ".join(option_sets) or "none are defined"
                    raise self.fail(
                        f"{where}.options",
                        f"names the option set {options!r}, which does not exist; expected one "
                        f"of the [option_sets] ({known})",
                    )
                fields["options"] = option_sets[options]
            else:
                fields["options"] = self.options(options, f"{where}.options")
        elif kind == "scale":
            lo = self.integer(raw, "min", where, "a whole number")
            hi = self.integer(raw, "max", where, "a whole number")
            if hi <= lo:
                raise self.fail(f"{where}.max", f"is {hi}; expected a number above min ({lo})")
            if hi - lo > 1000:
                raise self.fail(f"{where}.max", f"gives {hi - lo + 1} steps; expected at most 1001")
            fields.update(
                min=lo,
                max=hi,
                min_label=self.text(raw, "min_label", where),
                max_label=self.text(raw, "max_label", where),
            )
        else:
            limit = DEFAULT_MAX_LENGTH
            if "max_length" in raw:
                limit = self.integer(raw, "max_length", where, "a whole number of characters")
                if not 1 <= limit <= _MAX_TEXT_LIMIT:
                    raise self.fail(
                        f"{where}.max_length",
                        f"is {limit}; expected 1 to {_MAX_TEXT_LIMIT} characters",
                    )
            fields["max_length"] = limit
        if "ask_if" in raw:
            fields["ask_if"] = self.condition(raw["ask_if"], f"{where}.ask_if", earlier)
        return Item(id=item_id, text=text, kind=kind, required=required, **fields)

    def condition(self, raw: Any, where: str, earlier: list[Item]) -> Condition:
        raw = self.table(raw, where, "a table {any_of = [item ids], at_least = <number>}")
        self.keys(raw, _CONDITION_KEYS, where)
        ids = self.array(raw.get("any_of"), f"{where}.any_of", "a list of earlier item ids")
        if not ids:
            raise self.fail(f"{where}.any_of", "is missing or empty; expected earlier item ids")
        numeric = {it.id for it in earlier if it.numeric}
        for j, ref in enumerate(ids):
            if not isinstance(ref, str) or ref not in numeric:
                raise self.fail(
                    f"{where}.any_of[{j}]",
                    f"is {_describe(ref)}; expected the id of an earlier choice or scale item "
                    f"({', '.join(sorted(numeric)) or 'there is none'})",
                )
        at_least = self.integer(raw, "at_least", where, "a whole number")
        return Condition(tuple(ids), at_least)

    def scoring(self, raw: dict[str, Any], items: list[Item], by_id: Mapping[str, Item]) -> Scoring:
        self.keys(raw, _SCORING_KEYS, "scoring")
        method = raw.get("method", "sum")
        if method != "sum":
            raise self.fail("scoring.method", f"is {_describe(method)}; expected 'sum'")
        if "items" in raw:
            ids = self.array(raw["items"], "scoring.items", "a list of item ids")
            if not ids:
                raise self.fail("scoring.items", "is empty; expected the ids of the scored items")
            for j, ref in enumerate(ids):
                item = by_id.get(ref) if isinstance(ref, str) else None
                if item is None or not item.numeric:
                    raise self.fail(
                        f"scoring.items[{j}]",
                        f"is {_describe(ref)}; expected the id of a choice or scale item",
                    )
                if ref in ids[:j]:
                    raise self.fail(f"scoring.items[{j}]", f"{ref!r} is listed twice")
            scored = [by_id[r] for r in ids]
        else:
            scored = [it for it in items if it.kind == "choice"]
            if not scored:
                raise self.fail(
                    "scoring.items",
                    "is missing and there are no choice items; expected the ids to sum",
                )
        lowest = sum(it.lowest for it in scored)
        highest = sum(it.highest for it in scored)
        bands = tuple(
            self.band(b, f"scoring.bands[{j}]")
            for j, b in enumerate(
                self.array(raw.get("bands", []), "scoring.bands", "a list of {min, max, label}")
            )
        )
        self.check_bands(bands, lowest, highest)
        return Scoring(
            "sum",
            tuple(it.id for it in scored),
            lowest,
            highest,
            tuple(sorted(bands, key=lambda b: b.min)),
        )

    def band(self, raw: Any, where: str) -> Band:
        raw = self.table(raw, where, "a {min, max, label} table")
        self.keys(raw, _BAND_KEYS, where)
        lo = self.integer(raw, "min", where, "a whole number")
        hi = self.integer(raw, "max", where, "a whole number")
        if hi < lo:
            raise self.fail(f"{where}.max", f"is {hi}; expected at least min ({lo})")
        return Band(lo, hi, self.text(raw, "label", where))

    def check_bands(self, bands: tuple[Band, ...], lowest: int, highest: int) -> None:
        if not bands:
            return
        order = sorted(range(len(bands)), key=lambda j: (bands[j].min, bands[j].max))
        expected = f"bands that together cover every total from {lowest} to {highest} once"
        first, last = bands[order[0]], bands[max(order, key=lambda j: bands[j].max)]
        if first.min != lowest:
            raise self.fail(
                f"scoring.bands[{order[0]}].min",
                f"is {first.min} but the lowest possible total is {lowest}; expected {expected}",
            )
        for prev_j, j in itertools.pairwise(order):
            prev, band = bands[prev_j], bands[j]
            if band.min <= prev.max:
                raise self.fail(
                    f"scoring.bands[{j}]",
                    f"{band.min}–{band.max} overlaps bands[{prev_j}] {prev.min}–{prev.max}; "
                    f"expected {expected}",
                )
            if band.min > prev.max + 1:
                gap = (
                    f"{prev.max + 1}–{band.min - 1}"
                    if band.min - 1 > prev.max + 1
                    else (f"{prev.max + 1}")
                )
                raise self.fail(
                    f"scoring.bands[{j}]",
                    f"leaves a gap: no band holds {gap}; expected {expected}",
                )
        if last.max != highest:
            raise self.fail(
                f"scoring.bands[{bands.index(last)}].max",
                f"is {last.max} but the highest possible total is {highest}; expected {expected}",
            )

    def flag(self, raw: Any, where: str, by_id: Mapping[str, Item]) -> Flag:
        raw = self.table(raw, where, "a {item, above, message} table")
        self.keys(raw, _FLAG_KEYS, where)
        ref = raw.get("item")
        item = by_id.get(ref) if isinstance(ref, str) else None
        if item is None or not item.numeric:
            raise self.fail(
                f"{where}.item",
                f"is {'missing' if ref is None else _describe(ref)}; expected the id of a choice "
                "or scale item",
            )
        above = self.integer(raw, "above", where, "a whole number")
        if not item.lowest <= above < item.highest:
            raise self.fail(
                f"{where}.above",
                f"is {above}, so the flag would be raised for "
                f"{'every' if above < item.lowest else 'no'} answer; expected a value from "
                f"{item.lowest} to {item.highest - 1} (answers of {item.id!r} run "
                f"{item.lowest}..{item.highest})",
            )
        return Flag(ref, above, self.text(raw, "message", where))


# --- reading -------------------------------------------------------------------------------------


def _decode(data: bytes, source: str | None) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (byte {exc.start}); expected a TOML questionnaire saved as UTF-8",
            path=source,
        ) from None
    return _toml(text, source)


def _toml(text: str, source: str | None) -> dict[str, Any]:
    return parse_toml(text, path=source, what="a questionnaire definition")


def parse_questionnaire(text: str, *, source: str | None = None) -> Questionnaire:
    """Validate a questionnaire definition given as TOML text.

    Parameters
    ----------
    text : str
        The definition (the format of ``docs/questionnaires.md``).
    source : str, optional
        Where the text came from; named in error messages.

    Returns
    -------
    Questionnaire

    Raises
    ------
    InputError
        Not TOML (with the line), or a key that is missing, unknown or wrong; the message names
        the field (``items[3].options``), what was found and what was expected.

    Examples
    --------
    >>> q = parse_questionnaire('''
    ... id = "mini"
    ... title = "Mini"
    ... version = "1"
    ... respondent = "client"
    ... instructions = "How was today?"
    ... attribution = "Written for this example."
    ... license = "Public domain."
    ... [[items]]
    ... id = "calm"
    ... text = "I felt calm."
    ... kind = "scale"
    ... min = 0
    ... max = 4
    ... min_label = "not at all"
    ... max_label = "completely"
    ... ''')
    >>> q.items[0].values
    (0, 1, 2, 3, 4)
    """
    return _Parser(source).questionnaire(_toml(text, source))


def _read(path: Path) -> bytes:
    return read_bytes(path, max_bytes=_MAX_FILE_BYTES, what="a questionnaire definition (.toml)")


def load_questionnaire(path: str | os.PathLike[str]) -> Questionnaire:
    """Read and validate one questionnaire definition (a UTF-8 TOML file).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Questionnaire
        ``source`` is ``path``.

    Raises
    ------
    InputError
        Missing or unreadable file, not UTF-8, not TOML (with the line), or an invalid
        definition (naming the field).
    """
    p = Path(path)
    return _Parser(os.fspath(p)).questionnaire(_decode(_read(p), os.fspath(p)))


def load_questionnaires(
    directory: str | os.PathLike[str], *, missing_ok: bool = False
) -> dict[str, Questionnaire]:
    """Read every ``*.toml`` definition in a folder (not its subfolders).

    Parameters
    ----------
    directory : str or os.PathLike
        A folder of definitions, e.g. the data dir's ``questionnaires/`` folder. Files whose
        names start with ``.`` are skipped.
    missing_ok : bool, default False
        Return an empty dict, rather than raise, when the folder does not exist.

    Returns
    -------
    dict of str to Questionnaire
        By id, in file-name order.

    Raises
    ------
    InputError
        The folder does not exist (unless ``missing_ok``) or is a file; any definition is
        invalid; two files define the same id.
    """
    folder = Path(directory)
    if not folder.exists():
        if missing_ok:
            return {}
        raise InputError(
            "no such folder; expected a folder of questionnaire definitions", path=folder
        )
    if not folder.is_dir():
        raise InputError("is a file; expected a folder of questionnaire definitions", path=folder)
    out: dict[str, Questionnaire] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith(".") or not path.is_file():
            continue
        q = load_questionnaire(path)
        if q.id in out:
            raise InputError(
                f"{q.id!r} is already the id of {out[q.id].source}; expected a unique id",
                path=path,
                field="id",
            )
        out[q.id] = q
    return out


@functools.cache
def _builtin() -> tuple[Questionnaire, ...]:
    folder = resources.files("attunement.ratings").joinpath("questionnaires")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and not entry.name.startswith("."):
            source = f"attunement/ratings/questionnaires/{entry.name}"
            found.append(_Parser(source).questionnaire(_decode(entry.read_bytes(), source)))
    return tuple(found)


def builtin_questionnaires() -> dict[str, Questionnaire]:
    """The questionnaires shipped with attunement, by id.

    Returns
    -------
    dict of str to Questionnaire
        ``client_session``, ``gad7``, ``phq9`` and ``therapist_reflection``.

    Examples
    --------
    >>> sorted(builtin_questionnaires())
    ['client_session', 'gad7', 'phq9', 'therapist_reflection']
    >>> builtin_questionnaires()["phq9"].scoring.maximum
    27
    """
    return {q.id: q for q in _builtin()}


def available_questionnaires(
    directory: str | os.PathLike[str] | None = None,
) -> dict[str, Questionnaire]:
    """The shipped questionnaires plus the user's own from ``directory`` (if it exists).

    Parameters
    ----------
    directory : str or os.PathLike, optional
        A folder of extra definitions (licensed instruments the user may use); a folder that
        does not exist adds nothing.

    Returns
    -------
    dict of str to Questionnaire
        The shipped ones first, then the user's, by id.

    Raises
    ------
    InputError
        An invalid user definition, or one that reuses the id of a shipped questionnaire.
    """
    out = builtin_questionnaires()
    if directory is None:
        return out
    for qid, q in load_questionnaires(directory, missing_ok=True).items():
        if qid in out:
            raise InputError(
                f"{qid!r} is the id of a questionnaire shipped with attunement; expected a "
                "different id",
                path=q.source,
                field="id",
            )
        out[qid] = q
    return out

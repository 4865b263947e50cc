"""Validating one parsed questionnaire definition (TOML) into a
:class:`~attunement.ratings.definition.Questionnaire`; every error names the file and the field."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from attunement.errors import InputError
from attunement.ratings.definition import (
    DEFAULT_MAX_LENGTH,
    ID,
    ID_WHAT,
    ITEM_KINDS,
    MAX_TEXT_LIMIT,
    RESPONDENTS,
    Band,
    Condition,
    Flag,
    Item,
    Option,
    Questionnaire,
    Scoring,
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
            raise self.fail(field, f"is missing; expected {ID_WHAT}")
        value = table[key]
        if not isinstance(value, str) or not ID.fullmatch(value):
            raise self.fail(field, f"is {_describe(value)}; expected {ID_WHAT} (at most 64)")
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
            if not ID.fullmatch(name):
                raise self.fail(f"option_sets.{name}", f"is not a valid name; expected {ID_WHAT}")
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
                if not 1 <= limit <= MAX_TEXT_LIMIT:
                    raise self.fail(
                        f"{where}.max_length",
                        f"is {limit}; expected 1 to {MAX_TEXT_LIMIT} characters",
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

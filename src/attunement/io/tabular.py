"""Generic tables of utterances: CSV / TSV with a header, and JSON lists of objects.

Columns (CSV) or keys (JSON) are recognised case-insensitively by these names (spaces and
hyphens count as underscores; the first name listed wins when several are present):

========  ===============================================================
speaker   speaker, name, participant, interlocutor, role
text      text, utterance, transcript, content, words, utterance_text
start     start, start_s, start_time, begin, onset (optional)
end       end, end_s, end_time, stop, offset (optional)
========  ===============================================================

Times are seconds (``12.5``, also ``12,5``) or clock times (``0:00:12.500``). CSV may be
separated by commas, semicolons or tabs; a header that names a column read here twice
(``speaker,text,text``, also ``Text,text``) is an error. JSON is a list of objects, or
``{"id": ..., "utterances": [...]}``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from attunement.errors import InputError
from attunement.io._common import RawTranscript, RawUtterance, parse_clock
from attunement.io._tables import check_unique_columns, csv_rows, load_json

__all__ = ["ALIASES", "parse_csv", "parse_json", "sniff_csv", "sniff_json"]

#: Accepted column / key names for each field, in order of preference.
ALIASES: dict[str, tuple[str, ...]] = {
    "speaker": ("speaker", "name", "participant", "interlocutor", "role"),
    "text": ("text", "utterance", "transcript", "content", "words", "utterance_text"),
    "start": ("start", "start_s", "start_time", "begin", "onset"),
    "end": ("end", "end_s", "end_time", "stop", "offset"),
}
_READ = frozenset(alias for aliases in ALIASES.values() for alias in aliases)
_DELIMITERS = (",", "\t", ";")
_JSON_START = re.compile(r"\s*\[\s*\{")
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")  # 1,5 s from a semicolon-separated export
_JSON_SHAPE = (
    'expected a list of objects such as [{"speaker": "Therapist", "text": "Hello", '
    '"start": 0.5}] or {"utterances": [...]}'
)


def _norm(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _fields(names: list[str]) -> dict[str, int]:
    """Map each field (speaker, text, start, end) to the position of its preferred name."""
    position: dict[str, int] = {}
    for i, name in enumerate(names):
        position.setdefault(_norm(name), i)
    found = {}
    for field, aliases in ALIASES.items():
        for alias in aliases:
            if alias in position:
                found[field] = position[alias]
                break
    return found


def _header(text: str) -> tuple[str, int, list[str], dict[str, int]] | None:
    """The delimiter, line, names and field positions of the header, if one is recognised."""
    best = None
    for delimiter in _DELIMITERS:
        try:
            line, names = next(csv_rows(text, delimiter=delimiter), (0, []))
        except InputError:
            continue
        fields = _fields(names)
        if {"speaker", "text"} <= fields.keys() and (best is None or len(names) > len(best[2])):
            best = (delimiter, line, names, fields)
    return best


def _seconds(
    value: Any, name: str, *, path: str | None, line: int | None, where: str | None
) -> float | None:
    """Seconds from a number, a numeric string or a clock string; None when empty."""
    field = name if where is None else f"{where}.{name}"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(
            f"is {value!r:.40}; expected seconds (12.5) or a clock time (0:00:12.5)",
            path=path,
            line=line,
            field=field,
        )
    if isinstance(value, str):
        number = value.strip()
        if _DECIMAL_COMMA.match(number):
            number = number.replace(",", ".")
        try:
            seconds = float(number)
        except ValueError:
            seconds = parse_clock(value)
        if seconds is None:
            raise InputError(
                f"is {value.strip()!r:.40}; expected seconds (12.5) or a clock time (0:00:12.5)",
                path=path,
                line=line,
                field=field,
            )
    else:
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    if not (math.isfinite(seconds) and seconds >= 0):
        raise InputError(
            f"is {value!r:.40}; expected a finite, non-negative number of seconds",
            path=path,
            line=line,
            field=field,
        )
    return seconds


def _utterance(
    speaker: Any,
    text: Any,
    start: Any,
    end: Any,
    *,
    path: str | None,
    line: int | None = None,
    where: str | None = None,
) -> RawUtterance | None:
    """Validate one row; None for a row without text."""
    at = (lambda name: name) if where is None else (lambda name: f"{where}.{name}")
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str):
        raise InputError(f"is {text!r:.40}; expected a string", path=path, field=at("text"))
    if isinstance(speaker, int) and not isinstance(speaker, bool):
        speaker = str(speaker)
    if not isinstance(speaker, str) or not speaker.strip():
        found = "missing" if speaker is None or speaker == "" else f"{speaker!r:.40}"
        raise InputError(
            f"is {found}; expected the name of who is speaking "
            f"(a {'/'.join(ALIASES['speaker'])} column)",
            path=path,
            line=line,
            field=at("speaker"),
        )
    t0 = _seconds(start, "start", path=path, line=line, where=where)
    t1 = _seconds(end, "end", path=path, line=line, where=where)
    if t0 is not None and t1 is not None and t1 < t0:
        raise InputError(
            f"ends ({t1:g} s) before it starts ({t0:g} s); expected end >= start",
            path=path,
            line=line,
            field=at("end"),
        )
    return RawUtterance(speaker.strip(), text.strip(), start=t0, end=t1, line=line)


def sniff_csv(text: str) -> bool:
    """Whether the first line is a comma, semicolon or tab separated header naming a speaker
    column and a text column.

    Examples
    --------
    >>> sniff_csv("Start;Speaker;Text\\n0.5;Dr Lee;Hello\\n"), sniff_csv("Dr Lee: Hello\\n")
    (True, False)
    """
    return _header(text) is not None


def parse_csv(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read a CSV or TSV table of utterances.

    Parameters
    ----------
    text : str
        The whole file, decoded.
    path : str, optional
        The file's name, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript (``id`` None), one utterance per row with text, in file order, with its
        1-based ``line``; speaker names as written.

    Raises
    ------
    InputError
        Naming the line: no header with a speaker and a text column, a column it reads (any
        of the names above) named twice (``speaker,text,text``), a row with more or fewer
        fields than the header, a missing speaker, a time that is not seconds or h:mm:ss, a
        negative or infinite time, an end before the start, or broken quoting (a file cut
        mid-way).

    Examples
    --------
    >>> text = "speaker,start,end,text\\nTherapist,0:00:01.5,4,How are you?\\nClient,4.2,,Fine.\\n"
    >>> [(u.speaker, u.start, u.end, u.line) for u in parse_csv(text)[0].utterances]
    [('Therapist', 1.5, 4.0, 2), ('Client', 4.2, None, 3)]
    """
    found = _header(text)
    if found is None:
        first = text.lstrip().partition("\n")[0]
        raise InputError(
            f"the header is {first[:80]!r}; expected a comma, semicolon or tab separated header "
            f"naming a speaker column ({'/'.join(ALIASES['speaker'])}) and a text column "
            f"({'/'.join(ALIASES['text'])})",
            path=path,
            line=1,
        )
    delimiter, header_line, names, fields = found
    check_unique_columns(names, path=path, line=header_line, key=_norm, read=_READ)
    i_speaker, i_text = fields["speaker"], fields["text"]
    i_start, i_end = fields.get("start"), fields.get("end")
    utterances = []
    for line, row in csv_rows(text, delimiter=delimiter, path=path):
        if line <= header_line:
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise InputError(
                f"has {len(row)} fields; expected {len(names)} as in the header (a "
                f"{delimiter!r} inside a text must be within double quotes)",
                path=path,
                line=line,
            )
        u = _utterance(
            row[i_speaker],
            row[i_text],
            None if i_start is None else row[i_start],
            None if i_end is None else row[i_end],
            path=path,
            line=line,
        )
        if u is not None:
            utterances.append(u)
    return [RawTranscript(utterances, "csv")]


def _json_items(data: Any, path: str | None = None) -> tuple[list[Any], str, str | None] | None:
    """The list of utterance objects, its JSON path prefix and the transcript id, if found."""
    if isinstance(data, list):
        return data, "", None
    if isinstance(data, dict) and isinstance(data.get("utterances"), list):
        ident = data.get("id")
        if isinstance(ident, bool) or not isinstance(ident, str | int | None):
            raise InputError(
                f"is {ident!r:.40}; expected a string or a number", path=path, field="id"
            )
        return data["utterances"], "utterances", None if ident is None else str(ident)
    return None


def sniff_json(text: str) -> bool:
    """Whether ``text`` is a JSON list of utterance objects or ``{"utterances": [...]}``.

    Examples
    --------
    >>> sniff_json('[{"speaker": "A", "text": "Hi"}]'), sniff_json('{"utterances": []}')
    (True, True)
    >>> sniff_json('[1, 2]'), sniff_json('{"monologues": []}')
    (False, False)

    Invalid JSON that starts like one (``[{`` or an object naming ``"utterances"``) is claimed
    too, so that :func:`parse_json` reports where it breaks (a file cut mid-way).

    >>> sniff_json('[{"speaker": "A", "te')
    True
    """
    if text.lstrip()[:1] not in ("[", "{"):
        return False
    try:
        found = _json_items(load_json(text))
    except InputError:
        return bool(_JSON_START.match(text)) or (
            text.lstrip().startswith("{") and '"utterances"' in text
        )
    if found is None:
        return False
    items, prefix, _ = found
    if prefix:
        return True
    if not items or not isinstance(items[0], dict):
        return False
    keys = {_norm(k) for k in items[0] if isinstance(k, str)}
    return any(alias in keys for aliases in ALIASES.values() for alias in aliases)


def parse_json(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read a JSON list of utterance objects, or an object ``{"id": ..., "utterances": [...]}``.

    Parameters
    ----------
    text : str
        The whole file, decoded.
    path : str, optional
        The file's name, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript (``id`` from the object's ``id``, else None), one utterance per object
        with text, in order; ``line`` is None (errors name the JSON path instead).

    Raises
    ------
    InputError
        For invalid or truncated JSON (naming the line), another JSON shape, an item that is not
        an object, a missing speaker, a text that is not a string, a bad time or an end before
        the start (naming the item, e.g. ``utterances[3].speaker``).

    Examples
    --------
    >>> doc = '{"id": "s1", "utterances": [{"Speaker": "Dr Lee", "Text": "Hi", "Start": 1}]}'
    >>> t = parse_json(doc)[0]
    >>> t.id, t.utterances[0].speaker, t.utterances[0].start
    ('s1', 'Dr Lee', 1.0)
    """
    data = load_json(text, path=path)
    found = _json_items(data, path)
    if found is None:
        shape = type(data).__name__
        if isinstance(data, dict):
            shape = f"object with keys {', '.join(map(repr, list(data)[:6]))}"
        raise InputError(f"holds a JSON {shape}; {_JSON_SHAPE}", path=path)
    items, prefix, ident = found
    utterances = []
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"is {item!r:.40}; {_JSON_SHAPE}", path=path, field=where)
        keys = [k if isinstance(k, str) else "" for k in item]
        fields = _fields(keys)
        values = list(item.values())
        get = {name: values[pos] for name, pos in fields.items()}
        u = _utterance(
            get.get("speaker"),
            get.get("text"),
            get.get("start"),
            get.get("end"),
            path=path,
            where=where,
        )
        if u is not None:
            utterances.append(u)
    return [RawTranscript(utterances, "json", id=ident)]

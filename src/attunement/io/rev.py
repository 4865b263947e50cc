"""Rev-style JSON transcripts (Rev.com and Rev.ai exports).

The document is an object with a ``monologues`` list; each monologue is one speaker's turn::

    {"monologues": [{"speaker": 0, "speaker_name": "Dr. Lee",
                     "elements": [{"type": "text", "value": "Hello", "ts": 0.5, "end_ts": 0.9,
                                   "confidence": 1},
                                  {"type": "punct", "value": "."}]}]}

Words are ``text`` elements with times in seconds; punctuation and the spaces between words are
``punct`` elements without times. Rev.ai may name the speaker in ``speaker_info.display_name``
instead of ``speaker_name``.

Rev's transcript editor writes another shape of the same idea: a top-level ``speakers`` list
naming the speaker numbers, and each monologue's words as ``spans`` timed by ``ts`` and
``endTs``::

    {"speakers": [{"id": 0, "name": "Dr. Lee"}, {"id": 1, "name": "Sam"}],
     "monologues": [{"speaker": 0, "spans": [{"type": "text", "value": "Hello", "ts": 0.5,
                                              "endTs": 0.9}, {"type": "punct", "value": "."}]}]}

Both are read by :func:`parse`; two words that follow each other without a space element are
joined with a space.
"""

from __future__ import annotations

import math
from typing import Any

from attunement.errors import InputError
from attunement.io._common import RawTranscript, RawUtterance
from attunement.io._tables import load_json

__all__ = ["parse", "sniff"]

_EXPECTED = 'expected a Rev JSON object {"monologues": [{"speaker": 0, "elements": [...]}]}'


def sniff(text: str) -> bool:
    """Whether ``text`` is a JSON object with a ``monologues`` list.

    Invalid JSON that starts like one (an object naming ``"monologues"``) is claimed too, so that
    :func:`parse` reports where it breaks (a file cut mid-way).

    Examples
    --------
    >>> sniff('{"monologues": []}'), sniff('[{"speaker": "A", "text": "Hi"}]')
    (True, False)
    >>> sniff('{"monologues": [{"speaker": 0, "elem')
    True
    """
    if not text.lstrip().startswith("{") or '"monologues"' not in text:
        return False
    try:
        data = load_json(text)
    except InputError:
        return True
    return isinstance(data, dict) and isinstance(data.get("monologues"), list)


def _speaker_names(data: dict[str, Any], path: str | None) -> dict[str, str]:
    """Speaker number (as text) -> name, from the editor's top-level ``speakers`` list."""
    speakers = data.get("speakers")
    if speakers is None:
        return {}
    if not isinstance(speakers, list):
        raise InputError(
            f'is {speakers!r:.40}; expected a list such as [{{"id": 0, "name": "Dr. Lee"}}]',
            path=path,
            field="speakers",
        )
    names = {}
    for i, sp in enumerate(speakers):
        if not isinstance(sp, dict) or "id" not in sp:
            raise InputError(
                f'is {sp!r:.40}; expected a speaker such as {{"id": 0, "name": "Dr. Lee"}}',
                path=path,
                field=f"speakers[{i}]",
            )
        name = sp.get("name", sp.get("display_name"))
        if isinstance(name, str) and name.strip():
            names[str(sp["id"]).strip()] = name.strip()
    return names


def _speaker(mono: dict[str, Any], where: str, path: str | None, names: dict[str, str]) -> str:
    name = mono.get("speaker_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    info = mono.get("speaker_info")
    if isinstance(info, dict):
        display = info.get("display_name")
        if isinstance(display, str) and display.strip():
            return display.strip()
    number = mono.get("speaker")
    if isinstance(number, bool) or not isinstance(number, int | str) or str(number).strip() == "":
        raise InputError(
            f"has no speaker (found {number!r}); expected 'speaker' (a number) or 'speaker_name'",
            path=path,
            field=f"{where}.speaker",
        )
    return names.get(str(number).strip(), f"Speaker {str(number).strip()}")


def _seconds(value: Any, where: str, path: str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"is {value!r}; expected a number of seconds", path=path, field=where)
    seconds = float(value)
    if not (math.isfinite(seconds) and seconds >= 0):
        raise InputError(
            f"is {value!r}; expected a finite, non-negative number of seconds",
            path=path,
            field=where,
        )
    return seconds


def parse(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read a Rev-style JSON transcript.

    Parameters
    ----------
    text : str
        The whole file, decoded.
    path : str, optional
        The file's name, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript with one utterance per monologue: the element values joined in order
        (Rev gives the spaces between words as ``punct`` elements), ``start`` the first ``ts``
        and ``end`` the last ``end_ts`` (None when no element is timed). The speaker is
        ``speaker_name``, else ``speaker_info.display_name``, else the name the top-level
        ``speakers`` list gives the ``speaker`` number, else ``"Speaker N"``. The editor's
        ``spans`` and ``endTs`` are read as ``elements`` and ``end_ts``. Monologues without
        text are skipped.

    Raises
    ------
    InputError
        For invalid or truncated JSON (naming the line), a document without a ``monologues``
        list, or a monologue or element of the wrong shape, a speaker missing, a time that is not
        a non-negative number, or a monologue that ends before it starts (naming the JSON path,
        e.g. ``monologues[3].elements[0].ts``).

    Examples
    --------
    >>> doc = '''{"monologues": [{"speaker": 1, "elements": [
    ...     {"type": "text", "value": "Hello", "ts": 0.5, "end_ts": 0.9, "confidence": 1},
    ...     {"type": "punct", "value": ","}, {"type": "punct", "value": " "},
    ...     {"type": "text", "value": "Sam", "ts": 1.0, "end_ts": 1.4, "confidence": 0.98},
    ...     {"type": "punct", "value": "."}]}]}'''
    >>> [(u.speaker, u.text, u.start, u.end) for u in parse(doc)[0].utterances]
    [('Speaker 1', 'Hello, Sam.', 0.5, 1.4)]
    >>> editor = '''{"speakers": [{"id": 1, "name": "Sam"}], "monologues": [{"speaker": 1,
    ...     "spans": [{"type": "text", "value": "Fine", "ts": 2.0, "endTs": 2.3},
    ...               {"type": "text", "value": "thanks", "ts": 2.4, "endTs": 2.8}]}]}'''
    >>> [(u.speaker, u.text, u.start, u.end) for u in parse(editor)[0].utterances]
    [('Sam', 'Fine thanks', 2.0, 2.8)]
    """
    data = load_json(text, path=path)
    if not isinstance(data, dict):
        raise InputError(f"holds a JSON {type(data).__name__}; {_EXPECTED}", path=path)
    monologues = data.get("monologues")
    if not isinstance(monologues, list):
        found = "no 'monologues'" if monologues is None else f"'monologues' {monologues!r:.40}"
        raise InputError(f"has {found}; {_EXPECTED}", path=path, field="monologues")

    names = _speaker_names(data, path)
    utterances = []
    for i, mono in enumerate(monologues):
        where = f"monologues[{i}]"
        if not isinstance(mono, dict):
            raise InputError(f"is {mono!r:.40}; {_EXPECTED}", path=path, field=where)
        key = "spans" if "spans" in mono and "elements" not in mono else "elements"
        elements = mono.get(key, [])
        if not isinstance(elements, list):
            raise InputError(
                f"is {elements!r:.40}; expected a list of elements",
                path=path,
                field=f"{where}.{key}",
            )
        parts: list[str] = []
        start = end = None
        previous_word = False
        for j, el in enumerate(elements):
            at = f"{where}.{key}[{j}]"
            if not isinstance(el, dict) or not isinstance(el.get("value"), str):
                raise InputError(
                    f"is {el!r:.60}; expected an element such as "
                    '{"type": "text", "value": "Hello", "ts": 0.5, "end_ts": 0.9}',
                    path=path,
                    field=at,
                )
            value = el["value"]
            word = el.get("type") != "punct"
            if word and previous_word and value[:1].strip() and parts[-1][-1:].strip():
                parts.append(" ")
            parts.append(value)
            previous_word = word and bool(value.strip())
            end_key = "endTs" if "endTs" in el and "end_ts" not in el else "end_ts"
            ts = _seconds(el.get("ts"), f"{at}.ts", path)
            end_ts = _seconds(el.get(end_key), f"{at}.{end_key}", path)
            if start is None:
                start = ts
            if end_ts is not None:
                end = end_ts
        words = "".join(parts).strip()
        if not words:
            continue
        speaker = _speaker(mono, where, path, names)
        if start is not None and end is not None and end < start:
            raise InputError(
                f"ends ({end:g} s) before it starts ({start:g} s); expected end_ts >= ts",
                path=path,
                field=where,
            )
        utterances.append(RawUtterance(speaker, words, start=start, end=end))
    return [RawTranscript(utterances, "rev")]

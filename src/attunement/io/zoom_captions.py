"""The captions file the Zoom desktop client saves (``meeting_saved_closed_caption.txt``).

When captions are saved during a meeting ("Save captions"), or a local recording keeps them
(``closed_caption.txt``), Zoom writes blocks of a header line, the speaker's display name in
square brackets and the time of day the caption began, then the caption's words::

    [Dana Reyes] 14:03:07
    How has the week been?

    [Sam Patel] 14:03:12
    Long. I kept thinking about
    what you said.

Rules:

- a header is ``[Name] HH:MM:SS`` alone on its line: the name as Zoom shows it (it may hold
  brackets itself, ``[Ann [she/her]] 14:03:07``; whitespace inside it is collapsed) and a
  24-hour wall-clock time; names are kept as written (roles are given later);
- an utterance's start is the seconds since the first header; a time more than 12 hours
  earlier than the one above it is on the next day (a session that runs past midnight); any
  other time earlier than the one above it is an error; ends are None (the file has none);
- the lines below a header, up to the next header, are the caption's words, joined with spaces
  (blank lines between them are ignored); the same speaker often has many blocks in a row,
  and each stays an utterance of its own;
- text before the first header is an error; a header without words below it is skipped with a
  warning; the time of day of second 0 is kept in the transcript's ``meta['first_caption_time']``
  (for a session manifest's ``start``).

The one-line layout ``HH:MM:SS From Name : words`` is the one Zoom uses for the saved *chat*
(``meeting_saved_chat.txt``), not for captions, and is not read here.
"""

from __future__ import annotations

import re
import warnings

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import RawTranscript, RawUtterance

__all__ = ["parse", "sniff"]

#: A header-like line: ``[name]``, spaces, then something clock-like (checked strictly later,
#: so that ``[Ann] 25:00:00`` is reported as a bad time rather than read as words).
_HEADER = re.compile(r"\[(?P<name>.*\S.*)\][ \t]+(?P<time>\d{1,3}(?::\d{1,3}){1,2}(?:[.,]\d+)?)")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})")
_EXPECTED = "a header '[Name] HH:MM:SS' (the name in brackets, the time of day), then the words"
_SNIFF_LINES = 200
_MAX_HEADER = 200
_DAY = 24 * 3600
_HALF_DAY = 12 * 3600


def _header(line: str) -> re.Match[str] | None:
    """The header match for a stripped line, or None (long lines are words, not headers)."""
    return _HEADER.fullmatch(line) if len(line) <= _MAX_HEADER else None


def _clock(value: str) -> int | None:
    """Seconds since midnight for ``H:MM:SS`` / ``HH:MM:SS``, else None."""
    m = _CLOCK.fullmatch(value)
    if m is None:
        return None
    h, mnt, s = (int(part) for part in m.groups())
    if h >= 24 or mnt >= 60 or s >= 60:
        return None
    return h * 3600 + mnt * 60 + s


def sniff(text: str) -> bool:
    """Whether ``text`` looks like a Zoom captions file.

    True when the first non-blank line is a ``[Name] HH:MM:SS`` header followed by a line of
    words, and at least two headers appear among the first 200 lines (one is enough when the
    whole file is shorter than that).

    Examples
    --------
    >>> sniff("[Ann] 10:00:01\\nHello.\\n\\n[Bo] 10:00:04\\nHi.\\n")
    True
    >>> sniff("[00:01:02] Therapist: Hello.\\n"), sniff("Ann  0:02\\nHello.\\n")
    (False, False)
    """
    parts = text.removeprefix("\ufeff").split("\n", _SNIFF_LINES)
    whole = len(parts) <= _SNIFF_LINES
    lines = [line.strip() for line in parts[:_SNIFF_LINES] if line.strip()]
    if len(lines) < 2 or _header(lines[0]) is None or _header(lines[1]) is not None:
        return False
    headers = sum(1 for line in lines if _header(line) is not None)
    return headers >= 2 or whole


def parse(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read a Zoom captions file's blocks as utterances.

    Parameters
    ----------
    text : str
        The whole file, decoded (see :func:`attunement.io._common.decode_text`).
    path : str, optional
        The file, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript (format ``'zoom_captions'``) whose utterances carry the speaker as
        written, the caption's words, the start in seconds since the first header, ``end=None``
        and the header's line; ``meta['first_caption_time']`` is the first header's time of day.

    Raises
    ------
    InputError
        Text before the first header, an impossible time (``25:00:00``, ``10:00``), a header
        earlier than the one above it (by 12 hours or less), no header at all, or no caption
        with words.

    Warns
    -----
    AttunementWarning
        When headers without words below them are skipped.

    Examples
    --------
    >>> t = parse("[Ann] 23:59:58\\nStill\\nhere?\\n\\n[Bo] 00:00:03\\nYes.\\n")
    >>> [(u.speaker, u.text, u.start, u.end) for u in t[0].utterances]
    [('Ann', 'Still here?', 0.0, None), ('Bo', 'Yes.', 5.0, None)]
    >>> t[0].meta
    {'first_caption_time': '23:59:58'}
    """
    utterances: list[RawUtterance] = []
    first: int | None = None
    previous: int | None = None  # seconds since midnight of the first caption's day
    day = 0
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        header = _header(line)
        if header is None:
            if not utterances:
                raise InputError(
                    f"found {line[:60]!r} before the first caption header; expected {_EXPECTED}",
                    path=path,
                    line=number,
                )
            last = utterances[-1]
            last.text = f"{last.text} {' '.join(line.split())}".strip()
            continue
        clock = _clock(header["time"])
        if clock is None:
            raise InputError(
                f"time {header['time']!r} is not a valid time of day; expected HH:MM:SS "
                "(24-hour clock)",
                path=path,
                line=number,
            )
        if first is None:
            first = clock
        elif previous is not None:
            if clock + day * _DAY < previous - _HALF_DAY:
                day += 1  # past midnight
            if clock + day * _DAY < previous:
                raise InputError(
                    f"caption starts at {header['time']}, before the caption above it; expected "
                    "headers in time order",
                    path=path,
                    line=number,
                )
        previous = clock + day * _DAY
        name = " ".join(header["name"].split())
        utterances.append(RawUtterance(name, "", float(previous - first), None, line=number))
    if first is None:
        raise InputError(f"holds no caption headers; expected {_EXPECTED}", path=path)
    empty = [u.line for u in utterances if not u.text]
    utterances = [u for u in utterances if u.text]
    if not utterances:
        raise InputError(f"holds no captions with words; expected {_EXPECTED}", path=path)
    if empty:
        shown = ", ".join(str(n) for n in empty[:10]) + (", ..." if len(empty) > 10 else "")
        warnings.warn(
            f"{path or 'transcript'}: skipped {len(empty)} caption header(s) without words "
            f"(line(s) {shown})",
            AttunementWarning,
            stacklevel=2,
        )
    h, rest = divmod(first, 3600)
    origin = f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return [RawTranscript(utterances, "zoom_captions", meta={"first_caption_time": origin})]

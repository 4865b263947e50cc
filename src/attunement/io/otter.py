"""The Otter.ai text (``.txt``) export.

Each block is a header line, the speaker's name, two or more spaces and the time the block
starts (``m:ss``, or ``h:mm:ss`` past the first hour), then the words on the following line(s)::

    Dana Reyes  0:02
    How has the week been?

    Speaker 1  0:05
    Long. Really long.

    Transcribed by https://otter.ai

Rules:

- a header's name starts with a letter and is at most 80 characters; a tab may stand for the
  spaces; unidentified speakers appear as ``Speaker 1`` and are kept as written;
- an utterance's start comes from its header and its end is None (the export has no end times);
  headers must be in time order;
- the words of a block are joined with spaces; text after a blank line that is not a header
  continues the block before it; the ``Transcribed by https://otter.ai`` footer is skipped, also
  in its markdown forms (``Transcribed by <https://otter.ai>``,
  ``Transcribed by [otter.ai](https://otter.ai)``);
- text before the first header, and a header without words after it (a truncated file), are
  errors.
"""

from __future__ import annotations

import re
from itertools import pairwise

from attunement.errors import InputError
from attunement.io._common import RawTranscript, RawUtterance, parse_clock

__all__ = ["parse", "sniff"]

_HEADER = re.compile(
    r"(?P<name>[^\W\d_].{0,79}?)(?: {2,}|\t[ \t]*)(?P<time>\d{1,6}:\d{2}:\d{2}|\d{1,2}:\d{2})"
)
_OTTER_URL = r"(?:https?://)?(?:www\.)?otter\.ai/?"
#: The footer, plain (``Transcribed by https://otter.ai``) or as markdown (``<https://otter.ai>``,
#: ``[otter.ai](https://otter.ai)``), with an optional full stop.
_FOOTER = re.compile(
    rf"transcribed by\s+(?:{_OTTER_URL}|<{_OTTER_URL}>|\[{_OTTER_URL}\]\({_OTTER_URL}\))\.?",
    re.IGNORECASE,
)
_EXPECTED = "a header 'Name  m:ss' (the name, two spaces, the start time), then the words"
_SNIFF_LINES = 200
_MAX_HEADER = 200


def _header(line: str) -> re.Match[str] | None:
    line = line.strip()
    # a name of 80 characters, the spaces and a time fit well in 200; longer lines are words
    return _HEADER.fullmatch(line) if len(line) <= _MAX_HEADER else None


def _require_words(last: RawUtterance, path: str | None, hint: str = "") -> None:
    if not last.text:
        raise InputError(
            f"speaker header {last.speaker!r} has no words after it{hint}; expected {_EXPECTED}",
            path=path,
            line=last.line,
        )


def sniff(text: str) -> bool:
    """Whether ``text`` looks like an Otter.ai export.

    True when the first non-blank line is a ``Name  m:ss`` header followed by a line of words, or
    when at least two such headers with words appear among the first 200 lines.

    Examples
    --------
    >>> sniff("Speaker 1  0:05\\nHello there.\\n"), sniff("Therapist: hello\\n")
    (True, False)
    """
    head = text.removeprefix("\ufeff").split("\n", _SNIFF_LINES)[:_SNIFF_LINES]
    lines = [line.strip() for line in head if line.strip()]
    found = [
        i
        for i, (line, after) in enumerate(pairwise(lines))
        if _header(line) and not _header(after) and not _FOOTER.fullmatch(after)
    ]
    return bool(found) and (found[0] == 0 or len(found) >= 2)


def parse(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read an Otter.ai text export's blocks as utterances.

    Parameters
    ----------
    text : str
        The whole file, decoded (see :func:`attunement.io._common.decode_text`).
    path : str, optional
        The file, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript (format ``'otter'``) whose utterances carry the speaker as written, the
        block's words, the start in seconds from the header, ``end=None`` and the header's line.

    Raises
    ------
    InputError
        Text before the first header, a header without words, an impossible time (``0:75``), a
        header earlier than the one before it, or no header at all.

    Examples
    --------
    >>> u = parse("Sam  1:02:03\\nFine,\\nthanks.\\n\\nTranscribed by https://otter.ai\\n")
    >>> [(x.speaker, x.text, x.start, x.end) for x in u[0].utterances]
    [('Sam', 'Fine, thanks.', 3723.0, None)]
    """
    utterances: list[RawUtterance] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.strip()
        if not line or _FOOTER.fullmatch(line):
            continue
        header = _header(line)
        if header is None:
            if not utterances:
                raise InputError(
                    f"found {line[:60]!r} before the first speaker header; expected {_EXPECTED}",
                    path=path,
                    line=number,
                )
            last = utterances[-1]
            last.text = f"{last.text} {' '.join(line.split())}".strip()
            continue
        start = parse_clock(header["time"])
        if start is None:
            raise InputError(
                f"time {header['time']!r} is not a valid time; expected m:ss or h:mm:ss",
                path=path,
                line=number,
            )
        if utterances:
            last = utterances[-1]
            _require_words(last, path)
            if last.start is not None and start < last.start:
                raise InputError(
                    f"block starts at {header['time']}, before the block above it; expected "
                    "headers in time order",
                    path=path,
                    line=number,
                )
        name = " ".join(header["name"].split())
        utterances.append(RawUtterance(name, "", start, None, line=number))
    if not utterances:
        raise InputError(f"holds no speaker headers; expected {_EXPECTED}", path=path)
    _require_words(utterances[-1], path, " (is the file cut short?)")
    return [RawTranscript(utterances, "otter")]

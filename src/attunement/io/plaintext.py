"""Plain text: one ``Name: words`` utterance per line.

::

    Therapist: How has the week been?
    Client: Long. I kept thinking about what you said,
    and I am not sure I agree.
    [00:01:02] Therapist: Say more about that.

Rules:

- a line starting with a name and a colon begins an utterance. A name starts with a letter, has
  at most 4 words and 40 characters, holds none of ``: ? ! ; " < > [ ] { }``, and its colon is
  followed by a space or the end of the line (``**Name:**`` markdown bold is accepted). So
  ``Dr. Lee: hi`` begins an utterance while a line such as ``and what I really meant was: ...``
  (a lead of more than four words) continues the one before. A short lead such as ``Yes: ...``
  cannot be told from a name and begins an utterance by "Yes";
- a line without a name continues the previous utterance (joined with a space), so an utterance
  may also be written as ``Name:`` alone on a line with its words on the lines below; an
  utterance that ends up without words is skipped;
- a named line may start with a timestamp, ``[00:01:02]``, ``(00:01:02)`` or ``00:01:02``
  (``mm:ss`` and a fraction ``.5`` are accepted too), which becomes the utterance's start; ends
  are None. A timestamp on a line without a name is kept as part of the words;
- blank lines are skipped; up to 20 lines before the first named line (a title, a date, a
  header typed above the dialogue) are skipped with a warning; more than that is an error;
- a caption cue timing line (``00:00:04.500 --> 00:00:06.000``) is an error: the file is
  captions (WebVTT or SubRip), and its timings must never end up as words.
"""

from __future__ import annotations

import re
import warnings

from attunement.errors import AttunementWarning, InputError
from attunement.io._captions import is_cue_timing, split_speaker
from attunement.io._common import RawTranscript, RawUtterance, parse_clock

__all__ = ["parse", "sniff"]

_TIME = r"(?:\d{1,6}:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?"
_TIMESTAMP = re.compile(rf"\[(?P<a>{_TIME})\]\s*|\((?P<b>{_TIME})\)\s*|(?P<c>{_TIME})\s+")
_EXPECTED = (
    "a 'Name: words' line (a name of at most 4 words and 40 characters, a colon, then a space)"
)
_SNIFF_LINES = 200
_MAX_PREAMBLE = 20


def _named(line: str) -> tuple[str, str, str | None] | None:
    """``(name, words, timestamp or None)`` for a named line, else None."""
    stamp = _TIMESTAMP.match(line)
    if stamp is not None and (found := split_speaker(line[stamp.end() :])) is not None:
        return *found, stamp["a"] or stamp["b"] or stamp["c"]
    found = split_speaker(line)
    return None if found is None else (*found, None)


def sniff(text: str) -> bool:
    """Whether ``text`` has a ``Name: words`` line among its first 200 lines.

    Examples
    --------
    >>> sniff("Therapist: How are you?\\nClient: Fine."), sniff("Just some prose, no names.")
    (True, False)
    """
    head = text.removeprefix("\ufeff").split("\n", _SNIFF_LINES)[:_SNIFF_LINES]
    return any(_named(line.strip()) is not None for line in head)


def parse(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read ``Name: words`` lines as utterances.

    Parameters
    ----------
    text : str
        The whole file, decoded (see :func:`attunement.io._common.decode_text`).
    path : str, optional
        The file, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript (format ``'text'``) whose utterances carry the speaker as written, the
        words, the start in seconds when the line has a timestamp (else None), ``end=None`` and
        the line the utterance begins on.

    Raises
    ------
    InputError
        More than 20 lines before the first named line, an impossible timestamp (``[00:75]``),
        a caption cue timing line, or no utterance with words.

    Examples
    --------
    >>> t = parse("Therapist: What I mean is: go on.\\n(01:05) Client: Well,\\nit is hard.\\n")
    >>> [(u.speaker, u.text, u.start) for u in t[0].utterances]
    [('Therapist', 'What I mean is: go on.', None), ('Client', 'Well, it is hard.', 65.0)]
    """
    utterances: list[RawUtterance] = []
    preamble: list[int] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if is_cue_timing(line):
            raise InputError(
                f"found the caption cue timing {line[:60]!r}; expected {_EXPECTED} (this looks "
                "like WebVTT or SubRip captions: read it as .vtt or .srt)",
                path=path,
                line=number,
            )
        named = _named(line)
        if named is None:
            if not utterances:
                preamble.append(number)
                if len(preamble) > _MAX_PREAMBLE:
                    raise InputError(
                        f"found {_MAX_PREAMBLE + 1} lines before any speaker (the first: line "
                        f"{preamble[0]}); expected {_EXPECTED}",
                        path=path,
                        line=number,
                    )
                continue
            last = utterances[-1]
            last.text = f"{last.text} {' '.join(line.split())}".strip()
            continue
        name, words, stamp = named
        start = None
        if stamp is not None and (start := parse_clock(stamp)) is None:
            raise InputError(
                f"timestamp {stamp!r} is not a valid time; expected hh:mm:ss or mm:ss",
                path=path,
                line=number,
            )
        utterances.append(RawUtterance(name, " ".join(words.split()), start, None, line=number))
    utterances = [u for u in utterances if u.text]
    if not utterances:
        raise InputError(f"holds no utterances with words; expected {_EXPECTED}", path=path)
    if preamble:
        warnings.warn(
            f"{path or 'transcript'}: skipped {len(preamble)} line(s) before the first speaker "
            f"(lines {preamble[0]}-{preamble[-1]}: a title or header?)",
            AttunementWarning,
            stacklevel=2,
        )
    return [RawTranscript(utterances, "text")]

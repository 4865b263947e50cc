"""Helpers for the line-based formats (plain text, captions): speaker prefixes and cues."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable

from attunement.errors import InputError
from attunement.io._common import parse_clock

__all__ = [
    "caption_blocks",
    "caption_segments",
    "check_cue_order",
    "clean_caption_text",
    "find_cue_timing",
    "is_cue_timing",
    "parse_cue_block",
    "split_speaker",
    "timing_uses_comma",
]


_NAME = r"[^\W\d_][^:?!;\"<>\[\]{}\n]{0,39}?"
_SPEAKER = re.compile(rf"(?P<name>{_NAME})[ \t]?:(?=\s|$)")
_BOLD = re.compile(r"(\*\*|__)([^*_\n]{1,42}?)\1(?:[ \t]*(:))?")
_MAX_NAME_WORDS = 4


def split_speaker(line: str) -> tuple[str, str] | None:
    """Split ``Name: words`` into ``(name, words)``; None when the line does not start with a name.

    A name starts with a letter, has at most 4 words and 40 characters, holds none of
    ``: ? ! ; " < > [ ] { }``, and its colon is followed by a space or the end of the line (a
    markdown-bold name, ``**Name:**`` or ``**Name**:``, is accepted too). So ``Dr. Lee: hi`` and
    ``Speaker 2:`` start with names, while ``10:30 then``, ``see http://x`` and the prose lead
    ``And what I mean is: ...`` (five words) do not. Whitespace inside a name is collapsed.

    Examples
    --------
    >>> split_speaker("Dr. Lee: How are you?")
    ('Dr. Lee', 'How are you?')
    >>> split_speaker("And what I mean is: this") is None
    True
    """
    line = line.lstrip()
    bold = _BOLD.match(line)
    if bold is not None:
        line = bold[2] + (bold[3] or "") + line[bold.end() :]
    m = _SPEAKER.match(line)
    if m is None:
        return None
    words = m["name"].split()
    if len(words) > _MAX_NAME_WORDS:
        return None
    return " ".join(words), line[m.end() :].strip()


_TAG = re.compile(r"<[^<>]*>|\{\\[^{}]*\}")
#: Bracketed words that describe sounds, not speakers: ``[music]``, ``[Laughter]``.
_NON_SPEECH = re.compile(
    r"applause|chuckles?|cough(s|ing)?|cries|crosstalk|crying|inaudible|indistinct|laugh(s|ing|ter)"
    r"|music|noise|pause|sighs?|silence|unintelligible",
    re.IGNORECASE,
)
_BRACKET_NAME = re.compile(rf"\[(?P<name>{_NAME})\][ \t]*:?[ \t]+(?=\S)")


def clean_caption_text(text: str) -> str:
    """Caption text without markup: tags (``<i>``, ``<c.x>``, ``<00:00:01.000>``, ``{\\an8}``)
    removed, HTML entities decoded and whitespace (line breaks, non-breaking spaces) collapsed.

    Examples
    --------
    >>> clean_caption_text("<i>Fish</i> &amp; <c.y>chips</c>&nbsp;<00:00:01.000>now\\nplease")
    'Fish & chips now please'
    """
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _caption_speaker(text: str) -> tuple[str | None, str]:
    """A caption line's speaker (``Name:``, ``>> Name:`` or ``[Name] words``) and its words."""
    text = re.sub(r"^>>+\s*", "", text)
    m = _BRACKET_NAME.match(text)
    if m is not None:
        name = " ".join(m["name"].split())
        if not _NON_SPEECH.fullmatch(name) and len(name.split()) <= _MAX_NAME_WORDS:
            return name, text[m.end() :].strip()
    found = split_speaker(text)
    return found if found is not None else (None, text)


def caption_segments(
    pieces: Iterable[tuple[str | None, str]], *, find_names: bool
) -> list[tuple[str | None, str]]:
    """Turn one cue's pieces of text into ``(speaker or None, words)`` segments.

    Each piece is cleaned with :func:`clean_caption_text`; with ``find_names`` a piece without a
    speaker of its own may name one (``Name: words``, ``>> Name: words``, ``[Name] words``, where
    ``[music]``-style sound descriptions are not names). A piece without a speaker continues the
    segment before it; consecutive pieces of one speaker are joined.

    Examples
    --------
    >>> caption_segments([(None, "Ann: so"), (None, "then"), (None, ">> Bo: ok")], find_names=True)
    [('Ann', 'so then'), ('Bo', 'ok')]
    """
    segments: list[tuple[str | None, str]] = []
    for name, raw in pieces:
        words = clean_caption_text(raw)
        if name is None and find_names:
            name, words = _caption_speaker(words)
        if segments and (name is None or name == segments[-1][0]):
            previous, so_far = segments[-1]
            segments[-1] = (previous, f"{so_far} {words}".strip())
        else:
            segments.append((name, words))
    return segments


def caption_blocks(text: str) -> list[list[tuple[int, str]]]:
    """Split text into blocks separated by blank lines, as lists of ``(line number, line)``.

    Lines are stripped of surrounding whitespace; line numbers are 1-based.

    Examples
    --------
    >>> caption_blocks("a\\nb\\n\\n\\nc\\n")
    [[(1, 'a'), (2, 'b')], [(5, 'c')]]
    """
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line:
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


_CUE_TIMING = re.compile(r"(?P<start>\S+?)\s*-->\s*(?P<end>\S+)(?:\s.*)?")
_CUE_TIME = re.compile(r"(?:\d{1,6}:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,9})?")
_LOOSE_TIME = r"-?\d+(?::\d+)+(?:[.,]\d+)?"
#: A line that is meant as a cue timing, well formed or not: clock-like times (a sign, any
#: number of digits, ``.`` or ``,`` before the fraction) on both sides of ``-->``.
_LOOSE_TIMING = re.compile(
    rf"(?P<start>{_LOOSE_TIME})[ \t]*-->[ \t]*(?P<end>{_LOOSE_TIME})(?:[ \t].*)?"
)
_SNIFF_LINES = 200


def is_cue_timing(line: str) -> bool:
    """Whether ``line`` is a caption cue timing (``00:00:04.500 --> 00:00:06.000``), in any
    caption format's style and whether or not its times are valid (``-00:00:01,000`` too).

    Examples
    --------
    >>> is_cue_timing("00:00:04.500 --> 00:00:06.000 align:start"), is_cue_timing("1 --> 2")
    (True, False)
    """
    return _LOOSE_TIMING.fullmatch(line.strip()) is not None


def find_cue_timing(text: str, *, lines: int = _SNIFF_LINES) -> tuple[int, str] | None:
    """The first cue timing line among the first ``lines`` lines, as ``(line number, line)``.

    Examples
    --------
    >>> find_cue_timing("1\\n00:00:01.000 --> 00:00:02.000\\nAnn: hi\\n")
    (2, '00:00:01.000 --> 00:00:02.000')
    >>> find_cue_timing("Ann: hi\\n") is None
    True
    """
    head = text.removeprefix("\ufeff").split("\n", lines)[:lines]
    for number, raw in enumerate(head, start=1):
        if is_cue_timing(raw):
            return number, raw.strip()
    return None


def timing_uses_comma(line: str) -> bool:
    """Whether a cue timing line writes ``,`` before the fraction (SubRip style).

    Examples
    --------
    >>> timing_uses_comma("00:00:01,000 --> 00:00:02,000"), timing_uses_comma("00:01.000 --> x")
    (True, False)
    """
    start = line.strip().split("-->", 1)[0]
    return "," in start


def _clock_text(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def check_cue_order(
    start: float,
    previous: tuple[float, int] | None,
    *,
    path: str | os.PathLike[str] | None,
    line: int,
) -> None:
    """Refuse a cue that starts before the cue above it (``previous`` is its start and line).

    The caption readers agree with the Zoom captions and Otter readers: cues out of time order
    are an error, not something to reorder silently.

    Raises
    ------
    InputError
        Naming the cue's timing line and the line of the cue above it.

    Examples
    --------
    >>> check_cue_order(1.0, (10.0, 3), path="s.vtt", line=7)
    Traceback (most recent call last):
    ...
    attunement.errors.InputError: s.vtt:7: cue starts at 00:00:01.000, before the cue above it \
(00:00:10.000, line 3); expected cues in time order
    """
    if previous is not None and start < previous[0]:
        raise InputError(
            f"cue starts at {_clock_text(start)}, before the cue above it "
            f"({_clock_text(previous[0])}, line {previous[1]}); expected cues in time order",
            path=path,
            line=line,
        )


def _cue_timing(
    text: str, *, expected: str, path: str | os.PathLike[str] | None, line: int
) -> tuple[float, float]:
    m = _CUE_TIMING.fullmatch(text)
    if m is None:
        raise InputError(
            f"cue timing {text[:80]!r} is malformed; expected {expected!r}", path=path, line=line
        )
    times = []
    for stamp in (m["start"], m["end"]):
        if stamp.startswith("-") and _CUE_TIME.fullmatch(stamp[1:]):
            raise InputError(
                f"cue time {stamp[:40]!r} is negative; expected a time at or after "
                f"00:00:00 such as {expected!r}",
                path=path,
                line=line,
            )
        seconds = parse_clock(stamp) if _CUE_TIME.fullmatch(stamp) else None
        if seconds is None:
            raise InputError(
                f"cue time {stamp[:40]!r} is malformed; expected {expected!r}", path=path, line=line
            )
        times.append(seconds)
    start, end = times
    if end < start:
        raise InputError(
            f"cue ends at {m['end']} before it starts at {m['start']}; expected the end time "
            "after the start time",
            path=path,
            line=line,
        )
    return start, end


def parse_cue_block(
    block: list[tuple[int, str]],
    *,
    expected: str,
    layout: str,
    path: str | os.PathLike[str] | None = None,
) -> tuple[str | None, int, float, float, list[str]]:
    """Read one caption cue: an optional identifier line, a timing line, then the text lines.

    The timing line is ``start --> end [settings]``; times are ``[h:]mm:ss[.fff]``, with ``.`` or
    ``,`` before the fraction and unpadded parts accepted (``0:0:13.540``); settings after the end
    time are ignored.

    Parameters
    ----------
    block : list of (int, str)
        A block from :func:`caption_blocks`.
    expected : str
        How a timing line should look, for error messages.
    layout : str
        How a cue should look, for the error when the block has no timing line.
    path : str, optional
        The file, for error messages.

    Returns
    -------
    cue_id : str or None
        The identifier line, if any.
    line : int
        The line number of the timing line.
    start, end : float
        Seconds.
    text : list of str
        The cue's text lines, as written.

    Raises
    ------
    InputError
        No timing line among the first two lines, a malformed timing line or time, an end
        before the start, or a second timing line inside the cue.

    Examples
    --------
    >>> parse_cue_block([(3, "a1"), (4, "0:0:13.540 --> 0:0:15.120 align:start"), (5, "Hi")],
    ...                 expected="...", layout="...")
    ('a1', 4, 13.54, 15.12, ['Hi'])
    """
    if "-->" in block[0][1]:
        at = 0
    elif len(block) > 1 and "-->" in block[1][1]:
        at = 1
    else:
        raise InputError(
            f"found {block[0][1][:60]!r} where a cue was expected; expected {layout}",
            path=path,
            line=block[0][0],
        )
    line, timing = block[at]
    start, end = _cue_timing(timing.strip(), expected=expected, path=path, line=line)
    for number, text in block[at + 1 :]:
        if "-->" in text:
            raise InputError(
                f"found a second timing line {text.strip()[:60]!r} inside a cue; expected a blank "
                "line between cues",
                path=path,
                line=number,
            )
    cue_id = block[0][1] if at == 1 else None
    return cue_id, line, start, end, [text for _, text in block[at + 1 :]]

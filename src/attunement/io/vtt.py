"""WebVTT captions, as Zoom and Microsoft Teams export them.

Zoom writes numbered cues whose text is ``Name: words``::

    WEBVTT

    1
    00:00:01.000 --> 00:00:04.000
    Dana Reyes: How has the week been?

Teams writes GUID cue identifiers and voice tags, sometimes without the closing ``</v>`` and, in
older exports, with unpadded times (``0:0:13.540``)::

    WEBVTT

    4e2e0b4a-7ad3-4f7e-b6a0-8d3f5e1c2a11/12-0
    00:00:13.540 --> 00:00:15.120
    <v Dana Reyes>How has the week been?</v>

Rules:

- the file should start with ``WEBVTT``; header lines up to the first blank line, and ``NOTE``,
  ``STYLE`` and ``REGION`` blocks, are skipped; a cue identifier line is optional. A file
  without the ``WEBVTT`` line that starts with a cue (its timing written with ``.`` before the
  milliseconds) is read with a warning; one whose first timing has ``,`` is SubRip, an error;
- times are ``[hh:]mm:ss.ttt`` (a ``,`` before the milliseconds is accepted too); cue settings
  after the end time (``align:start position:0%``) are ignored; a negative time, an end before
  the start, or a cue that starts before the cue above it is an error;
- when any cue carries a voice tag (``<v Name>``), speakers come from voice tags only; otherwise
  a line of cue text may begin with ``Name:`` (see :func:`attunement.io._common.split_speaker`),
  ``>> Name:`` or ``[Name]``;
- a cue (or the first part of one) without a speaker continues the previous cue's speaker (with
  one warning counting such cues and naming their lines), or has the speaker ``""`` when no
  speaker has been named yet;
- a cue with several speakers (several voice tags, or several ``Name:`` lines) gives one utterance
  per speaker, each with the cue's times;
- tags (``<c>``, ``<i>``, ``<b>``, ``<00:00:01.000>``) are removed, HTML entities decoded and the
  lines of a cue joined with spaces; a cue without text is skipped.
"""

from __future__ import annotations

import re
import warnings

from attunement.errors import AttunementWarning, InputError
from attunement.io._captions import (
    caption_blocks,
    caption_segments,
    check_cue_order,
    is_cue_timing,
    parse_cue_block,
    timing_uses_comma,
)
from attunement.io._common import RawTranscript, RawUtterance

__all__ = ["parse", "sniff"]

_SIGNATURE = re.compile(r"\ufeff?WEBVTT(?=[ \t\n]|$)")
_SKIPPED_BLOCK = re.compile(r"(NOTE|STYLE|REGION)(?=[ \t]|$)")
_VOICE = re.compile(r"<v(?:\.[^\s<>]*)?(?:[ \t]([^<>]*))?>")  # linear time: no nested repeats
_EXPECTED = "hh:mm:ss.ttt --> hh:mm:ss.ttt"
_LAYOUT = f"an optional cue id line, then '{_EXPECTED}', then the text (or a NOTE block)"


def sniff(text: str) -> bool:
    """Whether ``text`` is WebVTT: it starts with ``WEBVTT``.

    Examples
    --------
    >>> sniff("WEBVTT\\n\\n00:00:01.000 --> 00:00:02.000\\nHi"), sniff("1\\n00:00:01,000 --> x")
    (True, False)
    """
    return _SIGNATURE.match(text) is not None


def _headerless_cues(text: str, path: str | None) -> list[list[tuple[int, str]]]:
    """The blocks of a file without its ``WEBVTT`` line, when it starts with a WebVTT-style cue;
    otherwise the error that it does not start with ``WEBVTT``."""
    blocks = caption_blocks(text)
    timing = (
        next((line for _, line in blocks[0][:2] if is_cue_timing(line)), None) if blocks else None
    )
    if timing is None or timing_uses_comma(timing):
        first = text.split("\n", 1)[0].strip()
        hint = " (it looks like SubRip: read it as .srt)" if timing is not None else ""
        raise InputError(
            f"does not start with WEBVTT (found {first[:40]!r}); expected a WebVTT file{hint}",
            path=path,
            line=1,
        )
    return blocks


def _pieces(lines: list[str], voices: bool) -> list[tuple[str | None, str]]:
    """A cue's text as ``(voice name or None, raw text)`` pieces."""
    if not voices:
        return [(None, line) for line in lines]
    parts = _VOICE.split("\n".join(lines))
    pieces: list[tuple[str | None, str]] = [(None, parts[0])]
    for name, words in zip(parts[1::2], parts[2::2], strict=True):
        name = " ".join((name or "").split())
        pieces.append((name or None, words))
    return pieces


def parse(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read a WebVTT file's cues as utterances.

    Parameters
    ----------
    text : str
        The whole file, decoded (see :func:`attunement.io._common.decode_text`).
    path : str, optional
        The file, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript (format ``'vtt'``) whose utterances carry the speaker as written, the cue
        text, the cue's start and end in seconds and the line of the cue's timing.

    Raises
    ------
    InputError
        When the text neither starts with ``WEBVTT`` nor with a WebVTT-style cue, a block is
        neither a cue nor a ``NOTE``/``STYLE``/``REGION`` block, a timing is malformed, negative
        or ends before it starts, a cue starts before the cue above it, a cue holds a second
        timing line, or no cue has text.

    Warns
    -----
    AttunementWarning
        When the ``WEBVTT`` line is missing, and when cues without a speaker name are given to
        the previous speaker (counting them).

    Examples
    --------
    >>> vtt = "WEBVTT\\n\\n1\\n00:00:01.000 --> 00:00:04.000\\nAnn: Hi &amp; welcome\\n"
    >>> u = parse(vtt)[0].utterances[0]
    >>> u.speaker, u.text, u.start, u.end
    ('Ann', 'Hi & welcome', 1.0, 4.0)
    """
    text = text.removeprefix("\ufeff")
    headerless = not sniff(text)
    if not headerless:
        header, *blocks = caption_blocks(text)
        timings = [i for i, (_, line) in enumerate(header) if "-->" in line]
        if timings:  # a cue right after the header lines, without a blank line between
            at = timings[0]
            if at >= 2 and not _SKIPPED_BLOCK.match(header[at - 1][1]):
                at -= 1  # its id line
            blocks.insert(0, header[at:])
    else:
        blocks = _headerless_cues(text, path)
    voices = _VOICE.search(text) is not None
    utterances: list[RawUtterance] = []
    speaker = ""
    previous: tuple[float, int] | None = None
    unnamed: list[int] = []
    for block in blocks:
        if _SKIPPED_BLOCK.match(block[0][1]):
            continue
        _, line, start, end, lines = parse_cue_block(
            block, expected=_EXPECTED, layout=_LAYOUT, path=path
        )
        check_cue_order(start, previous, path=path, line=line)
        previous = (start, line)
        segments = caption_segments(_pieces(lines, voices), find_names=not voices)
        if segments and segments[0][0] is None and segments[0][1] and speaker:
            unnamed.append(line)
        for name, words in segments:
            speaker = speaker if name is None else name
            if words:
                utterances.append(RawUtterance(speaker, words, start, end, line=line))
    if not utterances:
        raise InputError(
            f"holds no cues with text; expected cues such as '{_EXPECTED}' followed by "
            "'Name: words' or '<v Name>words</v>'",
            path=path,
        )
    if headerless:
        warnings.warn(
            f"{path or 'transcript'}: has no WEBVTT header line; its cues were read as WebVTT "
            "captions",
            AttunementWarning,
            stacklevel=2,
        )
    if unnamed:
        n = len(unnamed)
        shown = ", ".join(str(x) for x in unnamed[:10]) + (", ..." if n > 10 else "")
        warnings.warn(
            f"{path or 'transcript'}: {n} cue{'s' * (n != 1)} had no speaker name; "
            f"{'they were' if n != 1 else 'it was'} given to the previous speaker "
            f"(line{'s' * (n != 1)} {shown})",
            AttunementWarning,
            stacklevel=2,
        )
    return [RawTranscript(utterances, "vtt")]

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

- the file must start with ``WEBVTT``; header lines up to the first blank line, and ``NOTE``,
  ``STYLE`` and ``REGION`` blocks, are skipped; a cue identifier line is optional;
- times are ``[hh:]mm:ss.ttt`` (a ``,`` before the milliseconds is accepted too); cue settings
  after the end time (``align:start position:0%``) are ignored; an end before the start is an
  error;
- when any cue carries a voice tag (``<v Name>``), speakers come from voice tags only; otherwise
  a line of cue text may begin with ``Name:`` (see :func:`attunement.io._common.split_speaker`),
  ``>> Name:`` or ``[Name]``;
- a cue (or the first part of one) without a speaker continues the previous cue's speaker, or has
  the speaker ``""`` when no speaker has been named yet;
- a cue with several speakers (several voice tags, or several ``Name:`` lines) gives one utterance
  per speaker, each with the cue's times;
- tags (``<c>``, ``<i>``, ``<b>``, ``<00:00:01.000>``) are removed, HTML entities decoded and the
  lines of a cue joined with spaces; a cue without text is skipped.
"""

from __future__ import annotations

import re

from attunement.errors import InputError
from attunement.io._captions import caption_blocks, caption_segments, parse_cue_block
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
        When the text does not start with ``WEBVTT``, a block is neither a cue nor a
        ``NOTE``/``STYLE``/``REGION`` block, a timing is malformed or ends before it starts,
        a cue holds a second timing line, or no cue has text.

    Examples
    --------
    >>> vtt = "WEBVTT\\n\\n1\\n00:00:01.000 --> 00:00:04.000\\nAnn: Hi &amp; welcome\\n"
    >>> u = parse(vtt)[0].utterances[0]
    >>> u.speaker, u.text, u.start, u.end
    ('Ann', 'Hi & welcome', 1.0, 4.0)
    """
    text = text.removeprefix("\ufeff")
    if not sniff(text):
        first = text.split("\n", 1)[0].strip()
        raise InputError(
            f"does not start with WEBVTT (found {first[:40]!r}); expected a WebVTT file",
            path=path,
            line=1,
        )
    header, *blocks = caption_blocks(text)
    timings = [i for i, (_, line) in enumerate(header) if "-->" in line]
    if timings:  # a cue right after the header lines, without a blank line between
        at = timings[0]
        if at >= 2 and not _SKIPPED_BLOCK.match(header[at - 1][1]):
            at -= 1  # its id line
        blocks.insert(0, header[at:])
    voices = _VOICE.search(text) is not None
    utterances: list[RawUtterance] = []
    speaker = ""
    for block in blocks:
        if _SKIPPED_BLOCK.match(block[0][1]):
            continue
        _, line, start, end, lines = parse_cue_block(
            block, expected=_EXPECTED, layout=_LAYOUT, path=path
        )
        for name, words in caption_segments(_pieces(lines, voices), find_names=not voices):
            speaker = speaker if name is None else name
            if words:
                utterances.append(RawUtterance(speaker, words, start, end, line=line))
    if not utterances:
        raise InputError(
            f"holds no cues with text; expected cues such as '{_EXPECTED}' followed by "
            "'Name: words' or '<v Name>words</v>'",
            path=path,
        )
    return [RawTranscript(utterances, "vtt")]

"""SubRip (``.srt``) captions.

Each cue is a number, a timing line and one or more lines of text, with a blank line after it::

    1
    00:00:01,000 --> 00:00:04,000
    Dana Reyes: How has the week been?

    2
    00:00:04,500 --> 00:00:07,250
    Sam: Long. Really long.

Rules:

- times are ``hh:mm:ss,mmm`` (a ``.`` before the milliseconds is accepted too); anything after
  the end time (``X1:... Y1:...`` coordinates) is ignored; a negative time, an end before the
  start, or a cue that starts before the cue above it (as in the Zoom captions reader) is an
  error;
- a cue whose number is missing (the block starts with its timing) is accepted; a number that
  is not a whole number, or a block without a timing line, is an error;
- a line of cue text may begin with its speaker: ``Name: words`` (see
  :func:`attunement.io._common.split_speaker`), ``>> Name: words`` or ``[Name] words``
  (``[music]``-style sound descriptions are not speakers);
- a cue without a speaker continues the previous cue's speaker (``""`` before any is named); a
  cue with several speakers gives one utterance per speaker, each with the cue's times;
- tags (``<i>``, ``<font ...>``, ``{\\an8}``) are removed, HTML entities decoded and the lines of
  a cue joined with spaces; a cue without text is skipped.
"""

from __future__ import annotations

import re

from attunement.errors import InputError
from attunement.io._captions import (
    caption_blocks,
    caption_segments,
    check_cue_order,
    parse_cue_block,
)
from attunement.io._common import RawTranscript, RawUtterance

__all__ = ["parse", "sniff"]

_TIME = r"\d{1,6}:\d{1,2}:\d{1,2},\d{1,3}"
_SIGNATURE = re.compile(rf"\d+\n{_TIME}[ \t]*-->[ \t]*{_TIME}(?:[ \t].*)?")
_EXPECTED = "hh:mm:ss,mmm --> hh:mm:ss,mmm"
_LAYOUT = (
    f"a cue number, then '{_EXPECTED}', then the text (a blank line inside a cue's text ends "
    "the cue)"
)


def _first_cue(text: str) -> str:
    """The first two non-blank lines, stripped and joined by a newline."""
    lines = [line.strip() for line in text.removeprefix("\ufeff").split("\n", 64)[:64]]
    return "\n".join([line for line in lines if line][:2])


def sniff(text: str) -> bool:
    """Whether ``text`` is SubRip: a cue number, then a timing with commas before milliseconds.

    Examples
    --------
    >>> sniff("1\\n00:00:01,000 --> 00:00:02,500\\nHi\\n"), sniff("WEBVTT\\n\\n00:00:01.000 --> x")
    (True, False)
    """
    return _SIGNATURE.fullmatch(_first_cue(text)) is not None


def parse(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read a SubRip file's cues as utterances.

    Parameters
    ----------
    text : str
        The whole file, decoded (see :func:`attunement.io._common.decode_text`).
    path : str, optional
        The file, for error messages.

    Returns
    -------
    list of RawTranscript
        One transcript (format ``'srt'``) whose utterances carry the speaker as written, the cue
        text, the cue's start and end in seconds and the line of the cue's timing.

    Raises
    ------
    InputError
        When the text does not start with a cue, a block has no timing line or a bad cue number,
        a timing is malformed, negative or ends before it starts, a cue starts before the cue
        above it, or no cue has text.

    Examples
    --------
    >>> srt = "1\\n00:00:01,000 --> 00:00:04,000\\n>> ANN: Hi there.\\n\\n2\\n"
    >>> srt += "00:00:04,000 --> 00:00:05,500\\n<i>Still me.</i>\\n"
    >>> [(u.speaker, u.text, u.start, u.end) for u in parse(srt)[0].utterances]
    [('ANN', 'Hi there.', 1.0, 4.0), ('ANN', 'Still me.', 4.0, 5.5)]
    """
    text = text.removeprefix("\ufeff")
    blocks = caption_blocks(text)
    if not blocks:
        raise InputError(f"is empty; expected SubRip cues ('1', then '{_EXPECTED}')", path=path)
    first_lines = [line for _, line in blocks[0][:2]]
    if not any("-->" in line for line in first_lines):
        hint = (
            " (it looks like WebVTT: read it as .vtt)"
            if first_lines[0].startswith("WEBVTT")
            else ""
        )
        raise InputError(
            f"does not start with a cue (found {first_lines[0][:40]!r}); expected a SubRip file: "
            f"a cue number, then '{_EXPECTED}', then the text{hint}",
            path=path,
            line=blocks[0][0][0],
        )
    utterances: list[RawUtterance] = []
    speaker = ""
    previous: tuple[float, int] | None = None
    for block in blocks:
        cue_id, line, start, end, lines = parse_cue_block(
            block, expected=_EXPECTED, layout=_LAYOUT, path=path
        )
        check_cue_order(start, previous, path=path, line=line)
        previous = (start, line)
        if cue_id is not None and not (cue_id.isascii() and cue_id.isdigit()):
            raise InputError(
                f"cue number is {cue_id[:40]!r}; expected a whole number such as 12",
                path=path,
                line=block[0][0],
            )
        for name, words in caption_segments([(None, x) for x in lines], find_names=True):
            speaker = speaker if name is None else name
            if words:
                utterances.append(RawUtterance(speaker, words, start, end, line=line))
    if not utterances:
        raise InputError(
            f"holds no cues with text; expected cues such as '1', then '{_EXPECTED}', then "
            "'Name: words'",
            path=path,
        )
    return [RawTranscript(utterances, "srt")]

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
  is not a whole number, or a block that starts like a cue (a number, or a clock time) but has
  no timing line, is an error;
- a paragraph of text after a blank line inside a cue is that cue's text, as video players
  read it (they read on to the next cue number and timing line), with one warning counting
  such paragraphs;
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
import warnings

from attunement.errors import AttunementWarning, InputError
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
_LAYOUT = f"a cue number, then '{_EXPECTED}', then the text"
#: The first line of a block meant as a cue: a cue number, or a (maybe broken) clock time.
_CUE_START = re.compile(r"\d+|-?\d+:\d.*")


def _first_cue(text: str) -> str:
    """The first two non-blank lines, stripped and joined by a newline."""
    lines = [line.strip() for line in text.removeprefix("\ufeff").split("\n", 64)[:64]]
    return "\n".join([line for line in lines if line][:2])


def _join_paragraphs(
    blocks: list[list[tuple[int, str]]], *, path: str | None
) -> list[list[tuple[int, str]]]:
    """Join each paragraph of plain text that follows a blank line to the cue above it.

    A block is such a paragraph when nothing in its first two lines is a timing and its first
    line is neither a cue number nor a clock time (those are cues, broken or cut off, and stay
    errors). One warning names the first paragraph's line and counts them.
    """
    out: list[list[tuple[int, str]]] = []
    joined: list[int] = []
    for block in blocks:
        heads = [line for _, line in block[:2]]
        if out and not any("-->" in h for h in heads) and not _CUE_START.fullmatch(heads[0]):
            out[-1] = out[-1] + block
            joined.append(block[0][0])
        else:
            out.append(block)
    if joined:
        n = len(joined)
        where = f"{path}:{joined[0]}: " if path else f"line {joined[0]}: "
        warnings.warn(
            f"{where}{n} paragraph{'s' * (n > 1)} after a blank line inside a cue "
            f"{'are' if n > 1 else 'is'} read as that cue's text, as video players read it; "
            "expected blank lines only between cues",
            AttunementWarning,
            stacklevel=3,
        )
    return out


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
    for block in _join_paragraphs(blocks, path=path):
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

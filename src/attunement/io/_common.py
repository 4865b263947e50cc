"""What every reader shares: safe file access, text decoding and the raw transcript form.

Readers turn bytes into :class:`RawTranscript` objects (speaker names as written in the source);
:func:`attunement.io.roles.assign_roles` then maps names to roles and pseudonyms.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import InputError

__all__ = [
    "MAX_TEXT_BYTES",
    "MISSING_CELLS",
    "UNIX_TIME_RANGE",
    "RawTranscript",
    "RawUtterance",
    "caption_blocks",
    "caption_segments",
    "cells_to_float",
    "check_unix_time",
    "clean_caption_text",
    "csv_rows",
    "decode_csv",
    "decode_text",
    "load_json",
    "parse_clock",
    "parse_cue_block",
    "read_bytes",
    "read_csv_cells",
    "read_csv_text",
    "read_text",
    "split_speaker",
]

#: Largest transcript file read (bytes). A one-hour session is well under 1 MB; a corpus CSV
#: such as AnnoMI is about 10 MB.
MAX_TEXT_BYTES = 512 * 1024 * 1024


@dataclass(slots=True)
class RawUtterance:
    """An utterance as the source wrote it, before roles are assigned.

    ``role`` is set only by formats that carry roles themselves (AnnoMI's ``interlocutor``).
    ``line`` is the 1-based source line, for error messages.
    """

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    line: int | None = None
    role: str | None = None


@dataclass(slots=True)
class RawTranscript:
    """One session's utterances as read from a file (a corpus file yields several)."""

    utterances: list[RawUtterance]
    format: str
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def read_bytes(path: str | os.PathLike[str], *, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """Read a whole file, refusing what is missing, a folder, empty or too large.

    Raises
    ------
    InputError
        Naming ``path``: not found, a directory, empty, or larger than ``max_bytes``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file; expected an existing file", path=p)
    if p.is_dir():
        raise InputError("is a folder; expected a file", path=p)
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"is {size / 2**20:.0f} MiB; expected at most {max_bytes / 2**20:.0f} MiB "
            "for this kind of file",
            path=p,
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror}); expected a readable file", path=p
        ) from exc
    if not data.strip():
        raise InputError("is empty; expected a transcript", path=p)
    return data


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark shows as a NUL in every other byte of ASCII text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def decode_text(
    data: bytes, *, path: str | os.PathLike[str] | None = None, encoding: str | None = None
) -> str:
    """Decode a text file: UTF-8 (with or without BOM) or UTF-16/32 with a BOM, or ``encoding``.

    Line endings are normalised to ``\\n`` and a leading BOM removed.

    Raises
    ------
    InputError
        For binary data, or bytes that are not valid in the encoding, naming the line and byte.

    Examples
    --------
    >>> decode_text("Therapist: hi\\r\\n".encode("utf-16"))
    'Therapist: hi\\n'
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r}; expected a name such as utf-8, utf-16 or cp1252",
                field="encoding",
            ) from None
        name = encoding
        body = data
    else:
        name, body = "utf-8", data
        for bom, enc in _BOMS:
            if data.startswith(bom):
                name, body = enc, data[len(bom) :]
                break
        else:
            guessed = _bomless_utf16(data)
            if guessed is not None:
                name = guessed
    if name == "utf-8" and encoding is None and b"\x00" in body[:65536]:
        raise InputError(
            "is a binary file (it contains NUL bytes); expected a text transcript", path=path
        )
    try:
        text = body.decode(name)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        found = body[exc.start : exc.start + 1].hex()
        hint = ""
        if name == "utf-8":
            hint = (
                "; it may be Windows-1252 or Latin-1: re-save it as UTF-8, or pass "
                "--encoding cp1252"
            )
        raise InputError(
            f"byte 0x{found} is not valid {name.upper()}; expected UTF-8 or UTF-16 text{hint}",
            path=path,
            line=line,
        ) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    control = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\t\f\v")
    if control > max(8, len(text[:65536]) // 100):
        raise InputError(
            "looks binary (it is full of control characters); expected a text transcript",
            path=path,
        )
    return text


def read_text(path: str | os.PathLike[str], *, encoding: str | None = None) -> str:
    """:func:`read_bytes` then :func:`decode_text`."""
    return decode_text(read_bytes(path), path=path, encoding=encoding)


_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?\s*$")


def parse_clock(value: str) -> float | None:
    """Parse ``[h:]m:s[.fff]`` (also ``,fff`` and unpadded ``0:0:13.540``) to seconds, else None.

    Examples
    --------
    >>> parse_clock("01:02:03.500"), parse_clock("0:0:13.540"), parse_clock("2:05")
    (3723.5, 13.54, 125.0)
    >>> parse_clock("in a minute") is None
    True
    """
    m = _CLOCK.match(value)
    if m is None:
        return None
    h, mnt, s, frac = m.groups()
    if int(s) >= 60 or (h is not None and int(mnt) >= 60):
        return None
    seconds = int(h or 0) * 3600 + int(mnt) * 60 + int(s)
    if frac:
        seconds += int(frac) / 10 ** len(frac)
    return float(seconds)


def csv_rows(
    text: str, *, delimiter: str = ",", path: str | os.PathLike[str] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, fields)`` for each row of CSV text; ``line`` is where the row starts.

    Blank lines are skipped. Quoted fields may span lines.

    Raises
    ------
    InputError
        For a quoted field that is never closed (a file cut mid-way), a stray character after a
        closing quote, or a field longer than the csv module allows, naming the row's line.

    Examples
    --------
    >>> list(csv_rows('speaker,text\\n\\nA,"two\\nlines"\\n'))
    [(1, ['speaker', 'text']), (3, ['A', 'two\\nlines'])]
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason:
                reason = (
                    "a quoted field starting here is never closed (the file may be cut off); "
                    "expected a closing '\"'"
                )
            elif "expected after" in reason:
                reason = (
                    f"text follows a closing quote ({exc}); expected quotes inside a field to be "
                    "doubled ('\"\"')"
                )
            else:
                reason = f"cannot be read as CSV ({exc}); expected delimited text"
            raise InputError(reason, path=path, line=line) from None
        if row:
            yield line, row


def load_json(text: str, *, path: str | os.PathLike[str] | None = None) -> Any:
    """Parse JSON text, turning every decoding problem into an :class:`InputError`.

    Raises
    ------
    InputError
        For invalid or truncated JSON (naming the line), numbers too long to read, or nesting
        too deep to read.

    Examples
    --------
    >>> load_json('{"a": [1, 2]}')
    {'a': [1, 2]}
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (the file may be cut off)" if cut else ""
        raise InputError(
            f"is not valid JSON ({exc.msg}, column {exc.colno}){hint}; expected a complete JSON "
            "document",
            path=path,
            line=exc.lineno,
        ) from None
    except RecursionError:
        raise InputError(
            "is nested too deeply to read; expected a JSON transcript", path=path
        ) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InputError(
            f"cannot be read as JSON ({exc}); expected a JSON transcript", path=path
        ) from None


# Shared by the line-based formats (plain text, captions): speaker prefixes and caption cues.

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


# --- numeric tables (wearable exports, signal CSVs) -------------------------------------------

#: Cell texts read as a missing value where a reader allows missing values (Praat writes
#: ``--undefined--``).
MISSING_CELLS = frozenset({"", "nan", "na", "n/a", "null", "--undefined--"})

#: Plausible Unix times of a recording: from 2000-01-01 up to (not including) 2100-01-01 UTC.
UNIX_TIME_RANGE = (946_684_800.0, 4_102_444_800.0)


def _as_table_error(exc: InputError) -> InputError:
    """The same error, worded for a table of numbers rather than a transcript."""
    message = exc.message.replace("a text transcript", "comma-separated text").replace(
        "a transcript", "comma-separated text"
    )
    return InputError(message, path=exc.path, line=exc.line, field=exc.field)


def decode_csv(data: bytes, *, path: str | os.PathLike[str] | None = None) -> str:
    """:func:`decode_text` for a table of numbers (an empty file is refused too).

    Raises
    ------
    InputError
        For empty or binary data, or bytes that are not valid text.

    Examples
    --------
    >>> decode_csv(b"1614680000.000000\\r\\n4.000000\\r\\n")
    '1614680000.000000\\n4.000000\\n'
    """
    if not data.strip():
        raise InputError("is empty; expected comma-separated text", path=path)
    try:
        return decode_text(data, path=path)
    except InputError as exc:
        raise _as_table_error(exc) from None


def read_csv_text(path: str | os.PathLike[str]) -> str:
    """:func:`read_bytes` then :func:`decode_csv`, with messages about tables, not transcripts."""
    try:
        data = read_bytes(path)
    except InputError as exc:
        raise _as_table_error(exc) from None
    return decode_csv(data, path=path)


_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PARSER_ROW = re.compile(r"EOF inside string starting at row (\d+)")


def read_csv_cells(
    text: str,
    *,
    path: str | os.PathLike[str] | None = None,
    first_line: int = 1,
    sep: str = ",",
) -> pd.DataFrame:
    """Split delimited text into a table of cell texts, one row per line, fast.

    Every row must have as many cells as the first; blank lines at the end are dropped, a blank
    line elsewhere is refused. Spaces after a delimiter are ignored and quoted cells are
    unquoted. Row ``i`` of the result is line ``first_line + i``. Parsing uses pandas' C reader:
    a million rows take well under a second.

    Parameters
    ----------
    text : str
    path : path-like, optional
        For error messages.
    first_line : int
        The 1-based line of the file that ``text`` starts at.
    sep : str
        The delimiter.

    Returns
    -------
    pandas.DataFrame
        Cell texts (``str``), columns numbered from 0; no rows and no columns for blank text.

    Raises
    ------
    InputError
        For a blank line, a row with more or fewer cells than the first, or a quoted cell that
        is never closed or spans lines, naming the line.

    Examples
    --------
    >>> read_csv_cells("1, 2\\n3,4\\n").to_numpy().tolist()
    [['1', '2'], ['3', '4']]
    """
    body = text.rstrip()
    if not body:
        return pd.DataFrame()
    if not body.split("\n", 1)[0].strip():
        raise InputError("is blank; expected a row of values", path=path, line=first_line)
    try:
        cells = pd.read_csv(
            io.StringIO(body),
            sep=sep,
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            skipinitialspace=True,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        reason = str(exc)
        if m := _PARSER_LINE.search(reason):
            expected, line, found = (int(g) for g in m.groups())
            raise InputError(
                f"has {found} cells; expected {expected} like the first row",
                path=path,
                line=first_line + line - 1,
            ) from None
        if m := _PARSER_ROW.search(reason):
            raise InputError(
                "a quoted cell starting here is never closed (the file may be cut off); "
                "expected a closing '\"'",
                path=path,
                line=first_line + int(m.group(1)),
            ) from None
        raise InputError(
            f"cannot be read as a table ({reason.strip()}); expected {sep!r}-separated values",
            path=path,
        ) from None
    n_lines = body.count("\n") + 1
    if len(cells) != n_lines:  # a quoted cell holds a line break
        for col in cells.columns:
            spans = np.flatnonzero(cells[col].str.contains("\n", regex=False).to_numpy())
            if spans.size:
                raise InputError(
                    "a quoted cell spans lines; expected one row per line",
                    path=path,
                    line=first_line + int(spans[0]),
                )
    short = np.flatnonzero((cells.iloc[:, -1] == "").to_numpy())
    if short.size:  # an empty last cell: written so, or the row is short or blank
        lines = body.split("\n")
        width = cells.shape[1]
        for row in short:
            raw = lines[row]
            if not raw.strip():
                raise InputError(
                    f"is blank; expected a row of {width} value{'s' * (width > 1)}",
                    path=path,
                    line=first_line + int(row),
                )
            found = len(next(csv.reader([raw], delimiter=sep, skipinitialspace=True)))
            if found != width:
                raise InputError(
                    f"has {found} cell{'s' * (found > 1)}; expected {width} like the first row",
                    path=path,
                    line=first_line + int(row),
                )
    return cells


def cells_to_float(
    cells: pd.DataFrame,
    *,
    path: str | os.PathLike[str] | None = None,
    first_line: int = 1,
    names: Sequence[str] | None = None,
    missing: bool = False,
) -> np.ndarray:
    """Read a table of cell texts (from :func:`read_csv_cells`) as finite numbers.

    Parameters
    ----------
    cells : pandas.DataFrame
        Cell texts; row ``i`` is line ``first_line + i`` of ``path``.
    path : path-like, optional
    first_line : int
    names : sequence of str, optional
        Column names, for error messages.
    missing : bool
        Read the cells in :data:`MISSING_CELLS` (empty, ``nan``, ``NA``...) as NaN instead of
        refusing them.

    Returns
    -------
    numpy.ndarray
        Float array of the table's shape.

    Raises
    ------
    InputError
        For the first cell (in reading order) that is not a finite number, naming its line,
        its column and what it holds.

    Examples
    --------
    >>> cells_to_float(read_csv_cells("1,2.5\\n3,nan"), missing=True).tolist()
    [[1.0, 2.5], [3.0, nan]]
    """
    out = np.empty(cells.shape, dtype=float)
    first_bad: tuple[int, int] | None = None
    for j, col in enumerate(cells.columns):
        x = np.array(pd.to_numeric(cells[col], errors="coerce"), dtype=float)
        bad = ~np.isfinite(x)
        if bad.any() and missing:
            where = np.flatnonzero(bad)
            tokens = cells[col].iloc[where].str.strip().str.lower()
            allowed = where[tokens.isin(MISSING_CELLS).to_numpy()]
            x[allowed] = np.nan
            bad[allowed] = False
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            if first_bad is None or row < first_bad[0]:
                first_bad = (row, j)
        out[:, j] = x
    if first_bad is not None:
        row, j = first_bad
        found = str(cells.iat[row, j])
        shown = repr(found if len(found) <= 40 else found[:40] + "...")
        what = "an empty cell" if not found.strip() else shown
        expected = "a finite number" + (" (or an empty cell for a missing value)" * missing)
        raise InputError(
            f"found {what}; expected {expected}",
            path=path,
            line=first_line + row,
            field=None if names is None else names[j],
        )
    return out


def check_unix_time(
    value: float,
    *,
    path: str | os.PathLike[str] | None = None,
    line: int | None = None,
    field: str | None = None,
) -> float:
    """Refuse a time that is not plausible Unix seconds of a recording (2000 to 2100, UTC).

    Raises
    ------
    InputError
        Naming what was found (also as a date when it is one) and the range expected.

    Examples
    --------
    >>> check_unix_time(1614680000.0)
    1614680000.0
    """
    low, high = UNIX_TIME_RANGE
    value = float(value)
    if not low <= value < high:
        shown = f"{value!r}"
        if math.isfinite(value) and -6e10 < value < 2.5e11:
            date = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=value)
            shown += f" ({date:%Y-%m-%d})"
        raise InputError(
            f"{shown} is not a plausible Unix time; expected seconds since 1970-01-01 UTC of a "
            "recording made between 2000 and 2100",
            path=path,
            line=line,
            field=field,
        )
    return float(value)

"""Helpers for tabular inputs: CSV rows with their lines, JSON, and fast tables of numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import Source, decode_text, read_bytes, source_name

__all__ = [
    "MISSING_CELLS",
    "UNIX_TIME_RANGE",
    "cells_to_float",
    "check_unique_columns",
    "check_unix_time",
    "csv_rows",
    "decode_csv",
    "drop_impossible",
    "load_json",
    "read_csv_cells",
    "read_csv_text",
]


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


def check_unique_columns(
    names: Sequence[str],
    *,
    path: str | os.PathLike[str] | None = None,
    line: int | None = None,
    key: Callable[[str], str] = str.strip,
    read: Collection[str] | None = None,
) -> None:
    """Refuse a header that names a column twice (a reader would silently keep one of them).

    Parameters
    ----------
    names : sequence of str
        The header's column names, in order.
    path : path-like, optional
    line : int, optional
        The header's line, for the message.
    key : callable
        How names are compared (the reader's normalisation, e.g. case-insensitive).
    read : collection of str, optional
        Only names whose key is in ``read`` (the columns the reader uses) are checked; default
        all non-empty names.

    Raises
    ------
    InputError
        Naming the column and the positions (1-based) it appears at.

    Examples
    --------
    >>> check_unique_columns(["speaker", "text", "Text"], path="s.csv", line=1, key=str.lower)
    Traceback (most recent call last):
    ...
    attunement.errors.InputError: s.csv:1: column 'text' appears twice in the header (columns 2 \
and 3); expected each column once
    """
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        k = key(name)
        if not k or (read is not None and k not in read):
            continue
        if k in seen:
            first = seen[k]
            raise InputError(
                f"column {names[first].strip()[:40]!r} appears twice in the header (columns "
                f"{first + 1} and {i + 1}); expected each column once",
                path=path,
                line=line,
            )
        seen[k] = i


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


#: Cell texts read as a missing value where a reader allows missing values (Praat writes
#: ``--undefined--``).
MISSING_CELLS = frozenset({"", "nan", "na", "n/a", "null", "--undefined--"})

#: Plausible Unix times of a recording: from 2000-01-01 up to (not including) 2100-01-01 UTC.
UNIX_TIME_RANGE = (946_684_800.0, 4_102_444_800.0)


_TABLE = "comma-separated text"


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
        raise InputError(f"is empty; expected {_TABLE}", path=path)
    return decode_text(data, path=path, what=_TABLE)


def read_csv_text(path: Source) -> str:
    """:func:`read_bytes` then :func:`decode_csv`, with messages about tables, not transcripts."""
    return decode_csv(read_bytes(path, what=_TABLE), path=source_name(path))


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
        try:  # numpy's string conversion is exact (correctly rounded), unlike pandas' fast parser
            x = cells[col].to_numpy(dtype=str).astype(float)
        except ValueError:
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


#: Values no sensor of the kind can measure: kind -> (test of a bad value, what is expected).
#: Skin conductance is never below 0 µS (an E4 lying off the wrist writes about 0, never less)
#: and a heart rate is a positive number of beats per minute.
_IMPOSSIBLE: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "eda": (lambda v: v < 0, "skin conductance of 0 µS or more"),
    "hr": (lambda v: v <= 0, "a heart rate above 0 bpm"),
}


def drop_impossible(
    values: np.ndarray,
    kind: str,
    *,
    path: str | os.PathLike[str] | None = None,
    first_line: int = 1,
    field: str | None = None,
) -> np.ndarray:
    """Mark values that no sensor of ``kind`` can measure as missing (NaN), with one warning.

    Parameters
    ----------
    values : ndarray
        One value per row; row 0 is on line ``first_line``.
    kind : str
        The signal kind; only ``eda`` and ``hr`` have a physical bound checked.

    Warns
    -----
    AttunementWarning
        ``FILE:LINE: FIELD: N values such as -0.2 are impossible; expected ...; read as
        missing``, naming the first.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     out = drop_impossible(np.array([0.3, -0.2, 0.4]), "eda", path="EDA.csv", first_line=3)
    >>> out.tolist(), str(w[0].message).split(";")[0]
    ([0.3, nan, 0.4], 'EDA.csv:4: 1 value (-0.2) is impossible')
    """
    rule = _IMPOSSIBLE.get(kind)
    if rule is None or values.size == 0:
        return values
    test, expected = rule
    with np.errstate(invalid="ignore"):
        bad = test(values)
    if not bad.any():
        return values
    first = int(np.argmax(bad))
    n = int(bad.sum())
    where = "" if path is None else f"{os.fspath(path)}:{first + first_line}: "
    if field is not None:
        where += f"{field}: "
    many = f"{n} values (the first {values[first]:g})" if n > 1 else f"1 value ({values[first]:g})"
    warnings.warn(
        f"{where}{many} {'are' if n > 1 else 'is'} impossible; expected {expected}; read as "
        "missing (a sensor fault or a wrong column)",
        AttunementWarning,
        stacklevel=3,
    )
    out = values.astype(float, copy=True)
    out[bad] = np.nan
    return out

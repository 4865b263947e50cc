"""CSV that a spreadsheet cannot run: every CSV the project writes goes through here.

A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return before one) as a formula and runs it: an utterance such as
``=HYPERLINK("http://evil.example/","open")`` or a client label would become a live link or a
command. As OWASP recommends (*CSV Injection*), such a **text** cell gets a leading single quote
``'``, which the spreadsheet shows as text; read back with pandas, the cell is the original text
with a ``'`` in front. Numbers are never changed: a numeric column (and a number in a mixed
column) is data, so ``-0.5`` stays ``-0.5``.

A cell holding a line break is quoted, a lone carriage return too (Python's :mod:`csv` leaves
that one bare when rows end in ``\n``, and a spreadsheet would start a new row there, whose first
cell could then be a formula).

:func:`safe_csv` writes a table (a DataFrame or rows of mappings); :func:`safe_csv_text` makes a
CSV written earlier (before this module existed) safe; both use :func:`neutralise_cell`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise_cell", "safe_csv", "safe_csv_text"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text that starts with one of
    :data:`FORMULA_STARTS`; anything else (numbers included) unchanged.

    Parameters
    ----------
    value : object
        One cell.

    Returns
    -------
    object
        The cell as written to a CSV.

    Examples
    --------
    >>> neutralise_cell('=HYPERLINK("http://evil.example/","open")')
    '\\'=HYPERLINK("http://evil.example/","open")'
    >>> neutralise_cell("-2+3"), neutralise_cell(-0.5), neutralise_cell("fine")
    ("'-2+3", -0.5, 'fine')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _write(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV with ``\\n`` line ends, quoting every cell that holds ``\\r`` or ``\\n``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # quotes a cell with either character
    out = []
    for row in rows:
        writer.writerow(row)
        out.append(buf.getvalue()[:-2] + "\n")
        buf.seek(0)
        buf.truncate()
    return "".join(out)


def _is_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def safe_csv(
    table: pd.DataFrame | Sequence[Mapping[str, Any]], *, columns: Sequence[str] | None = None
) -> str:
    """``table`` as CSV text (no index, ``\\n`` line ends) with every text cell neutralised.

    Parameters
    ----------
    table : pandas.DataFrame or sequence of mappings
        A DataFrame: only its text columns (object, string, categorical) are changed, and in an
        object column only the cells that are ``str``. Rows of mappings: each ``str`` value is
        changed; ``None`` or a missing key is written as an empty cell.
    columns : sequence of str, optional
        The columns, in order: required for rows of mappings; for a DataFrame, a selection.

    Returns
    -------
    str
        The CSV, header first (header cells are neutralised too).

    Raises
    ------
    TypeError
        When ``columns`` is missing for rows of mappings.

    Examples
    --------
    >>> frame = pd.DataFrame({"text": ["=1+1", "hello"], "r": [-0.5, 0.25]})
    >>> print(safe_csv(frame), end="")
    text,r
    '=1+1,-0.5
    hello,0.25
    >>> print(safe_csv([{"label": "@me", "n": -1}], columns=["label", "n"]), end="")
    label,n
    '@me,-1
    """
    if isinstance(table, pd.DataFrame):
        frame = table if columns is None else table[list(columns)]
        frame = frame.rename(columns=neutralise_cell)
        for i in range(frame.shape[1]):
            column = frame.iloc[:, i]
            if _is_text(column):
                frame.isetitem(i, column.astype(object).map(neutralise_cell, na_action="ignore"))
        # pandas formats the cells; its rows are written again to quote lone carriage returns
        text = frame.to_csv(index=False, lineterminator="\r\n")
        return _write(csv.reader(io.StringIO(text, newline="")))
    if columns is None:
        raise TypeError("safe_csv needs columns= for rows of mappings")
    header = [neutralise_cell(c) for c in columns]
    return _write([header, *([neutralise_cell(row.get(c)) for c in columns] for row in table)])


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def safe_csv_text(text: str) -> str:
    """A CSV written earlier, with its text cells neutralised (applying it twice changes nothing).

    The columns are told apart as a DataFrame's dtypes would be: a column whose non-empty cells
    are all numbers is numeric and left as it is. Every other cell is kept byte for byte unless it
    starts with one of :data:`FORMULA_STARTS`.

    Parameters
    ----------
    text : str
        CSV text with a header row.

    Returns
    -------
    str
        The same CSV, ``\\n`` line ends.

    Examples
    --------
    >>> print(safe_csv_text("text,r\\n=1+1,-0.5\\n-2 apples,\\n"), end="")
    text,r
    '=1+1,-0.5
    '-2 apples,
    """
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return text
    header, body = rows[0], rows[1:]
    width = max(len(r) for r in rows)
    numeric = [all(_number(r[i]) for r in body if i < len(r) and r[i] != "") for i in range(width)]
    return _write(
        [
            [neutralise_cell(c) for c in header],
            *([c if numeric[i] else neutralise_cell(c) for i, c in enumerate(r)] for r in body),
        ]
    )

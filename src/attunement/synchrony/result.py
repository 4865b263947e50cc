"""The one result shape of the measurements of :mod:`attunement.synchrony` and
:mod:`attunement.language`.

Every measurement returns a :class:`MeasurementResult` (a frozen dataclass; each measurement
has its own subclass with what else it keeps):

- ``.table``: a long, tidy :class:`pandas.DataFrame`, one row per unit the measurement looks
  at (a window, a window and lag, a turn pair, a category, a session);
- ``.summary``: a one-row DataFrame, the measurement's figures;
- ``.method``: a :class:`Method` bound to the parameters that actually ran, its description
  written from them for a methods paragraph.

Column names are snake_case and identifier-safe (``r``, ``lag_s``, ``p_value``), fixed for each
measurement and listed in its docstring. ``result["p_value"]`` reads one figure of the summary
as a Python scalar, and :meth:`MeasurementResult.as_dict` the whole row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["MeasurementResult", "Method", "one_row"]

#: A column name: lower case words joined by ``_`` (digits allowed after the first letter).
_COLUMN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
#: A placeholder left in a description (``{window_s}``): never shown to a reader.
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z_0-9]*\}")


@dataclass(frozen=True, slots=True, eq=False)
class Method(Mapping[str, Any]):
    """What a measurement did, for a methods paragraph and for provenance.

    A read-only mapping with the keys ``name``, ``description``, ``parameters`` and
    ``citation`` (in that order), so that ``dict(method)`` is the entry results.json keeps
    under ``provenance.methods``.

    Attributes
    ----------
    name : str
        snake_case name of the method (``'windowed_cross_lagged_correlation'``).
    description : str
        Sentences for a methods paragraph, written from ``parameters``.
    parameters : dict
        The parameters that ran, by name.
    citation : str or None
        The reference(s) to cite.

    Raises
    ------
    ValueError
        When the name is not snake_case or the description holds an unfilled placeholder
        such as ``{window_s}``.

    Examples
    --------
    >>> m = Method("demo", "Windows of 30 s.", {"window_s": 30.0})
    >>> m["parameters"]["window_s"], dict(m)["citation"]
    (30.0, None)
    """

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    citation: str | None = None

    _KEYS: ClassVar[tuple[str, ...]] = ("name", "description", "parameters", "citation")

    def __post_init__(self) -> None:
        if not _COLUMN.match(self.name):
            raise ValueError(f"method name {self.name!r} is not snake_case")
        left = _PLACEHOLDER.search(self.description)
        if left:
            raise ValueError(f"the description of {self.name} leaves {left.group()} unfilled")
        object.__setattr__(self, "parameters", dict(self.parameters))

    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)

    def to_dict(self) -> dict[str, Any]:
        """The entry as a plain dict (``parameters`` copied)."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": dict(self.parameters),
            "citation": self.citation,
        }


def _scalar(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def one_row(**values: Any) -> pd.DataFrame:
    """A one-row summary DataFrame with the columns in the order given.

    Parameters
    ----------
    **values
        Column name -> its one value.

    Returns
    -------
    pandas.DataFrame
        One row; the columns are the names given, in order.

    Examples
    --------
    >>> one_row(r=0.5, n_pairs=12).to_dict("records")
    [{'r': 0.5, 'n_pairs': 12}]
    """
    return pd.DataFrame([values], columns=list(values))


def _check_columns(frame: Any, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} is a {type(frame).__name__}; expected a pandas DataFrame")
    bad = [c for c in frame.columns if not (isinstance(c, str) and _COLUMN.match(c))]
    if bad:
        raise ValueError(f"{what} has column names that are not snake_case identifiers: {bad}")


@dataclass(frozen=True, slots=True, eq=False)
class MeasurementResult:
    """What a measurement returns: a long table, a one-row summary and the method that ran.

    Attributes
    ----------
    table : pandas.DataFrame
        Long and tidy: one row per unit measured; the columns are listed by each measurement.
    summary : pandas.DataFrame
        Exactly one row: the measurement's figures (NaN where undefined).
    method : Method
        Bound to the parameters that ran.

    Raises
    ------
    ValueError
        When ``summary`` has other than one row, or a column name of a table (these two and
        any other a subclass keeps) is not a snake_case identifier.

    Examples
    --------
    >>> res = MeasurementResult(
    ...     table=pd.DataFrame({"window": [0, 1], "r": [0.2, 0.4]}),
    ...     summary=one_row(mean_r=0.3, n_windows=2),
    ...     method=Method("demo", "Two windows.", {"window_s": 30.0}),
    ... )
    >>> res["mean_r"], res.as_dict()
    (0.3, {'mean_r': 0.3, 'n_windows': 2})
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    method: Method

    def __post_init__(self) -> None:
        _check_columns(self.table, "the table")
        _check_columns(self.summary, "the summary")
        for f in fields(self)[3:]:
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                _check_columns(value, f"the {f.name} table")
        if len(self.summary) != 1:
            raise ValueError(f"the summary has {len(self.summary)} rows; expected one")
        if not isinstance(self.method, Method):
            raise TypeError(f"method is a {type(self.method).__name__}; expected a Method")

    def __getitem__(self, column: str) -> Any:
        """One figure of the summary, as a Python scalar.

        Raises
        ------
        KeyError
            When ``column`` is not a column of the summary (the message lists them).
        """
        if column not in self.summary.columns:
            raise KeyError(
                f"{column!r} is not a column of the summary; expected one of "
                f"{', '.join(self.summary.columns)}"
            )
        return _scalar(self.summary[column].iloc[0])

    def as_dict(self) -> dict[str, Any]:
        """The summary's row as a dict of Python scalars, in column order."""
        return {c: self[c] for c in self.summary.columns}

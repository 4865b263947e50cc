"""A generic signal CSV: one person's physiological or vocal series from any device or tool.

Three layouts are read (comma- or tab-separated; UTF-8, or UTF-16/32 with a byte-order mark):

(a) A header with a time column (``time``, ``t``, ``timestamp``, ``seconds`` or ``time_s``) and
    one or more value columns named by kind (``eda``, ``hr``, ``ibi``, ``bvp``, ``temp``,
    ``f0``, ``intensity``), or any one value column when ``kind=`` is given. Times are seconds
    (relative to anything, or Unix seconds when above 1e8) or ISO-8601 timestamps, converted
    to Unix seconds; timestamps without a timezone are read as UTC, with a warning.
    Evenly spaced times give a regular signal, others an irregular one (see
    :func:`read_signal_csv`).
(b) A header of value columns without a time column, or no header at all: ``sampling_rate=``
    and ``start=`` say when the samples were taken.
(c) No header, and no ``sampling_rate=`` / ``start=``: the Empatica E4 layout, whose first two
    rows are the start time (Unix seconds) and the sampling rate (see
    :func:`attunement.io.e4.parse_e4_csv`), including ``IBI.csv``'s (its ``start, IBI`` first
    row also says the kind). ``meta['layout']`` is then ``'e4'``.

Values may be missing (an empty cell, ``nan``, ``NA``, Praat's ``--undefined--``): they become
NaN. Times may not be missing.
"""

from __future__ import annotations

import math
import numbers
import re
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import InMemoryFile, Source, source_name
from attunement.io._tables import (
    cells_to_float,
    check_unix_time,
    drop_impossible,
    read_csv_cells,
    read_csv_text,
)
from attunement.io.e4 import parse_e4_csv
from attunement.model import ROLES, SIGNAL_KINDS, Signal

__all__ = ["JITTER", "TIME_COLUMNS", "UNIX_THRESHOLD", "VALUE_COLUMNS", "read_signal_csv"]

#: Header names of the time column (any case).
TIME_COLUMNS = ("time", "t", "timestamp", "seconds", "time_s")
#: Header names of value columns (any case): the signal kinds a column can hold.
VALUE_COLUMNS = ("eda", "hr", "ibi", "bvp", "temp", "f0", "intensity")
#: Times above this are Unix seconds; below, seconds on some other clock (e.g. the session's).
UNIX_THRESHOLD = 1e8
#: Largest distance of a time from the evenly spaced grid, as a fraction of the step, for the
#: series to count as regularly sampled.
JITTER = 0.01

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TIMEZONE = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.I)
_EPOCH = pd.Timestamp(0, tz="UTC")
_EXPECTED_HEADER = (
    f"a time column named {', '.join(TIME_COLUMNS)} and value columns named "
    f"{', '.join(VALUE_COLUMNS)} (or any one value column when kind= is given)"
)


def _check_arguments(
    kind: str | None, role: str, sampling_rate: float | None, start: float | None
) -> None:
    if role not in ROLES:
        raise InputError(f"is {role!r}; expected one of {', '.join(ROLES)}", field="role")
    if kind is not None and kind not in SIGNAL_KINDS:
        raise InputError(f"is {kind!r}; expected one of {', '.join(SIGNAL_KINDS)}", field="kind")
    for name, value in (("sampling_rate", sampling_rate), ("start", start)):
        if value is None:
            continue
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not real or not math.isfinite(value):
            raise InputError(f"is {value!r}; expected a finite number", field=name)
        if name == "sampling_rate" and value <= 0:
            raise InputError(f"is {value!r}; expected a positive number of Hz", field=name)


def read_signal_csv(
    path: Source,
    *,
    kind: str | None = None,
    role: str,
    sampling_rate: float | None = None,
    start: float | None = None,
) -> tuple[Signal, ...]:
    """Read a CSV of one person's signal values (one signal per value column).

    Parameters
    ----------
    path : path-like or InMemoryFile
    kind : str, optional
        The signal kind (one of :data:`attunement.model.SIGNAL_KINDS`) of a file whose header
        does not name it, or that has no header. With several value columns, the one named
        ``kind`` is read.
    role : {'therapist', 'client', 'other'}
        Who the signal is from.
    sampling_rate : float, optional
        Hz, for a file without a time column (give ``start`` too).
    start : float, optional
        Time of the first sample, for a file without a time column.

    Returns
    -------
    tuple of Signal
        In column order. With a time column, a series is regular (``start`` = first time)
        when every time lies within :data:`JITTER` of a step of the evenly spaced grid from
        the first time to the last, give or take half the last decimal the times are written
        with (at most a tenth of a step); ``sampling_rate`` is then the simplest rate whose
        grid fits the times as written (64.0 for millisecond timestamps of a 64 Hz device),
        else (n − 1) / (last − first). Otherwise, and always for ``ibi``, it is irregular
        (``sampling_rate`` None, ``times`` as written, ``start`` = first time).
        Times are Unix seconds for Unix or ISO-8601 times, else as written. ``meta`` holds
        ``file`` and ``column``.

    Raises
    ------
    InputError
        Naming the line and column: an empty, binary or undecodable file, a header without
        rows, an unknown column name (listing the expected ones), a cell that is not a number
        or a timestamp, times that repeat or go backwards, implausible Unix times, a row with
        the wrong number of cells, no kind for a file that does not name it, or
        ``sampling_rate`` / ``start`` missing where there is no time column (or given where
        there is one).

    Warns
    -----
    AttunementWarning
        When ISO-8601 timestamps have no timezone (they are read as UTC).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "eda.csv"
    >>> _ = f.write_text("time,eda\\n0.00,0.31\\n0.25,0.32\\n0.50,\\n")
    >>> (s,) = read_signal_csv(f, role="client")
    >>> s.kind, s.sampling_rate, s.start, s.values.tolist()
    ('eda', 4.0, 0.0, [0.31, 0.32, nan])
    """
    _check_arguments(kind, role, sampling_rate, start)
    p = path if isinstance(path, InMemoryFile) else Path(path)
    where = source_name(p)
    text = read_csv_text(p)
    first = text.split("\n", 1)[0]
    sep = "\t" if "\t" in first and "," not in first else ","
    cells = read_csv_cells(text, path=where, sep=sep)
    if cells.empty:
        raise InputError("holds no values; expected a CSV of signal values", path=where)
    head = [str(c).strip() for c in cells.iloc[0]]
    meta = {"file": p.name}
    if all(_NUMBER.fullmatch(c) for c in head) or _is_ibi_header(head):
        if kind is None and _is_ibi_header(head):
            kind = "ibi"
        if kind is None:
            raise InputError(
                f"has no header naming its columns; expected a header with {_EXPECTED_HEADER}, "
                f"or pass kind= (one of {', '.join(SIGNAL_KINDS)})",
                path=where,
                line=1,
                field="kind",
            )
        if sampling_rate is None and start is None:
            signal = parse_e4_csv(text, kind=kind, role=role, path=where)
            if signal is None:
                raise InputError(
                    "has a start time and a sampling rate but no samples; expected values "
                    "from line 3 on",
                    path=where,
                    line=3,
                )
            return (replace(signal, meta={**meta, "layout": "e4"}),)
        _need_rate_and_start(
            sampling_rate, start, where, "the file has no header (nor an E4-style start and rate)"
        )
        width = 3 if kind == "acc" else 1
        if cells.shape[1] != width:
            raise InputError(
                f"has {cells.shape[1]} columns; expected {width} for {kind} without a header",
                path=where,
                line=1,
            )
        values = cells_to_float(cells, path=where, missing=True)
        if width == 1:
            values = drop_impossible(values[:, 0], kind, path=where)[:, None]
        return (
            Signal(
                kind, role, sampling_rate, values if width == 3 else values[:, 0], start, meta=meta
            ),
        )
    return _read_with_header(
        cells,
        head,
        kind=kind,
        role=role,
        sampling_rate=sampling_rate,
        start=start,
        path=where,
        meta=meta,
    )


def _is_ibi_header(head: list[str]) -> bool:
    return len(head) == 2 and bool(_NUMBER.fullmatch(head[0])) and head[1].casefold() == "ibi"


def _need_rate_and_start(
    sampling_rate: float | None, start: float | None, where: str, why: str
) -> None:
    if sampling_rate is None or start is None:
        missing = "sampling_rate" if sampling_rate is None else "start"
        raise InputError(
            f"is not given; {why}, so sampling_rate= and start= are needed to place its "
            "samples in time",
            path=where,
            field=missing,
        )


def _value_columns(
    head: list[str], value_idx: list[int], kind: str | None, where: str
) -> dict[int, str]:
    """Column index -> signal kind."""
    keys = [h.casefold() for h in head]
    if kind is not None:
        if kind == "acc":
            raise InputError(
                "kind='acc' is read from an E4-style ACC.csv or a headerless file of x,y,z rows; "
                f"expected {_EXPECTED_HEADER}",
                path=where,
                line=1,
                field="kind",
            )
        if len(value_idx) == 1:
            i = value_idx[0]
            if keys[i] in SIGNAL_KINDS and keys[i] != kind:
                raise InputError(
                    f"column {head[i]!r} holds {keys[i]} but kind={kind!r} was given; expected "
                    "a column of that kind",
                    path=where,
                    line=1,
                    field=head[i],
                )
            return {i: kind}
        named = [i for i in value_idx if keys[i] == kind]
        if len(named) != 1:
            raise InputError(
                f"has value columns {', '.join(map(repr, (head[i] for i in value_idx)))} and "
                f"{len(named) or 'none'} named {kind!r}; expected one value column, or one "
                "named after kind=",
                path=where,
                line=1,
            )
        return {named[0]: kind}
    out: dict[int, str] = {}
    for i in value_idx:
        if keys[i] not in VALUE_COLUMNS:
            hint = " separated by commas or tabs" if ";" in head[i] else ""
            raise InputError(
                f"unknown column {head[i]!r}; expected {_EXPECTED_HEADER}{hint}",
                path=where,
                line=1,
                field=head[i] or f"column {i + 1}",
            )
        if keys[i] in out.values():
            raise InputError(
                f"has two {keys[i]} columns; expected one column per kind",
                path=where,
                line=1,
                field=head[i],
            )
        out[i] = keys[i]
    return out


def _read_with_header(
    cells: pd.DataFrame,
    head: list[str],
    *,
    kind: str | None,
    role: str,
    sampling_rate: float | None,
    start: float | None,
    path: str,
    meta: dict[str, str],
) -> tuple[Signal, ...]:
    keys = [h.casefold() for h in head]
    time_idx = [i for i, k in enumerate(keys) if k in TIME_COLUMNS]
    if len(time_idx) > 1:
        raise InputError(
            f"has several time columns ({', '.join(head[i] for i in time_idx)}); expected one",
            path=path,
            line=1,
        )
    value_idx = [i for i in range(len(head)) if i not in time_idx]
    if not value_idx:
        raise InputError(f"has no value column; expected {_EXPECTED_HEADER}", path=path, line=1)
    columns = _value_columns(head, value_idx, kind, path)
    data = cells.iloc[1:]
    if data.empty:
        raise InputError(
            "has a header but no rows; expected values from line 2 on", path=path, line=2
        )
    times = rate = None
    if time_idx:
        if sampling_rate is not None or start is not None:
            raise InputError(
                f"has a time column ({head[time_idx[0]]!r}); sampling_rate= and start= are only "
                "for files without one",
                path=path,
                field="sampling_rate" if sampling_rate is not None else "start",
            )
        times, naive = _read_times(data.iloc[:, time_idx[0]], head[time_idx[0]], path)
        if naive:
            warnings.warn(
                f"{path}: timestamps in column {head[time_idx[0]]!r} have no timezone; they "
                "are read as UTC (add 'Z' or an offset such as +01:00 to say otherwise)",
                AttunementWarning,
                stacklevel=3,
            )
        rate = _regular_rate(times)
    else:
        _need_rate_and_start(
            sampling_rate, start, path, f"the file has no time column ({', '.join(TIME_COLUMNS)})"
        )
    idx = list(columns)
    values = cells_to_float(
        data.iloc[:, idx], path=path, first_line=2, names=[head[i] for i in idx], missing=True
    )
    signals = []
    for j, (i, k) in enumerate(columns.items()):
        m = {**meta, "column": head[i]}
        values[:, j] = drop_impossible(values[:, j], k, path=path, first_line=2, field=head[i])
        if times is None:
            signals.append(Signal(k, role, sampling_rate, values[:, j], start, meta=m))
        elif rate is not None and k != "ibi":
            signals.append(Signal(k, role, rate, values[:, j], times[0], meta=m))
        else:
            signals.append(Signal(k, role, None, values[:, j], times[0], times=times, meta=m))
    return tuple(signals)


def _read_times(col: pd.Series, name: str, path: str) -> tuple[np.ndarray, bool]:
    """Times in seconds (Unix seconds for timestamps) and whether timestamps lacked a timezone."""
    naive = False
    if _NUMBER.fullmatch(col.iat[0].strip()):
        times = cells_to_float(col.to_frame(), path=path, first_line=2, names=[name])[:, 0]
        if times[0] > UNIX_THRESHOLD:
            check_unix_time(times[0], path=path, line=2, field=name)
        elif times[-1] > UNIX_THRESHOLD:
            i = int(np.argmax(times > UNIX_THRESHOLD))
            raise InputError(
                f"is {times[i]:g} after {times[i - 1]:g}; expected relative seconds throughout "
                f"or Unix seconds (above {UNIX_THRESHOLD:g}) throughout",
                path=path,
                line=i + 2,
                field=name,
            )
    else:
        times, naive = _parse_timestamps(col, name, path)
    steps = np.diff(times)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        what = "repeats the time" if steps[i] == 0 else "goes back in time from"
        raise InputError(
            f"{what} {col.iat[i].strip()!r} of line {i + 2} ({col.iat[i + 1].strip()!r}); "
            "expected increasing times",
            path=path,
            line=i + 3,
            field=name,
        )
    if times[0] > UNIX_THRESHOLD:
        check_unix_time(times[-1], path=path, line=len(times) + 1, field=name)
    return times, naive


def _parse_timestamps(col: pd.Series, name: str, path: str) -> tuple[np.ndarray, bool]:
    texts = col.str.strip()
    try:
        stamps = pd.to_datetime(texts, format="ISO8601", utc=True, errors="coerce")
    except (ValueError, OverflowError, TypeError):
        stamps = pd.Series(pd.NaT, index=texts.index)
    bad = stamps.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"found {texts.iat[i][:40]!r}; expected seconds or an ISO-8601 timestamp such as "
            "2021-03-02T14:00:00.250+01:00",
            path=path,
            line=i + 2,
            field=name,
        )
    zoned = texts.str.contains(_TIMEZONE).to_numpy()
    if zoned.any() and not zoned.all():
        i = int(np.argmax(zoned != zoned[0]))
        raise InputError(
            f"found {texts.iat[i]!r} after timestamps {'with' if zoned[0] else 'without'} a "
            "timezone; expected all timestamps with a timezone or all without",
            path=path,
            line=i + 2,
            field=name,
        )
    seconds = np.array((stamps - _EPOCH) / pd.Timedelta(seconds=1), dtype=float)
    check_unix_time(seconds[0], path=path, line=2, field=name)
    return seconds, not zoned[0]


def _resolution(times: np.ndarray) -> float:
    """The precision the times are written with: 10**-d for the fewest decimals d that fit."""
    rel = times - times[0]
    noise = 8 * np.finfo(float).eps * max(abs(times[0]), abs(times[-1]), 1.0)
    for d in range(10):
        unit = 10.0**-d
        if np.all(np.abs(rel - np.round(rel / unit) * unit) <= noise):
            return unit
    return 0.0


def _regular_rate(times: np.ndarray) -> float | None:
    """The sampling rate when the times are evenly spaced (see :data:`JITTER`), else None.

    Times written rounded (e.g. to milliseconds, as 64 Hz timestamps often are) may be off the
    grid by half their last decimal, up to a tenth of a step. The rate is the simplest one
    (fewest decimals in the rate or in the step) whose grid fits every time to that precision,
    else (n − 1) / (last − first).
    """
    n = times.size
    if n < 2:
        return None
    step = (times[-1] - times[0]) / (n - 1)
    noise = 8 * np.finfo(float).eps * max(abs(times[0]), abs(times[-1]), 1.0)
    # Two times fit any grid, so only float noise is forgiven there, not rounding.
    rounding = noise if n == 2 else min(_resolution(times) / 2, step / 10) + noise

    def deviation(rate: float) -> float:
        return float(np.max(np.abs(times - (times[0] + np.arange(n) / rate))))

    for digits in range(4):
        unit = 10.0**-digits
        rates = {math.floor(1 / step / unit) * unit, math.ceil(1 / step / unit) * unit}
        steps = {math.floor(step / unit) * unit, math.ceil(step / unit) * unit}
        candidates = {round(r, digits) for r in rates} | {1 / round(s, digits) for s in steps if s}
        fitting = [r for r in candidates if r > 0 and deviation(r) <= rounding]
        if fitting:
            return min(fitting, key=deviation)
    if deviation(1.0 / step) <= JITTER * step + rounding:
        return 1.0 / step
    return None

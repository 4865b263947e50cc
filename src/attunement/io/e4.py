"""The Empatica E4 export: the zip downloaded from E4 connect, or its unzipped folder.

An export holds ``EDA.csv`` (4 Hz, µS), ``HR.csv`` (1 Hz, bpm), ``BVP.csv`` (64 Hz),
``TEMP.csv`` (4 Hz, °C), ``ACC.csv`` (32 Hz; x, y, z in 1/64 g), ``IBI.csv``, ``tags.csv`` and
``info.txt``, at the top of the zip or inside a single sub-folder. Each signal file starts with
two rows: the start time (Unix seconds, UTC) and the sampling rate in Hz (``ACC.csv`` repeats
each in its three columns); then one sample per row. ``HR.csv`` starts 10 s after the others:
every file keeps its own start. ``IBI.csv`` starts with ``start, IBI`` and then has rows
``offset_s, interval_s`` (offsets from the start). ``tags.csv`` has one Unix time per button
press and may be empty.

Decisions:

* A file of 0 bytes (the E4 writes one when a sensor recorded nothing) and a file with its
  header rows but no samples are both skipped with an :class:`AttunementWarning`: a signal
  returned always has samples. At least one signal must have samples.
* Missing files are fine; a zip or folder without any E4 signal file is an :class:`InputError`.
* The IBI signal is irregular: its ``times`` are start + offsets, ``values`` the intervals, and
  its ``start`` is the time of its first beat (a :class:`Signal` starts at its first sample).
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import InMemoryFile, Source, source_name
from attunement.io._tables import (
    cells_to_float,
    check_unix_time,
    decode_csv,
    drop_impossible,
    read_csv_cells,
)
from attunement.model import ROLES, SIGNAL_KINDS, Signal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEVICE",
    "E4_FILES",
    "MAX_EXPORT_BYTES",
    "MAX_FILE_BYTES",
    "E4Recording",
    "is_e4",
    "is_e4_container",
    "parse_e4_csv",
    "read_e4",
]

DEVICE = "Empatica E4"

#: Signal file -> signal kind, in the order signals are returned.
E4_FILES: dict[str, str] = {
    "EDA.csv": "eda",
    "HR.csv": "hr",
    "BVP.csv": "bvp",
    "TEMP.csv": "temp",
    "ACC.csv": "acc",
    "IBI.csv": "ibi",
}
_OTHER_FILES = ("tags.csv", "info.txt")
_KNOWN = {name.casefold(): name for name in (*E4_FILES, *_OTHER_FILES)}

#: Longest recording one E4 holds (seconds): its memory keeps about 60 hours.
MAX_HOURS = 60
#: Largest size of each file of one export (bytes): what a full E4 writes, with room. Each is
#: the file's sampling rate (at most 4 beats a second for IBI.csv) times 60 hours times the
#: longest line the E4 writes for it, rounded up (EDA ``12.345678``, ACC ``-128,-128,-128``,
#: IBI ``12345.678901,1.234567``): EDA.csv and TEMP.csv 10 MiB, HR.csv 3 MiB, BVP.csv 160 MiB,
#: ACC.csv 110 MiB, IBI.csv 20 MiB. A larger file is a zip bomb or not an E4 export, and is
#: refused before it is unpacked. (The compression ratio is not capped: a wristband lying still
#: or off the wrist for hours writes constant values, which deflate a thousandfold and are still
#: a genuine export.)
MAX_FILE_BYTES: dict[str, int] = {
    "EDA.csv": 10 * 2**20,
    "HR.csv": 3 * 2**20,
    "BVP.csv": 160 * 2**20,
    "TEMP.csv": 10 * 2**20,
    "ACC.csv": 110 * 2**20,
    "IBI.csv": 20 * 2**20,
    "tags.csv": 2**20,
    "info.txt": 2**20,
}
#: Largest total size of the files read from one export (bytes): about the sum of
#: :data:`MAX_FILE_BYTES`. An hour is about 3.2 MB, a full E4 about 200 MB.
MAX_EXPORT_BYTES = 320 * 2**20

_EXPECTED = ", ".join(E4_FILES)


@dataclass(frozen=True, slots=True)
class E4Recording:
    """What one Empatica E4 export holds.

    Parameters
    ----------
    signals : tuple of Signal
        Kinds ``eda``, ``hr``, ``bvp``, ``temp``, ``acc`` (values of shape (n, 3)) and ``ibi``
        (irregular), those present, in that order; ``start`` and ``times`` in Unix seconds.
        ``meta`` is ``{'device': 'Empatica E4', 'file': 'EDA.csv'}``.
    tags : tuple of float
        Button presses, Unix seconds, in file order.
    source : str
        The zip's or folder's name.
    """

    signals: tuple[Signal, ...]
    tags: tuple[float, ...]
    source: str


def _meta(file: str) -> dict[str, str]:
    return {"device": DEVICE, "file": file}


def _header_value(cells: pd.DataFrame, *, row: int, what: str, path: str | None) -> float:
    """The start time (row 0) or sampling rate (row 1), the same in every column."""
    if len(cells) <= row:
        raise InputError(
            f"ends before its {what} row; expected the start time (Unix seconds) on line 1 and "
            "the sampling rate (Hz) on line 2",
            path=path,
            line=row + 1,
        )
    row_cells = cells.iloc[row : row + 1]
    names = [what] * row_cells.shape[1]
    values = cells_to_float(row_cells, path=path, first_line=row + 1, names=names)[0]
    if np.any(values != values[0]):
        raise InputError(
            f"has different {what}s {', '.join(f'{v:g}' for v in values)} in its columns; "
            "expected the same value in each",
            path=path,
            line=row + 1,
        )
    return float(values[0])


def parse_e4_csv(
    text: str, *, kind: str, role: str, path: str | os.PathLike[str] | None = None
) -> Signal | None:
    """Parse one E4-style signal file: start time, sampling rate, then one sample per row.

    Also reads the ``IBI.csv`` layout (``start, IBI`` then ``offset_s, interval_s`` rows) when
    ``kind`` is ``'ibi'`` and ``ACC.csv`` (three columns) when ``kind`` is ``'acc'``.

    Parameters
    ----------
    text : str
        The decoded file.
    kind : str
        One of :data:`attunement.model.SIGNAL_KINDS`.
    role : {'therapist', 'client', 'other'}
    path : path-like, optional
        For error messages and the signal's ``meta['file']``.

    Returns
    -------
    Signal or None
        None when the file has its header rows but no samples.

    Raises
    ------
    InputError
        Naming the line: a cell that is not a number, a start time that is not plausible Unix
        seconds (2000 to 2100), a sampling rate that is not positive, a row with the wrong
        number of columns, IBI offsets that do not increase or intervals that are not positive.

    Examples
    --------
    >>> s = parse_e4_csv("1614680000.000000\\n4.000000\\n0.000000\\n0.281906\\n", kind="eda",
    ...                  role="client", path="EDA.csv")
    >>> s.start, s.sampling_rate, s.values.tolist(), dict(s.meta)
    (1614680000.0, 4.0, [0.0, 0.281906], {'device': 'Empatica E4', 'file': 'EDA.csv'})
    """
    if kind not in SIGNAL_KINDS:
        raise InputError(f"is {kind!r}; expected one of {', '.join(SIGNAL_KINDS)}", field="kind")
    where = None if path is None else os.fspath(path)
    return _parse(text, kind=kind, role=role, path=where, file=Path(where or "").name)


#: Columns of an E4-style file by kind, and what its first row holds.
_WIDTHS = {
    "acc": (3, "the start time repeated for x, y and z"),
    "ibi": (2, "'START_TIME, IBI' (the IBI.csv header)"),
    "": (1, "the start time (Unix seconds), then the sampling rate, then one value per row"),
}


def _parse(text: str, *, kind: str, role: str, path: str | None, file: str) -> Signal | None:
    """:func:`parse_e4_csv` with ``meta['file']`` given (the canonical name in an export)."""
    where = path
    width, layout = _WIDTHS.get(kind, _WIDTHS[""])
    found = text.split("\n", 1)[0].count(",") + 1
    if found != width:
        raise InputError(f"has {found} columns; expected {width}: {layout}", path=where, line=1)
    fast = _fast_column(text) if width == 1 else None
    if fast is not None:
        head, values = fast
        return _signal(head, values, kind=kind, role=role, path=where, file=file)
    cells = read_csv_cells(text, path=where)
    if kind == "ibi":
        return _parse_ibi(cells, role=role, path=where, file=file)
    if len(cells) <= 2:
        _signal(cells, np.empty(0), kind=kind, role=role, path=where, file=file)  # checks head
        return None
    values = cells_to_float(cells.iloc[2:], path=where, first_line=3)
    return _signal(
        cells, values if width == 3 else values[:, 0], kind=kind, role=role, path=where, file=file
    )


def _fast_column(text: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """A one-column file read straight to numbers (a 60-hour BVP.csv in a few hundred MB).

    Returns the two header rows (as cells) and the samples, or None when anything is unusual
    (a cell that is not a finite number, a blank line, a second column): the careful reader
    then names the line.
    """
    import pandas as pd

    head_text, _, body = text.partition("\n")
    rate_text, _, body = body.partition("\n")
    if not body.strip():
        return None
    try:
        values = pd.read_csv(
            io.BytesIO(body.encode("ascii")),
            header=None,
            dtype=np.float64,
            engine="c",
            skip_blank_lines=False,
            na_filter=False,
        ).to_numpy()
    except (ValueError, UnicodeEncodeError, pd.errors.ParserError):
        return None
    if values.shape[1] != 1 or not np.isfinite(values).all():
        return None
    return read_csv_cells(f"{head_text}\n{rate_text}\n"), values[:, 0]


def _signal(
    cells: pd.DataFrame,
    values: np.ndarray,
    *,
    kind: str,
    role: str,
    path: str | None,
    file: str,
) -> Signal:
    """A regular E4 signal from its two header rows (cells) and its samples."""
    start = _header_value(cells, row=0, what="start time", path=path)
    check_unix_time(start, path=path, line=1, field="start time")
    rate = _header_value(cells, row=1, what="sampling rate", path=path)
    if rate <= 0:
        raise InputError(
            f"sampling rate is {rate:g}; expected a positive number of Hz", path=path, line=2
        )
    if values.ndim == 1:
        values = drop_impossible(values, kind, path=path, first_line=3)
    return Signal(kind, role, rate, values, start, meta=_meta(file))


def _parse_ibi(cells: pd.DataFrame, *, role: str, path: str | None, file: str) -> Signal | None:
    if cells.empty or str(cells.iat[0, 1]).strip().casefold() != "ibi":
        found = ", ".join(map(str, cells.iloc[0])) if len(cells) else ""
        raise InputError(
            f"starts with {found!r}; expected 'START_TIME, IBI' (the IBI.csv header)",
            path=path,
            line=1,
        )
    head = cells.iloc[0:1, 0:1]
    start = float(cells_to_float(head, path=path, first_line=1, names=["start time"])[0, 0])
    check_unix_time(start, path=path, line=1, field="start time")
    if len(cells) == 1:
        return None
    rows = cells_to_float(cells.iloc[1:], path=path, first_line=2, names=("offset", "interval"))
    offsets, intervals = rows[:, 0], rows[:, 1]
    problems = (
        (offsets < 0, "offset", "a time from the start of 0 s or more"),
        (np.r_[False, np.diff(offsets) <= 0], "offset", "offsets that increase row by row"),
        (intervals <= 0, "interval", "a positive number of seconds"),
    )
    found = [
        (int(np.argmax(bad)), field, expected) for bad, field, expected in problems if bad.any()
    ]
    if found:
        i, field, expected = min(found)
        value = offsets[i] if field == "offset" else intervals[i]
        raise InputError(f"is {value:g}; expected {expected}", path=path, line=i + 2, field=field)
    times = start + offsets
    return Signal("ibi", role, None, intervals, times[0], times=times, meta=_meta(file))


def _parse_tags(text: str, *, path: str) -> tuple[float, ...]:
    cells = read_csv_cells(text, path=path)
    if cells.empty:
        return ()
    if cells.shape[1] != 1:
        raise InputError(
            f"has {cells.shape[1]} columns; expected one Unix time per line", path=path, line=1
        )
    times = cells_to_float(cells, path=path, names=("tag",))[:, 0]
    for i, t in enumerate(times):
        check_unix_time(float(t), path=path, line=i + 1, field="tag")
    return tuple(float(t) for t in times)


# --- finding the files ----------------------------------------------------------------------


def _member(name: str) -> PurePosixPath:
    """A zip member's path (some Windows tools write backslashes)."""
    return PurePosixPath(name.replace("\\", "/"))


def _is_junk(rel: PurePosixPath) -> bool:
    """macOS resource forks and hidden files that zipping on a Mac adds."""
    return any(part == "__MACOSX" or part.startswith(".") for part in rel.parts)


def _choose(rels: list[PurePosixPath], *, where: str) -> dict[str, PurePosixPath]:
    """The export's files (canonical name -> relative path), all in one folder."""
    folders: dict[PurePosixPath, dict[str, PurePosixPath]] = {}
    for rel in rels:
        if rel.is_absolute() or ".." in rel.parts or (rel.parts and ":" in rel.parts[0]):
            raise InputError(
                f"holds a member with the unsafe path {str(rel)!r}; expected the files of one "
                "export, at the top or in one sub-folder (a zip made by E4 connect has no such "
                "paths)",
                path=where,
            )
        name = _KNOWN.get(rel.name.casefold())
        if name is None or _is_junk(rel) or len(rel.parts) > 2:
            continue
        files = folders.setdefault(rel.parent, {})
        if name in files:
            raise InputError(f"holds both {files[name]} and {rel}; expected one {name}", path=where)
        files[name] = rel
    with_signals = {k: v for k, v in folders.items() if any(n in E4_FILES for n in v)}
    if not with_signals:
        found = ", ".join(str(r) for r in rels[:8]) + (", ..." if len(rels) > 8 else "")
        raise InputError(
            f"holds no Empatica E4 signal file (found: {found or 'nothing'}); expected "
            f"{_EXPECTED} (with tags.csv and info.txt), at the top or in one sub-folder",
            path=where,
        )
    if len(with_signals) > 1:
        names = ", ".join(f"{str(f) if str(f) != '.' else 'the top'}" for f in with_signals)
        raise InputError(
            f"holds E4 files in several folders ({names}); expected one export", path=where
        )
    return next(iter(with_signals.values()))


def _check_sizes(sizes: dict[str, int], *, where: str) -> None:
    """Refuse a file, or an export, larger than a full E4 writes (before anything is unpacked)."""
    for name, size in sizes.items():
        cap = MAX_FILE_BYTES[name]
        if size > cap:
            raise InputError(
                f"unpacks to {size / 2**20:.0f} MiB; expected at most {cap / 2**20:.0f} MiB for "
                f"{name} (what {MAX_HOURS} hours, a full E4, write)",
                path=f"{where}:{name}",
            )
    total = sum(sizes.values())
    if total > MAX_EXPORT_BYTES:
        raise InputError(
            f"unpacks to {total / 2**20:.0f} MiB; expected at most "
            f"{MAX_EXPORT_BYTES / 2**20:.0f} MiB for an E4 export (an hour is about 3 MB, a "
            "full E4 of about 60 hours about 200 MB)",
            path=where,
        )


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


def _load_zip(p: Path | InMemoryFile) -> dict[str, tuple[str, bytes]]:
    where = source_name(p)
    try:
        with zipfile.ZipFile(io.BytesIO(p.data) if isinstance(p, InMemoryFile) else p) as zf:
            infos = {_member(i.filename): i for i in zf.infolist() if not i.is_dir()}
            chosen = _choose(list(infos), where=where)
            _check_sizes({n: infos[rel].file_size for n, rel in chosen.items()}, where=where)
            out = {}
            for name, rel in chosen.items():
                member = f"{where}:{rel}"
                try:
                    out[name] = (member, zf.read(infos[rel]))  # at most file_size bytes
                except _ZIP_ERRORS as exc:
                    raise InputError(
                        f"cannot be unpacked ({exc}); expected an intact zip as downloaded from "
                        "E4 connect",
                        path=member,
                    ) from None
            return out
    except InputError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise InputError(
            f"is not a readable zip file ({exc}); expected an E4 export as downloaded from E4 "
            "connect (the file may be cut off), or its unzipped folder",
            path=where,
        ) from None


def _list_folder(p: Path) -> list[PurePosixPath]:
    """Files in ``p`` and in its sub-folders (an E4 export is never deeper)."""
    rels: list[PurePosixPath] = []
    for child in sorted(p.iterdir()):
        if child.is_file():
            rels.append(PurePosixPath(child.name))
        elif child.is_dir() and not _is_junk(PurePosixPath(child.name)):
            rels.extend(
                PurePosixPath(child.name, sub.name)
                for sub in sorted(child.iterdir())
                if sub.is_file()
            )
    return rels


def _load_folder(p: Path) -> dict[str, tuple[str, bytes]]:
    where = str(p)
    try:
        chosen = _choose(_list_folder(p), where=where)
        files = {name: p.joinpath(*rel.parts) for name, rel in chosen.items()}
        _check_sizes({n: f.stat().st_size for n, f in files.items()}, where=where)
        return {name: (str(f), f.read_bytes()) for name, f in files.items()}
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror or exc}); expected a readable E4 export folder",
            path=exc.filename or where,
        ) from None


def _load(p: Path | InMemoryFile) -> dict[str, tuple[str, bytes]]:
    if isinstance(p, InMemoryFile):
        return _load_zip(p)
    if p.is_dir():
        return _load_folder(p)
    if not p.exists():
        raise InputError("no such file or folder; expected an E4 export (zip or folder)", path=p)
    return _load_zip(p)


def read_e4(path: Source, *, role: str) -> E4Recording:
    """Read an Empatica E4 export (the zip from E4 connect, or its unzipped folder).

    Parameters
    ----------
    path : path-like or InMemoryFile
        The ``.zip`` or the folder, or the zip's bytes.
    role : {'therapist', 'client', 'other'}
        Who wore the device.

    Returns
    -------
    E4Recording
        ``signals`` (times in Unix seconds, each file's own start), ``tags`` and ``source``.

    Raises
    ------
    InputError
        Naming the file (``session.zip:EDA.csv``) and line: no E4 signal file, a corrupt or cut
        zip, a zip that unpacks to more than :data:`MAX_EXPORT_BYTES`, a cell that is not a
        number, an implausible start time, a sampling rate that is not positive, an ACC row
        without 3 columns, bad IBI rows or tags, or no samples in any signal file.

    Warns
    -----
    AttunementWarning
        For each signal file that is empty or has no samples (it is skipped).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "EDA.csv").write_text("1614680000.000000\\n4.000000\\n0.000000\\n0.25\\n")
    >>> rec = read_e4(folder, role="client")
    >>> [(s.kind, s.start, s.sampling_rate, len(s)) for s in rec.signals]
    [('eda', 1614680000.0, 4.0, 2)]
    """
    if role not in ROLES:
        raise InputError(f"is {role!r}; expected one of {', '.join(ROLES)}", field="role")
    p = path if isinstance(path, InMemoryFile) else Path(path)
    files = _load(p)
    signals: list[Signal] = []
    skipped: list[str] = []
    for name, kind in E4_FILES.items():
        if name not in files:
            continue
        where, data = files[name]
        signal = None
        if data.strip():
            text = decode_csv(data, path=where)
            signal = _parse(text, kind=kind, role=role, path=where, file=name)
        if signal is None:
            skipped.append(name)
            warnings.warn(
                f"{where}: has no samples (the sensor recorded nothing); skipped",
                AttunementWarning,
                stacklevel=2,
            )
            continue
        signals.append(signal)
    if not signals:
        raise InputError(
            f"has no samples in any signal file ({', '.join(skipped)} are empty); expected "
            "samples in at least one",
            path=source_name(p),
        )
    tags: tuple[float, ...] = ()
    if "tags.csv" in files:
        where, data = files["tags.csv"]
        if data.strip():
            tags = _parse_tags(decode_csv(data, path=where), path=where)
    return E4Recording(tuple(signals), tags, p.name)


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def is_e4_container(path: Source) -> bool:
    """Whether ``path`` is a folder or a zip file: what only an E4 export can be among wearables.

    A damaged zip counts too (by its first bytes or its ``.zip`` name), so that
    :func:`read_e4` says what is wrong with it. Never raises.

    Examples
    --------
    >>> is_e4_container("no/such/export.csv")
    False
    """
    if isinstance(path, InMemoryFile):
        return path.suffix.casefold() == ".zip" or path.data[:4] in _ZIP_MAGIC
    p = Path(path)
    try:
        if p.is_dir() or p.suffix.casefold() == ".zip":
            return True
        with p.open("rb") as fh:
            return fh.read(4) in _ZIP_MAGIC
    except OSError:
        return False


def is_e4(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` looks like an E4 export: a zip or folder holding ``EDA.csv``, ``BVP.csv``...

    Never raises; the files themselves are checked by :func:`read_e4`.

    Examples
    --------
    >>> is_e4("no/such/export.zip")
    False
    """
    p = Path(path)
    try:
        if p.is_dir():
            rels = _list_folder(p)
        elif zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as zf:
                rels = [_member(n) for n in zf.namelist()]
        else:
            return False
        _choose(rels, where=str(p))
    except (InputError, *_ZIP_ERRORS, ValueError):
        return False
    return True

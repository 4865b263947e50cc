"""Write a session's outputs: report.html, results.json and utterances.csv, atomically.

utterances.csv is written by :func:`attunement.report.csvsafe.safe_csv` (no cell a spreadsheet
would run as a formula).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from attunement.analysis import SessionResults
from attunement.errors import InputError
from attunement.report.csvsafe import safe_csv
from attunement.report.html import render_report

__all__ = ["OUTPUT_FILES", "atomic_write", "check_output_file", "write_outputs"]

OUTPUT_FILES = ("report.html", "results.json", "utterances.csv")


def check_output_file(path: str | os.PathLike[str], *, field: str | None = None) -> Path:
    """Refuse, before any work is done, a file path that cannot be written.

    Raises
    ------
    InputError
        Naming the path (and the option, ``field``): a folder, a folder that does not exist,
        or one that is not writable.

    Examples
    --------
    >>> check_output_file("/no/such/folder/w.csv", field="--csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    attunement.errors.InputError: /no/such/folder/w.csv: --csv: its folder ... does not exist; ...
    """
    p = Path(path)
    parent = p.parent
    if p.is_dir():
        raise InputError("is a folder; expected a file name to write", path=p, field=field)
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise InputError(
            f"its folder {parent} {what}; expected a file in an existing folder",
            path=p,
            field=field,
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(
            f"its folder {parent} is not writable; expected a folder you may write in",
            path=p,
            field=field,
        )
    return p


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    A reader of ``path`` sees the old file or the new one, never a half-written one; on any
    error the temporary file is removed.
    """
    path = check_output_file(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror})", path=path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(results: SessionResults, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Render everything first, then write the three files into ``out_dir``.

    Returns
    -------
    dict
        File name -> path written.

    Raises
    ------
    InputError
        When ``out_dir`` exists and is not a folder, or cannot be created.
    """
    out = Path(out_dir)
    contents = {
        "results.json": json.dumps(results.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n",
        "utterances.csv": safe_csv(results.utterances),
        "report.html": render_report(results),
    }
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; expected an output folder", path=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot be created ({exc.strerror})", path=out) from None
    written = {}
    for name in OUTPUT_FILES:
        atomic_write(out / name, contents[name])
        written[name] = out / name
    return written

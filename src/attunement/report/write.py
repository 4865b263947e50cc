"""Write a session's outputs: report.html, results.json and utterances.csv, atomically.

utterances.csv is written by :func:`attunement.report.csvsafe.safe_csv` (no cell a spreadsheet
would run as a formula).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from attunement.analysis import SessionResults
from attunement.errors import InputError
from attunement.outfiles import atomic_write, atomic_write_all, check_output_file
from attunement.report.csvsafe import safe_csv
from attunement.report.html import render_report

# atomic_write and check_output_file are re-exported from attunement.outfiles.
__all__ = ["OUTPUT_FILES", "atomic_write", "check_output_file", "write_outputs"]

OUTPUT_FILES = ("report.html", "results.json", "utterances.csv")


def write_outputs(
    results: SessionResults,
    out_dir: str | os.PathLike[str],
    *,
    extra: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Render everything first, then write the three files into ``out_dir`` together (all or
    none of them change).

    ``extra`` adds files written with them (name -> text), e.g. ``transcript.vtt`` of a
    transcribed recording.

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
    for name, text in (extra or {}).items():
        if name in contents or Path(name).name != name:
            raise InputError("is not a new file name; expected a plain file name", path=name)
        contents[name] = text
    written = {name: out / name for name in contents}
    atomic_write_all([(written[name], contents[name]) for name in contents])
    return written

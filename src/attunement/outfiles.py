"""Files written atomically: a reader sees the old file or the new one, never half of one.

The one place where the CLI, the report writer and the transcriber write files. It sits at the
bottom of the layers (it needs only :mod:`attunement.errors`), so every layer may use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from attunement.errors import InputError

__all__ = ["atomic_write", "atomic_write_all", "check_output_file"]


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


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    A reader of ``path`` sees the old file or the new one, never a half-written one; on any
    error the temporary file is removed. The file is readable by its owner only.
    """
    atomic_write_all([(Path(path), data)])


def atomic_write_all(files: Sequence[tuple[str | os.PathLike[str], str | bytes]]) -> None:
    """Write several files together: all of them are written to temporary files beside their
    targets first, and renamed into place only when every one was written.

    On any error no target is changed and every temporary file is removed.

    Raises
    ------
    InputError
        Naming the file that cannot be written.
    """
    targets = [(check_output_file(p), d) for p, d in files]
    temporary: list[tuple[str, Path]] = []
    try:
        for target, data in targets:
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                fd, tmp = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
                )
            except OSError as exc:
                raise InputError(f"cannot be written ({exc.strerror})", path=target) from None
            temporary.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, target in temporary:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in temporary:
            Path(tmp).unlink(missing_ok=True)
        raise

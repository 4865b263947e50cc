"""One server per data dir: an exclusive lock held while a server runs.

A server sweeps, at start, the files no database row points to (left by a server killed
mid-upload). A second server on the same data dir would take the files of an upload the first
is still storing for such leftovers and delete them; so a server holds an exclusive lock on
``server.lock`` in the data dir for as long as it runs, and a second one is refused with a
message naming the first (its process id and start time, written in the file). It is a POSIX
record lock (``lockf``), which belongs to the process: the analysis worker processes a server
starts do not inherit it, and the operating system releases it when the server ends, however it
ends (``kill -9`` included), so a stale file never blocks a restart. A record lock does not see
its own process: two apps made by one process (as tests do) share it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from attunement.errors import InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK_FILE", "ServerLock"]

LOCK_FILE = "server.lock"


class ServerLock:
    """The data dir's server lock (a context manager, or :meth:`acquire` / :meth:`release`).

    Parameters
    ----------
    data_dir : path-like

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with ServerLock(folder) as lock:
    ...     print(lock.path.read_text().split(",")[0].startswith("process "))
    True
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> ServerLock:
        """Take the lock, or refuse.

        Raises
        ------
        InputError
            When another process holds it (naming that process) or the file cannot be opened.
        """
        if fcntl is None:  # pragma: no cover - not on POSIX
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise InputError(f"cannot be opened ({exc.strerror})", path=self.path) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise self._refused(holder) from None
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()}, started {started}\n".encode(), 0)
        self._fd = fd
        return self

    def _refused(self, holder: str) -> InputError:
        return InputError(
            f"another attunement server is using this data dir ({holder}); expected one "
            "server per data dir: stop that one, or give this one another ATTUNEMENT_DATA_DIR",
            path=self.path.parent,
        )

    def release(self) -> None:
        """Let go of the lock (the file stays; the next server rewrites it)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the record lock
            self._fd = None

    def __enter__(self) -> ServerLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

"""Resuming a batch: what is already done, kept in a state folder beside the outputs.

Layout of ``OUT/.attunement-batch/``:

``settings.json``
    The options results depend on (speaker names, ``keep_names``, the forced transcript format
    and text encoding, the analysis configuration, the attunement version). Resuming with other
    settings is refused: mixing them would give tables whose rows are not comparable. ``force``
    starts afresh.
``parts/NNNNNN-sessions.parquet``, ``parts/NNNNNN-utterances.parquet``
    The rows of one part (see :mod:`attunement.batch.writer`).
``parts/NNNNNN.json``
    The commit record of that part, written last (temporary name, then renamed): for each of its
    sessions the work item's key, its file's fingerprint, the status, the session id and where
    its rows are. A part counts only once its record exists; part files without one (a batch
    killed while writing) are deleted when the next run starts.
``pairs/HASH.npz``
    The aligned physiological pairs of each analysed session that has them, for the pseudo-dyads
    computed over all done sessions at the end of every run (see
    :mod:`attunement.batch.pseudo`).
``lock``
    Held (``flock``) while a batch runs, so that two runs never write the same folder.

A session is done when the latest record of its key says ``ok`` and its file's size and
modification time are unchanged. Sessions that failed are tried again on every run. Because a
session is recorded once per part and the outputs are rebuilt from the latest record of each
key, an interrupted batch resumed any number of times gives each session exactly one row.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attunement.errors import InputError

try:  # POSIX; elsewhere the folder is not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["STATE_FOLDER", "BatchState", "Entry"]

logger = logging.getLogger(__name__)

#: Name of the state folder inside the output folder.
STATE_FOLDER = ".attunement-batch"
_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """The latest record of one session."""

    key: str
    fingerprint: str
    status: str
    session_id: str
    seq: int
    row: int
    utt_offset: int
    utt_rows: int


def _write_json_atomic(data: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class BatchState:
    """The state folder of one output folder; open it with :meth:`open`.

    Examples
    --------
    >>> import tempfile
    >>> with BatchState.open(tempfile.mkdtemp(), {"keep_names": False}) as state:
    ...     state.next_seq()
    0
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.folder = out_dir / STATE_FOLDER
        self.parts = self.folder / "parts"
        self.pairs = self.folder / "pairs"
        self._index: dict[str, Entry] = {}
        self._seq = 0
        self._lock: Any = None

    @classmethod
    def open(
        cls, out_dir: str | os.PathLike[str], settings: dict[str, Any], *, force: bool = False
    ) -> BatchState:
        """Lock the folder, check the settings and load what is recorded.

        Parameters
        ----------
        out_dir : path-like
            The batch's output folder (created when missing).
        settings : dict
            JSON-able options the results depend on.
        force : bool
            Forget every recorded session first.

        Raises
        ------
        InputError
            When another batch is writing the folder, or when it holds results made with other
            settings and ``force`` is False.
        """
        state = cls(Path(out_dir))
        try:
            state.parts.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot be created ({exc.strerror}); expected a writable output folder",
                path=out_dir,
            ) from None
        state._acquire()
        try:
            state._start(dict(settings, state_format=_FORMAT), force)
        except BaseException:
            state.close()
            raise
        return state

    def _acquire(self) -> None:
        self._lock = (self.folder / "lock").open("w")
        if fcntl is None:  # pragma: no cover
            return
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise InputError(
                "is being written by another running batch; expected one batch at a time per "
                "output folder",
                path=self.out_dir,
            ) from None

    def _start(self, settings: dict[str, Any], force: bool) -> None:
        stored_path = self.folder / "settings.json"
        if force:
            shutil.rmtree(self.parts)
            self.parts.mkdir()
            shutil.rmtree(self.pairs, ignore_errors=True)
        elif stored_path.exists():
            try:
                stored = json.loads(stored_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = None
            if stored != settings:
                changed = sorted(
                    k
                    for k in set(settings) | set(stored or {})
                    if (stored or {}).get(k) != settings.get(k)
                )
                raise InputError(
                    f"holds results made with other settings ({', '.join(changed)} differ); "
                    "expected the same settings to resume, or --force to analyse every session "
                    "again",
                    path=self.out_dir,
                )
        _write_json_atomic(settings, stored_path)
        self._load()

    def _load(self) -> None:
        committed: set[int] = set()
        for record in sorted(self.parts.glob("*.json")):
            try:
                seq = int(record.stem)
                data = json.loads(record.read_text(encoding="utf-8"))
                entries = [Entry(*e[:4], seq, *e[4:]) for e in data["entries"]]
            except (OSError, ValueError, KeyError, TypeError):
                logger.warning("%s: unreadable record; its sessions are analysed again", record)
                record.unlink(missing_ok=True)
                continue
            committed.add(seq)
            self._seq = max(self._seq, seq + 1)
            for entry in entries:
                self._index[entry.key] = entry
        for path in self.parts.iterdir():
            if path.suffix == ".json":
                continue
            seq = path.name.split("-", 1)[0].split(".", 1)[0]
            if path.suffix == ".tmp" or not seq.isdigit() or int(seq) not in committed:
                path.unlink(missing_ok=True)  # left by a batch that was killed while writing

    def close(self) -> None:
        """Release the folder."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> BatchState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def entry(self, key: str) -> Entry | None:
        """The latest record of ``key``, or None."""
        return self._index.get(key)

    def is_done(self, key: str, fingerprint: str) -> bool:
        """Whether the session was analysed successfully from an unchanged file."""
        entry = self._index.get(key)
        return entry is not None and entry.status == "ok" and entry.fingerprint == fingerprint

    def done_keys(self) -> set[str]:
        """The keys whose latest record says ``ok``."""
        return {key for key, entry in self._index.items() if entry.status == "ok"}

    def next_seq(self) -> int:
        """The number of the next part."""
        return self._seq

    def part_path(self, seq: int, kind: str) -> Path:
        """Where a part's ``'sessions'`` or ``'utterances'`` rows are."""
        return self.parts / f"{seq:06d}-{kind}.parquet"

    def commit(self, seq: int, entries: list[tuple[str, str, str, str, int, int, int]]) -> None:
        """Record part ``seq`` (its files are written): its sessions count as recorded from now."""
        _write_json_atomic({"entries": entries}, self.parts / f"{seq:06d}.json")
        self._seq = max(self._seq, seq + 1)
        for e in entries:
            self._index[e[0]] = Entry(*e[:4], seq, *e[4:])

    def prune(self) -> None:
        """Delete parts none of whose sessions' latest record is in them any more."""
        live = {entry.seq for entry in self._index.values()}
        for record in self.parts.glob("*.json"):
            if record.stem.isdigit() and int(record.stem) not in live:
                seq = int(record.stem)
                record.unlink(missing_ok=True)
                for kind in ("sessions", "utterances"):
                    with contextlib.suppress(FileNotFoundError):
                        self.part_path(seq, kind).unlink()

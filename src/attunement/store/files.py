"""Session files (uploads and analysis outputs), encrypted on disk, one folder per session.

A file is written (encrypted, atomically) before the row that points to it is committed; the
caller removes the new files when its transaction fails (:meth:`SessionFiles.drop`) and the
replaced ones when it succeeds. What a killed server leaves behind is swept at the next start
(:meth:`SessionFiles.sweep_orphans`).
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from attunement.errors import InputError
from attunement.store.base import NotFound, Part
from attunement.store.crypto import Cipher, read_encrypted, write_encrypted
from attunement.store.db import Database
from attunement.store.models import SessionFile, TherapySession

__all__ = ["FILE_KINDS", "UPLOAD_KINDS", "SessionFiles"]

#: Files a user uploads for a session.
UPLOAD_KINDS: tuple[str, ...] = ("transcript", "therapist_wearable", "client_wearable", "audio")
#: Every kind of stored session file (uploads, then analysis outputs).
FILE_KINDS: tuple[str, ...] = (*UPLOAD_KINDS, "report", "results", "utterances")


class SessionFiles(Part):
    """The folder of encrypted session files and the rows that point into it.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
    files_dir : Path
        Where the files are kept (created, private to the owner).
    """

    def __init__(self, db: Database, cipher: Cipher, files_dir: Path) -> None:
        super().__init__(db, cipher)
        self.files_dir = Path(files_dir)
        self.files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, stored_as: str) -> Path:
        """Where a stored file lies.

        Parameters
        ----------
        stored_as : str
            As its row has it (relative to :attr:`files_dir`).

        Returns
        -------
        pathlib.Path
        """
        return self.files_dir / stored_as

    def put(self, s: DbSession, row: TherapySession, kind: str, name: str, data: bytes) -> None:
        """Write a session's file, encrypted, and add its row (replacing one of that kind).

        The stored names are noted in ``s.info``: ``new_files`` (to drop when the transaction
        fails) and ``stale_files`` (the replaced ones, to drop when it succeeds).

        Parameters
        ----------
        s : sqlalchemy.orm.Session
            In a transaction.
        row : TherapySession
        kind : str
            One of :data:`FILE_KINDS`.
        name : str
            The file's original name (kept encrypted).
        data : bytes

        Raises
        ------
        InputError
            An unknown ``kind``.
        """
        if kind not in FILE_KINDS:
            raise InputError(f"is {kind!r}; expected one of {', '.join(FILE_KINDS)}", field="kind")
        folder = self.files_dir / row.public_id
        folder.mkdir(exist_ok=True, mode=0o700)
        stored_as = f"{row.public_id}/{kind}-{secrets.token_hex(6)}.bin"
        write_encrypted(self.path(stored_as), data, self.cipher)
        old = s.scalar(
            select(SessionFile).where(SessionFile.session_id == row.id, SessionFile.kind == kind)
        )
        if old is not None:
            stale = old.stored_as
            s.delete(old)
            s.flush()
            s.info.setdefault("stale_files", []).append(stale)
        s.add(
            SessionFile(
                session_id=row.id,
                kind=kind,
                stored_as=stored_as,
                name_enc=self.seal(name),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
        s.info.setdefault("new_files", []).append(stored_as)

    def drop(self, names: Iterable[str]) -> None:
        """Remove stored files (those missing already are no error).

        Parameters
        ----------
        names : iterable of str
            As rows have them (``stored_as``).
        """
        for name in names:
            self.path(name).unlink(missing_ok=True)

    def read(self, s: DbSession, session_pk: int, kind: str) -> tuple[str, bytes]:
        """A session's file, decrypted.

        Returns
        -------
        tuple of (str, bytes)
            The original name and the bytes.

        Raises
        ------
        NotFound
            The session has no file of that kind.
        KeyMismatchError
            The file was changed, or written under another key.
        """
        f = s.scalar(
            select(SessionFile).where(
                SessionFile.session_id == session_pk, SessionFile.kind == kind
            )
        )
        if f is None:
            raise NotFound(f"{kind} file")
        data = read_encrypted(self.path(f.stored_as), self.cipher, what=f"the {kind} file")
        return self.unseal(f.name_enc, "a file name"), data

    def remove_folder(self, public_id: str) -> None:
        """Remove a session's folder and everything in it (after its rows were deleted)."""
        shutil.rmtree(self.files_dir / public_id, ignore_errors=True)

    def sweep_orphans(self) -> int:
        """Remove encrypted files that no database row points to (left when the server was
        killed between writing a file and committing its row) and leftover temporary files.

        Returns
        -------
        int
            How many files were removed.
        """
        with self.db.sessions() as s:
            known = set(s.scalars(select(SessionFile.stored_as)))
        removed = 0
        for path in self.files_dir.rglob("*"):
            if not path.is_file():
                continue
            rel = path.relative_to(self.files_dir).as_posix()
            if rel not in known:
                path.unlink(missing_ok=True)
                removed += 1
        for folder in sorted(self.files_dir.iterdir(), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return removed

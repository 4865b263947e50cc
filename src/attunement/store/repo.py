"""The web app's store: one facade over the parts that keep its data (no SQL in request handlers).

:class:`Store` composes the parts, each a module of its own, and answers every method of theirs
under the same name:

- :mod:`~attunement.store.accounts`: users, passwords, sign-in attempts, known browsers and
  sign-in sessions;
- :mod:`~attunement.store.supervision`: who supervises whom, once the therapist accepts;
- :mod:`~attunement.store.clinical`: clients, sessions, analysis jobs and their results (the
  files encrypted on disk by :mod:`~attunement.store.files`);
- :mod:`~attunement.store.feedback`: feedback links and questionnaire answers;
- :mod:`~attunement.store.trends`: one row per analysed session, for the trends;
- :mod:`~attunement.store.audit`: the hash-chained audit log.

Who may see what is :mod:`~attunement.store.access`; what the store returns are the frozen
views of :mod:`~attunement.store.views`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from argon2 import PasswordHasher

from attunement.store.accounts import MIN_PASSWORD, MIN_PASSWORD_SCORE, Accounts, check_password
from attunement.store.audit import AuditLog
from attunement.store.base import LinkExpired, NotFound, Part, RateLimited
from attunement.store.clinical import Clinical
from attunement.store.crypto import Cipher, KeyMismatchError, check_canary, make_canary
from attunement.store.db import Database
from attunement.store.feedback import Feedback
from attunement.store.files import FILE_KINDS, UPLOAD_KINDS, SessionFiles
from attunement.store.models import MetaValue
from attunement.store.supervision import Supervisions
from attunement.store.trends import Trends
from attunement.store.views import Viewer

__all__ = [
    "FILE_KINDS",
    "MIN_PASSWORD",
    "MIN_PASSWORD_SCORE",
    "UPLOAD_KINDS",
    "KeyMismatchError",
    "LinkExpired",
    "NotFound",
    "RateLimited",
    "Store",
    "Viewer",
    "check_password",
]

P = ParamSpec("P")
R = TypeVar("R")


class _Forward(Generic[P, R]):
    """A :class:`Store` method that is the same-named method of one of its parts (its
    signature, type hints and docstring are the part's)."""

    def __init__(self, part: str, method: Callable[Concatenate[Any, P], R]) -> None:
        functools.update_wrapper(self, method)
        self.part = part
        self.name = method.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        if name != self.name:
            raise TypeError(f"{owner.__name__}.{name} forwards to {self.part}.{self.name}")

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Forward[P, R]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj, self.part), self.name)

    def __call__(self, store: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Called on the class, as ``Store.users(store)``."""
        return getattr(getattr(store, self.part), self.name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Store method {self.name}, forwarded to {self.part}>"


class Store:
    """The web app's persistence: one database, one cipher, one folder of encrypted files.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
    files_dir : Path
        Where encrypted session files are kept.

    Attributes
    ----------
    accounts : Accounts
    supervision : Supervisions
    files : SessionFiles
    clinical : Clinical
    answers : Feedback
    trends : Trends
    audit_log : AuditLog
        The parts; every public method of theirs is a method of the store too.
    """

    def __init__(self, db: Database, cipher: Cipher, files_dir: Path) -> None:
        self.db = db
        self.cipher = cipher
        self.files_dir = Path(files_dir)
        self._sealer = Part(db, cipher)
        self.accounts = Accounts(db, cipher, PasswordHasher())
        self.supervision = Supervisions(db)
        self.files = SessionFiles(db, cipher, self.files_dir)
        self.clinical = Clinical(db, cipher, self.files)
        self.answers = Feedback(db, cipher)
        self.trends = Trends(db, cipher)
        # the audit chain is keyed: whoever can rewrite the database cannot recompute it
        self.audit_log = AuditLog(db, cipher.subkey("audit chain"))

    def check_key(self) -> None:
        """Check that the cipher opens this database's data (and mark a new database).

        Raises
        ------
        KeyMismatchError
            When the key is not the one the data were written with.
        """
        with self.db.transaction() as s:
            row = s.get(MetaValue, "canary")
            if row is None:
                s.add(MetaValue(key="canary", value=make_canary(self.cipher)))
            else:
                check_canary(row.value, self.cipher)
            self.audit_log.prepare(s)

    seal = _Forward("_sealer", Part.seal)
    unseal = _Forward("_sealer", Part.unseal)

    # accounts and sign-in
    user_count = _Forward("accounts", Accounts.user_count)
    create_user = _Forward("accounts", Accounts.create_user)
    create_first_admin = _Forward("accounts", Accounts.create_first_admin)
    users = _Forward("accounts", Accounts.users)
    get_viewer = _Forward("accounts", Accounts.get_viewer)
    set_active = _Forward("accounts", Accounts.set_active)
    known_browser = _Forward("accounts", Accounts.known_browser)
    authenticate = _Forward("accounts", Accounts.authenticate)
    start_login = _Forward("accounts", Accounts.start_login)
    resolve_login = _Forward("accounts", Accounts.resolve_login)
    end_login = _Forward("accounts", Accounts.end_login)
    change_password = _Forward("accounts", Accounts.change_password)
    reset_password = _Forward("accounts", Accounts.reset_password)

    # supervision
    assign_supervisor = _Forward("supervision", Supervisions.assign_supervisor)
    supervisions = _Forward("supervision", Supervisions.supervisions)
    answer_supervision = _Forward("supervision", Supervisions.answer_supervision)
    end_supervision = _Forward("supervision", Supervisions.end_supervision)

    # clients, sessions, analyses
    create_client = _Forward("clinical", Clinical.create_client)
    clients = _Forward("clinical", Clinical.clients)
    client = _Forward("clinical", Clinical.client)
    create_session = _Forward("clinical", Clinical.create_session)
    session = _Forward("clinical", Clinical.session)
    sessions = _Forward("clinical", Clinical.sessions)
    read_file = _Forward("clinical", Clinical.read_file)
    delete_session = _Forward("clinical", Clinical.delete_session)
    job_files = _Forward("clinical", Clinical.job_files)
    job_roles = _Forward("clinical", Clinical.job_roles)
    queue = _Forward("clinical", Clinical.queue)
    pending_jobs = _Forward("clinical", Clinical.pending_jobs)
    queue_transcription = _Forward("clinical", Clinical.queue_transcription)
    store_transcript = _Forward("clinical", Clinical.store_transcript)
    pending_transcriptions = _Forward("clinical", Clinical.pending_transcriptions)
    set_progress = _Forward("clinical", Clinical.set_progress)
    store_results = _Forward("clinical", Clinical.store_results)
    metrics = _Forward("clinical", Clinical.metrics)
    sweep_orphans = _Forward("files", SessionFiles.sweep_orphans)

    # feedback
    create_link = _Forward("answers", Feedback.create_link)
    links = _Forward("answers", Feedback.links)
    open_link = _Forward("answers", Feedback.open_link)
    save_feedback = _Forward("answers", Feedback.save_feedback)
    feedback = _Forward("answers", Feedback.feedback)

    # trends
    trend_rows = _Forward("trends", Trends.trend_rows)

    # audit log
    audit = _Forward("audit_log", AuditLog.audit)
    audit_entries = _Forward("audit_log", AuditLog.audit_entries)
    verify_audit = _Forward("audit_log", AuditLog.verify_audit)

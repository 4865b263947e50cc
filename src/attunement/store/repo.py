"""Every query and change the web app makes, with its access rules (no SQL in request handlers).

Who may see what:

- a **therapist** sees and changes their own clients and sessions;
- a **supervisor** reads (never changes) the sessions of the therapists assigned to them;
- an **admin** manages accounts and sees no clinical data.

Anything else is answered as if it did not exist (:class:`NotFound`) and is written to the audit log
by the caller.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import secrets
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session as DbSession

from attunement.errors import AttunementError, InputError
from attunement.store import audit as audit_chain
from attunement.store.crypto import (
    Cipher,
    KeyMismatchError,
    check_canary,
    make_canary,
    read_encrypted,
    write_encrypted,
)
from attunement.store.db import Database
from attunement.store.models import (
    ROLES,
    AuditEntry,
    Client,
    FeedbackLink,
    FeedbackResponse,
    LoginAttempt,
    LoginSession,
    MetaValue,
    SessionFile,
    SessionMetric,
    Supervision,
    TherapySession,
    User,
    utcnow,
)

__all__ = [
    "FILE_KINDS",
    "UPLOAD_KINDS",
    "LinkExpired",
    "NotFound",
    "RateLimited",
    "Store",
]

#: Files a user uploads for a session.
UPLOAD_KINDS: tuple[str, ...] = ("transcript", "therapist_wearable", "client_wearable", "audio")
#: Every kind of stored session file (uploads, then analysis outputs).
FILE_KINDS: tuple[str, ...] = (*UPLOAD_KINDS, "report", "results", "utterances")

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10
#: Least zxcvbn score (0-4) a password must reach: 3 is "safely unguessable" (about 10^8 guesses
#: or more), which refuses common passwords, repeats, sequences and the user's own name.
MIN_PASSWORD_SCORE = 3


def check_password(password: str | None, username: str = "") -> None:
    """Refuse a password that is short or easy to guess.

    The guessing estimate is zxcvbn's (Wheeler 2016: dictionaries of common passwords, names and
    words, keyboard patterns, repeats, sequences and dates, offline), with the user name among
    the words it tries.

    Raises
    ------
    InputError
        Naming the field ``password``: shorter than :data:`MIN_PASSWORD` characters, or scored
        under :data:`MIN_PASSWORD_SCORE`, with zxcvbn's reason.

    Examples
    --------
    >>> check_password("tina password 1", "tina")
    >>> try:
    ...     check_password("1234567890")
    ... except InputError as exc:
    ...     print(str(exc).split(";")[0])
    password: is easy to guess (This is a top-100 common password.)
    """
    from zxcvbn import zxcvbn

    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"has {len(password)} characters; expected at least {MIN_PASSWORD}", field="password"
        )
    found = zxcvbn(password[:100], user_inputs=[u for u in (username,) if u])
    if found["score"] < MIN_PASSWORD_SCORE:
        why = found["feedback"].get("warning") or "a pattern guessers try early"
        raise InputError(
            f"is easy to guess ({why}); expected a longer phrase of uncommon words",
            field="password",
        )


#: Marks encrypted free text kept in a text column (base64 of the ciphertext follows).
_SEALED_NOTE = "sealed:"


class NotFound(AttunementError):
    """The thing does not exist, or the user may not see it (answered alike: 404)."""


class RateLimited(AttunementError):
    """Too many failed sign-ins; try again later."""


class LinkExpired(AttunementError):
    """A feedback link that was used already or is past its time."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: the user's id, name and role."""

    id: int
    username: str
    role: str


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _public_id() -> str:
    """A random URL-safe id (96 bits) that starts with a letter or digit: one starting with '-'
    would be taken for a formula by a spreadsheet, and neutralised (quoted) in CSV exports.

    >>> all(_public_id()[0].isalnum() for _ in range(200))
    True
    """
    while True:
        found = secrets.token_urlsafe(12)
        if found[0].isalnum():
            return found


class Store:
    """The web app's persistence: one database, one cipher, one folder of encrypted files.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
    files_dir : Path
        Where encrypted session files are kept.
    """

    def __init__(self, db: Database, cipher: Cipher, files_dir: Path) -> None:
        self.db = db
        self.cipher = cipher
        self.files_dir = Path(files_dir)
        self.files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._hasher = PasswordHasher()
        # the audit chain is keyed: whoever can rewrite the database cannot recompute it
        self._audit_key = cipher.subkey("audit chain")
        self._browser_key = cipher.subkey("known browser")
        self._audit_lock = threading.Lock()
        self._setup_lock = threading.Lock()

    # ---- data dir ---------------------------------------------------------------------------
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
            last = s.execute(
                select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
            ).first()
            if s.get(MetaValue, "audit_head") is None:
                head = f"{last.seq}:{last.hash}" if last else f"0:{audit_chain.GENESIS}"
                s.add(MetaValue(key="audit_head", value=head.encode("ascii")))
            if s.get(MetaValue, "audit_keyed_from") is None:
                # a log written before the chain was keyed goes on keyed from its next entry
                first = b"1" if last is None else str(last.seq + 1).encode("ascii")
                s.add(MetaValue(key="audit_keyed_from", value=first))

    # ---- encryption helpers -----------------------------------------------------------------
    def seal(self, text: str) -> bytes:
        return self.cipher.encrypt(text.encode("utf-8"))

    def unseal(self, token: bytes | None, what: str = "data") -> str:
        if token is None:
            return ""
        return self.cipher.decrypt(token, what=what).decode("utf-8")

    def _seal_note(self, text: str) -> str:
        """Free text for a text column, encrypted: an analysis error quotes the uploaded
        files (their names, a line of a transcript)."""
        if not text:
            return ""
        return _SEALED_NOTE + base64.b64encode(self.seal(text)).decode("ascii")

    def _unseal_note(self, stored: str | None, what: str = "a note") -> str:
        if not stored or not stored.startswith(_SEALED_NOTE):
            return stored or ""
        return self.unseal(base64.b64decode(stored[len(_SEALED_NOTE) :]), what)

    # ---- users ------------------------------------------------------------------------------
    def user_count(self) -> int:
        with self.db.sessions() as s:
            return s.scalar(select(func.count()).select_from(User)) or 0

    def create_user(
        self, username: str, password: str, role: str, *, display_name: str = ""
    ) -> Viewer:
        """Add an account.

        Raises
        ------
        InputError
            Bad user name, short password, unknown role, or the name is taken.
        """
        username = (username or "").strip()
        if not _USERNAME.match(username):
            raise InputError(
                f"is {username!r}; expected 2-64 letters, digits or . _ @ -", field="username"
            )
        check_password(password, username)
        if role not in ROLES:
            raise InputError(f"is {role!r}; expected one of {', '.join(ROLES)}", field="role")
        with self.db.transaction() as s:
            if s.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
                raise InputError(
                    f"{username!r} is taken; expected a new user name", field="username"
                )
            user = User(
                username=username,
                display_name=(display_name or "").strip()[:128],
                password_hash=self._hasher.hash(password),
                role=role,
            )
            s.add(user)
            s.flush()
            return Viewer(user.id, user.username, user.role)

    def create_first_admin(self, username: str, password: str) -> Viewer:
        """The first account (an admin), only while no account exists.

        Raises
        ------
        InputError
            When an account exists already, or the name or password is not acceptable.
        """
        with self._setup_lock:
            if self.user_count() > 0:
                raise InputError("an account exists already; sign in instead", field="username")
            return self.create_user(username, password, "admin")

    def users(self) -> list[dict[str, Any]]:
        with self.db.sessions() as s:
            rows = s.scalars(select(User).order_by(User.username)).all()
            sup = s.execute(
                select(Supervision.supervisor_id, Supervision.therapist_id).where(
                    Supervision.accepted_at.is_not(None)
                )
            ).all()
            names = {u.id: u.username for u in rows}
            return [
                {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role,
                    "active": u.active,
                    "created_at": u.created_at,
                    "supervises": sorted(names[t] for su, t in sup if su == u.id and t in names),
                }
                for u in rows
            ]

    def get_viewer(self, user_id: int) -> Viewer | None:
        with self.db.sessions() as s:
            u = s.get(User, user_id)
            return None if u is None or not u.active else Viewer(u.id, u.username, u.role)

    def set_active(self, user_id: int, active: bool) -> None:
        with self.db.transaction() as s:
            u = s.get(User, user_id)
            if u is None:
                raise NotFound("no such user")
            u.active = active
            if not active:
                s.execute(delete(LoginSession).where(LoginSession.user_id == user_id))

    def assign_supervisor(self, supervisor: str, therapist: str) -> None:
        """Propose that ``supervisor`` read ``therapist``'s sessions (an admin's step).

        The supervisor reads nothing until the therapist accepts
        (:meth:`answer_supervision`).

        Raises
        ------
        InputError
            When either name is not an account of that role.
        """
        with self.db.transaction() as s:
            sup = s.scalar(select(User).where(User.username == supervisor))
            th = s.scalar(select(User).where(User.username == therapist))
            if sup is None or sup.role != "supervisor":
                raise InputError(f"{supervisor!r} is not a supervisor account", field="supervisor")
            if th is None or th.role != "therapist":
                raise InputError(f"{therapist!r} is not a therapist account", field="therapist")
            exists = s.scalar(
                select(Supervision.id).where(
                    Supervision.supervisor_id == sup.id, Supervision.therapist_id == th.id
                )
            )
            if not exists:
                s.add(Supervision(supervisor_id=sup.id, therapist_id=th.id))

    def supervisions(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The pairings a viewer may see: all of them for an admin, their own otherwise.

        Each is ``{"id", "supervisor", "therapist", "accepted"}``.
        """
        with self.db.sessions() as s:
            q = select(Supervision)
            if viewer.role == "therapist":
                q = q.where(Supervision.therapist_id == viewer.id)
            elif viewer.role == "supervisor":
                q = q.where(Supervision.supervisor_id == viewer.id)
            elif viewer.role != "admin":
                return []
            rows = s.scalars(q.order_by(Supervision.id)).all()
            names = dict(s.execute(select(User.id, User.username)).all())
            return [
                {
                    "id": r.id,
                    "supervisor": names.get(r.supervisor_id, ""),
                    "therapist": names.get(r.therapist_id, ""),
                    "accepted": r.accepted_at is not None,
                }
                for r in rows
            ]

    def answer_supervision(self, viewer: Viewer, supervision_id: int, *, accept: bool) -> str:
        """The therapist accepts a proposed supervision, or declines it (it is removed).

        Returns the supervisor's user name.

        Raises
        ------
        NotFound
            When it is not a supervision of this therapist.
        """
        with self.db.transaction() as s:
            row = s.get(Supervision, supervision_id)
            if row is None or viewer.role != "therapist" or row.therapist_id != viewer.id:
                raise NotFound("no such supervision")
            supervisor = s.get(User, row.supervisor_id)
            if accept:
                row.accepted_at = row.accepted_at or utcnow()
            else:
                s.delete(row)
            return supervisor.username if supervisor else ""

    def end_supervision(self, viewer: Viewer, supervision_id: int) -> tuple[str, str]:
        """End a supervision: its therapist, its supervisor or an admin may.

        Returns the (supervisor, therapist) user names.

        Raises
        ------
        NotFound
            When there is no such supervision the viewer may end.
        """
        with self.db.transaction() as s:
            row = s.get(Supervision, supervision_id)
            allowed = row is not None and (
                viewer.role == "admin"
                or (viewer.role == "therapist" and row.therapist_id == viewer.id)
                or (viewer.role == "supervisor" and row.supervisor_id == viewer.id)
            )
            if not allowed:
                raise NotFound("no such supervision")
            names = dict(s.execute(select(User.id, User.username)).all())
            pair = (names.get(row.supervisor_id, ""), names.get(row.therapist_id, ""))
            s.delete(row)
            return pair

    def known_browser(self, viewer: Viewer) -> str:
        """A token that marks this browser as one ``viewer`` has signed in from.

        It is ``user id.nonce.MAC``: the MAC (HMAC-SHA256 under a key derived from the data key)
        covers the account's password hash, so a new password makes every such token void.
        """
        nonce = secrets.token_urlsafe(12)
        with self.db.sessions() as s:
            user = s.get(User, viewer.id)
            secret = user.password_hash if user else ""
        return f"{viewer.id}.{nonce}.{self._browser_mac(viewer.id, nonce, secret)}"

    def _browser_mac(self, user_id: int, nonce: str, password_hash: str) -> str:
        message = f"{user_id}:{nonce}:{password_hash}".encode()
        return hmac.new(self._browser_key, message, hashlib.sha256).hexdigest()[:32]

    def _known_nonce(self, user: User | None, tokens: Iterable[str]) -> str | None:
        """The nonce of the token (among ``tokens``) that proves this browser known to ``user``."""
        if user is None:
            return None
        for token in tokens:
            uid, _, rest = token.partition(".")
            nonce, _, mac = rest.partition(".")
            if (
                uid == str(user.id)
                and nonce
                and hmac.compare_digest(mac, self._browser_mac(user.id, nonce, user.password_hash))
            ):
                return nonce
        return None

    def authenticate(
        self,
        username: str,
        password: str,
        *,
        ip: str,
        max_failures: int,
        window_minutes: int,
        known: Iterable[str] = (),
        backoff_seconds: float | None = None,
    ) -> Viewer | None:
        """Check a password; every attempt is recorded for rate limiting.

        A browser that has signed in to this account before (one of ``known`` is its
        :meth:`known_browser` token) counts only its own failures, so nobody else's failed
        guesses, for the name or from the same address, lock its owner out. Any other browser
        is refused after ``max_failures`` failures for the name, or from the address, in the
        window: for the rest of the window, or with ``backoff_seconds``, until that long after
        the last attempt (one try per back-off period, which the right password passes).

        Raises
        ------
        RateLimited
            When the limit that applies is reached.
        """
        username = (username or "").strip()[:64]
        since = utcnow() - dt.timedelta(minutes=window_minutes)
        with self.db.transaction() as s:
            user = s.scalar(select(User).where(func.lower(User.username) == username.lower()))
            nonce = self._known_nonce(user, known)
            where = ip[:40] if nonce is None else f"{ip[:40]} known:{nonce[:12]}"
            if nonce is None:
                limited = (func.lower(LoginAttempt.username) == username.lower()) | (
                    LoginAttempt.ip == where  # as it is stored
                )
            else:
                limited = LoginAttempt.ip == where
            failures = s.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.at >= since, LoginAttempt.ok.is_(False), limited)
            )
            if failures >= max_failures:
                if backoff_seconds is None:
                    raise RateLimited(
                        f"too many failed sign-ins; try again in {window_minutes} minutes"
                    )
                # Over the limit, one attempt a back-off period (per name and per address, as
                # the limit): a guesser gets one try a minute, and the right password from any
                # browser still gets in at the next free try.
                last = s.scalar(
                    select(func.max(LoginAttempt.at)).where(LoginAttempt.at >= since, limited)
                )
                wait = backoff_seconds - (utcnow() - last).total_seconds() if last else 0
                if wait > 0:
                    raise RateLimited(
                        f"too many failed sign-ins; try again in {math.ceil(wait)} seconds"
                    )
            ok = False
            if user is not None and user.active:
                try:
                    ok = self._hasher.verify(user.password_hash, password or "")
                except (VerifyMismatchError, VerificationError, InvalidHashError):
                    ok = False
                if ok and self._hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = self._hasher.hash(password)
            else:  # spend the same time as a real check, so names cannot be probed by timing
                self._hasher.hash(password or "x")
            s.add(LoginAttempt(username=username, ip=where, ok=ok, at=utcnow()))  # store clock
            return Viewer(user.id, user.username, user.role) if ok and user else None

    # ---- sign-in sessions -------------------------------------------------------------------
    def start_login(self, viewer: Viewer) -> str:
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as s:
            s.add(LoginSession(token_hash=_hash_token(token), user_id=viewer.id))
        return token

    def resolve_login(
        self, token: str | None, *, idle_minutes: int, max_hours: float | None = None
    ) -> Viewer | None:
        """The user a cookie token belongs to, or None (unknown, idle for longer than
        ``idle_minutes``, or signed in longer than ``max_hours`` ago, however busy: ended)."""
        if not token:
            return None
        now = utcnow()
        with self.db.transaction() as s:
            row = s.get(LoginSession, _hash_token(token))
            if row is None:
                return None
            too_old = max_hours is not None and now - row.created_at > dt.timedelta(hours=max_hours)
            if too_old or now - row.last_seen > dt.timedelta(minutes=idle_minutes):
                s.delete(row)
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.active:
                s.delete(row)
                return None
            if now - row.last_seen > dt.timedelta(seconds=30):
                row.last_seen = now
            return Viewer(user.id, user.username, user.role)

    def change_password(
        self, viewer: Viewer, current: str, new: str, *, keep_token: str | None = None
    ) -> None:
        """Change one's own password; every other signed-in browser of the account is ended.

        Raises
        ------
        InputError
            When ``current`` is wrong (field ``current``) or ``new`` is not acceptable.
        """
        with self.db.transaction() as s:
            user = s.get(User, viewer.id)
            if user is None or not user.active:
                raise NotFound("no such user")
            try:
                self._hasher.verify(user.password_hash, current or "")
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                raise InputError(
                    "is not this account's password; expected the password you sign in with",
                    field="current",
                ) from None
            if new == current:
                raise InputError("is the current password; expected a new one", field="password")
            check_password(new, user.username)
            user.password_hash = self._hasher.hash(new)
            kept = _hash_token(keep_token) if keep_token else ""
            s.execute(
                delete(LoginSession).where(
                    LoginSession.user_id == user.id, LoginSession.token_hash != kept
                )
            )

    def reset_password(self, user_id: int, new: str) -> str:
        """Set another account's password (an admin's reset) and sign it out everywhere.

        Returns the account's user name.

        Raises
        ------
        NotFound
            No such account.
        InputError
            When ``new`` is not acceptable.
        """
        with self.db.transaction() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("no such user")
            check_password(new, user.username)
            user.password_hash = self._hasher.hash(new)
            s.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
            # whoever resets a supervisor's password could sign in as them: their therapists
            # are asked to accept the supervision again
            s.execute(
                update(Supervision)
                .where(Supervision.supervisor_id == user.id)
                .values(accepted_at=None)
            )
            return user.username

    def end_login(self, token: str | None) -> None:
        if token:
            with self.db.transaction() as s:
                s.execute(delete(LoginSession).where(LoginSession.token_hash == _hash_token(token)))

    # ---- audit log --------------------------------------------------------------------------
    def audit(
        self,
        action: str,
        *,
        viewer: Viewer | None = None,
        target: str = "",
        detail: str = "",
        ip: str = "",
    ) -> None:
        """Append one entry to the hash-chained audit log."""
        with self._audit_lock, self.db.transaction() as s:
            # Take the write lock first (a no-op update of the head row: a row lock on
            # PostgreSQL, the database's write lock on SQLite), so that appends from several
            # server processes queue up instead of forking the chain.
            s.execute(
                update(MetaValue).where(MetaValue.key == "audit_head").values(value=MetaValue.value)
            )
            head = s.execute(
                select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
            ).first()
            seq = 1 if head is None else head.seq + 1
            prev = audit_chain.GENESIS if head is None else head.hash
            fields = {
                "seq": seq,
                "at": utcnow(),
                "user_id": viewer.id if viewer else None,
                "username": viewer.username if viewer else "",
                "action": action,
                "target": target[:128],
                "detail": detail,
                "ip": ip[:64],
            }
            digest = audit_chain.entry_hash(prev, fields, key=self._audit_key)
            s.add(AuditEntry(**fields, prev_hash=prev, hash=digest))
            # The head (last seq and hash) is kept apart too, so that deleting the newest entries
            # — which leaves a valid, shorter chain — is detected by verify_audit.
            head_row = s.get(MetaValue, "audit_head")
            value = f"{seq}:{digest}".encode("ascii")
            if head_row is None:
                s.add(MetaValue(key="audit_head", value=value))
            else:
                head_row.value = value

    def audit_entries(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        with self.db.sessions() as s:
            q = select(AuditEntry).order_by(AuditEntry.seq.desc())
            if limit:
                q = q.limit(limit)
            return [_audit_dict(e) for e in s.scalars(q)]

    def verify_audit(self) -> audit_chain.ChainCheck:
        """Check the whole chain, oldest first, in pages (constant memory)."""

        def entries() -> Iterable[Mapping[str, Any]]:
            last = 0
            while True:
                with self.db.sessions() as s:
                    page = s.scalars(
                        select(AuditEntry)
                        .where(AuditEntry.seq > last)
                        .order_by(AuditEntry.seq)
                        .limit(1000)
                    ).all()
                if not page:
                    return
                for e in page:
                    yield _audit_dict(e)
                last = page[-1].seq

        with self.db.sessions() as s:
            keyed = s.get(MetaValue, "audit_keyed_from")
        keyed_from = int(keyed.value.decode("ascii")) if keyed is not None else 1
        check = audit_chain.verify_chain(entries(), key=self._audit_key, keyed_from=keyed_from)
        if not check.ok:
            return check
        with self.db.sessions() as s:
            row = s.get(MetaValue, "audit_head")
        if row is None:
            return check
        seq, _, digest = row.value.decode("ascii").partition(":")
        if digest != check.head:
            return dataclasses.replace(
                check,
                ok=False,
                first_bad_seq=check.n_entries + 1,
                reason=f"the log ends at entry {check.n_entries}, but entry {seq} was the last "
                "one written: entries at the end were deleted",
            )
        return check

    # ---- clients ----------------------------------------------------------------------------
    def create_client(self, viewer: Viewer, label: str) -> str:
        """Add a client of this therapist; returns its public id.

        Raises
        ------
        InputError
            Empty or over-long label, or a viewer who is not a therapist.
        """
        label = " ".join((label or "").split())
        if viewer.role != "therapist":
            raise InputError("only a therapist account can add clients", field="role")
        if not label or len(label) > 80:
            raise InputError(
                f"has {len(label)} characters; expected 1-80 (a pseudonym or initials is enough)",
                field="label",
            )
        with self.db.transaction() as s:
            c = Client(public_id=_public_id(), therapist_id=viewer.id, label_enc=self.seal(label))
            s.add(c)
            return c.public_id

    def _therapists_of(self, s: DbSession, viewer: Viewer) -> list[int]:
        if viewer.role == "therapist":
            return [viewer.id]
        if viewer.role == "supervisor":  # only the therapists who accepted
            return list(
                s.scalars(
                    select(Supervision.therapist_id).where(
                        Supervision.supervisor_id == viewer.id,
                        Supervision.accepted_at.is_not(None),
                    )
                )
            )
        return []

    def clients(self, viewer: Viewer) -> list[dict[str, Any]]:
        with self.db.sessions() as s:
            ids = self._therapists_of(s, viewer)
            rows = s.execute(
                select(Client, User.username, func.count(TherapySession.id))
                .join(User, User.id == Client.therapist_id)
                .outerjoin(TherapySession, TherapySession.client_id == Client.id)
                .where(Client.therapist_id.in_(ids))
                .group_by(Client.id, User.username)
                .order_by(Client.created_at)
            ).all()
            return [
                {
                    "id": c.public_id,
                    "label": self.unseal(c.label_enc, "a client label"),
                    "therapist": name,
                    "n_sessions": n,
                    "created_at": c.created_at,
                }
                for c, name, n in rows
            ]

    def client(self, viewer: Viewer, public_id: str) -> dict[str, Any]:
        """One client the viewer may see.

        Raises
        ------
        NotFound
        """
        with self.db.sessions() as s:
            c = s.scalar(select(Client).where(Client.public_id == public_id))
            if c is None or c.therapist_id not in self._therapists_of(s, viewer):
                raise NotFound(f"client {public_id}")
            return {
                "id": c.public_id,
                "pk": c.id,
                "label": self.unseal(c.label_enc, "a client label"),
                "therapist_id": c.therapist_id,
                "own": c.therapist_id == viewer.id,
            }

    # ---- sessions ---------------------------------------------------------------------------
    def _file_path(self, stored_as: str) -> Path:
        return self.files_dir / stored_as

    def _put_file(
        self, s: DbSession, row: TherapySession, kind: str, name: str, data: bytes
    ) -> None:
        if kind not in FILE_KINDS:
            raise InputError(f"is {kind!r}; expected one of {', '.join(FILE_KINDS)}", field="kind")
        folder = self.files_dir / row.public_id
        folder.mkdir(exist_ok=True, mode=0o700)
        stored_as = f"{row.public_id}/{kind}-{secrets.token_hex(6)}.bin"
        write_encrypted(self._file_path(stored_as), data, self.cipher)
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

    def _drop_files(self, names: Iterable[str]) -> None:
        for name in names:
            self._file_path(name).unlink(missing_ok=True)

    def create_session(
        self,
        viewer: Viewer,
        client_id: str,
        *,
        held_on: dt.date | None,
        files: Mapping[str, tuple[str, bytes]],
        started_at: str | None = None,
        speakers: list[dict[str, Any]] | None = None,
    ) -> str:
        """Store a new session's uploads (encrypted); returns the session's public id.

        ``started_at`` (ISO 8601, when the recording started) and ``speakers`` (the transcript's
        speakers as the roles page lists them) are kept, encrypted, with the speaker roles.

        Raises
        ------
        NotFound
            The client is not the viewer's own.
        InputError
            No transcript.
        """
        if "transcript" not in files:
            raise InputError("is missing; expected a transcript file", field="transcript")
        with self.db.sessions() as s:
            c = s.scalar(select(Client).where(Client.public_id == client_id))
            if c is None or c.therapist_id != viewer.id or viewer.role != "therapist":
                raise NotFound(f"client {client_id}")
        s = self.db.sessions()
        try:
            with s.begin():
                row = TherapySession(
                    public_id=_public_id(),
                    client_id=c.id,
                    therapist_id=viewer.id,
                    held_on=held_on,
                    status="draft",
                    roles_enc=self.seal(
                        json.dumps(
                            {
                                **({"start": started_at} if started_at else {}),
                                **({"speakers": speakers} if speakers is not None else {}),
                            }
                        )
                    ),
                )
                s.add(row)
                s.flush()
                for kind, (name, data) in files.items():
                    self._put_file(s, row, kind, name, data)
            return row.public_id
        except BaseException:
            self._drop_files(s.info.get("new_files", []))
            raise
        finally:
            s.close()

    def _visible(self, s: DbSession, viewer: Viewer, public_id: str, *, write: bool):
        row = s.scalar(select(TherapySession).where(TherapySession.public_id == public_id))
        allowed = self._therapists_of(s, viewer)
        if row is None or row.therapist_id not in allowed:
            raise NotFound(f"session {public_id}")
        if write and row.therapist_id != viewer.id:
            raise NotFound(f"session {public_id}")
        return row

    def session(self, viewer: Viewer, public_id: str, *, write: bool = False) -> dict[str, Any]:
        """One session the viewer may see (``write``: may change).

        Raises
        ------
        NotFound
        """
        with self.db.sessions() as s:
            row = self._visible(s, viewer, public_id, write=write)
            return self._session_dict(s, row, viewer)

    def _session_dict(self, s: DbSession, row: TherapySession, viewer: Viewer) -> dict[str, Any]:
        c = s.get(Client, row.client_id)
        therapist = s.get(User, row.therapist_id)
        files = {
            f.kind: {"name": self.unseal(f.name_enc, "a file name"), "size": f.size}
            for f in s.scalars(select(SessionFile).where(SessionFile.session_id == row.id))
        }
        roles = json.loads(self.unseal(row.roles_enc, "speaker roles") or "{}")
        return {
            "id": row.public_id,
            "pk": row.id,
            "client_id": c.public_id,
            "client_label": self.unseal(c.label_enc, "a client label"),
            "therapist": therapist.username,
            "held_on": row.held_on,
            "status": row.status,
            "progress": row.progress,
            "stage": row.stage,
            "error": self._unseal_note(row.error, "an analysis error"),
            "roles": roles,
            "files": files,
            "created_at": row.created_at,
            "analysed_at": row.analysed_at,
            "own": row.therapist_id == viewer.id,
        }

    def sessions(self, viewer: Viewer, *, client_id: str | None = None) -> list[dict[str, Any]]:
        with self.db.sessions() as s:
            q = _sessions_of(self._therapists_of(s, viewer)).order_by(
                TherapySession.held_on.desc(), TherapySession.created_at.desc()
            )
            if client_id is not None:
                q = q.where(Client.public_id == client_id)
            return [
                {
                    "id": r.public_id,
                    "client_id": c.public_id,
                    "client_label": self.unseal(c.label_enc, "a client label"),
                    "therapist": name,
                    "held_on": r.held_on,
                    "status": r.status,
                    "progress": r.progress,
                    "created_at": r.created_at,
                }
                for r, c, name in s.execute(q).all()
            ]

    def read_file(self, viewer: Viewer, public_id: str, kind: str) -> tuple[str, bytes]:
        """A session file, decrypted: (original name, bytes).

        Raises
        ------
        NotFound
        """
        with self.db.sessions() as s:
            row = self._visible(s, viewer, public_id, write=False)
            return self._read_file(s, row.id, kind)

    def _read_file(self, s: DbSession, session_pk: int, kind: str) -> tuple[str, bytes]:
        f = s.scalar(
            select(SessionFile).where(
                SessionFile.session_id == session_pk, SessionFile.kind == kind
            )
        )
        if f is None:
            raise NotFound(f"{kind} file")
        data = read_encrypted(self._file_path(f.stored_as), self.cipher, what=f"the {kind} file")
        return self.unseal(f.name_enc, "a file name"), data

    def job_files(self, session_pk: int) -> dict[str, tuple[str, bytes]]:
        """The uploaded files of a session, decrypted, for its analysis job."""
        with self.db.sessions() as s:
            kinds = s.scalars(
                select(SessionFile.kind).where(SessionFile.session_id == session_pk)
            ).all()
            return {k: self._read_file(s, session_pk, k) for k in kinds if k in UPLOAD_KINDS}

    def job_roles(self, session_pk: int) -> dict[str, list[str]]:
        with self.db.sessions() as s:
            row = s.get(TherapySession, session_pk)
            return json.loads(self.unseal(row.roles_enc, "speaker roles") or "{}")

    def queue(self, viewer: Viewer, public_id: str, roles: Mapping[str, list[str]]) -> int:
        """Confirm the speaker roles and queue the analysis; returns the session's key."""
        with self.db.transaction() as s:
            row = self._visible(s, viewer, public_id, write=True)
            kept = json.loads(self.unseal(row.roles_enc, "speaker roles") or "{}")
            kept.update(roles)
            row.roles_enc = self.seal(json.dumps(kept))
            row.status, row.progress, row.stage, row.error = "queued", 0, "waiting", ""
            return row.id

    def pending_jobs(self) -> list[tuple[int, str]]:
        """(key, public id) of sessions whose analysis was queued or running (e.g. when the
        server stopped)."""
        with self.db.sessions() as s:
            return [
                (pk, pid)
                for pk, pid in s.execute(
                    select(TherapySession.id, TherapySession.public_id)
                    .where(TherapySession.status.in_(("queued", "running")))
                    .order_by(TherapySession.id)
                )
            ]

    def set_progress(
        self, session_pk: int, *, status: str, progress: int, stage: str, error: str = ""
    ) -> None:
        with self.db.transaction() as s:
            row = s.get(TherapySession, session_pk)
            if row is None:  # deleted meanwhile
                return
            row.status, row.progress, row.stage = status, progress, stage
            row.error = self._seal_note(error)

    def store_results(
        self,
        session_pk: int,
        *,
        report: str,
        results: str,
        utterances: str,
        metrics: Mapping[str, float | None],
    ) -> None:
        """Keep an analysis' outputs (encrypted) and its metrics; mark the session done."""
        s = self.db.sessions()
        try:
            with s.begin():
                row = s.get(TherapySession, session_pk)
                if row is None:
                    return
                for kind, text in (
                    ("report", report),
                    ("results", results),
                    ("utterances", utterances),
                ):
                    self._put_file(s, row, kind, f"{kind}", text.encode("utf-8"))
                s.execute(delete(SessionMetric).where(SessionMetric.session_id == row.id))
                for name, value in metrics.items():
                    s.add(SessionMetric(session_id=row.id, name=name[:96], value=value))
                row.status, row.progress, row.stage, row.error = "done", 100, "done", ""
                row.analysed_at = utcnow()
            self._drop_files(s.info.get("stale_files", []))
        except BaseException:
            self._drop_files(s.info.get("new_files", []))
            raise
        finally:
            s.close()

    def delete_session(self, viewer: Viewer, public_id: str) -> None:
        """Delete a session, its answers and its files.

        Raises
        ------
        NotFound
        """
        with self.db.transaction() as s:
            row = self._visible(s, viewer, public_id, write=True)
            s.delete(row)
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

    def metrics(self, session_pk: int) -> dict[str, float | None]:
        with self.db.sessions() as s:
            return dict(
                s.execute(
                    select(SessionMetric.name, SessionMetric.value).where(
                        SessionMetric.session_id == session_pk
                    )
                ).all()
            )

    # ---- feedback ---------------------------------------------------------------------------
    def create_link(
        self, viewer: Viewer, public_id: str, questionnaires: list[str], *, hours: int
    ) -> str:
        """A one-time feedback link token for the session's client."""
        token = secrets.token_urlsafe(24)
        with self.db.transaction() as s:
            row = self._visible(s, viewer, public_id, write=True)
            s.add(
                FeedbackLink(
                    session_id=row.id,
                    token_hash=_hash_token(token),
                    questionnaires=list(questionnaires),
                    expires_at=utcnow() + dt.timedelta(hours=hours),
                )
            )
        return token

    def links(self, session_pk: int) -> list[dict[str, Any]]:
        now = utcnow()
        with self.db.sessions() as s:
            return [
                {
                    "created_at": link.created_at,
                    "expires_at": link.expires_at,
                    "used_at": link.used_at,
                    "state": "answered"
                    if link.used_at
                    else ("expired" if link.expires_at < now else "open"),
                }
                for link in s.scalars(
                    select(FeedbackLink)
                    .where(FeedbackLink.session_id == session_pk)
                    .order_by(FeedbackLink.created_at)
                )
            ]

    def open_link(self, token: str) -> dict[str, Any]:
        """The link a client holds.

        Raises
        ------
        NotFound
            No such link.
        LinkExpired
            Used already, or past its time.
        """
        with self.db.sessions() as s:
            link = s.scalar(
                select(FeedbackLink).where(FeedbackLink.token_hash == _hash_token(token))
            )
            if link is None:
                raise NotFound("feedback link")
            if link.used_at is not None or link.expires_at < utcnow():
                raise LinkExpired("this feedback link was used already or has expired")
            row = s.get(TherapySession, link.session_id)
            return {
                "session_pk": row.id,
                "session_id": row.public_id,
                "questionnaires": list(link.questionnaires),
                "held_on": row.held_on,
            }

    def save_feedback(
        self,
        session_pk: int,
        responses: Mapping[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]],
        *,
        link_token: str | None = None,
    ) -> None:
        """Store completed questionnaires in one transaction (and use up the link).

        ``responses`` maps questionnaire id -> (respondent, answers, scores). Answers are
        encrypted; an earlier answer to the same questionnaire for this session is replaced.

        Raises
        ------
        LinkExpired
            When the link was used meanwhile.
        """
        with self.db.transaction() as s:
            if link_token is not None:
                now = utcnow()
                # One conditional UPDATE, not a read then a write: of two answers sent at the
                # same moment only one finds the link unused (on PostgreSQL both would).
                claimed = s.execute(
                    update(FeedbackLink)
                    .where(
                        FeedbackLink.token_hash == _hash_token(link_token),
                        FeedbackLink.used_at.is_(None),
                        FeedbackLink.expires_at >= now,
                    )
                    .values(used_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if claimed != 1:
                    raise LinkExpired("this feedback link was used already or has expired")
            for qid, (respondent, answers, scores) in responses.items():
                s.execute(
                    delete(FeedbackResponse).where(
                        FeedbackResponse.session_id == session_pk,
                        FeedbackResponse.questionnaire == qid,
                    )
                )
                # In the clear only the numbers trends draw (a total, an unscored
                # questionnaire's ratings); the band and the flags (PHQ-9 item 9 among them)
                # are sealed with the answers.
                clear = {k: v for k, v in scores.items() if _is_number(v)}
                private = {k: v for k, v in scores.items() if k not in clear}
                sealed = {"v": 2, "answers": dict(answers), "private": private}
                s.add(
                    FeedbackResponse(
                        session_id=session_pk,
                        questionnaire=qid,
                        respondent=respondent,
                        answers_enc=self.seal(json.dumps(sealed, default=str)),
                        scores=clear,
                    )
                )

    def feedback(self, session_pk: int) -> list[dict[str, Any]]:
        """A session's completed questionnaires: answers and every score (the sealed ones too)."""
        out = []
        with self.db.sessions() as s:
            for r in s.scalars(
                select(FeedbackResponse)
                .where(FeedbackResponse.session_id == session_pk)
                .order_by(FeedbackResponse.created_at)
            ):
                opened = json.loads(self.unseal(r.answers_enc, "questionnaire answers"))
                if isinstance(opened, dict) and opened.get("v") == 2:
                    answers, private = opened["answers"], opened["private"]
                else:  # stored before band and flags were sealed: answers only
                    answers, private = opened, {}
                out.append(
                    {
                        "questionnaire": r.questionnaire,
                        "respondent": r.respondent,
                        "answers": answers,
                        "scores": {**(r.scores or {}), **private},
                        "created_at": r.created_at,
                    }
                )
        return out

    # ---- trends -----------------------------------------------------------------------------
    def trend_rows(self, viewer: Viewer, *, client_id: str | None = None) -> list[dict[str, Any]]:
        """One row per analysed session the viewer may see: date, client, metrics, feedback scores.

        Feedback scores appear as ``<questionnaire>_<score>`` (e.g. ``phq9_total``).
        """
        with self.db.sessions() as s:
            q = (
                _sessions_of(self._therapists_of(s, viewer))
                .where(TherapySession.status == "done")
                .order_by(TherapySession.held_on, TherapySession.created_at)
            )
            if client_id is not None:
                q = q.where(Client.public_id == client_id)
            rows = s.execute(q).all()
            pks = [r.id for r, _, _ in rows]
            metrics: dict[int, dict[str, float | None]] = {pk: {} for pk in pks}
            for sid, name, value in s.execute(
                select(SessionMetric.session_id, SessionMetric.name, SessionMetric.value).where(
                    SessionMetric.session_id.in_(pks)
                )
            ):
                metrics[sid][name] = value
            scores: dict[int, dict[str, Any]] = {pk: {} for pk in pks}
            for sid, qid, sc in s.execute(
                select(
                    FeedbackResponse.session_id,
                    FeedbackResponse.questionnaire,
                    FeedbackResponse.scores,
                ).where(FeedbackResponse.session_id.in_(pks))
            ):
                for key, value in (sc or {}).items():
                    if _is_number(value):
                        scores[sid][f"{qid}_{key}"] = value
            return [
                {
                    "session_id": r.public_id,
                    "held_on": r.held_on or r.created_at.date(),
                    "client_id": c.public_id,
                    "client_label": self.unseal(c.label_enc, "a client label"),
                    "therapist": name,
                    **metrics[r.id],
                    **scores[r.id],
                }
                for r, c, name in rows
            ]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sessions_of(therapist_ids: list[int]):
    """(session, client, therapist's user name) rows of these therapists' sessions."""
    return (
        select(TherapySession, Client, User.username)
        .join(Client, Client.id == TherapySession.client_id)
        .join(User, User.id == TherapySession.therapist_id)
        .where(TherapySession.therapist_id.in_(therapist_ids))
    )


def _audit_dict(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "user_id": e.user_id,
        "username": e.username,
        "action": e.action,
        "target": e.target,
        "detail": e.detail,
        "ip": e.ip,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


__all__ += ["KeyMismatchError", "Viewer"]

"""Accounts: users, passwords (Argon2id), sign-in attempts and their limits, known browsers,
and sign-in sessions (the cookie's token; the table keeps only its SHA-256)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
import threading
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session as DbSession

from attunement.errors import InputError
from attunement.store import supervision
from attunement.store.base import NotFound, Part, RateLimited, hash_token, now
from attunement.store.crypto import Cipher
from attunement.store.db import Database
from attunement.store.models import ROLES, LoginAttempt, LoginSession, User
from attunement.store.views import UserView, Viewer

__all__ = ["MIN_PASSWORD", "MIN_PASSWORD_SCORE", "Accounts", "check_password"]

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10
#: Least zxcvbn score (0-4) a password must reach: 3 is "safely unguessable" (about 10^8 guesses
#: or more), which refuses common passwords, repeats, sequences and the user's own name.
MIN_PASSWORD_SCORE = 3
_BAD_HASH = (VerifyMismatchError, VerificationError, InvalidHashError)


def check_password(password: str | None, username: str = "") -> None:
    """Refuse a password that is short or easy to guess.

    The guessing estimate is zxcvbn's (Wheeler 2016: dictionaries of common passwords, names and
    words, keyboard patterns, repeats, sequences and dates, offline), with the user name among
    the words it tries.

    Parameters
    ----------
    password : str or None
    username : str
        The account's name, which the password must not merely repeat.

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


def _viewer(user: User) -> Viewer:
    return Viewer(user.id, user.username, user.role)


class Accounts(Part):
    """Users, passwords, sign-ins and the browsers they were made from.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
        Known-browser tokens are keyed by a subkey of it.
    hasher : argon2.PasswordHasher
        How passwords are hashed (and old hashes upgraded at sign-in).
    """

    def __init__(self, db: Database, cipher: Cipher, hasher: PasswordHasher) -> None:
        super().__init__(db, cipher)
        self._hasher = hasher
        self._browser_key = cipher.subkey("known browser")
        self._setup_lock = threading.Lock()

    # ---- users ------------------------------------------------------------------------------
    def user_count(self) -> int:
        """How many accounts exist (switched off ones too).

        Returns
        -------
        int
        """
        with self.db.sessions() as s:
            return s.scalar(select(func.count()).select_from(User)) or 0

    def create_user(
        self, username: str, password: str, role: str, *, display_name: str = ""
    ) -> Viewer:
        """Add an account.

        Parameters
        ----------
        username : str
            2-64 letters, digits or ``. _ @ -``; unique whatever the case.
        password : str
            Checked by :func:`check_password`.
        role : str
            One of :data:`~attunement.store.models.ROLES`.
        display_name : str
            A full name (at most 128 characters are kept).

        Returns
        -------
        Viewer
            The new account.

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
            return _viewer(user)

    def create_first_admin(self, username: str, password: str) -> Viewer:
        """The first account (an admin), only while no account exists.

        Returns
        -------
        Viewer

        Raises
        ------
        InputError
            When an account exists already, or the name or password is not acceptable.
        """
        with self._setup_lock:
            if self.user_count() > 0:
                raise InputError("an account exists already; sign in instead", field="username")
            return self.create_user(username, password, "admin")

    def users(self) -> list[UserView]:
        """Every account, by user name.

        Returns
        -------
        list of UserView
        """
        with self.db.sessions() as s:
            rows = s.scalars(select(User).order_by(User.username)).all()
            pairs = supervision.accepted_pairs(s)
            names = {u.id: u.username for u in rows}
            return [
                UserView(
                    id=u.id,
                    username=u.username,
                    display_name=u.display_name,
                    role=u.role,
                    active=u.active,
                    created_at=u.created_at,
                    supervises=tuple(
                        sorted(names[t] for su, t in pairs if su == u.id and t in names)
                    ),
                )
                for u in rows
            ]

    def get_viewer(self, user_id: int) -> Viewer | None:
        """The account with this id, or None when there is none or it is switched off.

        Returns
        -------
        Viewer or None
        """
        with self.db.sessions() as s:
            u = s.get(User, user_id)
            return None if u is None or not u.active else _viewer(u)

    def set_active(self, user_id: int, active: bool) -> None:
        """Switch an account on or off (off ends every sign-in of it).

        Raises
        ------
        NotFound
            No such account.
        """
        with self.db.transaction() as s:
            u = s.get(User, user_id)
            if u is None:
                raise NotFound("no such user")
            u.active = active
            if not active:
                s.execute(delete(LoginSession).where(LoginSession.user_id == user_id))

    # ---- known browsers ---------------------------------------------------------------------
    def known_browser(self, viewer: Viewer) -> str:
        """A token that marks this browser as one ``viewer`` has signed in from.

        It is ``user id.nonce.MAC``: the MAC (HMAC-SHA256 under a key derived from the data key)
        covers the account's password hash, so a new password makes every such token void.

        Returns
        -------
        str
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

    # ---- sign-in ----------------------------------------------------------------------------
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

        Returns
        -------
        Viewer or None
            The account, or None for a wrong name or password or a switched-off account.

        Raises
        ------
        RateLimited
            When the limit that applies is reached.
        """
        username = (username or "").strip()[:64]
        since = now() - dt.timedelta(minutes=window_minutes)
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
                self._refuse(s, since, limited, window_minutes, backoff_seconds)
            ok = False
            if user is not None and user.active:
                try:
                    ok = self._hasher.verify(user.password_hash, password or "")
                except _BAD_HASH:
                    ok = False
                if ok and self._hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = self._hasher.hash(password)
            else:  # spend the same time as a real check, so names cannot be probed by timing
                self._hasher.hash(password or "x")
            s.add(LoginAttempt(username=username, ip=where, ok=ok, at=now()))  # store clock
            return _viewer(user) if ok and user else None

    @staticmethod
    def _refuse(
        s: DbSession,
        since: dt.datetime,
        limited: ColumnElement[bool],
        window_minutes: int,
        backoff: float | None,
    ) -> None:
        """Over the limit: refuse, unless a back-off period has passed since the last attempt."""
        if backoff is None:
            raise RateLimited(f"too many failed sign-ins; try again in {window_minutes} minutes")
        # Over the limit, one attempt a back-off period (per name and per address, as the
        # limit): a guesser gets one try a minute, and the right password from any browser
        # still gets in at the next free try.
        last = s.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.at >= since, limited))
        wait = backoff - (now() - last).total_seconds() if last else 0
        if wait > 0:
            raise RateLimited(f"too many failed sign-ins; try again in {math.ceil(wait)} seconds")

    # ---- sign-in sessions -------------------------------------------------------------------
    def start_login(self, viewer: Viewer) -> str:
        """Start a sign-in session.

        Returns
        -------
        str
            The token for the browser's cookie (the table keeps only its SHA-256).
        """
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as s:
            s.add(LoginSession(token_hash=hash_token(token), user_id=viewer.id))
        return token

    def resolve_login(
        self, token: str | None, *, idle_minutes: int, max_hours: float | None = None
    ) -> Viewer | None:
        """The user a cookie token belongs to.

        Parameters
        ----------
        token : str or None
        idle_minutes : int
            A sign-in unused for longer is ended.
        max_hours : float, optional
            A sign-in made longer ago is ended, however busy.

        Returns
        -------
        Viewer or None
            None for an unknown or ended sign-in, or a switched-off account.
        """
        if not token:
            return None
        at = now()
        with self.db.transaction() as s:
            row = s.get(LoginSession, hash_token(token))
            if row is None:
                return None
            too_old = max_hours is not None and at - row.created_at > dt.timedelta(hours=max_hours)
            if too_old or at - row.last_seen > dt.timedelta(minutes=idle_minutes):
                s.delete(row)
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.active:
                s.delete(row)
                return None
            if at - row.last_seen > dt.timedelta(seconds=30):
                row.last_seen = at
            return _viewer(user)

    def end_login(self, token: str | None) -> None:
        """End the sign-in session of a cookie token (nothing for an unknown one)."""
        if token:
            with self.db.transaction() as s:
                s.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))

    # ---- passwords --------------------------------------------------------------------------
    def change_password(
        self, viewer: Viewer, current: str, new: str, *, keep_token: str | None = None
    ) -> None:
        """Change one's own password; every other signed-in browser of the account is ended.

        Parameters
        ----------
        viewer : Viewer
        current, new : str
        keep_token : str, optional
            The sign-in token of the browser that stays signed in.

        Raises
        ------
        NotFound
            The account is gone or switched off.
        InputError
            When ``current`` is wrong (field ``current``) or ``new`` is not acceptable.
        """
        with self.db.transaction() as s:
            user = s.get(User, viewer.id)
            if user is None or not user.active:
                raise NotFound("no such user")
            try:
                self._hasher.verify(user.password_hash, current or "")
            except _BAD_HASH:
                raise InputError(
                    "is not this account's password; expected the password you sign in with",
                    field="current",
                ) from None
            if new == current:
                raise InputError("is the current password; expected a new one", field="password")
            check_password(new, user.username)
            user.password_hash = self._hasher.hash(new)
            kept = hash_token(keep_token) if keep_token else ""
            s.execute(
                delete(LoginSession).where(
                    LoginSession.user_id == user.id, LoginSession.token_hash != kept
                )
            )

    def reset_password(self, user_id: int, new: str) -> str:
        """Set another account's password (an admin's reset) and sign it out everywhere.

        Returns
        -------
        str
            The account's user name.

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
            supervision.ask_again(s, user.id)
            return user.username

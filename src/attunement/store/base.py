"""What every part of the store shares: its errors, its clock, and sealing text with the cipher.

The clock is :func:`now`, which reads :func:`attunement.store.models.utcnow` through this
module, so a test moves every part's clock at once with
``monkeypatch.setattr(attunement.store.base, "utcnow", later)``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any

from attunement.errors import AttunementError
from attunement.store.crypto import Cipher
from attunement.store.db import Database
from attunement.store.models import utcnow

__all__ = [
    "LinkExpired",
    "NotFound",
    "Part",
    "RateLimited",
    "hash_token",
    "is_number",
    "new_id",
    "now",
]

#: Marks encrypted free text kept in a text column (base64 of the ciphertext follows).
SEALED_NOTE = "sealed:"


class NotFound(AttunementError):
    """The thing does not exist, or the user may not see it (answered alike: 404)."""


class RateLimited(AttunementError):
    """Too many failed sign-ins; try again later."""


class LinkExpired(AttunementError):
    """A feedback link that was used already or is past its time."""


def now() -> dt.datetime:
    """The store's clock: the current time, UTC, without tzinfo (as timestamps are stored).

    Returns
    -------
    datetime.datetime
    """
    return utcnow()


def hash_token(token: str) -> str:
    """The SHA-256 (hex) of a secret token: what the database keeps instead of the token.

    Parameters
    ----------
    token : str

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> len(hash_token("abc"))
    64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_id() -> str:
    """A random URL-safe id (96 bits) that starts with a letter or digit.

    One starting with '-' would be taken for a formula by a spreadsheet, and neutralised
    (quoted) in CSV exports.

    Returns
    -------
    str
        16 characters.

    Examples
    --------
    >>> all(new_id()[0].isalnum() for _ in range(200))
    True
    """
    while True:
        found = secrets.token_urlsafe(12)
        if found[0].isalnum():
            return found


def is_number(value: Any) -> bool:
    """Whether ``value`` is an int or float (a bool is not).

    Examples
    --------
    >>> is_number(3), is_number(2.5), is_number(True), is_number("4")
    (True, True, False, False)
    """
    return isinstance(value, int | float) and not isinstance(value, bool)


class Part:
    """A part of the store: the database it reads and writes, the cipher it seals text with.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
    """

    def __init__(self, db: Database, cipher: Cipher) -> None:
        self.db = db
        self.cipher = cipher

    def seal(self, text: str) -> bytes:
        """Encrypt text (UTF-8).

        Parameters
        ----------
        text : str

        Returns
        -------
        bytes
            The token (:meth:`attunement.store.crypto.Cipher.encrypt`).
        """
        return self.cipher.encrypt(text.encode("utf-8"))

    def unseal(self, token: bytes | None, what: str = "data") -> str:
        """Decrypt what :meth:`seal` made (None reads as ``""``).

        Parameters
        ----------
        token : bytes or None
        what : str
            Names the data in the error when the key does not open it.

        Returns
        -------
        str

        Raises
        ------
        KeyMismatchError
            When the token was sealed under another key, or was changed.
        """
        if token is None:
            return ""
        return self.cipher.decrypt(token, what=what).decode("utf-8")

    def seal_note(self, text: str) -> str:
        """Free text for a text column, encrypted (an analysis error quotes the uploaded files:
        their names, a line of a transcript).

        Parameters
        ----------
        text : str

        Returns
        -------
        str
            ``""`` for no text, else :data:`SEALED_NOTE` and the base64 of the token.
        """
        if not text:
            return ""
        return SEALED_NOTE + base64.b64encode(self.seal(text)).decode("ascii")

    def unseal_note(self, stored: str | None, what: str = "a note") -> str:
        """Read what :meth:`seal_note` wrote (text stored in the clear before notes were sealed
        reads as it is).

        Parameters
        ----------
        stored : str or None
        what : str
            Names the data in the error when the key does not open it.

        Returns
        -------
        str
        """
        if not stored or not stored.startswith(SEALED_NOTE):
            return stored or ""
        return self.unseal(base64.b64decode(stored[len(SEALED_NOTE) :]), what)

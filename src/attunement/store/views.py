"""What the store returns: frozen, typed views of its rows (never the SQLAlchemy objects).

Every view is decrypted already (a client's label, a file's name) and holds only what a page or a
command shows. Jinja templates read them as attributes (``{{ session.client_label }}``);
:meth:`View.as_dict` gives a plain mapping where one is needed (a JSON body, a CSV row).

Examples
--------
>>> import datetime as dt
>>> link = LinkView(
...     created_at=dt.datetime(2026, 3, 2, 9),
...     expires_at=dt.datetime(2026, 3, 5, 9),
...     used_at=None,
...     state="open",
... )
>>> link.state
'open'
>>> sorted(link.as_dict())
['created_at', 'expires_at', 'state', 'used_at']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AuditEntryView",
    "ClientView",
    "FeedbackView",
    "FileView",
    "LinkView",
    "OpenedLink",
    "SessionRow",
    "SessionView",
    "SupervisionView",
    "TrendRow",
    "UserView",
    "View",
    "Viewer",
]


@dataclass(frozen=True, slots=True)
class View:
    """The base of the store's views."""

    def as_dict(self) -> dict[str, Any]:
        """The view's fields as a new dict (nested views and containers copied).

        Returns
        -------
        dict
            Field name -> value.
        """
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Viewer(View):
    """Who is asking: the user's id, name and role.

    Attributes
    ----------
    id : int
    username : str
    role : str
        One of :data:`attunement.store.models.ROLES`.
    """

    id: int
    username: str
    role: str


@dataclass(frozen=True, slots=True)
class UserView(View):
    """An account, as the admin pages and ``attunement users list`` show it.

    Attributes
    ----------
    id : int
    username : str
    display_name : str
        The full name given, or ``""``.
    role : str
    active : bool
        False when switched off.
    created_at : datetime.datetime
        UTC.
    supervises : tuple of str
        User names of the therapists who accepted this account as their supervisor, sorted.
    """

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: dt.datetime
    supervises: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SupervisionView(View):
    """A supervisor and a therapist paired (proposed by an admin, accepted by the therapist).

    Attributes
    ----------
    id : int
    supervisor, therapist : str
        User names (``""`` for an account that is gone).
    accepted : bool
        Whether the therapist has accepted: until then the supervisor reads nothing.
    """

    id: int
    supervisor: str
    therapist: str
    accepted: bool


@dataclass(frozen=True, slots=True)
class ClientView(View):
    """A client of a therapist.

    Attributes
    ----------
    id : str
        The public id (in URLs).
    pk : int
        The database key.
    label : str
        The therapist's pseudonym or initials for the client, decrypted.
    therapist : str
        The therapist's user name.
    therapist_id : int
    n_sessions : int
    created_at : datetime.datetime
        UTC.
    own : bool
        Whether the viewer is the client's therapist (a supervisor only reads).
    """

    id: str
    pk: int
    label: str
    therapist: str
    therapist_id: int
    n_sessions: int
    created_at: dt.datetime
    own: bool


@dataclass(frozen=True, slots=True)
class FileView(View):
    """A stored session file.

    Attributes
    ----------
    name : str
        The uploaded file's name, decrypted.
    size : int
        Bytes of the plaintext.
    """

    name: str
    size: int


@dataclass(frozen=True, slots=True)
class SessionRow(View):
    """A session in a list (no files, roles or errors are decrypted for it).

    Attributes
    ----------
    id : str
        The public id.
    client_id : str
    client_label : str
    therapist : str
        The therapist's user name.
    held_on : datetime.date or None
    status : str
        ``draft`` | ``queued`` | ``running`` | ``done`` | ``failed``.
    progress : int
        Percent.
    created_at : datetime.datetime
        UTC.
    """

    id: str
    client_id: str
    client_label: str
    therapist: str
    held_on: dt.date | None
    status: str
    progress: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SessionView(View):
    """One session with everything its page needs.

    Attributes
    ----------
    id : str
        The public id.
    pk : int
        The database key (what the analysis job and the feedback are keyed by).
    client_id, client_label : str
    therapist : str
        The therapist's user name.
    held_on : datetime.date or None
    status : str
        ``draft`` | ``queued`` | ``running`` | ``done`` | ``failed``.
    progress : int
        Percent.
    stage : str
        What the analysis is doing.
    error : str
        Why the analysis failed, decrypted (``""`` when it did not).
    roles : Mapping
        The speaker roles, decrypted: ``therapist`` and ``client`` (lists of speaker names) once
        confirmed, and ``start`` (ISO 8601) and ``speakers`` (as listed at upload) when known.
    files : Mapping of str to FileView
        Kind (``transcript``, ``report``, ...) -> file.
    created_at : datetime.datetime
    analysed_at : datetime.datetime or None
    own : bool
        Whether the viewer is the session's therapist.
    """

    id: str
    pk: int
    client_id: str
    client_label: str
    therapist: str
    held_on: dt.date | None
    status: str
    progress: int
    stage: str
    error: str
    roles: Mapping[str, Any]
    files: Mapping[str, FileView]
    created_at: dt.datetime
    analysed_at: dt.datetime | None
    own: bool


@dataclass(frozen=True, slots=True)
class LinkView(View):
    """A feedback link of a session (its token is never kept).

    Attributes
    ----------
    created_at, expires_at : datetime.datetime
        UTC.
    used_at : datetime.datetime or None
    state : str
        ``open`` | ``answered`` | ``expired``.
    """

    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None
    state: str


@dataclass(frozen=True, slots=True)
class OpenedLink(View):
    """What a client's feedback link opens.

    Attributes
    ----------
    session_pk : int
    session_id : str
        The session's public id.
    questionnaires : tuple of str
        Ids of the questionnaires the client is asked.
    held_on : datetime.date or None
    """

    session_pk: int
    session_id: str
    questionnaires: tuple[str, ...]
    held_on: dt.date | None


@dataclass(frozen=True, slots=True)
class FeedbackView(View):
    """One completed questionnaire, decrypted.

    Attributes
    ----------
    questionnaire : str
        Its id.
    respondent : str
        ``client`` | ``therapist``.
    answers : Mapping
        Item id -> answer.
    scores : Mapping
        Every score: the numbers kept in the clear (``total``, an unscored questionnaire's
        ratings) and the sealed ones (``band``, ``flags``).
    created_at : datetime.datetime
    """

    questionnaire: str
    respondent: str
    answers: Mapping[str, Any]
    scores: Mapping[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TrendRow(View):
    """One analysed session in the trends: when, whose, and its numbers.

    Attributes
    ----------
    session_id : str
    held_on : datetime.date
        The session's date, or the day it was uploaded.
    client_id, client_label : str
    therapist : str
        The therapist's user name.
    values : Mapping of str to float or None
        The session's metrics (undefined ones None) and numeric feedback scores as
        ``<questionnaire>_<score>`` (e.g. ``phq9_total``).
    """

    session_id: str
    held_on: dt.date
    client_id: str
    client_label: str
    therapist: str
    values: Mapping[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The row flat, as the trend figures and the CSV take it.

        Returns
        -------
        dict
            ``session_id``, ``held_on``, ``client_id``, ``client_label``, ``therapist``, then
            every entry of :attr:`values`.

        Examples
        --------
        >>> import datetime as dt
        >>> row = TrendRow("s1", dt.date(2026, 3, 2), "c1", "J. Q.", "tina", {"phq9_total": 11})
        >>> row.as_dict()["phq9_total"]
        11
        """
        return {
            "session_id": self.session_id,
            "held_on": self.held_on,
            "client_id": self.client_id,
            "client_label": self.client_label,
            "therapist": self.therapist,
            **self.values,
        }


@dataclass(frozen=True, slots=True)
class AuditEntryView(View):
    """One entry of the audit log.

    Attributes
    ----------
    seq : int
        1, 2, ... in the order written.
    at : datetime.datetime
        UTC.
    user_id : int or None
    username : str
        Who acted (``""`` for someone not signed in).
    action, target, detail, ip : str
    prev_hash, hash : str
        The chain's hashes (:mod:`attunement.store.audit`).
    """

    seq: int
    at: dt.datetime
    user_id: int | None
    username: str
    action: str
    target: str
    detail: str
    ip: str
    prev_hash: str
    hash: str

"""Who may see what, as queries every part of the store applies.

- a **therapist** sees and changes their own clients and sessions;
- a **supervisor** reads (never changes) the sessions of the therapists who accepted them
  (:mod:`attunement.store.supervision`);
- an **admin** manages accounts and sees no clinical data.

Anything else is answered as if it did not exist (:class:`~attunement.store.base.NotFound`) and
is written to the audit log by the caller.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session as DbSession

from attunement.store.base import NotFound
from attunement.store.models import Client, Supervision, TherapySession, User
from attunement.store.views import Viewer

__all__ = ["readable_therapists", "sessions_of", "visible_client", "visible_session"]


def readable_therapists(s: DbSession, viewer: Viewer) -> list[int]:
    """The user ids of the therapists whose clients and sessions ``viewer`` may read.

    Parameters
    ----------
    s : sqlalchemy.orm.Session
    viewer : Viewer

    Returns
    -------
    list of int
        A therapist's own id; a supervisor's accepted therapists; nobody for an admin.
    """
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


def visible_client(s: DbSession, viewer: Viewer, public_id: str) -> Client:
    """A client ``viewer`` may read.

    Raises
    ------
    NotFound
        No such client, or not one the viewer may read.
    """
    c = s.scalar(select(Client).where(Client.public_id == public_id))
    if c is None or c.therapist_id not in readable_therapists(s, viewer):
        raise NotFound(f"client {public_id}")
    return c


def visible_session(s: DbSession, viewer: Viewer, public_id: str, *, write: bool) -> TherapySession:
    """A session ``viewer`` may read (``write``: and change, which only its therapist may).

    Raises
    ------
    NotFound
        No such session, or not one the viewer may read (or, with ``write``, change).
    """
    row = s.scalar(select(TherapySession).where(TherapySession.public_id == public_id))
    if row is None or row.therapist_id not in readable_therapists(s, viewer):
        raise NotFound(f"session {public_id}")
    if write and row.therapist_id != viewer.id:
        raise NotFound(f"session {public_id}")
    return row


def sessions_of(therapist_ids: list[int]) -> Select:
    """A query of (session, client, therapist's user name) rows of these therapists' sessions.

    Parameters
    ----------
    therapist_ids : list of int
        Usually :func:`readable_therapists`.

    Returns
    -------
    sqlalchemy.Select
    """
    return (
        select(TherapySession, Client, User.username)
        .join(Client, Client.id == TherapySession.client_id)
        .join(User, User.id == TherapySession.therapist_id)
        .where(TherapySession.therapist_id.in_(therapist_ids))
    )

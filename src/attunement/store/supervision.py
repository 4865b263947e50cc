"""Supervision: an admin proposes that a supervisor read a therapist's sessions, the therapist
accepts or declines, and the therapist, the supervisor or an admin ends it.

Until the therapist accepts, the supervisor reads nothing (:mod:`attunement.store.access`).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from attunement.errors import InputError
from attunement.store.base import NotFound, now
from attunement.store.db import Database
from attunement.store.models import Supervision, User
from attunement.store.views import SupervisionView, Viewer

__all__ = ["Supervisions", "accepted_pairs", "ask_again"]


def accepted_pairs(s: DbSession) -> list[tuple[int, int]]:
    """Every accepted (supervisor id, therapist id) pair.

    Parameters
    ----------
    s : sqlalchemy.orm.Session

    Returns
    -------
    list of tuple of int
    """
    return [
        (sup, th)
        for sup, th in s.execute(
            select(Supervision.supervisor_id, Supervision.therapist_id).where(
                Supervision.accepted_at.is_not(None)
            )
        )
    ]


def ask_again(s: DbSession, supervisor_id: int) -> None:
    """Mark every supervision of this supervisor unaccepted: its therapists are asked again
    (after the supervisor's password was reset by someone else, who could sign in as them).

    Parameters
    ----------
    s : sqlalchemy.orm.Session
        In the transaction that made the change.
    supervisor_id : int
    """
    s.execute(
        update(Supervision)
        .where(Supervision.supervisor_id == supervisor_id)
        .values(accepted_at=None)
    )


def _names(s: DbSession) -> dict[int, str]:
    return dict(s.execute(select(User.id, User.username)).all())


class Supervisions:
    """The supervision pairings.

    Parameters
    ----------
    db : Database
        Migrated.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def assign_supervisor(self, supervisor: str, therapist: str) -> None:
        """Propose that ``supervisor`` read ``therapist``'s sessions (an admin's step).

        The supervisor reads nothing until the therapist accepts
        (:meth:`answer_supervision`). Proposing a pairing that exists changes nothing.

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

    def supervisions(self, viewer: Viewer) -> list[SupervisionView]:
        """The pairings a viewer may see: all of them for an admin, their own otherwise.

        Returns
        -------
        list of SupervisionView
            Oldest first.
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
            names = _names(s)
            return [
                SupervisionView(
                    id=r.id,
                    supervisor=names.get(r.supervisor_id, ""),
                    therapist=names.get(r.therapist_id, ""),
                    accepted=r.accepted_at is not None,
                )
                for r in rows
            ]

    def answer_supervision(self, viewer: Viewer, supervision_id: int, *, accept: bool) -> str:
        """The therapist accepts a proposed supervision, or declines it (it is removed).

        Returns
        -------
        str
            The supervisor's user name.

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
                row.accepted_at = row.accepted_at or now()
            else:
                s.delete(row)
            return supervisor.username if supervisor else ""

    def end_supervision(self, viewer: Viewer, supervision_id: int) -> tuple[str, str]:
        """End a supervision: its therapist, its supervisor or an admin may.

        Returns
        -------
        tuple of str
            The (supervisor, therapist) user names.

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
            names = _names(s)
            pair = (names.get(row.supervisor_id, ""), names.get(row.therapist_id, ""))
            s.delete(row)
            return pair

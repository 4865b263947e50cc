"""Trends across sessions: one row per analysed session with its metrics and feedback scores
(the numbers kept in the clear for this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from attunement.store.access import readable_therapists, sessions_of
from attunement.store.base import Part, is_number
from attunement.store.models import Client, FeedbackResponse, SessionMetric, TherapySession
from attunement.store.views import TrendRow, Viewer

__all__ = ["Trends"]


class Trends(Part):
    """The trend rows of the sessions a viewer may see.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
        Client labels are unsealed with it.
    """

    def trend_rows(self, viewer: Viewer, *, client_id: str | None = None) -> list[TrendRow]:
        """One row per analysed session the viewer may see (of one client), oldest first.

        Parameters
        ----------
        viewer : Viewer
        client_id : str, optional
            Only this client's sessions.

        Returns
        -------
        list of TrendRow
            Feedback scores appear in :attr:`TrendRow.values` as ``<questionnaire>_<score>``
            (e.g. ``phq9_total``), numeric ones only.
        """
        with self.db.sessions() as s:
            q = (
                sessions_of(readable_therapists(s, viewer))
                .where(TherapySession.status == "done")
                .order_by(TherapySession.held_on, TherapySession.created_at)
            )
            if client_id is not None:
                q = q.where(Client.public_id == client_id)
            rows = s.execute(q).all()
            pks = [r.id for r, _, _ in rows]
            values: dict[int, dict[str, Any]] = {pk: {} for pk in pks}
            for sid, name, value in s.execute(
                select(SessionMetric.session_id, SessionMetric.name, SessionMetric.value).where(
                    SessionMetric.session_id.in_(pks)
                )
            ):
                values[sid][name] = value
            scores: dict[int, dict[str, Any]] = {pk: {} for pk in pks}
            for sid, qid, sc in s.execute(
                select(
                    FeedbackResponse.session_id,
                    FeedbackResponse.questionnaire,
                    FeedbackResponse.scores,
                ).where(FeedbackResponse.session_id.in_(pks))
            ):
                for key, value in (sc or {}).items():
                    if is_number(value):
                        scores[sid][f"{qid}_{key}"] = value
            return [
                TrendRow(
                    session_id=r.public_id,
                    held_on=r.held_on or r.created_at.date(),
                    client_id=c.public_id,
                    client_label=self.unseal(c.label_enc, "a client label"),
                    therapist=name,
                    values={**values[r.id], **scores[r.id]},
                )
                for r, c, name in rows
            ]

"""End-of-session feedback: one-time links for the client, and completed questionnaires (the
client's and the therapist's reflection), their answers encrypted."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from attunement.store.access import visible_session
from attunement.store.base import LinkExpired, NotFound, Part, hash_token, is_number, now
from attunement.store.models import FeedbackLink, FeedbackResponse, TherapySession
from attunement.store.views import FeedbackView, LinkView, OpenedLink, Viewer

__all__ = ["Feedback"]

_EXPIRED = "this feedback link was used already or has expired"


class Feedback(Part):
    """Feedback links and questionnaire answers.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
        Answers are sealed with it.
    """

    def create_link(
        self, viewer: Viewer, public_id: str, questionnaires: list[str], *, hours: int
    ) -> str:
        """A one-time feedback link for the session's client.

        Parameters
        ----------
        viewer : Viewer
            The session's therapist.
        public_id : str
            The session.
        questionnaires : list of str
            Ids of what the client is asked.
        hours : int
            How long the link works.

        Returns
        -------
        str
            The link's token (the table keeps only its SHA-256).

        Raises
        ------
        NotFound
            No such session the viewer may change.
        """
        token = secrets.token_urlsafe(24)
        with self.db.transaction() as s:
            row = visible_session(s, viewer, public_id, write=True)
            s.add(
                FeedbackLink(
                    session_id=row.id,
                    token_hash=hash_token(token),
                    questionnaires=list(questionnaires),
                    expires_at=now() + dt.timedelta(hours=hours),
                )
            )
        return token

    def links(self, session_pk: int) -> list[LinkView]:
        """A session's feedback links, oldest first.

        Returns
        -------
        list of LinkView
        """
        at = now()
        with self.db.sessions() as s:
            return [
                LinkView(
                    created_at=link.created_at,
                    expires_at=link.expires_at,
                    used_at=link.used_at,
                    state="answered"
                    if link.used_at
                    else ("expired" if link.expires_at < at else "open"),
                )
                for link in s.scalars(
                    select(FeedbackLink)
                    .where(FeedbackLink.session_id == session_pk)
                    .order_by(FeedbackLink.created_at)
                )
            ]

    def open_link(self, token: str) -> OpenedLink:
        """The link a client holds.

        Returns
        -------
        OpenedLink

        Raises
        ------
        NotFound
            No such link.
        LinkExpired
            Used already, or past its time.
        """
        with self.db.sessions() as s:
            link = s.scalar(
                select(FeedbackLink).where(FeedbackLink.token_hash == hash_token(token))
            )
            if link is None:
                raise NotFound("feedback link")
            if link.used_at is not None or link.expires_at < now():
                raise LinkExpired(_EXPIRED)
            row = s.get(TherapySession, link.session_id)
            return OpenedLink(
                session_pk=row.id,
                session_id=row.public_id,
                questionnaires=tuple(link.questionnaires),
                held_on=row.held_on,
            )

    def save_feedback(
        self,
        session_pk: int,
        responses: Mapping[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]],
        *,
        link_token: str | None = None,
    ) -> None:
        """Store completed questionnaires in one transaction (and use up the link).

        Parameters
        ----------
        session_pk : int
        responses : Mapping
            Questionnaire id -> (respondent, answers, scores). Answers are encrypted; an
            earlier answer to the same questionnaire for this session is replaced.
        link_token : str, optional
            The client's link, used up in the same transaction.

        Raises
        ------
        LinkExpired
            When the link was used meanwhile.
        """
        with self.db.transaction() as s:
            if link_token is not None:
                at = now()
                # One conditional UPDATE, not a read then a write: of two answers sent at the
                # same moment only one finds the link unused (on PostgreSQL both would).
                claimed = s.execute(
                    update(FeedbackLink)
                    .where(
                        FeedbackLink.token_hash == hash_token(link_token),
                        FeedbackLink.used_at.is_(None),
                        FeedbackLink.expires_at >= at,
                    )
                    .values(used_at=at)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if claimed != 1:
                    raise LinkExpired(_EXPIRED)
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
                clear = {k: v for k, v in scores.items() if is_number(v)}
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

    def feedback(self, session_pk: int) -> list[FeedbackView]:
        """A session's completed questionnaires: answers and every score (the sealed ones too).

        Returns
        -------
        list of FeedbackView
            Oldest first.
        """
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
                    FeedbackView(
                        questionnaire=r.questionnaire,
                        respondent=r.respondent,
                        answers=answers,
                        scores={**(r.scores or {}), **private},
                        created_at=r.created_at,
                    )
                )
        return out

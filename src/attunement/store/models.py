"""The web app's tables (SQLAlchemy 2 declarative models).

What a person wrote or said — transcripts, uploaded files, client labels, free-text answers, the
rendered report — is stored encrypted (``*_enc`` columns hold ciphertext, files on disk are
encrypted, see :mod:`attunement.store.crypto`). Numbers that trends are drawn from (session
metrics, questionnaire totals) are stored in the clear so that they can be queried.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ROLES",
    "AuditEntry",
    "Base",
    "Client",
    "FeedbackLink",
    "FeedbackResponse",
    "LoginAttempt",
    "LoginSession",
    "MetaValue",
    "SessionFile",
    "SessionMetric",
    "Supervision",
    "TherapySession",
    "User",
]

#: Account roles: a therapist sees their own clients; a supervisor reads the sessions of the
#: therapists assigned to them; an admin manages accounts only and sees no clinical data.
ROLES: tuple[str, ...] = ("therapist", "supervisor", "admin")


def utcnow() -> dt.datetime:
    """The current time, UTC, without tzinfo (how every timestamp is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class MetaValue(Base):
    """Key/value facts about the data dir (the encryption canary, the audit head)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Supervision(Base):
    """A supervisor may read the sessions of this therapist once the therapist has accepted.

    An admin proposes the pairing (``accepted_at`` is None); only the therapist can accept it,
    and either of them can end it.
    """

    __tablename__ = "supervisions"
    __table_args__ = (UniqueConstraint("supervisor_id", "therapist_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, default=None)


class LoginSession(Base):
    """A signed-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sessions: Mapped[list[TherapySession]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )


class TherapySession(Base):
    """One uploaded session and its analysis job."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    held_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    #: transcribing (a recording without a transcript) | draft (files uploaded, roles not
    #: confirmed) | queued | running | done | failed
    status: Mapped[str] = mapped_column(String(16), default="draft")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(128), default="")
    #: Why the analysis failed, encrypted (it quotes the uploaded files); see ``Store``.
    error: Mapped[str] = mapped_column(Text, default="")
    #: JSON of {"therapist": [...], "client": [...]} speaker names, encrypted (names are PHI).
    roles_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    analysed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    client: Mapped[Client] = relationship(back_populates="sessions")
    files: Mapped[list[SessionFile]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )
    metrics: Mapped[list[SessionMetric]] = relationship(cascade="all, delete-orphan")
    responses: Mapped[list[FeedbackResponse]] = relationship(cascade="all, delete-orphan")
    links: Mapped[list[FeedbackLink]] = relationship(cascade="all, delete-orphan")


class SessionFile(Base):
    """A file belonging to a session: an upload or an analysis output, encrypted on disk."""

    __tablename__ = "session_files"
    __table_args__ = (UniqueConstraint("session_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    #: transcript | therapist_wearable | client_wearable | audio | report | results | utterances
    kind: Mapped[str] = mapped_column(String(32))
    #: where the ciphertext lies, relative to the data dir's files folder
    stored_as: Mapped[str] = mapped_column(String(128))
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    session: Mapped[TherapySession] = relationship(back_populates="files")


class SessionMetric(Base):
    """One number from results.json, kept in the clear for trends."""

    __tablename__ = "session_metrics"
    __table_args__ = (UniqueConstraint("session_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(96))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class FeedbackLink(Base):
    """A one-time link through which the client answers without an account."""

    __tablename__ = "feedback_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    questionnaires: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class FeedbackResponse(Base):
    """One completed questionnaire: the answers encrypted, total / band / flags in the clear."""

    __tablename__ = "feedback_responses"
    __table_args__ = (UniqueConstraint("session_id", "questionnaire"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    questionnaire: Mapped[str] = mapped_column(String(64))
    respondent: Mapped[str] = mapped_column(String(16))
    answers_enc: Mapped[bytes] = mapped_column(LargeBinary)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only, hash-chained: each entry's hash covers its fields and the previous hash."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

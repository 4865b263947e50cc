"""Clinical data: clients, sessions and their uploads, analysis jobs and their results.

Every read and change goes through the access rules of :mod:`attunement.store.access`; what a
person wrote or said (labels, file names, speaker names, an analysis error) is kept encrypted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as DbSession

from attunement.errors import InputError
from attunement.store.access import (
    readable_therapists,
    sessions_of,
    visible_client,
    visible_session,
)
from attunement.store.base import NotFound, Part, new_id, now
from attunement.store.crypto import Cipher
from attunement.store.db import Database
from attunement.store.files import UPLOAD_KINDS, SessionFiles
from attunement.store.models import Client, SessionFile, SessionMetric, TherapySession, User
from attunement.store.views import ClientView, FileView, SessionRow, SessionView, Viewer

__all__ = ["Clinical"]


class Clinical(Part):
    """Clients, sessions, their files and their analyses.

    Parameters
    ----------
    db : Database
        Migrated.
    cipher : Cipher
    files : SessionFiles
        Where session files are kept.
    """

    def __init__(self, db: Database, cipher: Cipher, files: SessionFiles) -> None:
        super().__init__(db, cipher)
        self.files = files

    # ---- clients ----------------------------------------------------------------------------
    def create_client(self, viewer: Viewer, label: str) -> str:
        """Add a client of this therapist.

        Parameters
        ----------
        viewer : Viewer
            A therapist.
        label : str
            A pseudonym or initials (1-80 characters once spaces are collapsed; kept encrypted).

        Returns
        -------
        str
            The client's public id.

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
            c = Client(public_id=new_id(), therapist_id=viewer.id, label_enc=self.seal(label))
            s.add(c)
            return c.public_id

    def _client_views(self, s: DbSession, viewer: Viewer, where) -> list[ClientView]:
        rows = s.execute(
            select(Client, User.username, func.count(TherapySession.id))
            .join(User, User.id == Client.therapist_id)
            .outerjoin(TherapySession, TherapySession.client_id == Client.id)
            .where(where)
            .group_by(Client.id, User.username)
            .order_by(Client.created_at)
        ).all()
        return [
            ClientView(
                id=c.public_id,
                pk=c.id,
                label=self.unseal(c.label_enc, "a client label"),
                therapist=name,
                therapist_id=c.therapist_id,
                n_sessions=n,
                created_at=c.created_at,
                own=c.therapist_id == viewer.id,
            )
            for c, name, n in rows
        ]

    def clients(self, viewer: Viewer) -> list[ClientView]:
        """The clients the viewer may see, oldest first.

        Returns
        -------
        list of ClientView
        """
        with self.db.sessions() as s:
            where = Client.therapist_id.in_(readable_therapists(s, viewer))
            return self._client_views(s, viewer, where)

    def client(self, viewer: Viewer, public_id: str) -> ClientView:
        """One client the viewer may see.

        Returns
        -------
        ClientView

        Raises
        ------
        NotFound
        """
        with self.db.sessions() as s:
            c = visible_client(s, viewer, public_id)
            (view,) = self._client_views(s, viewer, Client.id == c.id)
            return view

    # ---- sessions ---------------------------------------------------------------------------
    def create_session(
        self,
        viewer: Viewer,
        client_id: str,
        *,
        held_on: dt.date | None,
        files: Mapping[str, tuple[str, bytes]],
        started_at: str | None = None,
        speakers: list[dict[str, Any]] | None = None,
        transcribe: bool = False,
        recording_speakers: int | None = None,
    ) -> str:
        """Store a new session's uploads (encrypted).

        Parameters
        ----------
        viewer : Viewer
            The client's therapist.
        client_id : str
        held_on : datetime.date or None
        files : Mapping
            Kind (one of :data:`~attunement.store.files.UPLOAD_KINDS`) -> (name, bytes).
        started_at : str, optional
            ISO 8601, when the recording started; kept, encrypted, with the speaker roles.
        speakers : list of dict, optional
            The transcript's speakers as the roles page lists them; kept likewise.
        transcribe : bool
            The transcript is to be made from the ``audio`` recording: the session starts in
            status ``transcribing`` (see :meth:`pending_transcriptions`), without a transcript.
        recording_speakers : int, optional
            How many people the recording holds, as the therapist said (default: estimated
            from the voices); kept with the roles for the transcription.

        Returns
        -------
        str
            The session's public id.

        Raises
        ------
        NotFound
            The client is not the viewer's own.
        InputError
            No transcript (with ``transcribe``: no recording).
        """
        if transcribe and "audio" not in files:
            raise InputError("is missing; expected a recording to transcribe", field="audio")
        if "transcript" not in files and not transcribe:
            raise InputError("is missing; expected a transcript file", field="transcript")
        with self.db.sessions() as s:
            c = s.scalar(select(Client).where(Client.public_id == client_id))
            if c is None or c.therapist_id != viewer.id or viewer.role != "therapist":
                raise NotFound(f"client {client_id}")
        roles = {
            **({"start": started_at} if started_at else {}),
            **({"speakers": speakers} if speakers is not None else {}),
            **({"recording_speakers": recording_speakers} if recording_speakers else {}),
        }
        s = self.db.sessions()
        try:
            with s.begin():
                row = TherapySession(
                    public_id=new_id(),
                    client_id=c.id,
                    therapist_id=viewer.id,
                    held_on=held_on,
                    status="transcribing" if transcribe else "draft",
                    stage="waiting to transcribe the recording" if transcribe else "",
                    roles_enc=self.seal(json.dumps(roles)),
                )
                s.add(row)
                s.flush()
                for kind, (name, data) in files.items():
                    self.files.put(s, row, kind, name, data)
            return row.public_id
        except BaseException:
            self.files.drop(s.info.get("new_files", []))
            raise
        finally:
            s.close()

    def _roles(self, row: TherapySession) -> dict[str, Any]:
        return json.loads(self.unseal(row.roles_enc, "speaker roles") or "{}")

    def session(self, viewer: Viewer, public_id: str, *, write: bool = False) -> SessionView:
        """One session the viewer may see (``write``: may change).

        Returns
        -------
        SessionView

        Raises
        ------
        NotFound
        """
        with self.db.sessions() as s:
            row = visible_session(s, viewer, public_id, write=write)
            c = s.get(Client, row.client_id)
            therapist = s.get(User, row.therapist_id)
            files = {
                f.kind: FileView(name=self.unseal(f.name_enc, "a file name"), size=f.size)
                for f in s.scalars(select(SessionFile).where(SessionFile.session_id == row.id))
            }
            return SessionView(
                id=row.public_id,
                pk=row.id,
                client_id=c.public_id,
                client_label=self.unseal(c.label_enc, "a client label"),
                therapist=therapist.username,
                held_on=row.held_on,
                status=row.status,
                progress=row.progress,
                stage=row.stage,
                error=self.unseal_note(row.error, "an analysis error"),
                roles=self._roles(row),
                files=files,
                created_at=row.created_at,
                analysed_at=row.analysed_at,
                own=row.therapist_id == viewer.id,
            )

    def sessions(self, viewer: Viewer, *, client_id: str | None = None) -> list[SessionRow]:
        """The sessions the viewer may see (of one client), newest first.

        Returns
        -------
        list of SessionRow
        """
        with self.db.sessions() as s:
            q = sessions_of(readable_therapists(s, viewer)).order_by(
                TherapySession.held_on.desc(), TherapySession.created_at.desc()
            )
            if client_id is not None:
                q = q.where(Client.public_id == client_id)
            return [
                SessionRow(
                    id=r.public_id,
                    client_id=c.public_id,
                    client_label=self.unseal(c.label_enc, "a client label"),
                    therapist=name,
                    held_on=r.held_on,
                    status=r.status,
                    progress=r.progress,
                    created_at=r.created_at,
                )
                for r, c, name in s.execute(q).all()
            ]

    def read_file(self, viewer: Viewer, public_id: str, kind: str) -> tuple[str, bytes]:
        """A session file, decrypted.

        Returns
        -------
        tuple of (str, bytes)
            The original name and the bytes.

        Raises
        ------
        NotFound
            No such session the viewer may see, or no file of that kind.
        """
        with self.db.sessions() as s:
            row = visible_session(s, viewer, public_id, write=False)
            return self.files.read(s, row.id, kind)

    def delete_session(self, viewer: Viewer, public_id: str) -> None:
        """Delete a session, its answers and its files.

        Raises
        ------
        NotFound
        """
        with self.db.transaction() as s:
            row = visible_session(s, viewer, public_id, write=True)
            s.delete(row)
        self.files.remove_folder(public_id)

    # ---- analysis jobs ----------------------------------------------------------------------
    def job_files(self, session_pk: int) -> dict[str, tuple[str, bytes]]:
        """The uploaded files of a session, decrypted, for its analysis job.

        Returns
        -------
        dict
            Kind -> (name, bytes).
        """
        with self.db.sessions() as s:
            kinds = s.scalars(
                select(SessionFile.kind).where(SessionFile.session_id == session_pk)
            ).all()
            return {k: self.files.read(s, session_pk, k) for k in kinds if k in UPLOAD_KINDS}

    def job_roles(self, session_pk: int) -> dict[str, Any]:
        """The speaker roles of a session, decrypted, for its analysis job.

        Returns
        -------
        dict
            As :attr:`SessionView.roles`.
        """
        with self.db.sessions() as s:
            return self._roles(s.get(TherapySession, session_pk))

    def queue(self, viewer: Viewer, public_id: str, roles: Mapping[str, Any]) -> int:
        """Confirm the speaker roles and queue the analysis.

        Parameters
        ----------
        viewer : Viewer
            The session's therapist.
        public_id : str
        roles : Mapping
            ``therapist`` and ``client`` -> speaker names (merged into what is kept).

        Returns
        -------
        int
            The session's key (for the job).

        Raises
        ------
        NotFound
        """
        with self.db.transaction() as s:
            row = visible_session(s, viewer, public_id, write=True)
            kept = self._roles(row)
            kept.update(roles)
            row.roles_enc = self.seal(json.dumps(kept))
            row.status, row.progress, row.stage, row.error = "queued", 0, "waiting", ""
            return row.id

    def queue_transcription(
        self, viewer: Viewer, public_id: str, *, recording_speakers: int | None = None
    ) -> int:
        """Queue the transcription of a session's recording again (after it failed, or with
        ``recording_speakers`` people, kept with the roles, when the voices were miscounted).

        Returns
        -------
        int
            The session's key (for the job).

        Raises
        ------
        NotFound
            No such session the viewer may change.
        InputError
            The session has no recording.
        """
        with self.db.transaction() as s:
            row = visible_session(s, viewer, public_id, write=True)
            has_audio = s.scalar(
                select(func.count(SessionFile.id)).where(
                    SessionFile.session_id == row.id, SessionFile.kind == "audio"
                )
            )
            if not has_audio:
                raise InputError("is missing; expected a recording to transcribe", field="audio")
            if recording_speakers is not None:
                kept = self._roles(row)
                kept["recording_speakers"] = recording_speakers
                row.roles_enc = self.seal(json.dumps(kept))
            row.status, row.progress, row.error = "transcribing", 0, ""
            row.stage = "waiting to transcribe the recording"
            return row.id

    def store_transcript(
        self,
        session_pk: int,
        *,
        name: str,
        data: bytes,
        speakers: list[dict[str, Any]],
        notes: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep the transcript made from a session's recording (encrypted) and its speakers;
        the session is then a draft waiting for its roles (nothing when it was deleted meanwhile).

        Parameters
        ----------
        session_pk : int
        name : str
            The transcript's file name (e.g. the recording's, ending in ``.vtt``).
        data : bytes
        speakers : list of dict
            As the roles page lists them (:func:`attunement.web.jobs.speakers`).
        notes : Mapping, optional
            JSON-safe entries kept, encrypted, with the roles (how it was transcribed, the
            therapist guessed), as :attr:`SessionView.roles` shows them.
        """
        s = self.db.sessions()
        try:
            with s.begin():
                row = s.get(TherapySession, session_pk)
                if row is None:  # deleted meanwhile
                    return
                self.files.put(s, row, "transcript", name, data)
                kept = self._roles(row)
                kept.update(notes or {})
                kept["speakers"] = list(speakers)
                row.roles_enc = self.seal(json.dumps(kept))
                row.status, row.progress, row.stage, row.error = "draft", 0, "", ""
            self.files.drop(s.info.get("stale_files", []))
        except BaseException:
            self.files.drop(s.info.get("new_files", []))
            raise
        finally:
            s.close()

    def pending_transcriptions(self) -> list[tuple[int, str]]:
        """Sessions whose recording was being (or waiting to be) transcribed.

        Returns
        -------
        list of tuple of (int, str)
            (key, public id), oldest first.
        """
        return self._in_status("transcribing")

    def pending_jobs(self) -> list[tuple[int, str]]:
        """Sessions whose analysis was queued or running (e.g. when the server stopped).

        Returns
        -------
        list of tuple of (int, str)
            (key, public id), oldest first.
        """
        return self._in_status("queued", "running")

    def _in_status(self, *statuses: str) -> list[tuple[int, str]]:
        """(key, public id) of the sessions in any of ``statuses``, oldest first."""
        with self.db.sessions() as s:
            return [
                (pk, pid)
                for pk, pid in s.execute(
                    select(TherapySession.id, TherapySession.public_id)
                    .where(TherapySession.status.in_(statuses))
                    .order_by(TherapySession.id)
                )
            ]

    def set_progress(
        self, session_pk: int, *, status: str, progress: int, stage: str, error: str = ""
    ) -> None:
        """Record how an analysis goes (nothing when the session was deleted meanwhile).

        Parameters
        ----------
        session_pk : int
        status : str
            ``transcribing`` | ``running`` | ``done`` | ``failed``.
        progress : int
            Percent.
        stage : str
        error : str
            Why it failed (kept encrypted: it may quote the uploads).
        """
        with self.db.transaction() as s:
            row = s.get(TherapySession, session_pk)
            if row is None:  # deleted meanwhile
                return
            row.status, row.progress, row.stage = status, progress, stage
            row.error = self.seal_note(error)

    def store_results(
        self,
        session_pk: int,
        *,
        report: str,
        results: str,
        utterances: str,
        metrics: Mapping[str, float | None],
    ) -> None:
        """Keep an analysis' outputs (encrypted) and its metrics; mark the session done.

        Parameters
        ----------
        session_pk : int
        report : str
            The report's HTML.
        results : str
            results.json.
        utterances : str
            utterances.csv.
        metrics : Mapping
            Metric name -> value (None when undefined), kept in the clear for trends; they
            replace the session's earlier metrics.
        """
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
                    self.files.put(s, row, kind, f"{kind}", text.encode("utf-8"))
                s.execute(delete(SessionMetric).where(SessionMetric.session_id == row.id))
                for name, value in metrics.items():
                    s.add(SessionMetric(session_id=row.id, name=name[:96], value=value))
                row.status, row.progress, row.stage, row.error = "done", 100, "done", ""
                row.analysed_at = now()
            self.files.drop(s.info.get("stale_files", []))
        except BaseException:
            self.files.drop(s.info.get("new_files", []))
            raise
        finally:
            s.close()

    def metrics(self, session_pk: int) -> dict[str, float | None]:
        """A session's metrics.

        Returns
        -------
        dict
            Metric name -> value (None when undefined).
        """
        with self.db.sessions() as s:
            return dict(
                s.execute(
                    select(SessionMetric.name, SessionMetric.value).where(
                        SessionMetric.session_id == session_pk
                    )
                ).all()
            )

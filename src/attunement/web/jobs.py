"""Background work on uploaded sessions, with progress the session page can show: the
transcription of a recording uploaded without a transcript (:func:`transcribe`), and the
analysis (:func:`analyse`).

Uploaded files are decrypted into memory and read from there
(:class:`~attunement.io._common.InMemoryFile`): no plaintext copy is ever written, not even to a
temporary folder (audio reaches Praat through an anonymous memory file, FFmpeg decodes from
memory). Transcriptions run on a thread of their own, so that one long recording never holds up
another session's analysis. A job that was waiting or running when the server stopped is
started again at the next start (:meth:`JobRunner.resume`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.errors import AttunementError, InputError
from attunement.io._common import InMemoryFile
from attunement.io.manifest import Manifest, TranscriptEntry, WearableEntry, parse_start
from attunement.io.roles import guess_role, guess_therapist
from attunement.io.sessions import session_from_manifest
from attunement.io.transcripts import read_transcripts
from attunement.model import Session
from attunement.report.csvsafe import safe_csv
from attunement.report.html import render_report
from attunement.store.repo import Store

__all__ = [
    "RECORDING_FORMATS",
    "JobRunner",
    "analyse",
    "check_recording",
    "speakers",
    "transcribe",
]

logger = logging.getLogger(__name__)


def speakers(name: str, data: bytes) -> list[dict[str, Any]]:
    """The speakers of an uploaded transcript, with utterance counts and a guessed role.

    Raises
    ------
    InputError
        The transcript cannot be read, or holds more than one session. Messages name the
        uploaded file, never a temporary path.
    """
    raws = read_transcripts(InMemoryFile(name, data))
    if len(raws) != 1:
        raise InputError(f"holds {len(raws)} sessions; expected one", path=name)
    return _speaker_rows(raws[0])


def _speaker_rows(raw) -> list[dict[str, Any]]:
    """One row per speaker of a transcript, as the roles page lists them."""
    counts: dict[str, int] = {}
    given: dict[str, str | None] = {}
    for u in raw.utterances:
        counts[u.speaker] = counts.get(u.speaker, 0) + 1
        if u.role is not None:
            given.setdefault(u.speaker, u.role)
    return [
        {"name": sp, "count": n, "role": given.get(sp) or guess_role(sp) or ""}
        for sp, n in counts.items()
    ]


#: What a recording uploaded without a transcript may be, as the upload form says.
RECORDING_FORMATS = (
    "WAV, FLAC, MP3, M4A, AAC, Ogg/Opus, or the sound of an MP4, MOV, MKV or WebM video"
)

#: Progress (percent) while the words are recognised: from the first to the second.
_TRANSCRIBING = (5, 95)


def check_recording(name: str) -> None:
    """Refuse, before anything is kept, a recording that cannot be transcribed here.

    Raises
    ------
    InputError
        ``name`` does not end as an audio or video file does, or the ``recordings`` extra
        (PyAV, faster-whisper) is not installed; the message names the ``audio`` field.
    """
    from attunement.transcribe.asr import require_recordings_extra
    from attunement.transcribe.session import is_recording

    if not is_recording(name):
        raise InputError(
            f"is not named as an audio or video recording; expected {RECORDING_FORMATS} "
            "(or a transcript in the transcript field)",
            path=name,
            field="audio",
        )
    try:
        require_recordings_extra()
    except InputError:
        raise
    except AttunementError as exc:
        raise InputError(
            f"cannot be transcribed on this computer: {exc}", path=name, field="audio"
        ) from None


def _clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour).

    >>> _clock(200), _clock(3120), _clock(3725.4)
    ('3:20', '52:00', '1:02:05')
    """
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Stopped(Exception):
    """The server is stopping: the transcription is left to be started again."""


def _transcript_name(recording: str) -> str:
    """The transcript's file name: the recording's, ending in ``.vtt``.

    >>> _transcript_name("week 6.m4a"), _transcript_name(".mp3")
    ('week 6.vtt', 'recording.vtt')
    """
    stem = PurePosixPath(recording.replace("\\", "/")).stem
    return f"{stem if stem and not stem.startswith('.') else 'recording'}.vtt"


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False, default=str))


def transcribe(
    store: Store,
    session_pk: int,
    public_id: str,
    *,
    asr_model: str | None = None,
    stopping: threading.Event | None = None,
) -> None:
    """Transcribe a session's recording and keep the transcript and its speakers (the
    therapist guessed by :func:`attunement.io.roles.guess_therapist`); the session is then
    a draft waiting for its roles. Failures are recorded, not raised; when ``stopping`` is
    set the job ends and the session stays ``transcribing``, to be started again.
    """
    status = "transcribing"
    try:
        store.set_progress(session_pk, status=status, progress=2, stage="reading the recording")
        files = store.job_files(session_pk)
        if "audio" not in files:  # deleted meanwhile, or never had one
            store.set_progress(
                session_pk,
                status="failed",
                progress=100,
                stage="failed",
                error="audio: is missing; expected a recording to transcribe",
            )
            return
        name, data = files.pop("audio")
        low, high = _TRANSCRIBING
        last = [0.0]

        def progress(done: float, total: float) -> None:
            if stopping is not None and stopping.is_set():
                raise _Stopped
            finished = total > 0 and done >= total
            now = time.monotonic()
            if not finished and now - last[0] < 0.5:
                return
            last[0] = now
            share = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
            stage = (
                "telling the speakers apart"
                if finished
                else f"transcribing the recording: {_clock(done)} of {_clock(total)}"
            )
            store.set_progress(
                session_pk,
                status=status,
                progress=round(low + (high - low) * share),
                stage=stage,
            )

        from attunement.transcribe.recording import transcribe_recording
        from attunement.transcribe.session import raw_transcript

        try:
            result = transcribe_recording(
                InMemoryFile(name, data),
                speakers=store.job_roles(session_pk).get("recording_speakers"),
                asr_model=asr_model,
                progress=progress,
            )
            vtt_name = _transcript_name(name)
            vtt = result.to_vtt().encode("utf-8")
            raw = raw_transcript(result)
            found = _speaker_rows(raw)
            guessed = guess_therapist(raw)
        except _Stopped:
            logger.info("transcription of session %s stopped with the server", public_id)
            return
        except AttunementError as exc:
            store.set_progress(
                session_pk, status="failed", progress=100, stage="failed", error=str(exc)
            )
            return
        if guessed is not None:
            for sp in found:
                if sp["name"] == guessed["therapist"]:
                    sp["role"] = "therapist"
                elif len(found) == 2:  # the other of two people
                    sp["role"] = "client"
        notes = {"transcription": _json_safe(raw.meta["transcription"])}
        if guessed is not None:
            notes["roles_guessed"] = _json_safe(guessed)
        store.store_transcript(session_pk, name=vtt_name, data=vtt, speakers=found, notes=notes)
    except Exception:
        logger.exception("transcription of session %s failed", public_id)
        store.set_progress(
            session_pk,
            status="failed",
            progress=100,
            stage="failed",
            error="the transcription stopped on an internal error; the server log has the details",
        )


def _manifest(session_id: str, files: dict[str, tuple[str, bytes]], roles: dict[str, Any]):
    """The session's manifest, its files in memory."""
    memory = {kind: InMemoryFile(name, data) for kind, (name, data) in files.items()}
    where = PurePosixPath("the session")
    return Manifest(
        path=where,  # names the session in messages only
        id=session_id,
        start=parse_start(roles["start"], where) if roles.get("start") else None,
        transcript=TranscriptEntry(
            path=memory["transcript"],
            therapist=tuple(roles.get("therapist") or ()),
            client=tuple(roles.get("client") or ()),
        ),
        wearables=tuple(
            WearableEntry(role=role, path=memory[f"{role}_wearable"])
            for role in ("therapist", "client")
            if f"{role}_wearable" in memory
        ),
        audio=memory.get("audio"),
    )


def _session(public_id: str, files: dict[str, tuple[str, bytes]], roles: dict[str, Any]) -> Session:
    """The session to analyse; one whose transcript was made from its recording is read as the
    recording's (its report says how it was transcribed)."""
    m = _manifest(public_id, files, roles)
    made = roles.get("transcription")
    if not made:
        return session_from_manifest(m)
    (raw,) = read_transcripts(m.transcript.path)
    raw = dataclasses.replace(
        raw, format="recording", meta={**raw.meta, "transcription": dict(made)}
    )
    return session_from_manifest(
        m, therapist=m.transcript.therapist, client=m.transcript.client, transcript=raw
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def analyse(store: Store, session_pk: int, public_id: str, *, coder: str | None = None) -> None:
    """Run one session's analysis and keep its outputs; failures are recorded, not raised.
    ``coder`` is the utterance coder (:func:`attunement.coding.resolve_coder`'s spec)."""
    try:
        store.set_progress(session_pk, status="running", progress=5, stage="reading the files")
        files = store.job_files(session_pk)
        roles = store.job_roles(session_pk)
        try:
            session = _session(public_id, files, roles)
            store.set_progress(session_pk, status="running", progress=25, stage="measuring")
            results = analyze_session(session, AnalysisConfig(coder=coder))
            store.set_progress(
                session_pk, status="running", progress=85, stage="writing the report"
            )
            report = render_report(results, standalone=False)
        except AttunementError as exc:
            store.set_progress(
                session_pk, status="failed", progress=100, stage="failed", error=str(exc)
            )
            return
        document = results.to_dict()
        # numbers (and undefined ones) for trends; text metrics such as the leader are not kept
        metrics = {
            name: _number(value)
            for name, value in results.metrics.items()
            if value is None or _number(value) is not None
        }
        store.store_results(
            session_pk,
            report=report,
            results=json.dumps(document, ensure_ascii=False, allow_nan=False, default=str),
            utterances=safe_csv(results.utterances),
            metrics=metrics,
        )
    except Exception:
        logger.exception("analysis of session %s failed", public_id)
        store.set_progress(
            session_pk,
            status="failed",
            progress=100,
            stage="failed",
            error="the analysis stopped on an internal error; the server log has the details",
        )


class JobRunner:
    """Background threads: a small pool running :func:`analyse`, and one thread of its own
    running :func:`transcribe` (a long recording holds up no other session's analysis).

    Parameters
    ----------
    store : Store
    workers : int
        Analyses at the same time.
    coder : str, optional
        The utterance coder of every analysis.
    asr_model : str, optional
        A faster-whisper model folder for transcriptions (default the packaged one).
    """

    def __init__(
        self,
        store: Store,
        *,
        workers: int = 1,
        coder: str | None = None,
        asr_model: str | None = None,
    ) -> None:
        self.store = store
        self.coder = coder
        self.asr_model = asr_model
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attunement-job")
        self.transcriptions = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="attunement-transcribe"
        )
        self.futures: dict[int, Future] = {}
        self._stopping = threading.Event()

    def submit(self, session_pk: int, public_id: str) -> Future:
        """Analyse a session in the background."""
        future = self.pool.submit(analyse, self.store, session_pk, public_id, coder=self.coder)
        self.futures[session_pk] = future
        return future

    def submit_transcription(self, session_pk: int, public_id: str) -> Future:
        """Transcribe a session's recording in the background (one at a time)."""
        future = self.transcriptions.submit(
            transcribe,
            self.store,
            session_pk,
            public_id,
            asr_model=self.asr_model,
            stopping=self._stopping,
        )
        self.futures[session_pk] = future
        return future

    def resume(self) -> int:
        """Start again every transcription and analysis left waiting or running.

        Returns
        -------
        int
            How many.
        """
        transcriptions = self.store.pending_transcriptions()
        for pk, public_id in transcriptions:
            self.submit_transcription(pk, public_id)
        pending = self.store.pending_jobs()
        for pk, public_id in pending:
            self.submit(pk, public_id)
        return len(transcriptions) + len(pending)

    def shutdown(self) -> None:
        """Stop: a transcription under way stops at its next step (and is started again at
        the next start); an analysis under way is finished; nothing waiting is started."""
        self._stopping.set()
        self.transcriptions.shutdown(wait=False, cancel_futures=True)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.transcriptions.shutdown(wait=True)

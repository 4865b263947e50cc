"""Background analysis of uploaded sessions, with progress the session page can show.

Uploaded files are decrypted into memory and read from there
(:class:`~attunement.io._common.InMemoryFile`): no plaintext copy is ever written, not even to a
temporary folder (audio reaches Praat through an anonymous memory file). A job that was queued
or running when the server stopped is started again at the next start
(:meth:`JobRunner.resume`).
"""

from __future__ import annotations

import json
import logging
import math
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.errors import AttunementError, InputError
from attunement.io._common import InMemoryFile
from attunement.io.manifest import Manifest, TranscriptEntry, WearableEntry, parse_start
from attunement.io.roles import guess_role
from attunement.io.sessions import session_from_manifest
from attunement.io.transcripts import read_transcripts
from attunement.report.csvsafe import safe_csv
from attunement.report.html import render_report
from attunement.store.repo import Store

__all__ = ["JobRunner", "analyse", "speakers"]

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
    counts: dict[str, int] = {}
    given: dict[str, str | None] = {}
    for u in raws[0].utterances:
        counts[u.speaker] = counts.get(u.speaker, 0) + 1
        if u.role is not None:
            given.setdefault(u.speaker, u.role)
    return [
        {"name": sp, "count": n, "role": given.get(sp) or guess_role(sp) or ""}
        for sp, n in counts.items()
    ]


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
            session = session_from_manifest(_manifest(public_id, files, roles))
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
    """A small pool of background threads running :func:`analyse`."""

    def __init__(self, store: Store, *, workers: int = 1, coder: str | None = None) -> None:
        self.store = store
        self.coder = coder
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attunement-job")
        self.futures: dict[int, Future] = {}

    def submit(self, session_pk: int, public_id: str) -> Future:
        future = self.pool.submit(analyse, self.store, session_pk, public_id, coder=self.coder)
        self.futures[session_pk] = future
        return future

    def resume(self) -> int:
        """Start again every job left queued or running."""
        pending = self.store.pending_jobs()
        for pk, public_id in pending:
            self.submit(pk, public_id)
        return len(pending)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

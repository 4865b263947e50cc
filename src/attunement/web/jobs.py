"""Background analysis of uploaded sessions, with progress the session page can show.

Uploaded files are decrypted into a private temporary folder (mode 0700) only for as long as the
readers need them. A job that was queued or running when the server stopped is started again at
the next start (:meth:`JobRunner.resume`).
"""

from __future__ import annotations

import json
import logging
import math
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from attunement.analysis import analyze_session
from attunement.errors import AttunementError, InputError
from attunement.io import read_session
from attunement.io.roles import guess_role
from attunement.io.transcripts import read_transcripts
from attunement.report.csvsafe import safe_csv
from attunement.report.html import render_report
from attunement.store.repo import Store

__all__ = ["JobRunner", "analyse", "speakers"]

logger = logging.getLogger(__name__)

_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


def _suffix(name: str) -> str:
    suffix = Path(name).suffix
    return suffix.lower() if _SUFFIX.match(suffix) else ""


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _unpack(folder: Path, files: dict[str, tuple[str, bytes]]) -> dict[str, Path]:
    paths = {}
    for kind, (name, data) in files.items():
        path = folder / f"{kind}{_suffix(name)}"
        path.write_bytes(data)
        paths[kind] = path
    return paths


def speakers(name: str, data: bytes) -> list[dict[str, Any]]:
    """The speakers of an uploaded transcript, with utterance counts and a guessed role.

    Raises
    ------
    InputError
        The transcript cannot be read, or holds more than one session. Messages name the
        uploaded file, never a temporary path.
    """
    with tempfile.TemporaryDirectory(prefix="attunement-") as tmp:
        path = _unpack(Path(tmp), {"transcript": (name, data)})["transcript"]
        try:
            raws = read_transcripts(path)
        except AttunementError as exc:
            raise type(exc)(str(exc).replace(str(path), name)) from None
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


def _manifest(session_id: str, paths: dict[str, Path], roles: dict[str, Any]) -> str:
    lines = [f"id = {_q(session_id)}"]
    if roles.get("start"):
        lines.append(f"start = {_q(roles['start'])}")
    lines += ["", "[transcript]", f"path = {_q(paths['transcript'].name)}"]
    for role in ("therapist", "client"):
        names = roles.get(role) or []
        if names:
            lines.append(f"{role} = [{', '.join(_q(n) for n in names)}]")
    for role in ("therapist", "client"):
        if f"{role}_wearable" in paths:
            lines += ["", "[[wearables]]", f"role = {_q(role)}"]
            lines.append(f"path = {_q(paths[f'{role}_wearable'].name)}")
    if "audio" in paths:
        lines += ["", "[audio]", f"path = {_q(paths['audio'].name)}"]
    return "\n".join(lines) + "\n"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def analyse(store: Store, session_pk: int, public_id: str) -> None:
    """Run one session's analysis and keep its outputs; failures are recorded, not raised."""
    try:
        store.set_progress(session_pk, status="running", progress=5, stage="reading the files")
        files = store.job_files(session_pk)
        roles = store.job_roles(session_pk)
        names = {kind: name for kind, (name, _) in files.items()}
        with tempfile.TemporaryDirectory(prefix="attunement-job-") as tmp:
            folder = Path(tmp)
            paths = _unpack(folder, files)
            manifest = folder / "session.toml"
            manifest.write_text(_manifest(public_id, paths, roles), encoding="utf-8")
            try:
                session = read_session(manifest)
                store.set_progress(session_pk, status="running", progress=25, stage="measuring")
                results = analyze_session(session)
                store.set_progress(
                    session_pk, status="running", progress=85, stage="writing the report"
                )
                report = render_report(results, standalone=False)
            except AttunementError as exc:
                message = str(exc)
                for kind, path in paths.items():
                    message = message.replace(str(path), names[kind])
                message = message.replace(str(manifest), "the session").replace(str(folder), "")
                store.set_progress(
                    session_pk, status="failed", progress=100, stage="failed", error=message
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

    def __init__(self, store: Store, *, workers: int = 1) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="attunement-job")
        self.futures: dict[int, Future] = {}

    def submit(self, session_pk: int, public_id: str) -> Future:
        future = self.pool.submit(analyse, self.store, session_pk, public_id)
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

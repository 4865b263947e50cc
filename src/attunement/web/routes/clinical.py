"""Clients and sessions: upload, speaker roles, progress, the session page, exports, deletion."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from attunement.errors import InputError
from attunement.report.csvsafe import safe_csv_text
from attunement.store.repo import UPLOAD_KINDS, NotFound, Store
from attunement.store.views import SessionView, Viewer
from attunement.web import summary
from attunement.web.deps import (
    Csrf,
    SettingsDep,
    StoreDep,
    Supervisor,
    Therapist,
    client_ip,
    questionnaires,
    render,
)
from attunement.web.jobs import RECORDING_FORMATS, check_recording, speakers

router = APIRouter()

_CHUNK = 1 << 20


async def _read_upload(upload: UploadFile | None, field: str, limit_mb: int) -> bytes | None:
    """The whole upload, refusing more than ``limit_mb`` (None when no file was chosen)."""
    if upload is None or not upload.filename:
        return None
    limit = limit_mb * 1024 * 1024
    chunks, size = [], 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise InputError(
                f"is larger than {limit_mb} MB; expected at most {limit_mb} MB "
                "(ATTUNEMENT_MAX_UPLOAD_MB)",
                path=upload.filename,
                field=field,
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise InputError(
            "is empty; expected a file with content", path=upload.filename, field=field
        )
    return data


def _people(value: str) -> int | None:
    """How many people the recording holds, as the form says (blank: estimated)."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 8:
        raise InputError(
            f"is {value!r}; expected a whole number of people from 1 to 8, or blank to "
            "estimate it from the voices",
            field="people",
        )
    return int(value)


def _start(value: str) -> str | None:
    """A datetime-local form value (this computer's local time) as ISO 8601 with its offset."""
    value = value.strip()
    if not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"is {value!r}; expected a date and time such as 2026-11-25T14:00", field="started_at"
        ) from None
    return stamp.astimezone().isoformat(timespec="seconds")


@router.get("/clients")
def clients(request: Request, store: StoreDep, viewer: Supervisor):
    store.audit("view", viewer=viewer, target="clients", ip=client_ip(request))
    return render(
        request,
        "clients.html",
        title="Clients",
        clients=store.clients(viewer),
        sessions=store.sessions(viewer)[:20],
        supervisions=store.supervisions(viewer),
    )


@router.post("/clients")
def add_client(
    request: Request,
    store: StoreDep,
    viewer: Therapist,
    _: Csrf,
    label: Annotated[str, Form()] = "",
):
    try:
        client_id = store.create_client(viewer, label)
    except InputError as exc:
        return render(
            request,
            "clients.html",
            422,
            title="Clients",
            clients=store.clients(viewer),
            sessions=store.sessions(viewer)[:20],
            error=str(exc),
        )
    store.audit(
        "client_created", viewer=viewer, target=f"client:{client_id}", ip=client_ip(request)
    )
    return RedirectResponse(f"/clients/{client_id}", status_code=303)


@router.get("/clients/{client_id}")
def client_page(request: Request, store: StoreDep, viewer: Supervisor, client_id: str):
    client = store.client(viewer, client_id)
    store.audit("view", viewer=viewer, target=f"client:{client_id}", ip=client_ip(request))
    rows = store.trend_rows(viewer, client_id=client_id)
    return render(
        request,
        "client.html",
        title=f"Client {client.label}",
        client=client,
        sessions=store.sessions(viewer, client_id=client_id),
        trends=summary.trend_figures([r.as_dict() for r in rows]),
        today=dt.date.today().isoformat(),
    )


@router.post("/clients/{client_id}/sessions")
async def upload_session(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    viewer: Therapist,
    _: Csrf,
    client_id: str,
    held_on: Annotated[str, Form()] = "",
    started_at: Annotated[str, Form()] = "",
    people: Annotated[str, Form()] = "",
    transcript: Annotated[UploadFile | None, File()] = None,
    therapist_wearable: Annotated[UploadFile | None, File()] = None,
    client_wearable: Annotated[UploadFile | None, File()] = None,
    audio: Annotated[UploadFile | None, File()] = None,
):
    client = store.client(viewer, client_id)
    uploads = {
        "transcript": transcript,
        "therapist_wearable": therapist_wearable,
        "client_wearable": client_wearable,
        "audio": audio,
    }
    try:
        date = None
        if held_on.strip():
            try:
                date = dt.date.fromisoformat(held_on.strip())
            except ValueError:
                raise InputError(
                    f"is {held_on!r}; expected a date such as 2026-11-25", field="held_on"
                ) from None
        start = _start(started_at)
        files = {}
        for kind in UPLOAD_KINDS:
            data = await _read_upload(uploads[kind], kind, settings.max_upload_mb)
            if data is not None:
                files[kind] = (uploads[kind].filename, data)
        # without a transcript, the recording is transcribed on this computer first
        transcribe = "transcript" not in files
        found = None
        if transcribe and "audio" not in files:
            raise InputError(
                f"is missing; expected a transcript file, or a recording ({RECORDING_FORMATS}) "
                "in the recording field to transcribe",
                field="transcript",
            )
        count = _people(people)
        if transcribe:
            check_recording(files["audio"][0])
        else:
            # readable, one session: checked before keeping, off the event loop (a large
            # document takes seconds to read, and other users' requests go on meanwhile)
            found = await run_in_threadpool(speakers, *files["transcript"])
        session_id = store.create_session(
            viewer,
            client_id,
            held_on=date,
            files=files,
            started_at=start,
            speakers=found,
            transcribe=transcribe,
            recording_speakers=count if transcribe else None,
        )
    except InputError as exc:
        rows = store.trend_rows(viewer, client_id=client_id)
        return render(
            request,
            "client.html",
            422,
            title=f"Client {client.label}",
            client=client,
            sessions=store.sessions(viewer, client_id=client_id),
            trends=summary.trend_figures([r.as_dict() for r in rows]),
            today=held_on or dt.date.today().isoformat(),
            error=str(exc),
        )
    store.audit(
        "session_uploaded",
        viewer=viewer,
        target=f"session:{session_id}",
        detail=", ".join(sorted(files)),
        ip=client_ip(request),
    )
    if transcribe:
        _start_transcription(request, store, viewer, session_id)
        return RedirectResponse(f"/sessions/{session_id}", status_code=303)
    return RedirectResponse(f"/sessions/{session_id}/roles", status_code=303)


def _start_transcription(
    request: Request,
    store: Store,
    viewer: Viewer,
    session_id: str,
    *,
    retry: bool = False,
    people: int | None = None,
) -> None:
    pk = store.queue_transcription(viewer, session_id, recording_speakers=people)
    request.app.state.jobs.submit_transcription(pk, session_id)
    store.audit(
        "transcription_started",
        viewer=viewer,
        target=f"session:{session_id}",
        detail=", ".join(
            part
            for part in ("retry" if retry else "", f"{people} people" if people else "")
            if part
        ),
        ip=client_ip(request),
    )


def _untranscribed(session: SessionView) -> RedirectResponse | None:
    """To the session page while its recording has no transcript yet, or is being transcribed
    again (its progress is there)."""
    if "transcript" in session.files and session.status != "transcribing":
        return None
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


def _speakers_of(store: Store, viewer: Viewer, session: SessionView) -> list[dict]:
    """The transcript's speakers as listed at upload (read from the transcript if not kept)."""
    known = session.roles.get("speakers")
    if known is None:
        known = speakers(*store.read_file(viewer, session.id, "transcript"))
    return [dict(sp) for sp in known]


@router.post("/sessions/{session_id}/transcribe")
async def transcribe_again(
    request: Request,
    store: StoreDep,
    viewer: Therapist,
    session_id: str,
    _: Csrf,
    people: Annotated[str, Form()] = "",
):
    """Transcribe a session's recording again, with the number of people given (when the
    voices were miscounted)."""
    session = store.session(viewer, session_id, write=True)
    if session.status == "transcribing" or not session.roles.get("transcription"):
        return RedirectResponse(f"/sessions/{session_id}", status_code=303)
    try:
        count = _people(people)
    except InputError as exc:
        found = _speakers_of(store, viewer, session)
        return render(
            request,
            "roles.html",
            422,
            title="Who is who",
            session=session,
            speakers=found,
            error=str(exc),
        )
    _start_transcription(request, store, viewer, session_id, retry=True, people=count)
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.get("/sessions/{session_id}/roles")
def roles_page(request: Request, store: StoreDep, viewer: Therapist, session_id: str):
    session = store.session(viewer, session_id, write=True)
    if (away := _untranscribed(session)) is not None:
        return away
    found = _speakers_of(store, viewer, session)
    store.audit(
        "view",
        viewer=viewer,
        target=f"session:{session_id}",
        detail="speaker names",
        ip=client_ip(request),
    )
    chosen = session.roles
    for sp in found:
        for role in ("therapist", "client"):
            if sp["name"] in chosen.get(role, []):
                sp["role"] = role
    return render(
        request,
        "roles.html",
        title="Who is who",
        session=session,
        speakers=found,
        guessed=session.roles.get("roles_guessed"),
    )


@router.post("/sessions/{session_id}/roles")
async def set_roles(request: Request, store: StoreDep, viewer: Therapist, session_id: str, _: Csrf):
    session = store.session(viewer, session_id, write=True)
    if (away := _untranscribed(session)) is not None:
        return away
    found = _speakers_of(store, viewer, session)
    form = await request.form()
    roles: dict[str, list[str]] = {"therapist": [], "client": [], "other": []}
    for i, sp in enumerate(found):
        role = str(form.get(f"role_{i}", ""))
        if role not in roles:
            role = "other"
        roles[role].append(sp["name"])
    if not roles["therapist"] or not roles["client"]:
        return render(
            request,
            "roles.html",
            422,
            title="Who is who",
            session=session,
            speakers=found,
            guessed=session.roles.get("roles_guessed"),
            error="Choose at least one therapist and one client.",
        )
    pk = store.queue(viewer, session_id, {k: v for k, v in roles.items() if k != "other"})
    request.app.state.jobs.submit(pk, session_id)
    store.audit(
        "analysis_started", viewer=viewer, target=f"session:{session_id}", ip=client_ip(request)
    )
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.get("/sessions/{session_id}")
def session_page(
    request: Request, store: StoreDep, settings: SettingsDep, viewer: Supervisor, session_id: str
):

    session = store.session(viewer, session_id)
    store.audit("view", viewer=viewer, target=f"session:{session_id}", ip=client_ip(request))
    report = ""
    if session.status == "done":
        report = store.read_file(viewer, session_id, "report")[1].decode("utf-8")
    metrics = store.metrics(session.pk)
    feedback = [answer.as_dict() for answer in store.feedback(session.pk)]
    known = questionnaires(settings)
    return render(
        request,
        "session.html",
        title=f"Session with {session.client_label}",
        session=session,
        report=report,
        # the client's answer beside the report's moments of being seen
        report_parts=summary.split_report(report),
        moved=summary.moved_answer(feedback, known),
        beside=summary.beside(metrics, feedback),
        feedback=summary.feedback_view(feedback, known),
        links=store.links(session.pk),
    )


@router.get("/sessions/{session_id}/status")
def session_status(store: StoreDep, viewer: Supervisor, session_id: str):
    session = store.session(viewer, session_id)
    return JSONResponse(
        {
            "status": session.status,
            "progress": session.progress,
            "stage": session.stage,
            "error": session.error,
        },
        headers={"Cache-Control": "no-store"},
    )


_EXPORTS = {
    "results.json": ("results", "application/json"),
    "utterances.csv": ("utterances", "text/csv; charset=utf-8"),
    # only for a transcript made from the recording (an uploaded one may be of any format)
    "transcript.vtt": ("transcript", "text/vtt; charset=utf-8"),
}


@router.get("/sessions/{session_id}/export/{name}")
def export(request: Request, store: StoreDep, viewer: Supervisor, session_id: str, name: str):
    if name not in _EXPORTS:
        raise NotFound(name)
    if name == "transcript.vtt" and not store.session(viewer, session_id).roles.get(
        "transcription"
    ):
        raise NotFound(name)
    kind, media = _EXPORTS[name]
    _, data = store.read_file(viewer, session_id, kind)
    if name.endswith(".csv"):  # stored before formula cells were neutralised, too
        data = safe_csv_text(data.decode("utf-8")).encode("utf-8")
    store.audit(
        "export", viewer=viewer, target=f"session:{session_id}", detail=name, ip=client_ip(request)
    )
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}-{name}"'},
    )


@router.post("/sessions/{session_id}/delete")
def delete_session(request: Request, store: StoreDep, viewer: Therapist, session_id: str, _: Csrf):
    session = store.session(viewer, session_id, write=True)
    store.delete_session(viewer, session_id)
    store.audit(
        "session_deleted", viewer=viewer, target=f"session:{session_id}", ip=client_ip(request)
    )
    return RedirectResponse(f"/clients/{session.client_id}", status_code=303)


@router.post("/sessions/{session_id}/retry")
def retry(request: Request, store: StoreDep, viewer: Therapist, session_id: str, _: Csrf):
    session = store.session(viewer, session_id, write=True)
    if session.status == "transcribing":  # under way already
        return RedirectResponse(f"/sessions/{session_id}", status_code=303)
    if "transcript" not in session.files:  # the transcription failed: transcribe again
        _start_transcription(request, store, viewer, session_id, retry=True)
        return RedirectResponse(f"/sessions/{session_id}", status_code=303)
    pk = store.queue(viewer, session_id, session.roles)
    request.app.state.jobs.submit(pk, session_id)
    store.audit(
        "analysis_started",
        viewer=viewer,
        target=f"session:{session_id}",
        detail="retry",
        ip=client_ip(request),
    )
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)

"""End-of-session feedback: the client's one-time link (and QR code), the therapist's reflection."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from attunement.errors import InputError
from attunement.ratings import (
    Questionnaire,
    ScoredResponse,
    score_responses,
)
from attunement.store.repo import NotFound
from attunement.web.deps import (
    Csrf,
    SettingsDep,
    StoreDep,
    Therapist,
    client_ip,
    questionnaires,
    render,
)

router = APIRouter()

#: What a new feedback link asks, unless the therapist chooses otherwise.
DEFAULT_CLIENT = ("client_session", "phq9", "gad7")
REFLECTION = "therapist_reflection"


def scores_of(q: Questionnaire, scored: ScoredResponse) -> dict:
    """What is kept in the clear for trends: total, band, flags, and the ratings of an unscored
    questionnaire (its items are the measures, e.g. felt heard 0-10)."""
    out: dict = {"total": scored.total, "band": scored.band}
    out["flags"] = [f.message for f in scored.flags]
    if q.scoring is None:
        out.update(scored.ratings)
    return out


def _answers_for(q: Questionnaire, form) -> dict[str, str]:
    return {item.id: str(form.get(f"{q.id}.{item.id}", "")) for item in q.items}


def _unanswered(q: Questionnaire, answers: dict[str, str]) -> list[int]:
    """Numbers (as shown, from 1) of required, always-asked items left empty."""
    return [
        n
        for n, item in enumerate(q.items, start=1)
        if item.required and item.ask_if is None and not answers[item.id].strip()
    ]


def _score_all(chosen: list[Questionnaire], form) -> dict[str, tuple]:
    out = {}
    for q in chosen:
        missing = _unanswered(q, _answers_for(q, form))
        if missing:
            numbers = ", ".join(str(n) for n in missing)
            raise InputError(
                f"Please answer question{'s' if len(missing) > 1 else ''} {numbers} of "
                f"“{q.title}”. Your other answers are kept."
            )
        try:
            scored = score_responses(q, _answers_for(q, form))
        except InputError as exc:
            raise InputError(f"{q.title}: {exc}") from None
        out[q.id] = (q.respondent, scored.to_dict()["answers"], scores_of(q, scored))
    return out


@router.get("/sessions/{session_id}/feedback-link")
def link_form(
    request: Request, store: StoreDep, settings: SettingsDep, viewer: Therapist, session_id: str
):
    session = store.session(viewer, session_id, write=True)
    store.audit(
        "view",
        viewer=viewer,
        target=f"session:{session_id}",
        detail="feedback link form",
        ip=client_ip(request),
    )
    found = [q for q in questionnaires(settings).values() if q.respondent == "client"]
    return render(
        request,
        "feedback_link.html",
        title="Feedback link",
        session=session,
        choices=found,
        defaults=DEFAULT_CLIENT,
        hours=settings.feedback_link_hours,
    )


@router.post("/sessions/{session_id}/feedback-link")
async def make_link(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    viewer: Therapist,
    session_id: str,
    _: Csrf,
):
    session = store.session(viewer, session_id, write=True)
    form = await request.form()
    known = questionnaires(settings)
    chosen = [str(v) for v in form.getlist("questionnaire") if str(v) in known]
    chosen = [q for q in chosen if known[q].respondent == "client"] or [
        q for q in DEFAULT_CLIENT if q in known
    ]
    token = store.create_link(viewer, session_id, chosen, hours=settings.feedback_link_hours)
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    url = f"{base}/f/{token}"
    store.audit(
        "feedback_link_created",
        viewer=viewer,
        target=f"session:{session_id}",
        detail=", ".join(chosen),
        ip=client_ip(request),
    )
    qr = segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#1d2330")
    return render(
        request,
        "feedback_link.html",
        title="Feedback link",
        session=session,
        url=url,
        qr=qr,
        hours=settings.feedback_link_hours,
        loopback=request.url.hostname in ("127.0.0.1", "localhost", "::1")
        and not settings.public_url,
    )


def _respond_page(request, chosen, status_code=200, **extra):
    return render(
        request,
        "respond.html",
        status_code,
        title="Your feedback",
        questionnaires=chosen,
        **extra,
    )


@router.get("/f/{token}")
def respond_form(request: Request, store: StoreDep, settings: SettingsDep, token: str):
    link = store.open_link(token)
    store.audit(
        "feedback_opened",
        target=f"session:{link.session_id}",
        detail="client's feedback link",
        ip=client_ip(request),
    )
    known = questionnaires(settings)
    chosen = [known[q] for q in link.questionnaires if q in known]
    return _respond_page(request, chosen, action=f"/f/{token}", values={})


@router.post("/f/{token}")
async def respond(request: Request, store: StoreDep, settings: SettingsDep, token: str, _: Csrf):
    link = store.open_link(token)
    known = questionnaires(settings)
    chosen = [known[q] for q in link.questionnaires if q in known]
    form = await request.form()
    try:
        responses = _score_all(chosen, form)
    except InputError as exc:  # keep every answer given, show what is missing
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        return _respond_page(
            request, chosen, 422, action=f"/f/{token}", values=values, error=str(exc)
        )
    store.save_feedback(link.session_pk, responses, link_token=token)
    store.audit(
        "feedback_submitted",
        target=f"session:{link.session_id}",
        detail="client: " + ", ".join(responses),
        ip=client_ip(request),
    )
    return render(request, "thanks.html", title="Thank you")


@router.get("/sessions/{session_id}/reflection")
def reflection_form(
    request: Request, store: StoreDep, settings: SettingsDep, viewer: Therapist, session_id: str
):
    session = store.session(viewer, session_id, write=True)
    q = questionnaires(settings).get(REFLECTION)
    if q is None:
        raise NotFound(REFLECTION)
    store.audit(
        "view",
        viewer=viewer,
        target=f"session:{session_id}",
        detail="reflection",
        ip=client_ip(request),
    )
    earlier = {
        f"{q.id}.{k}": str(v)
        for r in store.feedback(session.pk)
        if r.questionnaire == q.id
        for k, v in r.answers.items()
    }
    return render(
        request,
        "respond.html",
        title="My reflection",
        questionnaires=[q],
        action=f"/sessions/{session_id}/reflection",
        values=earlier,
        session=session,
    )


@router.post("/sessions/{session_id}/reflection")
async def reflect(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    viewer: Therapist,
    session_id: str,
    _: Csrf,
):
    session = store.session(viewer, session_id, write=True)
    q = questionnaires(settings)[REFLECTION]
    form = await request.form()
    try:
        responses = _score_all([q], form)
    except InputError as exc:
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        return render(
            request,
            "respond.html",
            422,
            title="My reflection",
            questionnaires=[q],
            action=f"/sessions/{session_id}/reflection",
            values=values,
            session=session,
            error=str(exc),
        )
    store.save_feedback(session.pk, responses)
    store.audit(
        "reflection_saved", viewer=viewer, target=f"session:{session_id}", ip=client_ip(request)
    )
    return RedirectResponse(f"/sessions/{session_id}#felt", status_code=303)

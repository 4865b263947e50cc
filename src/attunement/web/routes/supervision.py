"""Supervision: a therapist accepts or declines what an admin proposed; anyone in it ends it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from attunement.web.deps import AnyUser, Csrf, StoreDep, Therapist, client_ip

router = APIRouter(prefix="/supervision")


def _answer(request: Request, store, viewer, supervision_id: int, *, accept: bool):
    supervisor = store.answer_supervision(viewer, supervision_id, accept=accept)
    store.audit(
        "supervision_accepted" if accept else "supervision_declined",
        viewer=viewer,
        target=f"user:{viewer.username}",
        detail=f"supervisor {supervisor}",
        ip=client_ip(request),
    )
    return RedirectResponse("/clients", status_code=303)


@router.post("/{supervision_id}/accept")
def accept(request: Request, store: StoreDep, viewer: Therapist, _: Csrf, supervision_id: int):
    return _answer(request, store, viewer, supervision_id, accept=True)


@router.post("/{supervision_id}/decline")
def decline(request: Request, store: StoreDep, viewer: Therapist, _: Csrf, supervision_id: int):
    return _answer(request, store, viewer, supervision_id, accept=False)


@router.post("/{supervision_id}/end")
def end(request: Request, store: StoreDep, viewer: AnyUser, _: Csrf, supervision_id: int):
    supervisor, therapist = store.end_supervision(viewer, supervision_id)
    store.audit(
        "supervision_ended",
        viewer=viewer,
        target=f"user:{therapist}",
        detail=f"supervisor {supervisor}",
        ip=client_ip(request),
    )
    back = "/admin/users" if viewer.role == "admin" else "/clients"
    return RedirectResponse(back, status_code=303)

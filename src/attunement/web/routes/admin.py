"""Accounts (admins only: no clinical data here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from attunement.errors import InputError
from attunement.store.models import ROLES
from attunement.web.deps import Admin, Csrf, StoreDep, client_ip, render

router = APIRouter(prefix="/admin")


def _page(request, store, status_code=200, **extra):
    return render(
        request,
        "admin_users.html",
        status_code,
        title="Accounts",
        users=store.users(),
        supervisions=store.supervisions(request.state.viewer),
        roles=ROLES,
        **extra,
    )


@router.get("/users")
def users(request: Request, store: StoreDep, viewer: Admin):
    store.audit("view", viewer=viewer, target="admin:users", ip=client_ip(request))
    return _page(request, store)


@router.post("/users")
def add_user(
    request: Request,
    store: StoreDep,
    viewer: Admin,
    _: Csrf,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "therapist",
    display_name: Annotated[str, Form()] = "",
):
    try:
        created = store.create_user(username, password, role, display_name=display_name)
    except InputError as exc:
        return _page(request, store, 422, error=str(exc))
    store.audit(
        "user_created",
        viewer=viewer,
        target=f"user:{created.username}",
        detail=f"role {created.role}",
        ip=client_ip(request),
    )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/supervision")
def supervise(
    request: Request,
    store: StoreDep,
    viewer: Admin,
    _: Csrf,
    supervisor: Annotated[str, Form()] = "",
    therapist: Annotated[str, Form()] = "",
):
    try:
        store.assign_supervisor(supervisor, therapist)
    except InputError as exc:
        return _page(request, store, 422, error=str(exc))
    store.audit(
        "supervision_proposed",
        viewer=viewer,
        target=f"user:{therapist}",
        detail=f"supervisor {supervisor}",
        ip=client_ip(request),
    )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/active")
def set_active(
    request: Request,
    store: StoreDep,
    viewer: Admin,
    _: Csrf,
    user_id: int,
    active: Annotated[str, Form()] = "0",
):
    if user_id == viewer.id:
        return _page(request, store, 422, error="You cannot switch off your own account.")
    store.set_active(user_id, active == "1")
    store.audit(
        "user_enabled" if active == "1" else "user_disabled",
        viewer=viewer,
        target=f"user:{user_id}",
        ip=client_ip(request),
    )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request,
    store: StoreDep,
    viewer: Admin,
    _: Csrf,
    user_id: int,
    password: Annotated[str, Form()] = "",
):
    """Give another account a new password (to pass on in person); it is signed out everywhere."""
    if user_id == viewer.id:
        return _page(request, store, 422, error="Change your own password on your account page.")
    try:
        username = store.reset_password(user_id, password)
    except InputError as exc:
        return _page(request, store, 422, error=str(exc))
    store.audit("password_reset", viewer=viewer, target=f"user:{username}", ip=client_ip(request))
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit_log(request: Request, store: StoreDep, viewer: Admin):
    store.audit("view", viewer=viewer, target="admin:audit", ip=client_ip(request))
    return render(
        request,
        "admin_audit.html",
        title="Audit log",
        entries=store.audit_entries(limit=500),
        check=store.verify_audit(),
    )

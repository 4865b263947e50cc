"""First run, sign-in, sign-out and the home page."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from attunement.errors import InputError
from attunement.store.repo import RateLimited
from attunement.web.deps import (
    AnyUser,
    Csrf,
    LoginRequired,
    SettingsDep,
    StoreDep,
    client_ip,
    current_user,
    render,
)
from attunement.web.security import CSRF_COOKIE, KNOWN_COOKIE, SESSION_COOKIE

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //) may be a redirect target."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _known(request: Request) -> list[str]:
    """This browser's known-browser tokens (see ``Store.known_browser``)."""
    return request.cookies.get(KNOWN_COOKIE, "").split()[:5]


def _signed_in(request: Request, store, settings, viewer) -> RedirectResponse:
    token = store.start_login(viewer)
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    # Remember that this account signed in here: others' failed guesses (for the name, or from
    # this address) then never lock this browser out (at most 5 accounts per browser).
    others = [t for t in _known(request) if not t.startswith(f"{viewer.id}.")]
    response.set_cookie(
        KNOWN_COOKIE,
        " ".join([store.known_browser(viewer), *others][:5]),
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    # A new CSRF token with the new sign-in: one learned before it (e.g. planted in the
    # browser by someone else) is worth nothing after.
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.get("/setup")
def setup_page(request: Request, store: StoreDep):
    if store.user_count() > 0:
        return RedirectResponse("/login", status_code=303)
    return render(request, "setup.html", title="Set up attunement")


@router.post("/setup")
def setup(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _: Csrf,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password2: Annotated[str, Form()] = "",
):
    if store.user_count() > 0:  # the page exists only while no user exists
        return RedirectResponse("/login", status_code=303)
    try:
        if password != password2:
            raise InputError("the two passwords differ; expected the same twice", field="password")
        viewer = store.create_first_admin(username, password)
    except InputError as exc:
        return render(
            request, "setup.html", 422, title="Set up attunement", error=str(exc), username=username
        )
    store.audit(
        "user_created",
        viewer=viewer,
        target=f"user:{viewer.username}",
        detail="first admin",
        ip=client_ip(request),
    )
    store.audit("login", viewer=viewer, ip=client_ip(request))
    return _signed_in(request, store, settings, viewer)


@router.get("/login")
def login_page(request: Request, store: StoreDep):
    if store.user_count() == 0:
        return RedirectResponse("/setup", status_code=303)
    return render(request, "login.html", title="Sign in")


@router.post("/login")
def login(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _: Csrf,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
):
    ip = client_ip(request)
    try:
        viewer = store.authenticate(
            username,
            password,
            ip=ip,
            max_failures=settings.login_max_failures,
            window_minutes=settings.login_window_minutes,
            known=_known(request),
            backoff_seconds=settings.login_backoff_seconds,
        )
    except RateLimited as exc:
        store.audit("login_blocked", target=f"user:{username[:64]}", detail=str(exc), ip=ip)
        return render(
            request, "login.html", 429, title="Sign in", error=str(exc), username=username
        )
    if viewer is None:
        store.audit("login_failed", target=f"user:{username[:64]}", ip=ip)
        return render(
            request,
            "login.html",
            401,
            title="Sign in",
            error="The user name or password is wrong.",
            username=username,
        )
    store.audit("login", viewer=viewer, ip=ip)
    return _signed_in(request, store, settings, viewer)


@router.post("/logout")
def logout(request: Request, store: StoreDep, viewer: AnyUser, _: Csrf):
    store.end_login(request.cookies.get(SESSION_COOKIE))
    store.audit("logout", viewer=viewer, ip=client_ip(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, viewer: AnyUser):
    return render(
        request, "account.html", title="Your account", done="changed" in request.query_params
    )


@router.post("/account/password")
def change_password(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    viewer: AnyUser,
    _: Csrf,
    current: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password2: Annotated[str, Form()] = "",
):
    try:
        if password != password2:
            raise InputError("the two passwords differ; expected the same twice", field="password")
        # the current password is checked as a sign-in is, with its limit on failures, so a
        # browser left signed in cannot be used to guess it
        try:
            known = store.authenticate(
                viewer.username,
                current,
                ip=client_ip(request),
                max_failures=settings.login_max_failures,
                window_minutes=settings.login_window_minutes,
                known=_known(request),
                backoff_seconds=settings.login_backoff_seconds,
            )
        except RateLimited as exc:
            raise InputError(str(exc), field="current") from None
        if known is None:
            raise InputError(
                "is not this account's password; expected the password you sign in with",
                field="current",
            )
        store.change_password(
            viewer, current, password, keep_token=request.cookies.get(SESSION_COOKIE)
        )
    except InputError as exc:
        store.audit(
            "password_change_refused", viewer=viewer, detail=exc.field or "", ip=client_ip(request)
        )
        return render(request, "account.html", 422, title="Your account", error=str(exc))
    store.audit("password_changed", viewer=viewer, ip=client_ip(request))
    return RedirectResponse("/account?changed", status_code=303)


@router.get("/")
def home(request: Request, store: StoreDep, settings: SettingsDep):
    if store.user_count() == 0:
        return RedirectResponse("/setup", status_code=303)
    try:
        viewer = current_user(request, store, settings)
    except LoginRequired:
        return RedirectResponse("/login", status_code=303)
    if viewer.role == "admin":
        return RedirectResponse("/admin/users", status_code=303)
    return RedirectResponse("/clients", status_code=303)

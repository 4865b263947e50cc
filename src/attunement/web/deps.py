"""Typed dependencies shared by the route modules: the store, the signed-in user, page rendering."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from attunement import __version__
from attunement.ratings import Questionnaire, available_questionnaires
from attunement.store.repo import Store
from attunement.store.views import Viewer
from attunement.web.security import SESSION_COOKIE, check_csrf, csrf_token
from attunement.web.settings import Settings

__all__ = [
    "Admin",
    "AnyUser",
    "Csrf",
    "LoginRequired",
    "SettingsDep",
    "StoreDep",
    "Supervisor",
    "Therapist",
    "client_ip",
    "render",
]


class LoginRequired(Exception):
    """No signed-in user (or not one allowed here): go to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but this page is for another role."""


@lru_cache(maxsize=8)
def _questionnaires_in(folder: str) -> dict[str, Questionnaire]:
    return available_questionnaires(Path(folder))


def questionnaires(settings: Settings) -> dict[str, Questionnaire]:
    """Shipped questionnaires plus the user's own (``questionnaires/`` in the data dir), read
    once per process."""
    return _questionnaires_in(str(settings.questionnaire_dir_or_default()))


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Csrf = Annotated[None, Depends(check_csrf)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def current_user(request: Request, store: StoreDep, settings: SettingsDep) -> Viewer:
    viewer = store.resolve_login(
        request.cookies.get(SESSION_COOKIE),
        idle_minutes=settings.idle_timeout_minutes,
        max_hours=settings.session_max_hours,
    )
    if viewer is None:
        raise LoginRequired()
    request.state.viewer = viewer
    return viewer


AnyUser = Annotated[Viewer, Depends(current_user)]


def _role(*roles: str):
    def check(viewer: AnyUser) -> Viewer:
        if viewer.role not in roles:
            raise Forbidden(viewer.role)
        return viewer

    return check


Therapist = Annotated[Viewer, Depends(_role("therapist"))]
Supervisor = Annotated[Viewer, Depends(_role("therapist", "supervisor"))]
Admin = Annotated[Viewer, Depends(_role("admin"))]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with what every page needs (user, CSRF token, version)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        template,
        {
            "viewer": getattr(request.state, "viewer", None),
            "csrf": csrf_token(request),
            "version": __version__,
            "idle_minutes": request.app.state.settings.idle_timeout_minutes,
            **context,
        },
        status_code=status_code,
    )

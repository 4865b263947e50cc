"""The web app: :func:`create_app` builds it from :class:`~attunement.web.settings.Settings`.

Nothing is created at import time; every request is served from the data dir the settings name.
"""

from __future__ import annotations

import contextlib
import logging
from functools import cache
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.formparsers import MultiPartParser

from attunement import __version__
from attunement.errors import AttunementError, InputError
from attunement.store.crypto import KeyMismatchError, cipher_from
from attunement.store.db import Database
from attunement.store.lock import ServerLock
from attunement.store.repo import LinkExpired, NotFound, RateLimited, Store
from attunement.web import routes
from attunement.web.deps import Forbidden, LoginRequired, client_ip, render
from attunement.web.jobs import JobRunner
from attunement.web.security import (
    SESSION_COOKIE,
    CsrfError,
    RefusalThrottle,
    SecurityHeaders,
    UploadGate,
)
from attunement.web.settings import Settings

__all__ = ["create_app", "open_store"]

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
#: File fields of the session upload form (transcript, two wearables, audio).
UPLOAD_FILES = 4


@cache
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def open_store(settings: Settings) -> Store:
    """Open (and if new, create) the data dir, the database and the key; check the key.

    Raises
    ------
    AttunementError
        The data dir cannot be created, the database cannot be migrated, or the key does not
        open the data stored there.
    """
    data = Path(settings.data_dir).expanduser()
    try:
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError(f"cannot be created ({exc.strerror})", path=data) from None
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    cipher = cipher_from(secret, settings.key_file, secret_name="ATTUNEMENT_SECRET_KEY")
    db = Database(settings.database_url_or_default())
    db.migrate()
    if db.engine.url.get_backend_name() == "sqlite" and db.engine.url.database:
        for suffix in ("", "-wal", "-shm"):  # readable by the owner only, like every file here
            path = Path(db.engine.url.database + suffix)
            if path.exists():
                path.chmod(0o600)
    store = Store(db, cipher, settings.files_dir)
    store.check_key()
    return store


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    settings : Settings, optional
        Default: from ``ATTUNEMENT_*`` environment variables.

    Returns
    -------
    fastapi.FastAPI
    """
    settings = settings or Settings()
    # Uploads stay in memory instead of being spooled, unencrypted, to the system's temporary
    # folder (Starlette spools parts over 1 MB by default): up to all that UploadGate lets in,
    # so that even a file over the per-file limit is refused from memory, never spilled.
    MultiPartParser.spool_max_size = max(
        MultiPartParser.spool_max_size, UPLOAD_FILES * settings.max_upload_mb * 2**20 + 2**20
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        store = open_store(settings)
        # one server per data dir: the sweep below must never take another server's upload
        lock = ServerLock(Path(settings.data_dir).expanduser()).acquire()
        app.state.store = store
        swept = store.sweep_orphans()
        if swept:
            logger.info("removed %d files left by an interrupted upload or analysis", swept)
        app.state.jobs = JobRunner(
            store,
            workers=settings.analysis_workers,
            coder=settings.coder,
            asr_model=None if settings.asr_model is None else str(settings.asr_model),
        )
        resumed = app.state.jobs.resume()
        if resumed:
            logger.info("resumed %d transcriptions and analyses left unfinished", resumed)
        try:
            yield
        finally:
            app.state.jobs.shutdown()
            for address, n in app.state.refusals.flush().items():
                store.audit(
                    "denied",
                    target="(requests without an account)",
                    detail=f"{n} more refused from this address, not logged one by one",
                    ip=address,
                )
            store.db.dispose()
            lock.release()

    app = FastAPI(
        title="attunement",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["app_version"] = __version__
    app.state.templates = templates
    # Before anything reads an upload's body: refuse it from a browser not signed in, or when
    # it declares more than the session form's four files at the upload limit each.
    app.add_middleware(
        UploadGate,
        max_bytes=UPLOAD_FILES * settings.max_upload_mb * 2**20 + 2**20,
        idle_minutes=settings.idle_timeout_minutes,
        max_hours=settings.session_max_hours,
    )
    app.add_middleware(SecurityHeaders, secure_cookies=settings.secure_cookies)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/static-plotly/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        if "json" not in request.headers.get("accept", ""):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        else:
            response = Response("sign in first", status_code=401)
        if request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    app.state.refusals = RefusalThrottle()

    def audit_denied(request: Request, why: str) -> None:
        store: Store = request.app.state.store
        viewer = getattr(request.state, "viewer", None)
        ip = client_ip(request)
        detail = f"{request.method}: {why}"
        if viewer is None:  # anyone can ask: one row a minute per address, the rest counted
            skipped = app.state.refusals.admit(ip)
            if skipped is None:
                return
            if skipped:
                detail += f" ({skipped} more refused from this address before, not logged)"
        store.audit("denied", viewer=viewer, target=request.url.path[:128], detail=detail, ip=ip)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        audit_denied(request, "not found or not theirs")
        return render(
            request, "error.html", 404, title="Not found", message="There is no such page."
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        viewer = getattr(request.state, "viewer", None)
        role = getattr(viewer, "role", "this account")
        audit_denied(request, f"not allowed for the {role} role")
        return render(
            request,
            "error.html",
            404,
            title="Not found",
            message="There is no such page for this account.",
        )

    @app.exception_handler(CsrfError)
    async def csrf_error(request: Request, exc: CsrfError):
        return render(
            request,
            "error.html",
            403,
            title="Form expired",
            message=f"{exc}. Go back, reload the page and send the form again.",
        )

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError):
        return render(request, "error.html", 422, title="Cannot use this input", message=str(exc))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited):
        return render(request, "error.html", 429, title="Too many attempts", message=str(exc))

    @app.exception_handler(LinkExpired)
    async def link_expired(request: Request, exc: LinkExpired):
        return render(request, "error.html", 410, title="Link no longer valid", message=str(exc))

    @app.exception_handler(KeyMismatchError)
    async def key_mismatch(request: Request, exc: KeyMismatchError):
        return render(request, "error.html", 500, title="Encryption key", message=str(exc))

    @app.exception_handler(AttunementError)
    async def attunement_error(request: Request, exc: AttunementError):
        return render(request, "error.html", 422, title="Cannot do this", message=str(exc))

    for module in routes.MODULES:
        app.include_router(module.router)
    return app

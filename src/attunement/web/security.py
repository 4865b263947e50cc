"""Security plumbing: response headers, CSRF tokens, the sign-in cookie."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from fastapi import Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import RedirectResponse, Response

__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "CsrfError",
    "SecurityHeaders",
    "UploadGate",
    "check_csrf",
    "csrf_token",
]

SESSION_COOKIE = "attunement_session"
CSRF_COOKIE = "attunement_csrf"
#: Tokens of the accounts that have signed in from this browser (see Store.known_browser).
KNOWN_COOKIE = "attunement_known"

#: No inline or foreign script, no framing, nothing fetched from elsewhere. Inline *styles* are
#: allowed: Plotly sets them on the elements it draws.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class CsrfError(Exception):
    """A form arrived without the token this browser was given."""


class SecurityHeaders(BaseHTTPMiddleware):
    """Adds the security headers, gives every browser a CSRF cookie, and keeps pages uncached."""

    def __init__(self, app, *, secure_cookies: bool = False) -> None:
        super().__init__(app)
        self.secure = secure_cookies

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        token = request.cookies.get(CSRF_COOKIE)
        fresh = not token or len(token) < 20
        request.state.csrf = secrets.token_urlsafe(32) if fresh else token
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if fresh:
            response.set_cookie(
                CSRF_COOKIE,
                request.state.csrf,
                httponly=True,
                samesite="strict",
                secure=self.secure,
                path="/",
            )
        return response


def csrf_token(request: Request) -> str:
    """The token to put in this browser's forms."""
    return getattr(request.state, "csrf", "")


def check_csrf(request: Request, csrf_token: str = Form("")) -> None:
    """Dependency for every form POST: the form's token must equal the browser's cookie.

    Raises
    ------
    CsrfError
    """
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not csrf_token or not secrets.compare_digest(cookie, csrf_token):
        raise CsrfError("the form's security token is missing or does not match")
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise CsrfError(f"the form came from {origin}, not from this site")


class UploadGate:
    """Refuses a multipart upload before its body is read: from a browser that is not signed
    in (redirected to sign-in, or 401 for JSON, as for any page), or declaring more bytes than
    the upload limit allows (413). Without it, anyone could make the server read (and hold in
    memory) hundreds of megabytes before the sign-in and CSRF checks ran.

    A pure ASGI middleware: it reads headers and cookies only, and passes the body on
    untouched to the route, which still checks sign-in, CSRF and each file's size.
    """

    def __init__(
        self, app, *, max_bytes: int, idle_minutes: int, max_hours: float | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.idle_minutes = idle_minutes
        self.max_hours = max_hours

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        request = Request(scope)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return await self.app(scope, receive, send)
        refused = await self._refusal(request)
        if refused is None:
            return await self.app(scope, receive, send)
        refused.headers["Connection"] = "close"  # the unread body is not waited for
        return await refused(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return Response(
                f"the upload is {int(declared) / 2**20:.0f} MB; expected at most "
                f"{self.max_bytes / 2**20:.0f} MB in all",
                status_code=413,
            )
        store = request.app.state.store
        viewer = await run_in_threadpool(
            store.resolve_login,
            request.cookies.get(SESSION_COOKIE),
            idle_minutes=self.idle_minutes,
            max_hours=self.max_hours,
        )
        if viewer is not None:
            return None
        if "json" in request.headers.get("accept", ""):
            return Response("sign in first", status_code=401)
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


class RefusalThrottle:
    """At most one audit row a minute per address for refused requests from no account.

    Anyone can ask for ``/f/<random>`` or any other address without signing in; logging every
    refusal would let one script flood the audit log (and bury what matters in it). The first
    refusal from an address in a window is logged; later ones in the window are counted, and
    the count goes into the next row from that address (or is flushed when the server stops).

    Examples
    --------
    >>> clock = iter([0.0, 1.0, 2.0, 61.0]).__next__
    >>> t = RefusalThrottle(window_s=60, clock=clock)
    >>> [t.admit("10.0.0.9") for _ in range(4)]
    [0, None, None, 2]
    """

    def __init__(self, *, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._seen: dict[str, tuple[float, int]] = {}  # address -> (window start, not logged)
        self._lock = threading.Lock()

    def admit(self, address: str) -> int | None:
        """None: count this refusal, do not log it; else log it, with this many not logged."""
        now = self._clock()
        with self._lock:
            start, skipped = self._seen.get(address, (None, 0))
            if start is not None and now - start < self.window_s:
                self._seen[address] = (start, skipped + 1)
                return None
            if len(self._seen) > 10_000:  # forget quiet addresses (their counts were flushed)
                self._seen = {a: v for a, v in self._seen.items() if v[1]}
            self._seen[address] = (now, 0)
            return skipped

    def flush(self) -> dict[str, int]:
        """Address -> refusals not yet logged; the counts start again from 0."""
        with self._lock:
            pending = {a: n for a, (_, n) in self._seen.items() if n}
            self._seen = {a: (t, 0) for a, (t, _) in self._seen.items()}
            return pending

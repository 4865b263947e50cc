"""The web app served for real, and browser contexts that watch what the pages do.

:class:`LiveServer` serves an app with uvicorn on a free loopback port in a background thread;
:class:`PageGuard` gives browser contexts that let only requests to 127.0.0.1 through (every
other one is aborted and recorded) and record console errors, uncaught page errors and
Content-Security-Policy violations.

Tests in ``tests/web`` import it as ``from e2e_server import LiveServer, PageGuard`` (pytest puts
a test file's folder on ``sys.path``).
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import uvicorn

__all__ = ["CHROMIUM_ARGS", "LiveServer", "PageGuard"]

#: Chromium switches for a quiet, sandbox-free headless run that asks nothing of the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]

#: Reported by the page itself on every Content-Security-Policy violation, as a page error.
_CSP_WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  var what = "CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline");
  window.setTimeout(function () { throw new Error(what); }, 0);
}, true);
"""


class LiveServer:
    """Serve ``app`` on ``127.0.0.1`` at a free port until the ``with`` block ends.

    Parameters
    ----------
    app : ASGI application
    startup_timeout : float
        Seconds to wait for the first answer.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT`` (no trailing slash), set on entering.
    """

    def __init__(self, app: Any, *, startup_timeout: float = 30.0) -> None:
        self.app = app
        self.startup_timeout = startup_timeout
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def __enter__(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="e2e-server", daemon=True
        )
        self._sock = sock
        self._thread.start()
        try:
            self._wait_until_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_up(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if not self._thread.is_alive():
                raise RuntimeError(f"the server at {self.url} stopped while starting")
            if self._server.started:
                try:
                    with opener.open(self.url + "/static/app.css", timeout=2) as response:
                        if response.status == 200:
                            return
                except (urllib.error.URLError, OSError):
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server at {self.url} did not answer within {self.startup_timeout:.0f} s"
                )
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._sock is not None:
            self._sock.close()


@dataclass
class PageGuard:
    """Browser contexts whose pages may reach only ``127.0.0.1``, watched for errors.

    Attributes
    ----------
    foreign : list of str
        URLs of requests to any other host (each was aborted).
    errors : list of str
        Console errors, uncaught page errors and CSP violations, with the page's URL.
    allowed_status : set of str
        URLs expected to answer with an error status; Chromium's console message about
        such a failed load is then not an error.
    """

    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed_status: set[str] = field(default_factory=set)

    def context(self, browser: Any, **options: Any) -> Any:
        """A new context of ``browser`` (``options`` as for ``browser.new_context``), guarded."""
        context = browser.new_context(**options)
        context.add_init_script(_CSP_WATCH)
        context.route("**/*", self._route)
        context.on("page", self._watch)
        return context

    def _route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname != "127.0.0.1":
            self.foreign.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _watch(self, page: Any) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))

    def _console(self, page: Any, message: Any) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "") if message.location else ""
        if message.text.startswith("Failed to load resource") and source in self.allowed_status:
            return
        self.errors.append(f"{page.url}: console: {message.text} ({source})")

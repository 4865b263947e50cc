"""Helpers of the web app tests: accounts, sign-in, uploads, waiting for analyses, page checks.

Imported by the tests of ``tests/web`` (``from web_fixture import ...``).
"""

from __future__ import annotations

import functools
import html
import ipaddress
import json
import re
import socket
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

import attunement

DEMO = Path(attunement.__file__).parent / "data" / "demo"
#: A sentence of the demo transcript that appears nowhere else.
DEMO_SENTENCE = "I thought I'd start by telling you a little bit about myself"

#: name -> (role, password). tina and theo are therapists, sue supervises tina, uma nobody.
USERS: dict[str, tuple[str, str]] = {
    "admin": ("admin", "admin password 1"),
    "tina": ("therapist", "tina password 1"),
    "theo": ("therapist", "theo password 1"),
    "sue": ("supervisor", "sue password 11"),
    "uma": ("supervisor", "uma password 11"),
}

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def cheap_hasher(*args: Any, **kwargs: Any) -> PasswordHasher:
    """An Argon2 hasher with the smallest costs: the tests sign in often."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# --- no network ------------------------------------------------------------------------------


def _allowed(address: Any) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path (or abstract name)
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:  # a host name: resolving it would already use the network
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def install_network_guard(monkeypatch: Any, attempts: list) -> None:
    """Make every connection to a non-loopback address fail, and record it in ``attempts``.

    Loopback (127.0.0.0/8, ::1) and AF_UNIX sockets are allowed.
    """
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create = socket.create_connection

    def refuse(address: Any) -> None:
        attempts.append(address)
        raise ConnectionRefusedError(f"the web tests may not connect to {address!r}")

    def connect(self, address):
        if self.family != socket.AF_UNIX and not _allowed(address):
            refuse(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family != socket.AF_UNIX and not _allowed(address):
            refuse(address)
        return real_connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        if not _allowed(address):
            refuse(address)
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)


# --- pages -----------------------------------------------------------------------------------


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.json_blocks = 0
        self._in_json = False
        self._data: list[str] = []

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        for name, _ in attrs:
            if name.lower().startswith("on"):
                self.bad.append(f"<{tag} {name}=...> (inline event handler)")
        if tag != "script":
            return
        if named.get("type") == "application/json":
            self._in_json, self._data = True, []
        elif not named.get("src"):
            self.bad.append(f"<script {attrs}> (inline script)")

    def handle_data(self, data):
        if self._in_json:
            self._data.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_json:
            self._in_json = False
            self.json_blocks += 1
            json.loads("".join(self._data))  # a data block must be data


def check_page(response: httpx.Response) -> None:
    """Fail on an HTML page without the security headers or with script that could run inline.

    Raises
    ------
    AssertionError
    """
    if "text/html" not in response.headers.get("content-type", ""):
        return
    where = f"{response.request.method} {response.request.url.path}"
    csp = response.headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], f"{where}: CSP {csp!r}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{where}: CSP {csp!r}"
    assert "'unsafe-inline'" not in directives.get("script-src", []), where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    parser = _Scripts()
    parser.feed(response.text)
    parser.close()
    assert not parser.bad, f"{where}: {parser.bad}"


class CheckedClient(TestClient):
    """A TestClient that checks every HTML page it receives with :func:`check_page`."""

    pages_checked = 0

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        response = super().request(*args, **kwargs)
        if "text/html" in response.headers.get("content-type", ""):
            check_page(response)
            CheckedClient.pages_checked += 1
        return response


def csrf(page: str | httpx.Response) -> str:
    """The CSRF token of the first form of a page."""
    text_ = page if isinstance(page, str) else page.text
    found = _CSRF.search(text_)
    if found is None:
        raise AssertionError("the page has no form with a csrf_token")
    return found.group(1)


def token_of(client: TestClient) -> str:
    """This browser's CSRF token (from its cookie; a page is fetched first when it has none)."""
    if not client.cookies.get("attunement_csrf"):
        client.get("/login")
    return client.cookies["attunement_csrf"]


def message(response: httpx.Response) -> str:
    """The error text a page shows (``#error`` or ``#message``), unescaped."""
    found = re.search(r'id="(?:error|message)"[^>]*>(.*?)</p>', response.text, re.S)
    return html.unescape(found.group(1)).strip() if found else ""


def tail(response: httpx.Response) -> str:
    """The last path segment of the final URL (a client's or session's id)."""
    return response.url.path.rstrip("/").rsplit("/", 1)[-1]


# --- accounts --------------------------------------------------------------------------------


def make_users(store: Any, names: tuple[str, ...] = tuple(USERS)) -> dict[str, Any]:
    """Create the accounts of :data:`USERS` (sue supervises tina); returns name -> Viewer."""
    made = {}
    for name in names:
        role, password = USERS[name]
        made[name] = store.create_user(name, password, role, display_name=name.title())
    if "sue" in made and "tina" in made:
        store.assign_supervisor("sue", "tina")  # proposed by an admin, accepted by tina
        (pairing,) = store.supervisions(made["tina"])
        store.answer_supervision(made["tina"], pairing.id, accept=True)
    return made


def login(client: TestClient, user: str, password: str | None = None) -> httpx.Response:
    """Sign in as ``user``; fails unless the sign-in succeeds."""
    password = USERS[user][1] if password is None else password
    response = client.post(
        "/login",
        data={"csrf_token": token_of(client), "username": user, "password": password},
    )
    assert response.status_code == 200 and response.url.path != "/login", message(response)
    return response


def logout(client: TestClient) -> httpx.Response:
    return client.post("/logout", data={"csrf_token": token_of(client)})


def new_client(client: TestClient, label: str = "Client Juniper") -> str:
    """Add a client (as the signed-in therapist); returns its id."""
    response = client.post("/clients", data={"csrf_token": token_of(client), "label": label})
    assert response.status_code == 200 and "/clients/" in response.url.path, message(response)
    return tail(response)


def upload(
    client: TestClient,
    cid: str,
    files: dict[str, tuple[str, bytes]],
    held_on: str = "2026-11-20",
    **form: str,
) -> httpx.Response:
    return client.post(
        f"/clients/{cid}/sessions",
        data={"csrf_token": token_of(client), "held_on": held_on, **form},
        files=files,
    )


def demo_transcript(rows: int | None = None) -> bytes:
    """The demo transcript (AnnoMI CSV), or its header and first ``rows`` utterances."""
    data = (DEMO / "transcript.csv").read_bytes()
    if rows is None:
        return data
    return b"\n".join(data.splitlines()[: rows + 1]) + b"\n"


def upload_demo(
    client: TestClient,
    cid: str,
    *,
    wearables: bool = False,
    rows: int | None = None,
    name: str = "session-notes.csv",
    extra: dict[str, tuple[str, bytes]] | None = None,
    roles: tuple[str, ...] | None = ("therapist", "client"),
) -> str:
    """Upload the demo transcript (and wristbands), confirm the roles; returns the session id.

    With ``roles=None`` the session is left a draft (roles not confirmed).
    """
    files = {"transcript": (name, demo_transcript(rows))}
    if wearables:
        files["therapist_wearable"] = ("therapist_e4.zip", (DEMO / "therapist_e4.zip").read_bytes())
        files["client_wearable"] = ("client_e4.zip", (DEMO / "client_e4.zip").read_bytes())
    files.update(extra or {})
    response = upload(client, cid, files)
    assert response.status_code == 200 and response.url.path.endswith("/roles"), message(response)
    sid = response.url.path.split("/")[-2]
    if roles is not None:
        confirm_roles(client, sid, roles)
    return sid


def confirm_roles(client: TestClient, sid: str, roles: tuple[str, ...]) -> httpx.Response:
    data = {"csrf_token": token_of(client)}
    data.update({f"role_{i}": role for i, role in enumerate(roles)})
    return client.post(f"/sessions/{sid}/roles", data=data)


def wait_done(client: TestClient, sid: str, timeout: float = 90.0) -> dict[str, Any]:
    """Poll the status JSON until the analysis is done or failed; returns the last status."""
    end = time.monotonic() + timeout
    while True:
        status = client.get(
            f"/sessions/{sid}/status", headers={"accept": "application/json"}
        ).json()
        if status["status"] in ("done", "failed"):
            return status
        if time.monotonic() > end:
            raise AssertionError(f"analysis of {sid} still {status} after {timeout} s")
        time.sleep(0.05)


# --- what is stored --------------------------------------------------------------------------


def db_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir) / 'attunement.db'}"


def sql(data_dir: Path, statement: str, **params: Any) -> list[tuple]:
    """Run one SQL statement on a data dir's database (committed); returns the rows."""
    engine = create_engine(db_url(data_dir))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def count(data_dir: Path, table: str, where: str = "1=1", **params: Any) -> int:
    return sql(data_dir, f"SELECT count(*) FROM {table} WHERE {where}", **params)[0][0]


def stored_files(data_dir: Path) -> list[Path]:
    """Every file in the data dir's encrypted files folder."""
    return sorted(p for p in (Path(data_dir) / "files").rglob("*") if p.is_file())


_VOLATILE = {"audit_log", "login_sessions", "alembic_version"}


def snapshot(data_dir: Path) -> dict[str, Any]:
    """Every row of every table that a request may change (not the audit log or sign-ins),
    and the stored files: compare two to show that nothing changed."""
    tables = [
        t
        for (t,) in sql(data_dir, "SELECT name FROM sqlite_master WHERE type='table'")
        if t not in _VOLATILE and not t.startswith("sqlite_")
    ]
    state: dict[str, Any] = {
        t: sorted(map(repr, sql(data_dir, f"SELECT * FROM {t}"))) for t in tables if t != "meta"
    }
    # the audit head moves with every audit entry
    state["meta"] = sql(data_dir, "SELECT key, value FROM meta WHERE key != 'audit_head'")
    state["sign-ins"] = sql(data_dir, "SELECT token_hash, user_id FROM login_sessions ORDER BY 1")
    state["files"] = [str(p.relative_to(data_dir)) for p in stored_files(data_dir)]
    return state


def audit_rows(data_dir: Path, action: str | None = None) -> list[dict[str, Any]]:
    """The audit log, oldest first (optionally one action only)."""
    rows = sql(data_dir, "SELECT seq, username, action, target, detail FROM audit_log ORDER BY seq")
    out = [
        dict(zip(("seq", "username", "action", "target", "detail"), r, strict=True)) for r in rows
    ]
    return [r for r in out if action is None or r["action"] == action]


def files_containing(data_dir: Path, needles: list[str]) -> dict[str, list[str]]:
    """needle -> files under ``data_dir`` whose bytes contain it (UTF-8 or UTF-16)."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            forms = (needle.encode("utf-8"), needle.encode("utf-16-le"))
            if any(form in data for form in forms):
                found.setdefault(needle, []).append(str(path.relative_to(data_dir)))
    return found


def shift_clock(monkeypatch: Any, **delta: float) -> Callable[[], Any]:
    """Move the store's clock forward by ``delta`` (timedelta keywords); returns the new clock."""
    import datetime as dt

    from attunement.store import base

    real = base.utcnow
    step = dt.timedelta(**delta)

    def later():
        return real() + step

    monkeypatch.setattr(base, "utcnow", later)
    return later


# --- recordings ------------------------------------------------------------------------------

#: The lines of the test dialogue: the therapist (a low male voice) speaks first.
DIALOGUE_LINES = (
    "What brings you in today?",
    "I keep saying I will cut down on drinking, and then I do not.",
    "Part of you wants to change, and part of you is not sure.",
    "Yes. I really want to be there for my kids.",
)
RATE = 16000


@functools.cache
def dialogue_samples() -> Any:
    """The four-turn dialogue spoken by espeak-ng (about 14 s), mono float64 at 16 kHz."""
    import shutil

    import pytest

    from attunement.benchmarks.transcribe import Dialogue, synthesise

    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is needed for the recording tests (apt-get install espeak-ng)")
    d = Dialogue(
        "web", "male/female", ("en-us+m3", "en-us+f3"), DIALOGUE_LINES, seed=0, overlap_share=0
    )
    samples, _ = synthesise(d)
    samples.flags.writeable = False
    return samples


def wav_bytes(samples: Any, rate: int = RATE) -> bytes:
    """Mono float samples as a 16-bit WAV file, in memory."""
    import io
    import wave

    import numpy as np

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def m4a_bytes(samples: Any, rate: int = RATE) -> bytes:
    """Mono float samples as AAC in an MP4 container (an M4A file), encoded in memory by PyAV."""
    import io

    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.asarray(samples, np.float32)[None], format="fltp", layout="mono"
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()

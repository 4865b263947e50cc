"""Security of the web app: no network, headers, no inline script, CSRF, access control,
encryption at rest."""

from __future__ import annotations

import socket

import httpx
import pytest
from web_fixture import (
    DEMO_SENTENCE,
    CheckedClient,
    audit_rows,
    check_page,
    count,
    csrf,
    demo_transcript,
    files_containing,
    login,
    message,
    snapshot,
    token_of,
    upload_demo,
    wait_done,
)

from attunement.store.crypto import KeyMismatchError, generate_key
from attunement.web.app import create_app
from attunement.web.settings import Settings

# --- the network guard of these tests --------------------------------------------------------


def test_network_guard_refuses_and_records_a_non_loopback_connection(network_guard):
    with pytest.raises(ConnectionRefusedError, match="may not connect"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(OSError):
        s.connect(("198.51.100.7", 443))
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s, pytest.raises(OSError):
        s.connect_ex(("2001:db8::1", 443, 0, 0))
    assert [a[0] for a in network_guard] == ["192.0.2.1", "198.51.100.7", "2001:db8::1"]
    network_guard.clear()  # provoked on purpose: not a failure of this test


def test_network_guard_allows_loopback(network_guard):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
    assert network_guard == []


# --- headers and pages -----------------------------------------------------------------------


def _page(body: str, csp: str = "script-src 'self'; frame-ancestors 'none'") -> httpx.Response:
    return httpx.Response(
        200,
        headers={
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": csp,
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
        },
        text=body,
        request=httpx.Request("GET", "http://testserver/x"),
    )


@pytest.mark.parametrize(
    "body",
    [
        "<p>hi</p><script>alert(1)</script>",
        '<script type="text/javascript">alert(1)</script>',
        '<img src="x" onerror="alert(1)">',
        '<script type="application/json">{not json</script>',
    ],
)
def test_page_check_catches_inline_script(body):
    check_page(_page('<script src="/static/app.js"></script>'))
    with pytest.raises((AssertionError, ValueError)):
        check_page(_page(body))


@pytest.mark.parametrize(
    "csp",
    [
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        "script-src 'self'",
        "default-src 'self'; frame-ancestors 'none'",
    ],
)
def test_page_check_catches_a_weak_policy(csp):
    with pytest.raises(AssertionError):
        check_page(_page("<p>hi</p>", csp))


def test_the_test_client_checks_every_page_it_gets():
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from attunement.web.security import SecurityHeaders

    bad = FastAPI()
    bad.add_middleware(SecurityHeaders)

    @bad.get("/")
    def page():
        return HTMLResponse("<p>x</p><script>document.title = 1</script>")

    with pytest.raises(AssertionError, match="inline script"):
        CheckedClient(bad).get("/")


def _directives(csp: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in csp.split(";") if p.strip()}


def test_pages_carry_the_security_headers(shared):
    c, w = shared.client, shared.world
    login(c, "tina")
    for path in ["/clients", f"/sessions/{w.sid}", f"/clients/{w.cid}", "/trends", "/login"]:
        r = c.get(path)
        assert r.status_code == 200, path
        d = _directives(r.headers["content-security-policy"])
        assert d["script-src"] == ["'self'"]
        assert d["frame-ancestors"] == ["'none'"]
        assert d["object-src"] == ["'none'"]
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
    export = c.get(f"/sessions/{w.sid}/export/results.json")
    assert export.headers["x-content-type-options"] == "nosniff"
    assert export.headers["cache-control"] == "no-store"
    assert export.headers["content-disposition"].startswith("attachment;")


def test_the_report_page_draws_from_json_blocks_only(shared):
    c, w = shared.client, shared.world
    login(c, "tina")
    r = c.get(f"/sessions/{w.sid}")
    assert r.text.count('type="application/json" data-plot=') >= 2
    assert '<script src="/static-plotly/plotly.min.js" defer></script>' in r.text
    check_page(r)


def test_markup_in_a_transcript_or_label_is_shown_as_text(client, users):
    login(client, "tina")
    cid = client.post(
        "/clients", data={"csrf_token": token_of(client), "label": "<b id=x>bold</b>"}
    ).url.path.rsplit("/", 1)[-1]
    page = client.get(f"/clients/{cid}")
    assert "&lt;b id=x&gt;bold&lt;/b&gt;" in page.text and "<b id=x>" not in page.text
    hostile = b"speaker,text\nTherapist,Hello </script><script>alert(1)</script> there\n"
    hostile += b"Client,<img src=x onerror=alert(2)> fine\n" * 3
    sid = upload_demo(client, cid, extra={"transcript": ("hostile.csv", hostile)})
    assert wait_done(client, sid)["status"] == "done"
    r = client.get(f"/sessions/{sid}")  # CheckedClient fails on any inline script or handler
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text


# --- CSRF ------------------------------------------------------------------------------------


def _transcript():
    return {"transcript": ("t.csv", demo_transcript(rows=6))}


#: Every POST route -> (who is signed in, form data, files). {sid}, {cid}, {uid}, {token} are
#: filled in from the shared data dir.
POSTS = {
    "/setup": (None, {"username": "mallory", "password": "x" * 12, "password2": "x" * 12}, None),
    "/login": (None, {"username": "tina", "password": "tina password 1"}, None),
    "/logout": ("tina", {}, None),
    "/admin/users": (
        "admin",
        {"username": "mallory", "password": "x" * 12, "role": "therapist"},
        None,
    ),
    "/admin/supervision": ("admin", {"supervisor": "uma", "therapist": "theo"}, None),
    "/supervision/{supervision_id}/accept": ("tina", {}, None),
    "/supervision/{supervision_id}/decline": ("tina", {}, None),
    "/supervision/{supervision_id}/end": ("tina", {}, None),
    "/admin/users/{user_id}/active": ("admin", {"active": "0"}, None),
    "/admin/users/{user_id}/password": ("admin", {"password": "a new phrase for tina"}, None),
    "/account/password": (
        "tina",
        {"current": "tina password 1", "password": "a far better 9", "password2": "a far better 9"},
        None,
    ),
    "/clients": ("tina", {"label": "Another"}, None),
    "/clients/{client_id}/sessions": ("tina", {"held_on": "2026-01-02"}, _transcript),
    "/sessions/{session_id}/roles": ("tina", {"role_0": "therapist", "role_1": "client"}, None),
    "/sessions/{session_id}/delete": ("tina", {}, None),
    "/sessions/{session_id}/retry": ("tina", {}, None),
    "/sessions/{session_id}/transcribe": ("tina", {"people": "2"}, None),
    "/sessions/{session_id}/feedback-link": ("tina", {"questionnaire": "client_session"}, None),
    "/sessions/{session_id}/reflection": (
        "tina",
        {"therapist_reflection.present": "5", "therapist_reflection.moved": "5"},
        None,
    ),
    "/f/{token}": (
        None,
        {f"client_session.{k}": "7" for k in ("heard", "understood", "moved", "safe")},
        None,
    ),
}


def _fill(path: str, shared) -> str:
    store = shared.client.app.state.store
    tina = next(u.id for u in store.users() if u.username == "tina")
    pairing = store.supervisions(store.get_viewer(tina))[0].id
    return path.format(
        user_id=tina,
        client_id=shared.world.cid,
        session_id=shared.world.sid,
        token=shared.link,
        supervision_id=pairing,
    )


def test_every_post_route_is_in_the_csrf_table(app):
    from attunement.web import routes

    every = [*app.routes, *(r for m in routes.MODULES for r in m.router.routes)]
    posts = {r.path for r in every if "POST" in (getattr(r, "methods", None) or ())}
    assert posts == set(POSTS)


@pytest.mark.parametrize("path", sorted(POSTS))
def test_post_without_or_with_a_wrong_token_is_refused_and_changes_nothing(shared, path):
    c = shared.client
    user, data, files = POSTS[path]
    if user:
        login(c, user)
    else:
        c.get("/login")
    url = _fill(path, shared)
    before = snapshot(shared.world.data_dir)
    n_audit = len(audit_rows(shared.world.data_dir))
    for token in (None, "x" * 43, csrf(c.get("/login"))[:-2] + "AA"):
        form = dict(data) if token is None else {**data, "csrf_token": token}
        r = c.post(url, data=form, files=files() if files else None)
        assert r.status_code == 403, (url, token, r.status_code)
        assert "security token is missing or does not match" in message(r)
    assert snapshot(shared.world.data_dir) == before
    assert [a["action"] for a in audit_rows(shared.world.data_dir)[n_audit:]] == []


def test_a_post_from_a_foreign_origin_is_refused(shared):
    c = shared.client
    login(c, "tina")
    before = snapshot(shared.world.data_dir)
    for origin in ("https://evil.example", "http://testserver.evil.example"):
        r = c.post(
            "/clients",
            data={"csrf_token": token_of(c), "label": "From elsewhere"},
            headers={"origin": origin},
        )
        assert r.status_code == 403
        assert f"the form came from {origin}" in message(r)
    assert snapshot(shared.world.data_dir) == before


def test_a_post_from_this_origin_is_accepted(client, users):
    login(client, "tina")
    r = client.post(
        "/clients",
        data={"csrf_token": token_of(client), "label": "Here"},
        headers={"origin": "http://testserver"},
    )
    assert r.status_code == 200 and r.url.path.startswith("/clients/")


def test_first_run_setup_needs_the_token_too(client, store):
    r = client.post(
        "/setup",
        data={"username": "admin", "password": "long password 1", "password2": "long password 1"},
    )
    assert r.status_code == 403
    assert store.user_count() == 0


def test_a_csrf_token_is_bound_to_the_browser(client, users):
    login(client, "tina")
    other = CheckedClient(client.app)  # another browser (the app is running already)
    other.get("/login")
    foreign = other.cookies["attunement_csrf"]
    assert foreign != token_of(client)
    r = client.post("/clients", data={"csrf_token": foreign, "label": "X"})
    assert r.status_code == 403


# --- access control --------------------------------------------------------------------------

#: What therapist theo tries on tina's session or client: (method, path, form).
THEO_TRIES = [
    ("GET", "/sessions/{sid}", None),
    ("GET", "/sessions/{sid}/status", None),
    ("GET", "/sessions/{sid}/export/results.json", None),
    ("GET", "/sessions/{sid}/export/utterances.csv", None),
    ("GET", "/sessions/{sid}/roles", None),
    ("POST", "/sessions/{sid}/roles", {"role_0": "therapist", "role_1": "client"}),
    ("POST", "/sessions/{sid}/delete", {}),
    ("POST", "/sessions/{sid}/retry", {}),
    ("POST", "/sessions/{sid}/transcribe", {"people": "2"}),
    ("GET", "/sessions/{sid}/reflection", None),
    (
        "POST",
        "/sessions/{sid}/reflection",
        {"therapist_reflection.present": "1", "therapist_reflection.moved": "1"},
    ),
    ("GET", "/sessions/{sid}/feedback-link", None),
    ("POST", "/sessions/{sid}/feedback-link", {"questionnaire": "phq9"}),
    ("GET", "/clients/{cid}", None),
    ("GET", "/clients/{cid}/trends.csv", None),
    ("POST", "/clients/{cid}/sessions", {"held_on": ""}),
]


def _try(c, method: str, path: str, form):
    if method == "GET":
        return c.get(path)
    files = _transcript() if path.endswith("/sessions") else None
    return c.post(path, data={**form, "csrf_token": token_of(c)}, files=files)


@pytest.mark.parametrize(("method", "path", "form"), THEO_TRIES)
def test_another_therapist_gets_404_and_is_audited(shared, method, path, form):
    c, w = shared.client, shared.world
    login(c, "theo")
    url = path.format(sid=w.sid, cid=w.cid)
    before = snapshot(w.data_dir)
    r = _try(c, method, url, form)
    assert r.status_code == 404
    assert message(r) == "There is no such page."
    assert w.label not in r.text and "tina" not in r.text
    denied = audit_rows(w.data_dir, "denied")[-1]
    assert denied["username"] == "theo"
    assert denied["target"] == url
    assert denied["detail"].startswith(method)
    assert snapshot(w.data_dir) == before


def test_a_guessed_session_or_client_id_is_404(shared):
    c = shared.client
    login(c, "tina")
    for path in ["/sessions/AAAAAAAAAAAAAAAA", "/clients/AAAAAAAAAAAAAAAA", "/sessions/x/status"]:
        assert c.get(path).status_code == 404
    assert c.get(f"/sessions/{shared.world.sid}/export/secret.key").status_code == 404


SUPERVISOR_READS = [
    "/sessions/{sid}",
    "/sessions/{sid}/status",
    "/sessions/{sid}/export/results.json",
    "/sessions/{sid}/export/utterances.csv",
    "/clients/{cid}",
    "/clients/{cid}/trends.csv",
    "/clients",
    "/trends",
    "/trends.csv",
]

SUPERVISOR_CANNOT = [
    ("POST", "/sessions/{sid}/delete", {}),
    ("POST", "/sessions/{sid}/retry", {}),
    ("POST", "/sessions/{sid}/transcribe", {"people": "2"}),
    ("POST", "/sessions/{sid}/roles", {"role_0": "therapist", "role_1": "client"}),
    ("GET", "/sessions/{sid}/roles", None),
    ("POST", "/clients/{cid}/sessions", {"held_on": ""}),
    ("GET", "/sessions/{sid}/feedback-link", None),
    ("POST", "/sessions/{sid}/feedback-link", {"questionnaire": "phq9"}),
    ("GET", "/sessions/{sid}/reflection", None),
    ("POST", "/clients", {"label": "Mine now"}),
]


def test_an_assigned_supervisor_reads_but_never_changes(shared):
    c, w = shared.client, shared.world
    login(c, "sue")
    for path in SUPERVISOR_READS:
        r = c.get(path.format(sid=w.sid, cid=w.cid))
        assert r.status_code == 200, path
    page = c.get(f"/sessions/{w.sid}")
    assert 'id="report"' in page.text
    assert "/delete" not in page.text and 'id="make-link"' not in page.text
    assert 'id="upload"' not in c.get(f"/clients/{w.cid}").text
    assert w.label in c.get("/clients").text
    before = snapshot(w.data_dir)
    for method, path, form in SUPERVISOR_CANNOT:
        r = _try(c, method, path.format(sid=w.sid, cid=w.cid), form)
        assert r.status_code == 404, (method, path)
    assert snapshot(w.data_dir) == before
    # theo is not supervised by sue
    assert c.get(f"/sessions/{w.theo_sid}").status_code == 404
    assert c.get(f"/clients/{w.theo_cid}").status_code == 404
    assert "Theo" not in c.get("/clients").text


def test_an_unassigned_supervisor_sees_nothing(shared):
    c, w = shared.client, shared.world
    login(c, "uma")
    for path in SUPERVISOR_READS[:6]:
        r = c.get(path.format(sid=w.sid, cid=w.cid))
        assert r.status_code == 404, path
    assert w.label not in c.get("/clients").text
    assert c.get("/trends.csv").text.count("\n") == 1  # the header only
    assert audit_rows(w.data_dir, "denied")[-1]["username"] == "uma"


def test_an_admin_sees_no_clinical_page(shared):
    c, w = shared.client, shared.world
    login(c, "admin")
    for path in ["/clients", "/trends", "/trends.csv", f"/sessions/{w.sid}", f"/clients/{w.cid}"]:
        r = c.get(path)
        assert r.status_code == 404, path
        assert message(r) == "There is no such page for this account."
        assert w.label not in r.text
    r = c.post("/clients", data={"csrf_token": token_of(c), "label": "Admin's"})
    assert r.status_code == 404
    denied = audit_rows(w.data_dir, "denied")[-1]  # each refusal is audited, by its account
    assert denied["username"] == "admin" and denied["target"] == "/clients"
    assert denied["detail"] == "POST: not allowed for the admin role"


def test_pages_showing_clinical_detail_are_audited(shared):
    c, w = shared.client, shared.world
    login(c, "tina")
    for path, detail in [
        (f"/sessions/{w.sid}/roles", "speaker names"),
        (f"/sessions/{w.sid}/reflection", "reflection"),
        (f"/sessions/{w.sid}/feedback-link", "feedback link form"),
    ]:
        assert c.get(path).status_code == 200, path
        row = audit_rows(w.data_dir, "view")[-1]
        assert (row["username"], row["target"], row["detail"]) == (
            "tina",
            f"session:{w.sid}",
            detail,
        )


def test_anonymous_refusals_cannot_flood_the_audit_log(shared):
    c, w = shared.client, shared.world
    c.cookies.clear()
    before = len(audit_rows(w.data_dir, "denied"))
    for i in range(20):
        assert c.get(f"/f/not-a-real-link-{i}").status_code == 404
    rows = audit_rows(w.data_dir, "denied")[before:]
    assert len(rows) <= 1  # one a minute per address; the others are counted


def test_signed_out_requests_go_to_sign_in(shared):
    c, w = shared.client, shared.world
    r = c.get(f"/sessions/{w.sid}")
    assert r.url.path == "/login" and r.url.params["next"] == f"/sessions/{w.sid}"
    assert w.label not in r.text
    r = c.get(f"/sessions/{w.sid}/status", headers={"accept": "application/json"})
    assert r.status_code == 401
    r = c.get(f"/sessions/{w.sid}/export/results.json", follow_redirects=False)
    assert r.status_code == 303


# --- encryption at rest ----------------------------------------------------------------------

FREE_TEXT = "the lighthouse story about my grandmother"
REFLECTION = "her courage with the tangerine letter"
WEARABLE_WORD = "Marigoldlantern"


def _write_everything(c, w) -> None:
    """Feedback with free text, a reflection, and a failed analysis quoting its file."""
    login(c, "tina")
    r = c.post(
        f"/sessions/{w.sid}/feedback-link",
        data={"csrf_token": token_of(c), "questionnaire": "client_session"},
    )
    path = "/f/" + r.text.split('id="feedback-url">', 1)[1].split("<", 1)[0].rsplit("/", 1)[1]
    phone = CheckedClient(c.app)  # the client's own browser
    phone.get(path)
    answers = {f"client_session.{k}": "9" for k in ("heard", "understood", "moved", "safe")}
    answers["client_session.stood_out"] = FREE_TEXT
    assert phone.post(path, data={**answers, "csrf_token": token_of(phone)}).status_code == 200
    c.post(
        f"/sessions/{w.sid}/reflection",
        data={
            "csrf_token": token_of(c),
            "therapist_reflection.present": "8",
            "therapist_reflection.moved": "8",
            "therapist_reflection.what_moved": REFLECTION,
        },
    )
    garbage = f"{WEARABLE_WORD},x\n1,2\n".encode()
    failing = upload_demo(
        c, w.cid, rows=8, extra={"therapist_wearable": ("wristband-of-jq.csv", garbage)}
    )
    status = wait_done(c, failing)
    assert status["status"] == "failed" and WEARABLE_WORD in status["error"]
    page = c.get(f"/sessions/{w.sid}").text
    assert FREE_TEXT in page and REFLECTION in page and DEMO_SENTENCE.replace("'", "&#39;") in page


def test_nothing_clinical_is_stored_in_the_clear(world):
    w = world
    needles = [DEMO_SENTENCE, w.label, FREE_TEXT, REFLECTION, WEARABLE_WORD, "wristband-of-jq"]
    with CheckedClient(create_app(w.settings)) as c:
        _write_everything(c, w)
        assert files_containing(w.data_dir, needles) == {}  # database, its WAL, the files
    assert files_containing(w.data_dir, needles) == {}  # and once the app has stopped
    # the search itself works: user names are stored in the clear
    assert "tina" in files_containing(w.data_dir, ["tina"])
    assert count(w.data_dir, "session_files") > 0


def test_a_different_secret_key_fails_at_start_with_a_clear_message(world, monkeypatch):
    monkeypatch.setenv("ATTUNEMENT_SECRET_KEY", generate_key().decode())
    monkeypatch.setenv("ATTUNEMENT_DATA_DIR", str(world.data_dir))
    app = create_app(Settings())
    with pytest.raises(KeyMismatchError) as info, CheckedClient(app):
        pass
    text = str(info.value)
    assert "ATTUNEMENT_SECRET_KEY" in text
    assert "not the key this data was written with" in text
    assert "without that key the data cannot be read" in text
    monkeypatch.delenv("ATTUNEMENT_SECRET_KEY")
    with CheckedClient(create_app(Settings())) as c:  # the key file still opens it
        login(c, "tina")
        assert world.label in c.get("/clients").text


# --- uploads refused before their body is read --------------------------------------------


def _gate_call(app, *, cookie=None, length=1000, accept="text/html", kind="multipart/form-data"):
    """Run UploadGate alone on one POST: (status or None, whether the body was read, whether
    the route was reached)."""
    import asyncio

    from attunement.web.security import SESSION_COOKIE, UploadGate

    reached, reads, sent = [], [], []

    async def route(scope, receive, send):
        reached.append(1)

    async def receive():
        reads.append(1)
        return {"type": "http.request", "body": b"x" * 10, "more_body": False}

    async def send(message):
        sent.append(message)

    headers = [
        (b"content-type", f"{kind}; boundary=b".encode()),
        (b"content-length", str(length).encode()),
        (b"accept", accept.encode()),
    ]
    if cookie:
        headers.append((b"cookie", f"{SESSION_COOKIE}={cookie}".encode()))
    scope = {"type": "http", "method": "POST", "path": "/clients/c/sessions", "raw_path": b"",
             "query_string": b"", "headers": headers, "app": app, "scheme": "http",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000)}  # fmt: skip
    gate = UploadGate(route, max_bytes=10 * 2**20, idle_minutes=30)
    asyncio.run(gate(scope, receive, send))
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    return status, bool(reads), bool(reached)


def test_an_anonymous_upload_is_refused_unread(client):
    assert _gate_call(client.app) == (303, False, False)
    assert _gate_call(client.app, accept="application/json") == (401, False, False)
    assert _gate_call(client.app, cookie="not-a-session") == (303, False, False)
    # other bodies are the routes' business (sign-in is a urlencoded form)
    assert _gate_call(client.app, kind="application/x-www-form-urlencoded") == (None, False, True)


def test_a_signed_in_upload_passes_unless_it_declares_too_much(client, users):
    from attunement.web.security import SESSION_COOKIE

    login(client, "tina")
    cookie = client.cookies.get(SESSION_COOKIE)
    assert _gate_call(client.app, cookie=cookie) == (None, False, True)
    assert _gate_call(client.app, cookie=cookie, length=200 * 2**20) == (413, False, False)


def test_an_anonymous_upload_gets_the_sign_in_page(client):
    response = client.post(
        "/clients/x/sessions",
        files={"transcript": ("t.txt", b"Therapist: Hi.\nClient: Hello.\n")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert response.headers["x-content-type-options"] == "nosniff"  # security headers still


def test_the_csrf_token_is_new_after_sign_in(client, users):
    before = token_of(client)
    login(client, "tina")
    after = client.cookies.get("attunement_csrf")
    assert after and after != before
    # a form posted with the token from before the sign-in is refused
    client.cookies.set("attunement_csrf", after)
    refused = client.post("/logout", data={"csrf_token": before}, follow_redirects=False)
    assert refused.status_code in (400, 403)
    signed_out = client.post("/logout", data={"csrf_token": after}, follow_redirects=False)
    assert signed_out.status_code == 303


def test_refusals_not_logged_one_by_one_are_counted_at_shutdown(world):
    w = world
    before = len(audit_rows(w.data_dir, "denied"))
    with CheckedClient(create_app(w.settings)) as c:
        for i in range(5):
            assert c.get(f"/f/guess-{i}").status_code == 404
    rows = audit_rows(w.data_dir, "denied")[before:]
    assert [r["target"] for r in rows] == ["/f/guess-0", "(requests without an account)"]
    assert rows[1]["detail"] == "4 more refused from this address, not logged one by one"


def test_an_oversized_file_is_refused_from_memory_never_spooled(tmp_path, monkeypatch):
    # Starlette spools a large part to an unencrypted temporary file unless told otherwise
    import tempfile

    from web_fixture import make_users, new_client, upload

    def refused(*args, **kwargs):
        raise AssertionError("an upload was spooled to a temporary file")

    with CheckedClient(create_app(Settings(data_dir=tmp_path / "d", max_upload_mb=1))) as c:
        make_users(c.app.state.store, ("tina",))
        login(c, "tina")
        cid = new_client(c)
        monkeypatch.setattr(tempfile, "TemporaryFile", refused)
        monkeypatch.setattr(tempfile, "NamedTemporaryFile", refused)
        big = b"Therapist: hello there.\nClient: hi.\n" * 45_000  # 1.6 MB
        r = upload(c, cid, {"transcript": ("big.txt", big)})
        assert r.status_code == 422
        assert "is larger than 1 MB" in message(r)

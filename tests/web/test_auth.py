"""Tests for attunement.web.routes.auth: first run, sign-in, rate limits, cookies, sign-out,
idle timeout."""

from __future__ import annotations

import re

import pytest
from web_fixture import (
    USERS,
    CheckedClient,
    audit_rows,
    count,
    csrf,
    login,
    logout,
    message,
    shift_clock,
    token_of,
)

from attunement.web.app import create_app
from attunement.web.settings import Settings

ADMIN = {"username": "root", "password": "root password 1", "password2": "root password 1"}


def _set_cookie(response, name: str) -> str:
    """The Set-Cookie header (of this response or one it was redirected from) for ``name``."""
    for r in [*response.history, response]:
        for header in r.headers.get_list("set-cookie"):
            if header.startswith(f"{name}="):
                return header
    raise AssertionError(f"no Set-Cookie for {name}")


# --- first run -------------------------------------------------------------------------------


def test_first_run_goes_to_setup_and_creates_the_admin(client, store, settings):
    r = client.get("/")
    assert r.url.path == "/setup"
    assert 'name="password2"' in r.text
    assert client.get("/login").url.path == "/setup"
    r = client.post("/setup", data={**ADMIN, "csrf_token": csrf(r)})
    assert r.url.path == "/admin/users"  # signed in as the new admin
    assert [(u.username, u.role) for u in store.users()] == [("root", "admin")]
    actions = [a["action"] for a in audit_rows(settings.data_dir)]
    assert actions[:2] == ["user_created", "login"]


def test_setup_exists_only_while_no_user_exists(client, store):
    token = csrf(client.get("/setup"))
    client.post("/setup", data={**ADMIN, "csrf_token": token})
    token = client.cookies.get("attunement_csrf")  # the sign-in gave a new token
    client.cookies.delete("attunement_session")
    r = client.get("/setup")
    assert r.url.path == "/login"
    second = {"username": "mallory", "password": "mallory pass 1", "password2": "mallory pass 1"}
    r = client.post("/setup", data={**second, "csrf_token": token})
    assert r.url.path == "/login"
    assert [u.username for u in store.users()] == ["root"]
    assert "attunement_session" not in client.cookies


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"password2": "something else 1"}, "the two passwords differ"),
        ({"password": "short", "password2": "short"}, "expected at least 10"),
        ({"username": "a b"}, "username: is 'a b'"),
    ],
)
def test_setup_refuses_bad_input_and_creates_nothing(client, store, form, expected):
    token = csrf(client.get("/setup"))
    r = client.post("/setup", data={**ADMIN, **form, "csrf_token": token})
    assert r.status_code == 422
    assert expected in message(r)
    assert store.user_count() == 0
    typed = form.get("username", ADMIN["username"])
    assert f'name="username" value="{typed}"' in r.text  # what was typed is kept


# --- sign-in ---------------------------------------------------------------------------------


def test_sign_in_and_wrong_password(client, users, settings):
    r = client.post(
        "/login",
        data={"csrf_token": token_of(client), "username": "tina", "password": "wrong password"},
    )
    assert r.status_code == 401
    assert message(r) == "The user name or password is wrong."
    assert "attunement_session" not in client.cookies
    r = client.post(
        "/login",
        data={"csrf_token": token_of(client), "username": "nobody", "password": "wrong password"},
    )
    assert r.status_code == 401 and message(r) == "The user name or password is wrong."
    assert [a["target"] for a in audit_rows(settings.data_dir, "login_failed")] == [
        "user:tina",
        "user:nobody",
    ]
    r = login(client, "TINA", USERS["tina"][1])  # names are not case sensitive
    assert r.url.path == "/clients"
    assert audit_rows(settings.data_dir, "login")[-1]["username"] == "tina"


def test_rate_limit_by_address(client, users, settings):
    n = settings.login_max_failures
    for i in range(n):
        r = client.post(
            "/login",
            data={"csrf_token": token_of(client), "username": f"guess{i}", "password": "x" * 10},
        )
        assert r.status_code == 401
    # the right password of a real user does not help from this address now
    r = client.post(
        "/login",
        data={"csrf_token": token_of(client), "username": "tina", "password": USERS["tina"][1]},
    )
    assert r.status_code == 429
    assert "too many failed sign-ins" in message(r)
    assert "attunement_session" not in client.cookies
    assert audit_rows(settings.data_dir, "login_blocked")[-1]["target"] == "user:tina"
    # another address may still sign in as tina
    other = CheckedClient(client.app, client=("192.0.2.44", 5000))
    login(other, "tina")


def test_rate_limit_by_name_across_addresses(client, users, settings):
    n = settings.login_max_failures
    for i in range(n):
        browser = CheckedClient(client.app, client=(f"198.51.100.{i + 1}", 4000))
        r = browser.post(
            "/login",
            data={"csrf_token": token_of(browser), "username": "tina", "password": "x" * 10},
        )
        assert r.status_code == 401
    fresh = CheckedClient(client.app, client=("203.0.113.9", 4000))
    r = fresh.post(
        "/login",
        data={"csrf_token": token_of(fresh), "username": "tina", "password": USERS["tina"][1]},
    )
    assert r.status_code == 429
    login(fresh, "theo")  # other names are not blocked from a fresh address


def test_rate_limit_ends_after_the_window(client, users, settings, monkeypatch):
    for _ in range(settings.login_max_failures):
        client.post(
            "/login",
            data={"csrf_token": token_of(client), "username": "tina", "password": "x" * 10},
        )
    assert (
        client.post(
            "/login",
            data={"csrf_token": token_of(client), "username": "tina", "password": "x" * 10},
        ).status_code
        == 429
    )
    shift_clock(monkeypatch, minutes=settings.login_window_minutes, seconds=5)
    login(client, "tina")


def test_next_goes_only_to_a_page_of_this_site(client, users):
    token = token_of(client)
    form = {"csrf_token": token, "username": "tina", "password": USERS["tina"][1]}
    r = client.post("/login?next=/trends", data=form)
    assert r.url.path == "/trends"
    for target in ("//evil.example/x", "https://evil.example/", "evil.example", "/\\evil.example"):
        form["csrf_token"] = client.cookies.get("attunement_csrf")  # new at each sign-in
        r = client.post("/login", params={"next": target}, data=form, follow_redirects=False)
        location = r.headers["location"]  # a path of this site (a browser reads \ as /)
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "://" not in location, location


def test_sign_in_page_keeps_next(client, users):
    r = client.get("/clients")
    assert r.url.path == "/login"
    assert 'action="/login?next=/clients"' in r.text or "next=%2Fclients" in r.text


# --- cookies ---------------------------------------------------------------------------------


def test_cookies_are_httponly_and_samesite_strict(client, users):
    r = login(client, "tina")
    session = _set_cookie(r, "attunement_session").lower()
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session
    assert "secure" not in session.replace("secure_", "")
    fresh = CheckedClient(client.app)
    csrf_cookie = _set_cookie(fresh.get("/login"), "attunement_csrf").lower()
    assert "httponly" in csrf_cookie and "samesite=strict" in csrf_cookie


def test_secure_cookies_when_asked(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", secure_cookies=True)
    with CheckedClient(create_app(settings), base_url="https://testserver") as c:
        c.app.state.store.create_user("tina", USERS["tina"][1], "therapist")
        r = login(c, "tina")
        assert "secure" in _set_cookie(r, "attunement_session").lower().split("; ")
        fresh = CheckedClient(c.app, base_url="https://testserver")
        assert "secure" in _set_cookie(fresh.get("/login"), "attunement_csrf").lower().split("; ")


# --- sign-out and idle timeout ---------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(client, users, settings):
    login(client, "tina")
    cookie = client.cookies["attunement_session"]
    assert count(settings.data_dir, "login_sessions") == 1
    r = logout(client)
    assert r.url.path == "/login"
    assert "attunement_session" not in client.cookies
    assert count(settings.data_dir, "login_sessions") == 0
    client.cookies.set("attunement_session", cookie)  # a copy of the old cookie is no use
    r = client.get("/clients")
    assert r.url.path == "/login"
    assert audit_rows(settings.data_dir, "logout")[-1]["username"] == "tina"


def test_a_made_up_session_cookie_is_refused(client, users):
    client.cookies.set("attunement_session", "A" * 43)
    assert client.get("/clients").url.path == "/login"


def test_idle_timeout_signs_out(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", idle_timeout_minutes=1)
    with CheckedClient(create_app(settings)) as c:
        c.app.state.store.create_user("tina", USERS["tina"][1], "therapist")
        login(c, "tina")
        shift_clock(monkeypatch, seconds=45)
        assert c.get("/clients").url.path == "/clients"  # activity moves the deadline on
        shift_clock(monkeypatch, seconds=45)
        assert c.get("/clients").url.path == "/clients"
        shift_clock(monkeypatch, seconds=61)
        r = c.get("/clients")
        assert r.url.path == "/login" and r.url.params["next"] == "/clients"
        assert count(settings.data_dir, "login_sessions") == 0
        r = c.get("/")
        assert r.url.path == "/login"


def test_a_form_sent_after_the_idle_timeout_leads_to_sign_in(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", idle_timeout_minutes=1)
    with CheckedClient(create_app(settings)) as c:
        c.app.state.store.create_user("tina", USERS["tina"][1], "therapist")
        login(c, "tina")
        shift_clock(monkeypatch, seconds=120)
        r = c.post("/clients", data={"csrf_token": token_of(c), "label": "R. K."})
        assert r.url.path == "/login" and r.url.params["next"] == "/clients"
        assert count(settings.data_dir, "clients") == 0


def test_switched_off_account_is_signed_out(client, users, settings):
    login(client, "tina")
    client.app.state.store.set_active(users["tina"].id, False)
    assert client.get("/clients").url.path == "/login"
    r = client.post(
        "/login",
        data={"csrf_token": token_of(client), "username": "tina", "password": USERS["tina"][1]},
    )
    assert r.status_code == 401


# --- passwords ---------------------------------------------------------------------------------


def _change(c, current, new, again=None):
    return c.post(
        "/account/password",
        data={
            "csrf_token": token_of(c),
            "current": current,
            "password": new,
            "password2": new if again is None else again,
        },
    )


def test_changing_ones_password_signs_out_every_other_browser(app, users, settings):
    with CheckedClient(app) as here, CheckedClient(app) as elsewhere:
        login(here, "tina")
        login(elsewhere, "tina")
        assert 'id="change-password"' in here.get("/account").text
        for current, new, again, expected in [
            ("wrong password", "a far better phrase 9", None, "current: is not this account's"),
            (USERS["tina"][1], "a far better phrase 9", "something else", "the two passwords"),
            (USERS["tina"][1], "aaaaaaaaaa", None, "password: "),
        ]:
            r = _change(here, current, new, again)
            assert r.status_code == 422 and expected in message(r), message(r)
        r = _change(here, USERS["tina"][1], "a far better phrase 9")
        assert r.url.path == "/account" and 'id="changed"' in r.text
        assert here.get("/clients").url.path == "/clients"  # still signed in here
        assert elsewhere.get("/clients").url.path == "/login"  # signed out there
        assert audit_rows(settings.data_dir, "password_changed")[-1]["username"] == "tina"
        logout(here)
        login(here, "tina", "a far better phrase 9")


def test_guessing_the_current_password_is_limited_as_sign_in_is(client, users, settings):
    login(client, "tina")
    for _ in range(settings.login_max_failures):
        assert _change(client, "a guess", "a far better phrase 9").status_code == 422
    r = _change(client, USERS["tina"][1], "a far better phrase 9")
    assert r.status_code == 422 and "too many failed sign-ins" in message(r)


def test_an_admin_resets_a_password(client, users, settings):
    with CheckedClient(client.app) as tina:
        login(tina, "tina")
        login(client, "admin")
        tid = users["tina"].id
        r = client.post(
            f"/admin/users/{tid}/password", data={"csrf_token": token_of(client), "password": "x"}
        )
        assert r.status_code == 422
        r = client.post(
            f"/admin/users/{tid}/password",
            data={"csrf_token": token_of(client), "password": "a temporary phrase 4"},
        )
        assert r.url.path == "/admin/users"
        assert tina.get("/clients").url.path == "/login"  # signed out everywhere
        login(tina, "tina", "a temporary phrase 4")
        row = audit_rows(settings.data_dir, "password_reset")[-1]
        assert (row["username"], row["target"]) == ("admin", "user:tina")
        own = client.post(
            f"/admin/users/{users['admin'].id}/password",
            data={"csrf_token": token_of(client), "password": "a temporary phrase 4"},
        )
        assert own.status_code == 422


def test_a_sign_in_ends_after_its_lifetime(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", idle_timeout_minutes=600, session_max_hours=2)
    with CheckedClient(create_app(settings)) as c:
        c.app.state.store.create_user("tina", USERS["tina"][1], "therapist")
        login(c, "tina")
        shift_clock(monkeypatch, minutes=100)
        assert c.get("/clients").url.path == "/clients"
        shift_clock(monkeypatch, minutes=21)
        assert c.get("/clients").url.path == "/login"


# --- others' failures never lock out a browser that has signed in before ----------------------


def _try_login(c, user, password):
    return c.post(
        "/login", data={"csrf_token": token_of(c), "username": user, "password": password}
    )


def test_a_browser_that_signed_in_before_is_not_locked_out_by_others(client, users, settings):
    # on loopback everyone shares one address: the attacker's guesses lock the name and the
    # address, for every browser but those tina has signed in from
    mine = CheckedClient(client.app)
    login(mine, "tina")
    logout(mine)
    attacker = CheckedClient(client.app)
    for _ in range(2 * settings.login_max_failures):
        assert _try_login(attacker, "tina", "a guess " * 2).status_code in (401, 429)
    assert _try_login(attacker, "tina", USERS["tina"][1]).status_code == 429
    fresh = CheckedClient(client.app)  # a browser tina never used: refused for now
    assert _try_login(fresh, "tina", USERS["tina"][1]).status_code == 429
    login(mine, "tina")  # her own browser signs in
    logout(mine)
    # its own failures still count against it
    for _ in range(settings.login_max_failures):
        assert _try_login(mine, "tina", "my typo " * 2).status_code == 401
    assert _try_login(mine, "tina", USERS["tina"][1]).status_code == 429


def test_a_known_browser_token_is_worth_nothing_for_another_account_or_a_new_password(
    client, users, settings
):
    store = client.app.state.store
    browser = CheckedClient(client.app)
    login(browser, "theo")  # known for theo, not for tina
    logout(browser)
    for _ in range(settings.login_max_failures):
        _try_login(CheckedClient(client.app), "tina", "a guess " * 2)
    assert _try_login(browser, "tina", USERS["tina"][1]).status_code == 429
    forged = f"{users['tina'].id}.nonce.{'0' * 32}"
    browser.cookies.set("attunement_known", forged)
    assert _try_login(browser, "tina", USERS["tina"][1]).status_code == 429
    # a token made before the password changed is void after
    token = store.known_browser(users["theo"])
    store.reset_password(users["theo"].id, "a new phrase for theo 5")
    from attunement.store.repo import RateLimited

    ok = dict(ip="203.0.113.7", max_failures=5, window_minutes=15)
    for _ in range(5):
        assert store.authenticate("theo", "wrong", **ok) is None
    with pytest.raises(RateLimited, match="too many failed sign-ins"):
        store.authenticate("theo", "a new phrase for theo 5", known=[token], **ok)
    fresh = store.known_browser(users["theo"])  # one made after the new password counts
    assert store.authenticate("theo", "a new phrase for theo 5", known=[fresh], **ok)


def test_over_the_limit_one_try_a_minute_lets_the_right_password_in(
    client, users, settings, monkeypatch
):
    # a per-name back-off, not a 15-minute lock: the right password from a browser that never
    # signed in gets in at the next free try, while a guesser gets one try a minute
    attacker, fresh = CheckedClient(client.app), CheckedClient(client.app)
    for _ in range(settings.login_max_failures):
        assert _try_login(attacker, "tina", "a guess " * 2).status_code == 401
    r = _try_login(fresh, "tina", USERS["tina"][1])
    assert r.status_code == 429 and re.search(r"try again in 6[01] seconds", message(r))
    shift_clock(monkeypatch, seconds=settings.login_backoff_seconds + 1)
    assert _try_login(attacker, "tina", "a guess " * 2).status_code == 401  # one try
    assert _try_login(attacker, "tina", "another " * 2).status_code == 429  # then a wait
    shift_clock(monkeypatch, seconds=settings.login_backoff_seconds + 1)
    assert _try_login(fresh, "tina", USERS["tina"][1]).status_code == 200

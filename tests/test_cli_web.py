"""Tests for the web app's commands: users add / list, audit verify, serve."""

from __future__ import annotations

import os
import re

import pytest
import uvicorn
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

import attunement.store.repo as repo
from attunement.store.crypto import generate_key


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    for name in list(os.environ):
        if name.startswith("ATTUNEMENT_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(
        repo, "PasswordHasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def data(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw.txt"
    path.write_text("a long password\nignored second line\n")
    return path


def _add(run_cli, data, name, role, password_file):
    return run_cli(
        "users", "add", name, "--role", role, "--password-file", password_file, "--data-dir", data
    )


def test_users_add_and_list(run_cli, data, password_file):
    code, out, err = _add(run_cli, data, "root", "admin", password_file)
    assert (code, err) == (0, "")
    assert out.strip() == "added admin root"
    _add(run_cli, data, "tina", "therapist", password_file)
    code, out, err = run_cli("users", "list", "--data-dir", data)
    assert code == 0
    rows = [re.findall(r"[\w.]+", line) for line in out.splitlines()]
    rows = [r for r in rows if r and r[0] in ("root", "tina")]
    assert rows == [["root", "admin", "yes"], ["tina", "therapist", "yes"]]


def test_users_add_password_is_usable_in_the_app(run_cli, data, password_file):
    from attunement.web.app import open_store
    from attunement.web.settings import Settings

    _add(run_cli, data, "root", "admin", password_file)
    store = open_store(Settings(data_dir=data))
    try:
        viewer = store.authenticate(
            "root", "a long password", ip="127.0.0.1", max_failures=5, window_minutes=5
        )
        assert viewer is not None and viewer.role == "admin"
        entry = store.audit_entries()[-1]
        assert (entry.action, entry.target) == ("user_created", "user:root")
        assert entry.detail == "role admin; cli"
    finally:
        store.db.dispose()


@pytest.mark.parametrize(
    ("name", "role", "password", "expected"),
    [
        ("root", "admin", "short", "password: has 5 characters; expected at least 10"),
        ("x", "admin", "a long password", "username: is 'x'"),
    ],
)
def test_users_add_refuses_bad_input(run_cli, data, tmp_path, name, role, password, expected):
    path = tmp_path / "pw"
    path.write_text(password)
    code, _out, err = _add(run_cli, data, name, role, path)
    assert code == 1
    assert err.startswith("attunement: error: ") and expected in err
    assert "Traceback" not in err


def test_users_add_refuses_an_unknown_role_as_a_usage_error(run_cli, data, tmp_path):
    path = tmp_path / "pw"
    path.write_text("a long password")
    code, _out, err = _add(run_cli, data, "root", "king", path)
    assert code == 2  # a value outside the choices, as Click reports any usage error
    assert "'king' is not one of" in err and "therapist" in err
    assert "Traceback" not in err


def test_users_add_refuses_a_taken_name(run_cli, data, password_file):
    _add(run_cli, data, "root", "admin", password_file)
    code, _, err = _add(run_cli, data, "ROOT", "therapist", password_file)
    assert code == 1 and "'ROOT' is taken" in err


def test_users_add_asks_for_the_password(run_cli, data, monkeypatch):
    import typer

    monkeypatch.setattr(typer, "prompt", lambda *a, **k: "typed password")
    code, out, _ = run_cli("users", "add", "root", "--role", "admin", "--data-dir", data)
    assert code == 0 and "added admin root" in out


def test_audit_verify_ok(run_cli, data, password_file):
    _add(run_cli, data, "root", "admin", password_file)
    _add(run_cli, data, "tina", "therapist", password_file)
    code, out, err = run_cli("audit", "verify", "--data-dir", data)
    assert (code, err) == (0, "")
    assert out.strip() == "audit log intact: 2 entries"


def test_audit_verify_finds_a_tampered_chain(run_cli, data, password_file):
    for name in ("root", "tina", "theo"):
        _add(run_cli, data, name, "admin", password_file)
    engine = create_engine(f"sqlite:///{data / 'attunement.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET target = 'user:nobody' WHERE seq = 2"))
    engine.dispose()
    code, out, err = run_cli("audit", "verify", "--data-dir", data)
    assert code == 1
    assert out == ""
    assert err.strip() == "attunement: error: audit log: entry 2: hash does not match its contents"


def test_audit_verify_with_the_wrong_key_says_so(run_cli, data, password_file, monkeypatch):
    _add(run_cli, data, "root", "admin", password_file)
    monkeypatch.setenv("ATTUNEMENT_SECRET_KEY", generate_key().decode())
    code, _, err = run_cli("audit", "verify", "--data-dir", data)
    assert code == 1
    assert "ATTUNEMENT_SECRET_KEY" in err and "not the key this data was written with" in err


@pytest.fixture
def served(monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    return calls


def test_serve_on_loopback_has_no_warning(run_cli, data, served):
    code, out, err = run_cli("serve", "--port", "8765", "--data-dir", data)
    assert (code, err) == (0, "")
    assert "serving http://127.0.0.1:8765/" in out
    ((app, kw),) = served
    assert kw["host"] == "127.0.0.1" and kw["port"] == 8765
    assert app.state.settings.data_dir == data
    assert (data / "attunement.db").is_file()  # the store was opened before serving
    # no X-Forwarded-For is believed unless a proxy is named: a local client cannot forge
    # the address that sign-in limits and the audit log record
    assert kw["proxy_headers"] is False and kw["forwarded_allow_ips"] is None


def test_serve_trusts_the_proxies_named(run_cli, data, served):
    code, _, err = run_cli("serve", "--data-dir", data, "--forwarded-allow-ips", "10.0.0.5")
    assert code == 0, err
    assert served[0][1]["forwarded_allow_ips"] == "10.0.0.5"
    assert served[0][1]["proxy_headers"] is True


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "myhost.local"])
def test_serve_warns_when_listening_beyond_this_computer(run_cli, data, served, host):
    code, _out, err = run_cli("serve", "--host", host, "--data-dir", data)
    assert code == 0
    assert err.startswith(f"attunement: warning: listening on {host}, not only on this computer")
    assert "ATTUNEMENT_SECURE_COOKIES=1" in err
    assert served[0][1]["host"] == host


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "::1"])
def test_serve_on_other_loopback_names_has_no_warning(run_cli, data, served, host):
    code, _, err = run_cli("serve", "--host", host, "--data-dir", data)
    assert (code, err) == (0, "")


def test_serve_with_the_wrong_key_stops_before_listening(run_cli, data, password_file, served):
    _add(run_cli, data, "root", "admin", password_file)
    os.environ["ATTUNEMENT_SECRET_KEY"] = generate_key().decode()
    try:
        code, _, err = run_cli("serve", "--data-dir", data)
    finally:
        del os.environ["ATTUNEMENT_SECRET_KEY"]
    assert code == 1 and "cannot decrypt" in err
    assert served == []


def test_serve_refuses_a_bad_setting(run_cli, data, served, monkeypatch):
    monkeypatch.setenv("ATTUNEMENT_IDLE_TIMEOUT_MINUTES", "0")
    code, _, err = run_cli("serve", "--data-dir", data)
    assert code == 1
    assert err.startswith("attunement: error: ATTUNEMENT_IDLE_TIMEOUT_MINUTES: ")
    assert served == []

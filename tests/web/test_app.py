"""Tests for attunement.web.app: create_app, open_store, start-up, static files, error pages."""

from __future__ import annotations

import stat

import pytest
from web_fixture import CheckedClient, login, message

from attunement.errors import InputError
from attunement.store.crypto import KeyMismatchError, generate_key
from attunement.web.app import create_app, open_store
from attunement.web.settings import Settings


def test_create_app_touches_nothing_until_started(tmp_path):
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data))
    assert not data.exists()
    with CheckedClient(app):
        assert (data / "attunement.db").is_file()
        assert (data / "files").is_dir()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "secret.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "attunement.db").stat().st_mode) == 0o600


def test_two_apps_are_independent(tmp_path):
    one = create_app(Settings(data_dir=tmp_path / "one"))
    two = create_app(Settings(data_dir=tmp_path / "two"))
    with CheckedClient(one) as a, CheckedClient(two) as b:
        a.app.state.store.create_user("alice.a", "long password 1", "admin")
        assert a.app.state.store.user_count() == 1
        assert b.app.state.store.user_count() == 0
        assert b.get("/").url.path == "/setup"
        assert a.get("/").url.path == "/login"


def test_open_store_names_a_data_dir_it_cannot_create(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot be created") as info:
        open_store(Settings(data_dir=blocker / "data"))
    assert str(blocker) in str(info.value)


def test_open_store_refuses_a_foreign_key_before_serving(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    open_store(settings).db.dispose()
    other = Settings(data_dir=tmp_path / "data", secret_key=generate_key().decode())
    with pytest.raises(KeyMismatchError, match="not the key this data was written with"):
        open_store(other)


def test_a_new_data_dir_accepts_a_key_from_the_settings(tmp_path):
    key = generate_key().decode()
    settings = Settings(data_dir=tmp_path / "data", secret_key=key)
    open_store(settings).db.dispose()
    assert not (tmp_path / "data" / "secret.key").exists()
    open_store(settings).db.dispose()  # the same key opens it again


def test_start_page_leads_to_login_then_to_the_clients(client, users):
    assert client.get("/").url.path == "/login"
    login(client, "tina")
    assert client.get("/").url.path == "/clients"


def test_admin_start_page_is_accounts(client, users):
    login(client, "admin")
    assert client.get("/").url.path == "/admin/users"


def test_plotly_is_served_locally(client):
    r = client.get("/static-plotly/plotly.min.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert b"plotly" in r.content[:2000].lower()
    assert r.headers["x-content-type-options"] == "nosniff"


def test_static_script_is_served_and_draws_only_json_blocks(client):
    r = client.get("/static/app.js")
    assert r.status_code == 200
    assert 'script[type="application/json"][data-plot]' in r.text
    assert "eval(" not in r.text and "innerHTML" not in r.text


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_no_api_documentation_is_exposed(client, path):
    assert client.get(path).status_code == 404


def test_input_error_becomes_a_422_page_with_its_message(client, users):
    login(client, "tina")
    r = client.post("/clients", data={"csrf_token": client.cookies["attunement_csrf"], "label": ""})
    assert r.status_code == 422
    assert "label: has 0 characters; expected 1-80" in message(r)


def test_not_found_page_is_html_with_headers(client, users):
    login(client, "tina")
    r = client.get("/sessions/nosuchsession")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert message(r) == "There is no such page."

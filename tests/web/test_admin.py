"""Tests for attunement.web.routes.admin: accounts, supervision, switching off, the audit page."""

from __future__ import annotations

import pytest
from web_fixture import USERS, audit_rows, login, message, sql, token_of


def _add(client, **form):
    data = {"csrf_token": token_of(client), "role": "therapist", "display_name": "", **form}
    return client.post("/admin/users", data=data)


def test_admin_adds_a_therapist_who_can_sign_in(client, users, settings):
    login(client, "admin")
    r = _add(client, username="nora", password="nora password 1", display_name="Nora N")
    assert r.status_code == 200 and r.url.path == "/admin/users"
    assert "<td>nora</td><td>Nora N</td><td>therapist</td>" in r.text
    entry = audit_rows(settings.data_dir, "user_created")[-1]
    assert (entry["username"], entry["target"], entry["detail"]) == (
        "admin",
        "user:nora",
        "role therapist",
    )
    client.post("/logout", data={"csrf_token": token_of(client)})
    login(client, "nora", "nora password 1")


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"username": "x", "password": "long password 1"}, "username: is 'x'"),
        ({"username": "ok.name", "password": "short"}, "has 5 characters; expected at least 10"),
        ({"username": "TINA", "password": "long password 1"}, "'TINA' is taken"),
        (
            {"username": "ok.name", "password": "long password 1", "role": "root"},
            "role: is 'root'; expected one of therapist, supervisor, admin",
        ),
    ],
)
def test_bad_accounts_are_refused(client, users, form, expected):
    login(client, "admin")
    r = _add(client, **form)
    assert r.status_code == 422
    assert expected in message(r)
    assert len(client.app.state.store.users()) == len(USERS)


def test_supervision_is_assigned_and_listed(client, users, settings):
    login(client, "admin")
    r = client.post(
        "/admin/supervision",
        data={"csrf_token": token_of(client), "supervisor": "uma", "therapist": "theo"},
    )
    assert r.status_code == 200
    # proposed, not yet accepted: uma supervises nobody yet
    assert "<td>uma</td><td>Uma</td><td>supervisor</td>\n    <td></td>" in r.text
    assert "<td>uma</td><td>theo</td>\n    <td>waiting for the therapist</td>" in r.text
    # twice is harmless
    client.post(
        "/admin/supervision",
        data={"csrf_token": token_of(client), "supervisor": "uma", "therapist": "theo"},
    )
    assert sql(settings.data_dir, "SELECT count(*) FROM supervisions")[0][0] == 2


@pytest.mark.parametrize(
    ("supervisor", "therapist", "expected"),
    [
        ("tina", "theo", "'tina' is not a supervisor account"),
        ("uma", "sue", "'sue' is not a therapist account"),
        ("nobody", "theo", "'nobody' is not a supervisor account"),
    ],
)
def test_supervision_needs_the_right_roles(client, users, supervisor, therapist, expected):
    login(client, "admin")
    r = client.post(
        "/admin/supervision",
        data={"csrf_token": token_of(client), "supervisor": supervisor, "therapist": therapist},
    )
    assert r.status_code == 422
    assert expected in message(r)


def test_switching_an_account_off_and_on(client, users, settings):
    tina_browser = type(client)(client.app)
    login(tina_browser, "tina")
    login(client, "admin")
    uid = users["tina"].id
    r = client.post(f"/admin/users/{uid}/active", data={"csrf_token": token_of(client)})
    assert r.status_code == 200 and "switched off" in r.text
    assert tina_browser.get("/clients").url.path == "/login"  # signed out at once
    r = tina_browser.post(
        "/login",
        data={
            "csrf_token": token_of(tina_browser),
            "username": "tina",
            "password": USERS["tina"][1],
        },
    )
    assert r.status_code == 401
    client.post(f"/admin/users/{uid}/active", data={"csrf_token": token_of(client), "active": "1"})
    login(tina_browser, "tina")
    actions = [a["action"] for a in audit_rows(settings.data_dir) if a["target"] == f"user:{uid}"]
    assert actions == ["user_disabled", "user_enabled"]


def test_an_admin_cannot_switch_off_their_own_account(client, users):
    login(client, "admin")
    r = client.post(
        f"/admin/users/{users['admin'].id}/active", data={"csrf_token": token_of(client)}
    )
    assert r.status_code == 422
    assert message(r) == "You cannot switch off your own account."
    assert client.get("/admin/users").status_code == 200


def test_switching_off_an_unknown_account_is_404(client, users):
    login(client, "admin")
    r = client.post("/admin/users/9999/active", data={"csrf_token": token_of(client)})
    assert r.status_code == 404


def test_audit_page_shows_the_entries_and_an_intact_chain(client, users):
    login(client, "admin")
    client.get("/admin/users")
    r = client.get("/admin/audit")
    assert r.status_code == 200
    assert 'class="ok" id="chain">The chain of' in r.text
    assert "<td>login</td>" in r.text and "admin:users" in r.text


def test_audit_page_shows_a_broken_chain(client, users, settings):
    login(client, "admin")
    client.get("/admin/users")
    sql(settings.data_dir, "UPDATE audit_log SET detail = 'edited' WHERE seq = 1")
    r = client.get("/admin/audit")
    assert 'class="error" id="chain">The chain is broken: entry 1: hash does not match' in r.text


@pytest.mark.parametrize("user", ["tina", "sue"])
@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_account_pages_are_for_admins_only(client, users, user, path):
    login(client, user)
    r = client.get(path)
    assert r.status_code == 404
    assert "admin password" not in r.text and "<td>admin</td>" not in r.text
    r = _add(client, username="sneaky", password="sneaky password")
    assert r.status_code == 404
    assert client.app.state.store.user_count() == len(USERS)


def test_supervision_needs_the_therapists_consent_and_can_be_ended(client, users, settings):
    from web_fixture import audit_rows, logout, new_client

    login(client, "theo")
    cid = new_client(client, "Client Rowan")
    logout(client)
    login(client, "admin")
    client.post(
        "/admin/supervision",
        data={"csrf_token": token_of(client), "supervisor": "uma", "therapist": "theo"},
    )
    logout(client)
    login(client, "uma")  # an admin's proposal alone opens nothing
    assert "Client Rowan" not in client.get("/clients").text
    assert client.get(f"/clients/{cid}").status_code == 404
    logout(client)
    login(client, "theo")
    page = client.get("/clients").text
    assert 'id="supervision"' in page and "uma" in page and "asks to read your sessions" in page
    (pairing,) = client.app.state.store.supervisions(users["theo"])
    r = client.post(f"/supervision/{pairing.id}/accept", data={"csrf_token": token_of(client)})
    assert r.url.path == "/clients"
    logout(client)
    login(client, "uma")
    assert "Client Rowan" in client.get("/clients").text
    assert client.get(f"/clients/{cid}").status_code == 200
    logout(client)
    login(client, "theo")
    client.post(f"/supervision/{pairing.id}/end", data={"csrf_token": token_of(client)})
    logout(client)
    login(client, "uma")
    assert client.get(f"/clients/{cid}").status_code == 404
    actions = [r["action"] for r in audit_rows(settings.data_dir) if "supervision" in r["action"]]
    assert actions == ["supervision_proposed", "supervision_accepted", "supervision_ended"]


def test_only_the_therapist_answers_a_proposal(client, users):
    login(client, "admin")
    client.post(
        "/admin/supervision",
        data={"csrf_token": token_of(client), "supervisor": "uma", "therapist": "theo"},
    )
    store = client.app.state.store
    (pairing,) = store.supervisions(users["theo"])
    for who in ("admin", "uma", "tina"):
        login(client, who)
        r = client.post(f"/supervision/{pairing.id}/accept", data={"csrf_token": token_of(client)})
        assert r.status_code == 404, who
    assert store.supervisions(users["theo"])[0].accepted is False

"""Tests for attunement.store.accounts: accounts, passwords, sign-ins and their limits."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from store_fixture import accounts, later, raw, temporary_store

from attunement.errors import InputError
from attunement.store.crypto import Cipher, generate_key
from attunement.store.db import Database
from attunement.store.repo import NotFound, RateLimited, Store
from attunement.store.views import UserView, Viewer

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("a", "long password 1", "therapist"), "username: is 'a'"),
        (("has space", "long password 1", "therapist"), "username"),
        (("okname", "123456789", "therapist"), "has 9 characters; expected at least 10"),
        (("okname", "aaaaaaaaaa", "therapist"), r"password: is easy to guess \(Repeats"),
        (("okname", "1234567890", "therapist"), "top-100 common password"),
        (("okname", "password123!", "therapist"), "similar to a commonly used password"),
        (("okname", "long password 1", "boss"), "role: is 'boss'"),
    ],
)
def test_create_user_refuses_bad_input(store, args, match):
    with pytest.raises(InputError, match=match):
        store.create_user(*args)
    assert store.user_count() == 0


def test_create_user_returns_the_account(store):
    made = store.create_user("  nora ", "nora password 7", "therapist", display_name=" Nora N ")
    assert made == Viewer(made.id, "nora", "therapist")
    (listed,) = store.users()
    assert isinstance(listed, UserView)
    assert (listed.username, listed.display_name, listed.role, listed.active) == (
        "nora",
        "Nora N",
        "therapist",
        True,
    )
    assert listed.supervises == ()


def test_user_names_are_unique_whatever_the_case(store, people):
    with pytest.raises(InputError, match="'TINA' is taken"):
        store.create_user("TINA", "another password", "therapist")
    listing = {u.username: u for u in store.users()}
    assert list(listing) == ["root", "sue", "theo", "tina", "uma"]
    assert listing["sue"].supervises == ("tina",)
    assert listing["uma"].supervises == ()


def test_passwords_are_argon2id_with_the_default_costs(tmp_path):
    db = Database("sqlite://")
    db.migrate()
    s = Store(db, Cipher(generate_key()), tmp_path / "files")
    s.create_user("tina", "tina password 7", "therapist")
    (stored,) = raw(s, "SELECT password_hash FROM users")[0]
    assert stored.startswith("$argon2id$") and "tina password 7" not in stored
    assert not PasswordHasher().check_needs_rehash(stored)


def test_a_weak_hash_is_upgraded_at_sign_in(store, people, monkeypatch):
    (before,) = raw(store, "SELECT password_hash FROM users WHERE username='tina'")[0]
    store.accounts._hasher = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert store.authenticate("tina", "tina password 7", ip="a", max_failures=5, window_minutes=5)
    (after,) = raw(store, "SELECT password_hash FROM users WHERE username='tina'")[0]
    assert after != before and "t=2" in after


def test_authenticate(store, people):
    auth = dict(ip="10.0.0.1", max_failures=5, window_minutes=15)
    assert store.authenticate("Tina", "tina password 7", **auth) == people["tina"]
    assert store.authenticate("tina", "wrong password", **auth) is None
    assert store.authenticate("nobody", "tina password 7", **auth) is None
    store.set_active(people["tina"].id, False)
    assert store.authenticate("tina", "tina password 7", **auth) is None
    attempts = raw(store, "SELECT username, ok FROM login_attempts ORDER BY id")
    assert attempts == [("Tina", 1), ("tina", 0), ("nobody", 0), ("tina", 0)]


def test_rate_limit_counts_the_name_and_the_address(store, people, monkeypatch):
    for ip in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        store.authenticate("tina", "bad", ip=ip, max_failures=3, window_minutes=10)
    with pytest.raises(RateLimited, match="try again in 10 minutes"):
        store.authenticate(
            "tina", "tina password 7", ip="4.4.4.4", max_failures=3, window_minutes=10
        )
    # the addresses that failed are blocked for other names too
    with pytest.raises(RateLimited):
        store.authenticate(
            "theo", "theo password 7", ip="1.1.1.1", max_failures=1, window_minutes=10
        )
    assert store.authenticate(
        "theo", "theo password 7", ip="5.5.5.5", max_failures=3, window_minutes=10
    )
    later(monkeypatch, minutes=11)
    assert store.authenticate(
        "tina", "tina password 7", ip="4.4.4.4", max_failures=3, window_minutes=10
    )


def test_over_the_limit_one_try_a_back_off_period(store, people, monkeypatch):
    ok = dict(max_failures=2, window_minutes=10, backoff_seconds=60)
    for ip in ("1.1.1.1", "2.2.2.2"):
        store.authenticate("tina", "bad", ip=ip, **ok)
    with pytest.raises(RateLimited, match="try again in 60 seconds"):
        store.authenticate("tina", "tina password 7", ip="3.3.3.3", **ok)
    later(monkeypatch, seconds=61)
    assert store.authenticate("tina", "tina password 7", ip="3.3.3.3", **ok) == people["tina"]


def test_sign_in_sessions_end_when_idle_or_signed_out(store, people, monkeypatch):
    token = store.start_login(people["tina"])
    assert store.resolve_login(token, idle_minutes=30) == people["tina"]
    assert store.resolve_login("forged", idle_minutes=30) is None
    assert store.resolve_login(None, idle_minutes=30) is None
    (stored,) = raw(store, "SELECT token_hash FROM login_sessions")[0]
    assert token not in stored and len(stored) == 64  # only a hash of the cookie is kept
    later(monkeypatch, minutes=31)
    assert store.resolve_login(token, idle_minutes=30) is None
    assert raw(store, "SELECT count(*) FROM login_sessions") == [(0,)]
    other = store.start_login(people["theo"])
    store.end_login(other)
    assert store.resolve_login(other, idle_minutes=30) is None


def test_a_sign_in_ends_after_its_lifetime_however_busy(store, people, monkeypatch):
    token = store.start_login(people["tina"])
    for hours in (4, 4, 3.9):  # (later() adds up) in use at 4, 8 and 11.9 hours
        later(monkeypatch, hours=hours)
        assert store.resolve_login(token, idle_minutes=5 * 60, max_hours=12) == people["tina"]
    later(monkeypatch, hours=0.2)
    assert store.resolve_login(token, idle_minutes=5 * 60, max_hours=12) is None
    assert raw(store, "SELECT count(*) FROM login_sessions") == [(0,)]


def test_switching_off_ends_every_sign_in(store, people):
    token = store.start_login(people["tina"])
    store.set_active(people["tina"].id, False)
    assert store.resolve_login(token, idle_minutes=30) is None
    assert store.get_viewer(people["tina"].id) is None
    assert not {u.username: u for u in store.users()}["tina"].active
    with pytest.raises(NotFound):
        store.set_active(999, True)


def test_the_first_admin_can_be_made_only_once(store):
    made = store.create_first_admin("root", "root password 7")
    assert made.role == "admin"
    with pytest.raises(InputError, match="an account exists already"):
        store.create_first_admin("other", "other password")
    assert [u.username for u in store.users()] == ["root"]


def test_a_known_browser_is_void_after_a_new_password(store, people):
    theo = people["theo"]
    token = store.known_browser(theo)
    assert token.startswith(f"{theo.id}.")
    store.reset_password(theo.id, "a new phrase for theo 5")
    ok = dict(ip="1.1.1.1", max_failures=1, window_minutes=10)
    assert store.authenticate("theo", "wrong", **ok) is None
    with pytest.raises(RateLimited):  # the old token no longer exempts this browser
        store.authenticate("theo", "a new phrase for theo 5", known=[token], **ok)
    fresh = store.known_browser(theo)
    assert store.authenticate("theo", "a new phrase for theo 5", known=[fresh], **ok) == theo


def test_changing_ones_password(store, people):
    tina = people["tina"]
    here, elsewhere = store.start_login(tina), store.start_login(tina)
    with pytest.raises(InputError, match="current: is not this account's password"):
        store.change_password(tina, "wrong", "a much better phrase 42", keep_token=here)
    with pytest.raises(InputError, match="password: "):
        store.change_password(tina, "tina password 7", "aaaaaaaaaa", keep_token=here)
    store.change_password(tina, "tina password 7", "a much better phrase 42", keep_token=here)
    assert store.resolve_login(here, idle_minutes=30) == tina  # this browser stays signed in
    assert store.resolve_login(elsewhere, idle_minutes=30) is None  # every other one is out
    ok = dict(ip="1.1.1.1", max_failures=5, window_minutes=15)
    assert store.authenticate("tina", "tina password 7", **ok) is None
    assert store.authenticate("tina", "a much better phrase 42", **ok) == tina


def test_an_admin_resets_a_password(store, people):
    tina = people["tina"]
    token = store.start_login(tina)
    with pytest.raises(InputError, match="password: "):
        store.reset_password(tina.id, "1234567890")
    assert store.reset_password(tina.id, "temporary phrase for tina") == "tina"
    assert store.resolve_login(token, idle_minutes=30) is None  # signed out everywhere
    ok = dict(ip="1.1.1.1", max_failures=5, window_minutes=15)
    assert store.authenticate("tina", "temporary phrase for tina", **ok) == tina
    with pytest.raises(NotFound):
        store.reset_password(999, "temporary phrase for tina")

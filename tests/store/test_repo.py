"""Tests for attunement.store.repo: the Store facade over its parts, and the key check."""

from __future__ import annotations

import inspect

import pytest
from store_fixture import temporary_store

from attunement.store.accounts import Accounts
from attunement.store.audit import AuditLog
from attunement.store.clinical import Clinical
from attunement.store.crypto import Cipher, KeyMismatchError, generate_key
from attunement.store.feedback import Feedback
from attunement.store.files import SessionFiles
from attunement.store.repo import Store
from attunement.store.supervision import Supervisions
from attunement.store.trends import Trends

store = pytest.fixture(temporary_store, name="store")

#: Part attribute -> its class.
PARTS = {
    "accounts": Accounts,
    "supervision": Supervisions,
    "files": SessionFiles,
    "clinical": Clinical,
    "answers": Feedback,
    "trends": Trends,
    "audit_log": AuditLog,
}
#: Public methods of parts that only the parts use (the store composes them otherwise).
INTERNAL = {
    "files": {"path", "put", "drop", "read", "remove_folder"},
    "audit_log": {"prepare"},
}


def _public(cls) -> set[str]:
    return {n for n, v in vars(cls).items() if inspect.isfunction(v) and not n.startswith("_")}


@pytest.mark.parametrize("part", PARTS)
def test_every_method_of_a_part_is_a_method_of_the_store(store, part):
    assert isinstance(getattr(store, part), PARTS[part])
    for name in _public(PARTS[part]) - INTERNAL.get(part, set()):
        forwarded = getattr(store, name)
        assert forwarded == getattr(getattr(store, part), name), name
        assert getattr(Store, name).__doc__ == getattr(PARTS[part], name).__doc__, name


def test_a_forwarded_method_has_the_parts_signature_and_can_be_called_on_the_class(store):
    assert inspect.signature(Store.create_user) == inspect.signature(Accounts.create_user)
    assert Store.user_count(store) == 0
    assert "forwarded to accounts" in repr(Store.user_count)


def test_sealing_round_trips(store):
    token = store.seal("Ezekiel")
    assert b"Ezekiel" not in token
    assert store.unseal(token) == "Ezekiel" and store.unseal(None) == ""


def test_another_key_is_refused_at_the_start(store, tmp_path):
    other = Store(store.db, Cipher(generate_key(), source="ATTUNEMENT_SECRET_KEY"), tmp_path / "f")
    with pytest.raises(KeyMismatchError, match="the key in use \\(ATTUNEMENT_SECRET_KEY\\)"):
        other.check_key()


def test_the_key_check_marks_a_new_database_once(store):
    from store_fixture import raw

    before = raw(store, "SELECT key, value FROM meta ORDER BY key")
    assert [k for k, _ in before] == ["audit_head", "audit_keyed_from", "canary"]
    store.check_key()
    assert raw(store, "SELECT key, value FROM meta ORDER BY key") == before

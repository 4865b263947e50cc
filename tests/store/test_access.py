"""Tests for attunement.store.access: who sees and changes what, through every part."""

from __future__ import annotations

import pytest
from store_fixture import accounts, add_session, temporary_store

from attunement.errors import InputError
from attunement.store.repo import NotFound

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")


def test_who_sees_what(store, people):
    cid, sid = add_session(store, people["tina"])
    theo_cid, theo_sid = add_session(store, people["theo"], "Theo's")
    assert [c.id for c in store.clients(people["tina"])] == [cid]
    assert [c.id for c in store.clients(people["sue"])] == [cid]
    assert store.clients(people["uma"]) == [] and store.clients(people["root"]) == []
    assert store.session(people["sue"], sid).own is False
    assert store.session(people["tina"], sid, write=True).own is True
    assert store.client(people["sue"], cid).own is False
    assert store.client(people["tina"], cid).own is True
    for who, target, write in [
        (people["theo"], sid, False),
        (people["sue"], sid, True),
        (people["sue"], theo_sid, False),
        (people["uma"], sid, False),
        (people["root"], sid, False),
        (people["tina"], "no-such-id", False),
    ]:
        with pytest.raises(NotFound):
            store.session(who, target, write=write)
    with pytest.raises(NotFound):
        store.read_file(people["theo"], sid, "transcript")
    with pytest.raises(NotFound):
        store.client(people["tina"], theo_cid)
    with pytest.raises(NotFound):
        store.create_session(
            people["tina"], theo_cid, held_on=None, files={"transcript": ("a", b"x")}
        )
    with pytest.raises(NotFound):
        store.delete_session(people["sue"], sid)
    with pytest.raises(NotFound):
        store.create_link(people["sue"], sid, ["phq9"], hours=1)
    with pytest.raises(NotFound):
        store.queue(people["sue"], sid, {})
    with pytest.raises(InputError, match="only a therapist account can add clients"):
        store.create_client(people["sue"], "X")
    assert [s.id for s in store.sessions(people["sue"])] == [sid]
    assert store.sessions(people["uma"]) == store.sessions(people["root"]) == []

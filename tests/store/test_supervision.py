"""Tests for attunement.store.supervision: proposing, accepting, declining and ending."""

from __future__ import annotations

import pytest
from store_fixture import accounts, temporary_store

from attunement.errors import InputError
from attunement.store.repo import NotFound
from attunement.store.views import SupervisionView

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")


def test_assign_supervisor_checks_roles(store, people):
    with pytest.raises(InputError, match="'tina' is not a supervisor account"):
        store.assign_supervisor("tina", "theo")
    with pytest.raises(InputError, match="'root' is not a therapist account"):
        store.assign_supervisor("uma", "root")


def test_a_supervision_opens_nothing_until_the_therapist_accepts(store, people):
    tina, theo, uma = people["tina"], people["theo"], people["uma"]
    cid = store.create_client(theo, "R. K.")
    store.assign_supervisor("uma", "theo")
    store.assign_supervisor("uma", "theo")  # proposed twice: still one
    assert store.clients(uma) == []
    with pytest.raises(NotFound):
        store.client(uma, cid)
    (pairing,) = store.supervisions(theo)
    assert pairing == SupervisionView(
        id=pairing.id, supervisor="uma", therapist="theo", accepted=False
    )
    assert store.supervisions(uma) == [pairing]
    assert pairing in store.supervisions(people["root"])  # an admin sees every pairing
    with pytest.raises(NotFound):  # only theo answers for theo
        store.answer_supervision(tina, pairing.id, accept=True)
    assert store.answer_supervision(theo, pairing.id, accept=True) == "uma"
    assert [c.id for c in store.clients(uma)] == [cid]
    with pytest.raises(NotFound):  # tina is in no part of it
        store.end_supervision(tina, pairing.id)
    assert store.end_supervision(theo, pairing.id) == ("uma", "theo")
    assert store.clients(uma) == []
    store.assign_supervisor("uma", "theo")
    (again,) = store.supervisions(theo)
    store.answer_supervision(theo, again.id, accept=False)  # declined: gone
    assert store.supervisions(theo) == []


def test_resetting_a_supervisors_password_asks_their_therapists_again(store, people):
    sue, tina = people["sue"], people["tina"]
    assert store.clients(sue) == store.clients(tina) == []  # accepted in the fixture
    store.create_client(tina, "R. K.")
    assert len(store.clients(sue)) == 1
    store.reset_password(sue.id, "a new phrase for sue 3")
    assert store.clients(sue) == []
    assert store.supervisions(tina)[0].accepted is False

"""Tests for attunement.store.base: tokens, ids, sealed notes and the store's clock."""

from __future__ import annotations

import datetime as dt

from attunement.store import base
from attunement.store.crypto import Cipher, generate_key
from attunement.store.db import Database


def test_tokens_are_kept_as_their_hash():
    assert base.hash_token("abc") == base.hash_token("abc") != base.hash_token("abd")
    assert "abc" not in base.hash_token("abc")


def test_new_ids_are_url_safe_and_distinct():
    ids = {base.new_id() for _ in range(500)}
    assert len(ids) == 500
    assert all(len(i) == 16 and i[0].isalnum() for i in ids)


def test_notes_are_sealed_and_plain_ones_still_read():
    part = base.Part(Database("sqlite://"), Cipher(generate_key()))
    note = part.seal_note("Ezekiel cried")
    assert note.startswith(base.SEALED_NOTE) and "Ezekiel" not in note
    assert part.unseal_note(note) == "Ezekiel cried"
    assert part.seal_note("") == "" and part.unseal_note(None) == ""
    assert part.unseal_note("written in the clear") == "written in the clear"


def test_the_clock_moves_with_utcnow(monkeypatch):
    fixed = dt.datetime(2030, 1, 1)
    monkeypatch.setattr(base, "utcnow", lambda: fixed)
    assert base.now() == fixed

"""Tests for attunement.store.audit: canonical JSON, entry hashes, chain verification, and the
log kept in the database (appends, tampering found, keyed chains, several writers)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_fixture import accounts, append_from_processes, cheap, raw, temporary_store

import attunement.store.repo as repo
from attunement.errors import InputError
from attunement.store.audit import (
    ENTRY_FIELDS,
    GENESIS,
    ChainCheck,
    canonical_json,
    chain_entry,
    entry_hash,
    verify_chain,
)
from attunement.store.crypto import Cipher, generate_key
from attunement.store.db import Database
from attunement.store.repo import Store
from attunement.store.views import AuditEntryView

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")

START = dt.datetime(2024, 5, 1, 9, 0, 0)
ACTIONS = ("login", "view_session", "upload", "export", "logout")


def make_fields(seq: int) -> dict:
    return {
        "seq": seq,
        "at": START + dt.timedelta(seconds=seq, microseconds=seq * 7),
        "user_id": None if seq % 10 == 0 else seq % 4,
        "username": "anna" if seq % 2 else "börje",
        "action": ACTIONS[seq % len(ACTIONS)],
        "target": f"session/{seq // 3}",
        "detail": json.dumps({"n": seq}) if seq % 3 else "",
        "ip": "127.0.0.1",
    }


def make_log(n: int = 100) -> list[dict]:
    log, head = [], GENESIS
    for seq in range(1, n + 1):
        entry = chain_entry(head, make_fields(seq))
        log.append(entry)
        head = entry["hash"]
    return log


def relink(entries: list[dict], start: int) -> None:
    """Recompute hashes from index ``start`` on, as someone rewriting the log would."""
    head = GENESIS if start == 0 else entries[start - 1]["hash"]
    for i in range(start, len(entries)):
        own = {k: v for k, v in entries[i].items() if k not in ("prev_hash", "hash")}
        entries[i] = chain_entry(head, own)
        head = entries[i]["hash"]


# --- canonical form and entry hashes ----------------------------------------------------------


def test_canonical_json_is_documented_form():
    text = canonical_json(
        {
            "z": [1, 2.5, True, None],
            "a": "å",
            "at": dt.datetime(2024, 5, 1, 9, 30, 0),
            "d": dt.date(2024, 5, 1),
            "m": {"y": 1, "x": (2,)},
        }
    )
    assert text == (
        '{"a":"å","at":"2024-05-01T09:30:00.000000Z","d":"2024-05-01",'
        '"m":{"x":[2],"y":1},"z":[1,2.5,true,null]}'
    )


def test_aware_and_naive_utc_datetimes_hash_alike():
    naive = dt.datetime(2024, 5, 1, 9, 30, 0, 123456)
    aware = naive.replace(tzinfo=dt.UTC)
    cet = aware.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert entry_hash(GENESIS, {"seq": 1, "at": naive}) == entry_hash(
        GENESIS, {"seq": 1, "at": cet}
    )
    assert canonical_json({"at": aware}) == '{"at":"2024-05-01T09:30:00.123456Z"}'


def test_entry_hash_known_answer():
    fields = {"seq": 1, "action": "login", "user": "ä"}
    expected = hashlib.sha256(
        (GENESIS + '{"action":"login","seq":1,"user":"ä"}').encode("utf-8")
    ).hexdigest()
    assert entry_hash(GENESIS, fields) == expected


def test_entry_hash_depends_on_prev_hash_and_every_field():
    fields = make_fields(5)
    base = entry_hash(GENESIS, fields)
    assert entry_hash("1" * 64, fields) != base
    for name in fields:
        changed = dict(fields)
        changed[name] = "changed"
        assert entry_hash(GENESIS, changed) != base, name
    assert entry_hash(GENESIS, {**fields, "extra": None}) != base


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.none()
        | st.booleans()
        | st.integers()
        | st.text()
        | st.floats(allow_nan=False, allow_infinity=False),
        max_size=8,
    )
)
def test_canonical_json_round_trips_and_ignores_key_order(fields):
    text = canonical_json(fields)
    assert json.loads(text) == fields
    assert canonical_json(dict(reversed(list(fields.items())))) == text
    compact = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert text == compact


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"x": float("nan")}, "x: is nan; expected a finite number"),
        ({"x": float("inf")}, "x: is inf"),
        ({"x": b"bytes"}, "x: is a bytes"),
        ({"x": {1, 2}}, "x: is a set"),
        ({"d": {"y": object()}}, r"d\.y: is a object"),
        ({"l": [1, b"x"]}, r"l\[1\]: is a bytes"),
        ({1: "x"}, "has a key of type int"),
        ({"seq": 1, "hash": "x"}, "hash: is among the fields"),
        ({"seq": 1, "prev_hash": GENESIS}, "prev_hash: is among the fields"),
        ("not a mapping", "expected a mapping"),
    ],
)
def test_entry_hash_rejects_what_has_no_canonical_form(fields, match):
    with pytest.raises(InputError, match=match):
        entry_hash(GENESIS, fields)


@pytest.mark.parametrize("prev", ["", "0" * 63, "A" * 64, "g" * 64, None, 0])
def test_entry_hash_rejects_bad_prev_hash(prev):
    with pytest.raises(InputError, match=r"prev_hash: .*expected 64 lowercase hexadecimal"):
        entry_hash(prev, {"seq": 1})


# --- verify_chain: valid logs ------------------------------------------------------------------


def test_valid_chain_of_100_verifies():
    log = make_log(100)
    check = verify_chain(log)
    assert check == ChainCheck(True, 100, None, "", log[-1]["hash"])


def test_empty_chain_is_ok():
    assert verify_chain([]) == ChainCheck(True, 0, None, "", GENESIS)


def test_verify_chain_streams_a_generator():
    def rows():
        head = GENESIS
        for seq in range(1, 2001):
            entry = chain_entry(head, make_fields(seq))
            head = entry["hash"]
            yield entry

    check = verify_chain(rows())
    assert check.ok and check.n_entries == 2000


def test_verify_chain_stops_reading_at_first_problem():
    log = make_log(10)
    log[2]["action"] = "tampered"
    consumed = []

    def rows():
        for entry in log:
            consumed.append(entry["seq"])
            yield entry

    assert verify_chain(rows()).first_bad_seq == 3
    assert consumed == [1, 2, 3]


def test_tail_of_a_log_verifies_from_a_known_hash():
    log = make_log(20)
    check = verify_chain(log[10:], prev_hash=log[9]["hash"])
    assert check.ok and check.n_entries == 10 and check.head == log[-1]["hash"]
    check = verify_chain(log[10:], prev_hash=log[8]["hash"])
    assert not check.ok
    assert check.reason == "entry 11: prev_hash does not link to the given prev_hash"


def test_fields_selects_the_hashed_columns():
    log = [{**entry, "id": 1000 + i} for i, entry in enumerate(make_log(5))]
    assert not verify_chain(log).ok
    names = ("seq", "at", "user_id", "username", "action", "target", "detail", "ip")
    assert verify_chain(log, fields=names).ok
    del log[3]["ip"]
    check = verify_chain(log, fields=names)
    assert (check.first_bad_seq, check.reason) == (4, "entry 4: field 'ip' is missing")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fields": ("at", "action")}, "does not include 'seq'"),
        ({"fields": ("seq", "hash")}, "includes 'hash'"),
        ({"prev_hash": "xyz"}, "prev_hash: is 'xyz'"),
    ],
)
def test_verify_chain_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        verify_chain(make_log(2), **kwargs)


def test_non_mapping_entry_is_input_error():
    with pytest.raises(InputError, match="entry at position 2: is a list"):
        verify_chain([make_log(1)[0], [1, 2]])


def test_database_round_trip_of_times_still_verifies():
    log = make_log(3)
    for entry in log:  # as read back from a table storing naive UTC
        entry["at"] = (
            entry["at"].replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=-5)))
        )
    assert verify_chain(log).ok


# --- verify_chain: tampering -------------------------------------------------------------------

FIELDS = ("seq", "at", "user_id", "username", "action", "target", "detail", "ip")


@pytest.mark.parametrize("field", FIELDS[1:])
@pytest.mark.parametrize("seq", [1, 37, 100])
def test_editing_any_field_is_detected(field, seq):
    log = make_log(100)
    entry = log[seq - 1]
    if field == "at":
        entry["at"] = entry["at"] + dt.timedelta(microseconds=1)
    elif field == "user_id":
        entry["user_id"] = 99
    else:
        entry[field] = str(entry[field]) + "x"
    check = verify_chain(log)
    assert (check.ok, check.first_bad_seq) == (False, seq)
    assert check.reason == f"entry {seq}: hash does not match its contents"
    assert check.n_entries == seq - 1
    assert check.head == (GENESIS if seq == 1 else log[seq - 2]["hash"])


@pytest.mark.parametrize("seq", [37, 100])
@pytest.mark.parametrize("new", [-1, 1, 1000])
def test_editing_seq_is_detected(seq, new):
    log = make_log(100)
    log[seq - 1]["seq"] = seq + new
    check = verify_chain(log)
    assert (check.ok, check.first_bad_seq) == (False, seq)
    if new > 0:
        assert check.reason == f"sequence gap after {seq - 1}: next entry is {seq + new}"
    else:
        assert check.reason == f"entry {seq - 1} follows entry {seq - 1}: sequence out of order"


def test_editing_the_first_seq_is_detected():
    log = make_log(100)
    log[0]["seq"] = 0
    check = verify_chain(log)
    assert (check.first_bad_seq, check.reason) == (0, "entry 0: hash does not match its contents")


def test_swapping_seq_numbers_is_detected():
    log = make_log(100)
    log[11]["seq"], log[12]["seq"] = 13, 12
    log[11], log[12] = log[12], log[11]  # rows come back ordered by seq
    check = verify_chain(log)
    assert (check.ok, check.first_bad_seq) == (False, 12)
    assert check.reason == "entry 12: prev_hash does not link to entry 11"


@pytest.mark.parametrize("seq", [1, 2, 50, 99])
def test_adding_an_extra_field_is_detected(seq):
    log = make_log(100)
    log[seq - 1]["note"] = ""
    check = verify_chain(log)
    assert (check.first_bad_seq, check.reason) == (
        seq,
        f"entry {seq}: hash does not match its contents",
    )


@pytest.mark.parametrize("seq", [2, 13, 99])
def test_deleting_an_entry_is_detected(seq):
    log = make_log(100)
    del log[seq - 1]
    check = verify_chain(log)
    assert (check.ok, check.first_bad_seq) == (False, seq)
    assert check.reason == f"sequence gap after {seq - 1}: next entry is {seq + 1}"
    assert check.n_entries == seq - 1


def test_deleting_the_first_entry_is_detected():
    log = make_log(100)[1:]
    check = verify_chain(log)
    assert (check.first_bad_seq, check.n_entries) == (2, 0)
    assert check.reason == "entry 2: prev_hash does not link to the start of the log"


def test_deleting_the_last_entry_changes_the_head():
    log = make_log(100)
    head = log[-1]["hash"]
    check = verify_chain(log[:-1])
    assert check.ok  # undetectable from the log alone: compare the head kept elsewhere
    assert check.head != head


def test_deleting_and_renumbering_is_detected():
    log = make_log(100)
    del log[12]
    for entry in log[12:]:
        entry["seq"] -= 1
    check = verify_chain(log)
    assert (check.first_bad_seq, check.reason) == (
        13,
        "entry 13: prev_hash does not link to entry 12",
    )


def test_deleting_renumbering_and_rehashing_the_rest_is_detected_only_by_head():
    log = make_log(100)
    head = log[-1]["hash"]
    del log[12]
    for entry in log[12:]:
        entry["seq"] -= 1
    relink(log, 12)
    check = verify_chain(log)
    assert check.ok and check.head != head


@pytest.mark.parametrize("i", [0, 10, 98])
def test_reordering_is_detected(i):
    log = make_log(100)
    log[i], log[i + 1] = log[i + 1], log[i]
    check = verify_chain(log)
    assert not check.ok
    if i == 0:
        assert check.first_bad_seq == 2
        assert check.reason == "entry 2: prev_hash does not link to the start of the log"
    else:
        assert check.first_bad_seq == i + 1
        assert check.reason == f"sequence gap after {i}: next entry is {i + 2}"


def test_duplicate_entry_is_detected():
    log = make_log(100)
    log.insert(30, dict(log[29]))
    check = verify_chain(log)
    assert (check.first_bad_seq, check.reason) == (
        31,
        "entry 30 follows entry 30: sequence out of order",
    )


@pytest.mark.parametrize("seq", [1, 42, 100])
def test_changing_a_hash_is_detected(seq):
    log = make_log(100)
    h = log[seq - 1]["hash"]
    log[seq - 1]["hash"] = ("1" if h[0] == "0" else "0") + h[1:]
    check = verify_chain(log)
    assert (check.first_bad_seq, check.reason) == (
        seq,
        f"entry {seq}: hash does not match its contents",
    )


@pytest.mark.parametrize("seq", [1, 42, 100])
def test_changing_a_prev_hash_is_detected(seq):
    log = make_log(100)
    log[seq - 1]["prev_hash"] = "f" * 64
    check = verify_chain(log)
    assert check.first_bad_seq == seq
    assert "prev_hash does not link" in check.reason


def test_editing_and_rehashing_one_entry_is_caught_at_the_next():
    log = make_log(100)
    log[11]["action"] = "export"
    own = {k: v for k, v in log[11].items() if k not in ("prev_hash", "hash")}
    log[11] = chain_entry(log[11]["prev_hash"], own)
    check = verify_chain(log)
    assert (check.first_bad_seq, check.reason) == (
        13,
        "entry 13: prev_hash does not link to entry 12",
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"seq": None}, "entry at position 5: seq is None; expected an integer"),
        ({"seq": "5"}, "entry at position 5: seq is '5'; expected an integer"),
        ({"seq": True}, "entry at position 5: seq is True; expected an integer"),
        ({"hash": None}, "entry 5: hash is None; expected a SHA-256 in hex"),
        ({"hash": "ABC"}, "entry 5: hash is 'ABC'; expected a SHA-256 in hex"),
        ({"prev_hash": None}, "entry 5: prev_hash does not link to entry 4"),
    ],
)
def test_malformed_entries_are_reported(change, reason):
    log = make_log(10)
    log[4].update(change)
    check = verify_chain(log)
    assert (check.ok, check.reason, check.n_entries) == (False, reason, 4)


def test_missing_seq_key_is_reported():
    log = make_log(10)
    del log[4]["seq"]
    check = verify_chain(log)
    assert check.first_bad_seq is None
    assert check.reason == "entry at position 5: seq is None; expected an integer"


# --- the log in the database ------------------------------------------------------------------


def test_the_audit_chain_holds_after_many_actions(store, people):
    for i in range(120):
        store.audit("view", viewer=people["tina"], target=f"session:{i}", ip="127.0.0.1")
    store.audit("login_failed", target="user:x" * 40, detail="é ✓ \n", ip="::1")
    check = store.verify_audit()
    assert check.ok and check.n_entries == 121
    newest = store.audit_entries(limit=2)
    assert all(isinstance(e, AuditEntryView) for e in newest)
    assert [e.seq for e in newest] == [121, 120]
    assert len(newest[0].target) == 128
    assert (newest[1].username, newest[1].user_id) == ("tina", people["tina"].id)
    assert (newest[0].username, newest[0].user_id, newest[0].ip) == ("", None, "::1")
    assert newest[0].prev_hash == newest[1].hash
    assert len(store.audit_entries()) == 121


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 7", "entry 7: hash"),
        ("UPDATE audit_log SET username = 'theo' WHERE seq = 3", "entry 3: hash"),
        ("DELETE FROM audit_log WHERE seq = 5", "sequence gap after 4"),
    ],
)
def test_tampering_with_the_audit_log_is_found(store, people, tamper, reason):
    for i in range(10):
        store.audit("export", viewer=people["tina"], target=f"session:{i}")
    assert store.verify_audit().ok
    raw(store, tamper)
    check = store.verify_audit()
    assert not check.ok
    assert check.reason.startswith(reason), check.reason


def test_deleting_the_newest_audit_entries_is_found(store, people):
    for i in range(6):
        store.audit("view", viewer=people["tina"], detail=str(i))
    assert store.verify_audit().ok
    raw(store, "DELETE FROM audit_log WHERE seq >= 5")
    check = store.verify_audit()
    assert not check.ok
    assert check.first_bad_seq == 5
    assert "entry 6 was the last one written" in check.reason


def test_rewriting_the_whole_log_without_the_key_is_found(store, people):
    # delete entries, renumber, recompute every hash and the head, as someone with the
    # database but not the key could: the keyed chain does not verify
    for i in range(8):
        store.audit("view", viewer=people["tina"], detail=str(i))
    raw(store, "DELETE FROM audit_log WHERE seq IN (3, 4)")
    rows = raw(
        store,
        "SELECT seq, at, user_id, username, action, target, detail, ip FROM audit_log ORDER BY seq",
    )
    head = GENESIS
    raw(store, "DELETE FROM audit_log")
    for new_seq, row in enumerate(rows, start=1):
        fields = dict(zip(ENTRY_FIELDS, row, strict=True))
        fields["seq"] = new_seq
        fields["at"] = dt.datetime.fromisoformat(str(fields["at"]))
        digest = entry_hash(head, fields)
        raw(
            store,
            "INSERT INTO audit_log (seq, at, user_id, username, action, target, detail, ip, "
            "prev_hash, hash) VALUES (:seq, :at, :user_id, :username, :action, :target, "
            ":detail, :ip, :prev, :hash)",
            **fields,
            prev=head,
            hash=digest,
        )
        head = digest
    raw(store, "UPDATE meta SET value = :v WHERE key = 'audit_head'", v=f"6:{head}".encode())
    check = store.verify_audit()
    assert not check.ok and check.reason == "entry 1: hash does not match its contents"


def test_a_log_written_before_keys_goes_on_keyed(tmp_path, monkeypatch):
    # a data dir from before keyed chains: its entries stay plain SHA-256, new ones are keyed
    monkeypatch.setattr(repo, "PasswordHasher", cheap)
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.migrate()
    cipher = Cipher(generate_key())
    old = Store(db, cipher, tmp_path / "files")
    monkeypatch.setattr(old.audit_log, "_key", None)  # as the old code wrote them
    for i in range(3):
        old.audit("view", detail=str(i))
    new = Store(db, cipher, tmp_path / "files")
    new.check_key()  # the first start of the new code
    for i in range(3):
        new.audit("view", detail=str(i))
    check = new.verify_audit()
    assert check.ok and check.n_entries == 6
    plain, keyed = raw(new, "SELECT hash FROM audit_log WHERE seq IN (3, 4) ORDER BY seq")
    third = new.audit_entries(limit=4)[-1]
    assert third.seq == 3
    fields = {k: v for k, v in third.as_dict().items() if k in ENTRY_FIELDS}
    assert plain[0] == entry_hash(third.prev_hash, fields)
    assert keyed[0] != plain[0]
    db.dispose()


def test_audit_appends_from_several_processes_keep_one_chain(tmp_path):
    """Four processes (as four server processes would be) append to one SQLite file at once:
    the chain stays one chain, with no entry lost (each append takes the write lock first)."""
    codes, check = append_from_processes(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path / "files")
    assert codes == [0, 0, 0, 0]
    assert check.ok, check.reason
    assert check.n_entries == 120

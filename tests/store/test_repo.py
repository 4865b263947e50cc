"""Tests for attunement.store.repo: accounts, sign-ins, access rules, encrypted files, results,
feedback links, trends and the audit log, straight on the Store (no web app)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from store_fixture import append_from_processes

import attunement.store.repo as repo
from attunement.errors import InputError
from attunement.store.crypto import Cipher, KeyMismatchError, generate_key
from attunement.store.db import Database
from attunement.store.repo import LinkExpired, NotFound, RateLimited, Store

TRANSCRIPT = b"speaker,text\nTherapist,What brings you here today?\nClient,My brother Ezekiel.\n"
ROLES = {"therapist": ["Therapist"], "client": ["Client"]}


def cheap(*args, **kwargs) -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    monkeypatch.setattr(repo, "PasswordHasher", cheap)
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    db.migrate()
    s = Store(db, Cipher(generate_key()), tmp_path / "files")
    s.check_key()
    yield s
    db.dispose()


@pytest.fixture
def people(store):
    """tina and theo (therapists), sue (supervises tina), uma (supervises nobody), root."""
    made = {
        "tina": store.create_user("tina", "tina password 7", "therapist"),
        "theo": store.create_user("theo", "theo password 7", "therapist"),
        "sue": store.create_user("sue", "sue password 7", "supervisor"),
        "uma": store.create_user("uma", "uma password 7", "supervisor"),
        "root": store.create_user("root", "root password 7", "admin"),
    }
    store.assign_supervisor("sue", "tina")  # proposed by an admin, accepted by tina
    (pairing,) = store.supervisions(made["tina"])
    store.answer_supervision(made["tina"], pairing["id"], accept=True)
    return made


def raw(store: Store, sql: str, **params):
    with store.db.engine.begin() as conn:
        result = conn.execute(text(sql), params)
        return result.all() if result.returns_rows else None


def later(monkeypatch, **delta):
    real = repo.utcnow
    monkeypatch.setattr(repo, "utcnow", lambda: real() + dt.timedelta(**delta))


def add_session(store, who, label="J. Q.", files=None) -> tuple[str, str]:
    cid = store.create_client(who, label)
    sid = store.create_session(
        who, cid, held_on=dt.date(2026, 3, 2), files=files or {"transcript": ("a.csv", TRANSCRIPT)}
    )
    return cid, sid


def finish(store, who, sid, metrics=None) -> int:
    pk = store.queue(who, sid, ROLES)
    store.store_results(
        pk,
        report="<p>report</p>",
        results=json.dumps({"metrics": metrics or {}}),
        utterances="index,text\n0,hello\n",
        metrics=metrics or {"language_style_matching": 0.8, "eda_synchrony": None},
    )
    return pk


# --- accounts and sign-in --------------------------------------------------------------------


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


def test_user_names_are_unique_whatever_the_case(store, people):
    with pytest.raises(InputError, match="'TINA' is taken"):
        store.create_user("TINA", "another password", "therapist")
    listing = {u["username"]: u for u in store.users()}
    assert listing["sue"]["supervises"] == ["tina"]
    assert listing["uma"]["supervises"] == []


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
    store._hasher = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
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


def test_switching_off_ends_every_sign_in(store, people):
    token = store.start_login(people["tina"])
    store.set_active(people["tina"].id, False)
    assert store.resolve_login(token, idle_minutes=30) is None
    assert store.get_viewer(people["tina"].id) is None
    with pytest.raises(NotFound):
        store.set_active(999, True)


def test_assign_supervisor_checks_roles(store, people):
    with pytest.raises(InputError, match="'tina' is not a supervisor account"):
        store.assign_supervisor("tina", "theo")
    with pytest.raises(InputError, match="'root' is not a therapist account"):
        store.assign_supervisor("uma", "root")


# --- access rules ----------------------------------------------------------------------------


def test_who_sees_what(store, people):
    cid, sid = add_session(store, people["tina"])
    theo_cid, theo_sid = add_session(store, people["theo"], "Theo's")
    assert [c["id"] for c in store.clients(people["tina"])] == [cid]
    assert [c["id"] for c in store.clients(people["sue"])] == [cid]
    assert store.clients(people["uma"]) == [] and store.clients(people["root"]) == []
    assert store.session(people["sue"], sid)["own"] is False
    assert store.session(people["tina"], sid, write=True)["own"] is True
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
    with pytest.raises(InputError, match="only a therapist account can add clients"):
        store.create_client(people["sue"], "X")


# --- files -----------------------------------------------------------------------------------


def test_uploads_are_encrypted_on_disk_and_read_back(store, people, tmp_path):
    _, sid = add_session(store, people["tina"], files={"transcript": ("ezekiel.csv", TRANSCRIPT)})
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].parent.name == sid
    assert b"Ezekiel" not in files[0].read_bytes()
    assert store.read_file(people["sue"], sid, "transcript") == ("ezekiel.csv", TRANSCRIPT)
    assert store.session(people["tina"], sid)["files"] == {
        "transcript": {"name": "ezekiel.csv", "size": len(TRANSCRIPT)}
    }
    db_bytes = (tmp_path / "store.db").read_bytes() + (tmp_path / "store.db-wal").read_bytes()
    assert b"ezekiel" not in db_bytes and b"J. Q." not in db_bytes


def test_a_failed_upload_leaves_no_file_and_no_row(store, people, tmp_path, monkeypatch):
    real = repo.write_encrypted
    calls = []

    def fail_second(path, data, cipher):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data, cipher)

    monkeypatch.setattr(repo, "write_encrypted", fail_second)
    cid = store.create_client(people["tina"], "J. Q.")
    with pytest.raises(OSError, match="disk full"):
        store.create_session(
            people["tina"],
            cid,
            held_on=None,
            files={"transcript": ("a.csv", TRANSCRIPT), "audio": ("a.wav", b"RIFF")},
        )
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
    assert raw(store, "SELECT count(*) FROM sessions") == [(0,)]


def test_results_replace_earlier_outputs(store, people, tmp_path):
    _, sid = add_session(store, people["tina"])
    pk = finish(store, people["tina"], sid, {"language_style_matching": 0.5})
    first = sorted(p.name for p in (tmp_path / "files" / sid).iterdir())
    finish(store, people["tina"], sid, {"language_style_matching": 0.7})
    second = sorted(p.name for p in (tmp_path / "files" / sid).iterdir())
    assert len(first) == len(second) == 4
    assert set(first) & set(second) == {n for n in first if n.startswith("transcript-")}
    assert store.metrics(pk) == {"language_style_matching": 0.7}
    assert store.session(people["tina"], sid)["status"] == "done"
    assert store.read_file(people["tina"], sid, "report")[1] == b"<p>report</p>"


def test_an_analysis_error_is_kept_encrypted(store, people, tmp_path):
    _, sid = add_session(store, people["tina"])
    pk = store.queue(people["tina"], sid, ROLES)
    error = "brother-ezekiel.zip:1: found 'Ezekiel cried' where a header was expected"
    store.set_progress(pk, status="failed", progress=100, stage="failed", error=error)
    assert store.session(people["tina"], sid)["error"] == error
    (stored,) = raw(store, "SELECT error FROM sessions")[0]
    assert "ezekiel" not in stored.lower() and stored.startswith("sealed:")
    store.db.dispose()
    db_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    assert b"Ezekiel" not in db_bytes and b"ezekiel" not in db_bytes
    # an error written in the clear (before errors were sealed) still reads
    raw(store, "UPDATE sessions SET error = 'plain words'")
    assert store.session(people["tina"], sid)["error"] == "plain words"
    store.queue(people["tina"], sid, ROLES)
    assert store.session(people["tina"], sid)["error"] == ""


def test_deleting_a_session_removes_everything_of_it(store, people, tmp_path):
    _, sid = add_session(store, people["tina"])
    _, keep = add_session(store, people["tina"], "Other")
    pk = finish(store, people["tina"], sid)
    token = store.create_link(people["tina"], sid, ["phq9"], hours=1)
    store.save_feedback(pk, {"phq9": ("client", {"item1": 1}, {"total": 1})}, link_token=token)
    store.delete_session(people["tina"], sid)
    assert not (tmp_path / "files" / sid).exists()
    assert (tmp_path / "files" / keep).is_dir()
    for table in ("session_files", "session_metrics", "feedback_links", "feedback_responses"):
        assert raw(store, f"SELECT count(*) FROM {table} WHERE session_id = :pk", pk=pk) == [(0,)]
    with pytest.raises(NotFound):
        store.session(people["tina"], sid)


def test_pending_jobs_are_queued_or_running_in_order(store, people):
    _, a = add_session(store, people["tina"])
    _, b = add_session(store, people["tina"])
    _, c = add_session(store, people["tina"])
    pa = store.queue(people["tina"], a, ROLES)
    pc = store.queue(people["tina"], c, ROLES)
    store.set_progress(pc, status="running", progress=10, stage="measuring")
    assert store.pending_jobs() == [(pa, a), (pc, c)]
    store.set_progress(pa, status="done", progress=100, stage="done")
    assert store.pending_jobs() == [(pc, c)]
    store.set_progress(99999, status="done", progress=1, stage="x")  # gone: ignored
    assert b not in dict(store.pending_jobs()).values()


# --- feedback --------------------------------------------------------------------------------


def test_a_link_is_used_once_and_expires(store, people, monkeypatch):
    _, sid = add_session(store, people["tina"])
    pk = store.session(people["tina"], sid)["pk"]
    token = store.create_link(people["tina"], sid, ["client_session"], hours=2)
    assert store.open_link(token)["session_id"] == sid
    answers = {"client_session": ("client", {"heard": 7, "stood_out": "Ezekiel"}, {"heard": 7})}
    store.save_feedback(pk, answers, link_token=token)
    with pytest.raises(LinkExpired):
        store.open_link(token)
    with pytest.raises(LinkExpired):
        store.save_feedback(pk, answers, link_token=token)
    with pytest.raises(NotFound):
        store.open_link("made-up")
    fresh = store.create_link(people["tina"], sid, ["phq9"], hours=2)
    later(monkeypatch, hours=2, seconds=1)
    with pytest.raises(LinkExpired):
        store.open_link(fresh)
    with pytest.raises(LinkExpired):
        store.save_feedback(pk, answers, link_token=fresh)
    assert [link["state"] for link in store.links(pk)] == ["answered", "expired"]
    (stored,) = raw(store, "SELECT answers_enc FROM feedback_responses")[0]
    assert b"Ezekiel" not in stored
    assert store.feedback(pk)[0]["answers"] == {"heard": 7, "stood_out": "Ezekiel"}


def test_answering_again_replaces_the_earlier_answers(store, people):
    _, sid = add_session(store, people["tina"])
    pk = store.session(people["tina"], sid)["pk"]
    store.save_feedback(pk, {"therapist_reflection": ("therapist", {"moved": 3}, {"moved": 3})})
    store.save_feedback(pk, {"therapist_reflection": ("therapist", {"moved": 8}, {"moved": 8})})
    (only,) = store.feedback(pk)
    assert only["answers"] == {"moved": 8} and only["scores"] == {"moved": 8}


def test_trend_rows_hold_analysed_sessions_with_numeric_scores(store, people):
    _, _draft = add_session(store, people["tina"])
    cid, sid = add_session(store, people["tina"], "Trend client")
    pk = finish(store, people["tina"], sid)
    store.save_feedback(
        pk,
        {
            "phq9": ("client", {}, {"total": 11, "band": "moderate", "flags": ["x"]}),
            "client_session": ("client", {}, {"heard": 9, "ok": True}),
        },
    )
    (row,) = store.trend_rows(people["tina"])
    assert row["session_id"] == sid and row["client_label"] == "Trend client"
    assert row["held_on"] == dt.date(2026, 3, 2)
    assert row["language_style_matching"] == 0.8 and row["eda_synchrony"] is None
    assert row["phq9_total"] == 11 and row["client_session_heard"] == 9
    assert "phq9_band" not in row and "phq9_flags" not in row and "client_session_ok" not in row
    assert store.trend_rows(people["sue"]) == [row]
    assert store.trend_rows(people["uma"]) == store.trend_rows(people["root"]) == []
    assert store.trend_rows(people["tina"], client_id=cid) == [row]


# --- key and audit log -----------------------------------------------------------------------


def test_another_key_is_refused_at_the_start(store, tmp_path):
    other = Store(store.db, Cipher(generate_key(), source="ATTUNEMENT_SECRET_KEY"), tmp_path / "f")
    with pytest.raises(KeyMismatchError, match="the key in use \\(ATTUNEMENT_SECRET_KEY\\)"):
        other.check_key()


def test_the_audit_chain_holds_after_many_actions(store, people):
    for i in range(120):
        store.audit("view", viewer=people["tina"], target=f"session:{i}", ip="127.0.0.1")
    store.audit("login_failed", target="user:x" * 40, detail="é ✓ \n", ip="::1")
    check = store.verify_audit()
    assert check.ok and check.n_entries == 121
    newest = store.audit_entries(limit=2)
    assert [e["seq"] for e in newest] == [121, 120]
    assert len(newest[0]["target"]) == 128


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
    from attunement.store import audit as audit_chain

    for i in range(8):
        store.audit("view", viewer=people["tina"], detail=str(i))
    raw(store, "DELETE FROM audit_log WHERE seq IN (3, 4)")
    rows = raw(
        store,
        "SELECT seq, at, user_id, username, action, target, detail, ip FROM audit_log ORDER BY seq",
    )
    head = audit_chain.GENESIS
    raw(store, "DELETE FROM audit_log")
    names = ("seq", "at", "user_id", "username", "action", "target", "detail", "ip")
    for new_seq, row in enumerate(rows, start=1):
        fields = dict(zip(names, row, strict=True))
        fields["seq"] = new_seq
        fields["at"] = dt.datetime.fromisoformat(str(fields["at"]))
        digest = audit_chain.entry_hash(head, fields)
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
    from attunement.store import audit as audit_chain

    monkeypatch.setattr(repo, "PasswordHasher", cheap)
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.migrate()
    cipher = Cipher(generate_key())
    old = Store(db, cipher, tmp_path / "files")
    monkeypatch.setattr(old, "_audit_key", None)  # as the old code wrote them
    for i in range(3):
        old.audit("view", detail=str(i))
    new = Store(db, cipher, tmp_path / "files")
    new.check_key()  # the first start of the new code
    for i in range(3):
        new.audit("view", detail=str(i))
    check = new.verify_audit()
    assert check.ok and check.n_entries == 6
    plain, keyed = raw(new, "SELECT hash FROM audit_log WHERE seq IN (3, 4) ORDER BY seq")
    assert plain[0] == audit_chain.entry_hash(
        raw(new, "SELECT prev_hash FROM audit_log WHERE seq = 3")[0][0],
        {k: v for k, v in new.audit_entries(limit=4)[-1].items() if k not in ("prev_hash", "hash")},
    )
    assert keyed[0] != plain[0]
    db.dispose()


def test_the_first_admin_can_be_made_only_once(store):
    made = store.create_first_admin("root", "root password 7")
    assert made.role == "admin"
    with pytest.raises(InputError, match="an account exists already"):
        store.create_first_admin("other", "other password")
    assert [u["username"] for u in store.users()] == ["root"]


def test_sweep_removes_files_no_row_points_to(store, people):
    cid = store.create_client(people["tina"], "R. K.")
    sid = store.create_session(
        people["tina"], cid, held_on=None, files={"transcript": ("s.csv", TRANSCRIPT)}
    )
    kept = sorted(p for p in store.files_dir.rglob("*") if p.is_file())
    orphan_dir = store.files_dir / "left-by-a-killed-upload"
    orphan_dir.mkdir()
    (orphan_dir / "transcript-abc.bin").write_bytes(b"ciphertext")
    (store.files_dir / sid / ".transcript-x.bin.tmp").write_bytes(b"half")
    assert store.sweep_orphans() == 2
    assert sorted(p for p in store.files_dir.rglob("*") if p.is_file()) == kept
    assert not orphan_dir.exists()
    assert store.read_file(people["tina"], sid, "transcript")[1] == TRANSCRIPT


def test_audit_appends_from_several_processes_keep_one_chain(tmp_path):
    """Four processes (as four server processes would be) append to one SQLite file at once:
    the chain stays one chain, with no entry lost (each append takes the write lock first)."""
    codes, check = append_from_processes(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path / "files")
    assert codes == [0, 0, 0, 0]
    assert check.ok, check.reason
    assert check.n_entries == 120


def test_a_sign_in_ends_after_its_lifetime_however_busy(store, people, monkeypatch):
    token = store.start_login(people["tina"])
    for hours in (4, 4, 3.9):  # (later() adds up) in use at 4, 8 and 11.9 hours
        later(monkeypatch, hours=hours)
        assert store.resolve_login(token, idle_minutes=5 * 60, max_hours=12) == people["tina"]
    later(monkeypatch, hours=0.2)
    assert store.resolve_login(token, idle_minutes=5 * 60, max_hours=12) is None
    assert raw(store, "SELECT count(*) FROM login_sessions") == [(0,)]


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


def test_a_supervision_opens_nothing_until_the_therapist_accepts(store, people):
    tina, theo, uma = people["tina"], people["theo"], people["uma"]
    cid = store.create_client(theo, "R. K.")
    store.assign_supervisor("uma", "theo")
    assert store.clients(uma) == []
    with pytest.raises(NotFound):
        store.client(uma, cid)
    (pairing,) = store.supervisions(theo)
    assert pairing == {
        "id": pairing["id"],
        "supervisor": "uma",
        "therapist": "theo",
        "accepted": False,
    }
    with pytest.raises(NotFound):  # only theo answers for theo
        store.answer_supervision(tina, pairing["id"], accept=True)
    assert store.answer_supervision(theo, pairing["id"], accept=True) == "uma"
    assert [c["id"] for c in store.clients(uma)] == [cid]
    assert store.end_supervision(theo, pairing["id"]) == ("uma", "theo")
    assert store.clients(uma) == []
    store.assign_supervisor("uma", "theo")
    (again,) = store.supervisions(theo)
    store.answer_supervision(theo, again["id"], accept=False)  # declined: gone
    assert store.supervisions(theo) == []


def test_resetting_a_supervisors_password_asks_their_therapists_again(store, people):
    sue, tina = people["sue"], people["tina"]
    assert store.clients(sue) == store.clients(tina)  # accepted in the fixture
    store.create_client(tina, "R. K.")
    assert len(store.clients(sue)) == 1
    store.reset_password(sue.id, "a new phrase for sue 3")
    assert store.clients(sue) == []
    assert store.supervisions(tina)[0]["accepted"] is False

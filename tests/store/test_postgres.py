"""The store on a real PostgreSQL server (the URL in ATTUNEMENT_TEST_POSTGRES_URL).

`.ci/run` starts Debian's PostgreSQL and sets the variable; elsewhere these tests are skipped
unless it is given. Each test works in a schema of its own, dropped afterwards, so that parallel
test workers do not meet.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from urllib.parse import quote

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from store_fixture import append_from_processes

from attunement.store.crypto import Cipher, generate_key
from attunement.store.db import Database
from attunement.store.models import Base
from attunement.store.repo import NotFound, Store

URL = os.environ.get("ATTUNEMENT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not URL, reason="no PostgreSQL server (set ATTUNEMENT_TEST_POSTGRES_URL; .ci/run does)"
)


@pytest.fixture
def pg_url():
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in URL else "?"
    yield f"{URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_migrations_match_the_models_on_postgres(pg_url):
    db = Database(pg_url)
    db.migrate()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []
    assert {"users", "sessions", "audit_log", "feedback_responses"} <= set(db.table_names())


def test_store_round_trip_on_postgres(pg_url, tmp_path):
    db = Database(pg_url)
    db.migrate()
    store = Store(db, Cipher(generate_key()), tmp_path / "files")
    store.check_key()
    alice = store.create_user("alice", "a long password", "therapist")
    bob = store.create_user("bob", "another password", "therapist")
    cid = store.create_client(alice, "R. K.")
    sid = store.create_session(
        alice,
        cid,
        held_on=dt.date(2026, 11, 20),
        files={"transcript": ("s.txt", b"Therapist: Hello.\nClient: Hi.\n")},
    )
    pk = store.queue(alice, sid, {"therapist": ["Therapist"], "client": ["Client"]})
    store.store_results(
        pk,
        report="<p>report</p>",
        results="{}",
        utterances="index\n0\n",
        metrics={"eda_synchrony": 0.5, "lsm": None},
    )
    store.save_feedback(
        pk, {"phq9": ("client", {"item1": 1}, {"total": 1, "band": "minimal", "flags": []})}
    )
    for i in range(5):
        store.audit("view", viewer=alice, target=f"session:{sid}", detail=str(i))

    assert store.session(alice, sid).status == "done"
    assert store.read_file(alice, sid, "transcript") == (
        "s.txt",
        b"Therapist: Hello.\nClient: Hi.\n",
    )
    with pytest.raises(NotFound):
        store.session(bob, sid)
    rows = store.trend_rows(alice)
    assert rows[0].values["eda_synchrony"] == 0.5 and rows[0].values["phq9_total"] == 1
    assert store.verify_audit().ok and store.verify_audit().n_entries == 5
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'edited' WHERE seq = 3"))
    check = store.verify_audit()
    assert not check.ok and check.first_bad_seq == 3
    store.delete_session(alice, sid)
    assert store.sessions(alice) == []
    db.dispose()


def test_audit_appends_from_several_processes_keep_one_chain(pg_url, tmp_path):
    """Four processes (as four server processes would be) append at once: the chain stays
    one chain, with no entry lost (each append locks the head row first)."""
    codes, check = append_from_processes(pg_url, tmp_path)
    assert codes == [0, 0, 0, 0]
    assert check.ok, check.reason
    assert check.n_entries == 120

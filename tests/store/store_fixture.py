"""Fixtures and helpers of the store tests.

A test module makes the fixtures it uses from :func:`temporary_store` and :func:`accounts`
(``store = pytest.fixture(temporary_store, name="store")``): the folders of tests are not
packages, so a conftest.py here would clash with the other folders' ones.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import text

import attunement.store.repo as repo
from attunement.store import base
from attunement.store.crypto import Cipher, generate_key
from attunement.store.db import Database
from attunement.store.repo import Store
from attunement.store.views import Viewer

TRANSCRIPT = b"speaker,text\nTherapist,What brings you here today?\nClient,My brother Ezekiel.\n"
ROLES = {"therapist": ["Therapist"], "client": ["Client"]}


def cheap(*args, **kwargs) -> PasswordHasher:
    """An Argon2 hasher with the smallest costs: the tests hash often."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def temporary_store(tmp_path, monkeypatch) -> Iterator[Store]:
    """A store on a temporary SQLite file, its passwords hashed cheaply (fixture ``store``)."""
    monkeypatch.setattr(repo, "PasswordHasher", cheap)
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    db.migrate()
    s = Store(db, Cipher(generate_key()), tmp_path / "files")
    s.check_key()
    yield s
    db.dispose()


def accounts(store: Store) -> dict[str, Viewer]:
    """tina and theo (therapists), sue (supervises tina), uma (supervises nobody), root
    (fixture ``people``)."""
    made = {
        "tina": store.create_user("tina", "tina password 7", "therapist"),
        "theo": store.create_user("theo", "theo password 7", "therapist"),
        "sue": store.create_user("sue", "sue password 7", "supervisor"),
        "uma": store.create_user("uma", "uma password 7", "supervisor"),
        "root": store.create_user("root", "root password 7", "admin"),
    }
    store.assign_supervisor("sue", "tina")  # proposed by an admin, accepted by tina
    (pairing,) = store.supervisions(made["tina"])
    store.answer_supervision(made["tina"], pairing.id, accept=True)
    return made


def raw(store: Store, sql: str, **params):
    """Run one SQL statement on the store's database (committed); returns the rows."""
    with store.db.engine.begin() as conn:
        result = conn.execute(text(sql), params)
        return result.all() if result.returns_rows else None


def later(monkeypatch, **delta) -> None:
    """Move the store's clock forward by ``delta`` (timedelta keywords; calls add up)."""
    real = base.utcnow
    monkeypatch.setattr(base, "utcnow", lambda: real() + dt.timedelta(**delta))


def add_session(store, who, label="J. Q.", files=None) -> tuple[str, str]:
    """A new client of ``who`` and a draft session of it: (client id, session id)."""
    cid = store.create_client(who, label)
    sid = store.create_session(
        who, cid, held_on=dt.date(2026, 3, 2), files=files or {"transcript": ("a.csv", TRANSCRIPT)}
    )
    return cid, sid


def finish(store, who, sid, metrics=None) -> int:
    """Queue a session and store results for it, as an analysis would; returns its key."""
    pk = store.queue(who, sid, ROLES)
    store.store_results(
        pk,
        report="<p>report</p>",
        results=json.dumps({"metrics": metrics or {}}),
        utterances="index,text\n0,hello\n",
        metrics=metrics or {"language_style_matching": 0.8, "eda_synchrony": None},
    )
    return pk


def append_from_a_process(url: str, key: bytes, files: str, n: int) -> None:
    """Run in a forked process: ``n`` audit appends, each slowed between reading the log's
    head and writing after it, as a busy server process would be."""
    import time

    from attunement.store import audit

    real = audit.entry_hash

    def slow(prev, fields, **kwargs):  # widen the window between reading the head and writing
        time.sleep(0.005)
        return real(prev, fields, **kwargs)

    audit.entry_hash = slow  # this process only (forked)
    db = Database(url)
    st = Store(db, Cipher(key), Path(files))
    for j in range(n):
        st.audit("view", detail=str(j))
    db.dispose()


def append_from_processes(url: str, files: Path, *, processes: int = 4, each: int = 30):
    """Open a store on ``url``, let ``processes`` forked processes append ``each`` audit entries
    at once, and return (their exit codes, the chain check)."""
    import multiprocessing

    key = generate_key()
    db = Database(url)
    db.migrate()
    first = Store(db, Cipher(key), files)
    first.check_key()
    ctx = multiprocessing.get_context("fork")
    procs = [
        ctx.Process(target=append_from_a_process, args=(url, key, str(files), each))
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    check = first.verify_audit()
    db.dispose()
    return [p.exitcode for p in procs], check

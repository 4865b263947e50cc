"""Helpers of the store tests."""

from __future__ import annotations

from pathlib import Path

from attunement.store.crypto import Cipher
from attunement.store.db import Database
from attunement.store.repo import Store


def append_from_a_process(url: str, key: bytes, files: str, n: int) -> None:
    """Run in a forked process: ``n`` audit appends, each slowed between reading the log's
    head and writing after it, as a busy server process would be."""
    import time

    import attunement.store.repo as repo

    real = repo.audit_chain.entry_hash

    def slow(prev, fields, **kwargs):  # widen the window between reading the head and writing
        time.sleep(0.005)
        return real(prev, fields, **kwargs)

    repo.audit_chain.entry_hash = slow  # this process only (forked)
    db = Database(url)
    st = Store(db, Cipher(key), Path(files))
    for j in range(n):
        st.audit("view", detail=str(j))
    db.dispose()


def append_from_processes(url: str, files: Path, *, processes: int = 4, each: int = 30):
    """Open a store on ``url``, let ``processes`` forked processes append ``each`` audit entries
    at once, and return (their exit codes, the chain check)."""
    import multiprocessing

    from attunement.store.crypto import generate_key

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

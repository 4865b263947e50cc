"""Tests for attunement.store.clinical: clients, sessions, analysis jobs and their results."""

from __future__ import annotations

import datetime as dt

import pytest
from store_fixture import ROLES, TRANSCRIPT, accounts, add_session, finish, raw, temporary_store

from attunement.errors import InputError
from attunement.store.repo import NotFound
from attunement.store.views import ClientView, SessionRow, SessionView

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")


def test_clients_and_their_sessions(store, people):
    cid, sid = add_session(store, people["tina"], "  J.   Q. ")
    (listed,) = store.clients(people["sue"])
    assert isinstance(listed, ClientView)
    assert (listed.id, listed.label, listed.therapist, listed.n_sessions) == (
        cid,
        "J. Q.",
        "tina",
        1,
    )
    assert store.client(people["sue"], cid) == listed
    (row,) = store.sessions(people["tina"], client_id=cid)
    assert row == SessionRow(
        id=sid,
        client_id=cid,
        client_label="J. Q.",
        therapist="tina",
        held_on=dt.date(2026, 3, 2),
        status="draft",
        progress=0,
        created_at=row.created_at,
    )
    assert store.sessions(people["tina"], client_id="someone-else") == []


@pytest.mark.parametrize("label", ["", "   ", "x" * 81])
def test_a_client_label_is_1_to_80_characters(store, people, label):
    with pytest.raises(InputError, match="label: has"):
        store.create_client(people["tina"], label)


def test_a_session_needs_a_transcript(store, people):
    cid = store.create_client(people["tina"], "J. Q.")
    with pytest.raises(InputError, match="transcript: is missing"):
        store.create_session(people["tina"], cid, held_on=None, files={"audio": ("a", b"x")})


def test_a_session_keeps_its_start_and_speakers_encrypted(store, people):
    cid = store.create_client(people["tina"], "J. Q.")
    speakers = [{"name": "Ezekiel", "count": 2, "role": "client"}]
    sid = store.create_session(
        people["tina"],
        cid,
        held_on=None,
        files={"transcript": ("a.csv", TRANSCRIPT)},
        started_at="2026-03-02T10:00:00+01:00",
        speakers=speakers,
    )
    session = store.session(people["tina"], sid)
    assert isinstance(session, SessionView)
    assert session.roles == {"start": "2026-03-02T10:00:00+01:00", "speakers": speakers}
    pk = store.queue(people["tina"], sid, ROLES)
    assert store.job_roles(pk) == {**session.roles, **ROLES}
    assert store.job_files(pk) == {"transcript": ("a.csv", TRANSCRIPT)}
    (stored,) = raw(store, "SELECT roles_enc FROM sessions")[0]
    assert b"Ezekiel" not in stored


def test_results_are_kept_with_their_metrics(store, people):
    _, sid = add_session(store, people["tina"])
    pk = finish(store, people["tina"], sid, {"language_style_matching": 0.5})
    pk = finish(store, people["tina"], sid, {"language_style_matching": 0.7})
    assert store.metrics(pk) == {"language_style_matching": 0.7}
    session = store.session(people["tina"], sid)
    assert (session.status, session.progress, session.stage) == ("done", 100, "done")
    assert session.analysed_at is not None
    assert store.read_file(people["tina"], sid, "report")[1] == b"<p>report</p>"


def test_an_analysis_error_is_kept_encrypted(store, people, tmp_path):
    _, sid = add_session(store, people["tina"])
    pk = store.queue(people["tina"], sid, ROLES)
    error = "brother-ezekiel.zip:1: found 'Ezekiel cried' where a header was expected"
    store.set_progress(pk, status="failed", progress=100, stage="failed", error=error)
    assert store.session(people["tina"], sid).error == error
    (stored,) = raw(store, "SELECT error FROM sessions")[0]
    assert "ezekiel" not in stored.lower() and stored.startswith("sealed:")
    store.db.dispose()
    db_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    assert b"Ezekiel" not in db_bytes and b"ezekiel" not in db_bytes
    # an error written in the clear (before errors were sealed) still reads
    raw(store, "UPDATE sessions SET error = 'plain words'")
    assert store.session(people["tina"], sid).error == "plain words"
    store.queue(people["tina"], sid, ROLES)
    assert store.session(people["tina"], sid).error == ""


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

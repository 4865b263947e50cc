"""Tests for attunement.store.clinical's sessions uploaded as a recording to transcribe:
created ``transcribing``, found again after a stop, given their transcript and speakers
(encrypted), queued again after a failure."""

from __future__ import annotations

import datetime as dt

import pytest
from store_fixture import accounts, raw, temporary_store

from attunement.errors import InputError
from attunement.store.repo import NotFound

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")

VTT = b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\n<v Speaker 1>What brings you in?</v>\n"
SPEAKERS = [
    {"name": "Speaker 1", "count": 1, "role": "therapist"},
    {"name": "Speaker 2", "count": 1, "role": "client"},
]


def _recording_session(store, who) -> tuple[str, int]:
    cid = store.create_client(who, "J. Q.")
    sid = store.create_session(
        who,
        cid,
        held_on=dt.date(2026, 3, 2),
        files={"audio": ("week 6.m4a", b"\0\0\0\x1cftypM4A ")},
        started_at="2026-03-02T14:00:00+01:00",
        transcribe=True,
    )
    return sid, store.session(who, sid).pk


def test_a_recording_alone_makes_a_session_waiting_to_be_transcribed(store, people):
    sid, pk = _recording_session(store, people["tina"])
    view = store.session(people["tina"], sid)
    assert (view.status, view.progress, view.stage) == (
        "transcribing",
        0,
        "waiting to transcribe the recording",
    )
    assert set(view.files) == {"audio"}
    assert view.roles == {"start": "2026-03-02T14:00:00+01:00"}
    assert store.pending_transcriptions() == [(pk, sid)]
    assert store.pending_jobs() == []  # not an analysis


def test_transcribing_needs_a_recording(store, people):
    cid = store.create_client(people["tina"], "J. Q.")
    with pytest.raises(InputError, match="audio: is missing; expected a recording"):
        store.create_session(
            people["tina"],
            cid,
            held_on=None,
            files={"client_wearable": ("b.zip", b"PK")},
            transcribe=True,
        )


def test_the_transcript_and_its_speakers_are_kept_encrypted(store, people):
    tina = people["tina"]
    sid, pk = _recording_session(store, tina)
    notes = {"transcription": {"n_words": 4}, "roles_guessed": {"therapist": "Speaker 1"}}
    store.store_transcript(pk, name="week 6.vtt", data=VTT, speakers=SPEAKERS, notes=notes)
    view = store.session(tina, sid)
    assert (view.status, view.progress, view.stage, view.error) == ("draft", 0, "", "")
    assert view.roles == {"start": "2026-03-02T14:00:00+01:00", "speakers": SPEAKERS, **notes}
    assert store.read_file(tina, sid, "transcript") == ("week 6.vtt", VTT)
    assert store.pending_transcriptions() == []
    for (blob,) in raw(store, "SELECT roles_enc FROM sessions"):
        assert b"Speaker" not in blob and b"n_words" not in blob
    for path in store.files_dir.rglob("*"):
        if path.is_file():
            assert b"What brings you" not in path.read_bytes()
    # the roles confirmed later keep what the transcription noted
    store.queue(tina, sid, {"therapist": ["Speaker 1"], "client": ["Speaker 2"]})
    assert store.job_roles(pk)["transcription"] == {"n_words": 4}


def test_a_transcript_for_a_deleted_session_is_dropped(store, people):
    tina = people["tina"]
    sid, pk = _recording_session(store, tina)
    store.delete_session(tina, sid)
    store.store_transcript(pk, name="week 6.vtt", data=VTT, speakers=SPEAKERS)
    assert raw(store, "SELECT count(*) FROM session_files") == [(0,)]
    assert not any(p.is_file() for p in store.files_dir.rglob("*"))


def test_a_failed_transcription_is_queued_again(store, people):
    tina = people["tina"]
    sid, pk = _recording_session(store, tina)
    store.set_progress(pk, status="failed", progress=100, stage="failed", error="x.m4a: damaged")
    assert store.pending_transcriptions() == []
    assert store.queue_transcription(tina, sid) == pk
    view = store.session(tina, sid)
    assert (view.status, view.progress, view.error) == ("transcribing", 0, "")
    assert store.pending_transcriptions() == [(pk, sid)]
    with pytest.raises(NotFound):
        store.queue_transcription(people["theo"], sid)
    with pytest.raises(NotFound):
        store.queue_transcription(people["sue"], sid)  # reads, never changes


def test_a_session_without_a_recording_cannot_be_transcribed(store, people):
    tina = people["tina"]
    cid = store.create_client(tina, "J. Q.")
    sid = store.create_session(
        tina, cid, held_on=None, files={"transcript": ("a.vtt", VTT)}, speakers=SPEAKERS
    )
    with pytest.raises(InputError, match="audio: is missing"):
        store.queue_transcription(tina, sid)
    assert store.session(tina, sid).status == "draft"

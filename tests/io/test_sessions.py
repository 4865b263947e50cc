"""Tests of assembling sessions: what can be analysed is what is read."""

from __future__ import annotations

import pytest

from attunement.errors import InputError
from attunement.io import sessions
from attunement.io.sessions import read_session, read_sessions


def test_a_transcript_with_only_one_person_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "monologue.txt"
    path.write_text("Therapist: Welcome.\nTherapist: Take your time.\n")
    with pytest.raises(
        InputError,
        match=r"monologue\.txt: session 'monologue' has no client utterance \(speakers: "
        r"'Therapist' as therapist\); expected both a therapist and a client \(name the "
        r"client's label with --client NAME",
    ):
        read_session(path)


def test_a_corpus_names_the_session_without_a_client(tmp_path):
    path = tmp_path / "corpus.csv"
    path.write_text(
        "transcript_id,utterance_id,interlocutor,utterance_text\n"
        "1,0,therapist,Hi\n1,1,client,Hello\n2,0,therapist,Anyone?\n"
    )
    with pytest.raises(InputError, match=r"corpus\.csv: session 'corpus-2' has no client"):
        list(read_sessions(path))


def test_a_session_longer_than_anyone_talks_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_SESSION_UTTERANCES", 10)
    path = tmp_path / "long.txt"
    path.write_text("Therapist: Hi there.\nClient: Hello.\n" * 6)
    with pytest.raises(
        InputError,
        match=r"long\.txt: session 'long' holds 12 utterances and 18 words; expected at most "
        r"10 utterances and 300,000 words \(about 30 hours",
    ):
        read_session(path)
    monkeypatch.setattr(sessions, "MAX_SESSION_UTTERANCES", 12)
    monkeypatch.setattr(sessions, "MAX_SESSION_WORDS", 17)
    with pytest.raises(InputError, match=r"18 words; expected at most 12 utterances and 17 words"):
        read_session(path)
    monkeypatch.setattr(sessions, "MAX_SESSION_WORDS", 18)
    assert len(read_session(path).utterances) == 12


def test_the_caps_hold_a_long_session():
    # a 3-hour session of fast talk (180 words a minute, a turn every 4 s) fits 5 times over
    assert sessions.MAX_SESSION_UTTERANCES > 5 * 3 * 3600 / 4
    assert sessions.MAX_SESSION_WORDS > 5 * 3 * 60 * 180

"""Tests for attunement.store.feedback: one-time links and encrypted questionnaire answers."""

from __future__ import annotations

import pytest
from store_fixture import accounts, add_session, later, raw, temporary_store

from attunement.store.repo import LinkExpired, NotFound
from attunement.store.views import FeedbackView, OpenedLink

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")


def test_a_link_is_used_once_and_expires(store, people, monkeypatch):
    _, sid = add_session(store, people["tina"])
    pk = store.session(people["tina"], sid).pk
    token = store.create_link(people["tina"], sid, ["client_session"], hours=2)
    opened = store.open_link(token)
    assert opened == OpenedLink(
        session_pk=pk, session_id=sid, questionnaires=("client_session",), held_on=opened.held_on
    )
    assert [link.state for link in store.links(pk)] == ["open"]
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
    links = store.links(pk)
    assert [link.state for link in links] == ["answered", "expired"]
    assert links[0].used_at is not None and links[1].used_at is None
    (stored,) = raw(store, "SELECT answers_enc FROM feedback_responses")[0]
    assert b"Ezekiel" not in stored
    (only,) = store.feedback(pk)
    assert isinstance(only, FeedbackView)
    assert (only.questionnaire, only.respondent) == ("client_session", "client")
    assert only.answers == {"heard": 7, "stood_out": "Ezekiel"}


def test_answering_again_replaces_the_earlier_answers(store, people):
    _, sid = add_session(store, people["tina"])
    pk = store.session(people["tina"], sid).pk
    store.save_feedback(pk, {"therapist_reflection": ("therapist", {"moved": 3}, {"moved": 3})})
    store.save_feedback(pk, {"therapist_reflection": ("therapist", {"moved": 8}, {"moved": 8})})
    (only,) = store.feedback(pk)
    assert only.answers == {"moved": 8} and only.scores == {"moved": 8}


def test_the_band_and_flags_are_sealed_with_the_answers(store, people):
    _, sid = add_session(store, people["tina"])
    pk = store.session(people["tina"], sid).pk
    scores = {"total": 21, "band": "severe", "flags": ["item 9 answered"]}
    store.save_feedback(pk, {"phq9": ("client", {"item9": 2}, scores)})
    (clear,) = raw(store, "SELECT scores FROM feedback_responses")[0]
    assert "severe" not in clear and "item 9" not in clear and "21" in clear
    assert store.feedback(pk)[0].scores == scores

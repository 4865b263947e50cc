"""Tests for attunement.store.trends: one row per analysed session, with numeric scores."""

from __future__ import annotations

import datetime as dt

import pytest
from store_fixture import accounts, add_session, finish, temporary_store

from attunement.store.views import TrendRow

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")


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
    assert isinstance(row, TrendRow)
    assert row.session_id == sid and row.client_id == cid and row.client_label == "Trend client"
    assert row.held_on == dt.date(2026, 3, 2) and row.therapist == "tina"
    assert row.values == {
        "language_style_matching": 0.8,
        "eda_synchrony": None,
        "phq9_total": 11,
        "client_session_heard": 9,
    }
    flat = row.as_dict()
    assert list(flat)[:5] == ["session_id", "held_on", "client_id", "client_label", "therapist"]
    assert flat["phq9_total"] == 11 and "phq9_band" not in flat
    assert store.trend_rows(people["sue"]) == [row]
    assert store.trend_rows(people["uma"]) == store.trend_rows(people["root"]) == []
    assert store.trend_rows(people["tina"], client_id=cid) == [row]
    assert store.trend_rows(people["tina"], client_id="someone-else") == []

"""Tests for attunement.store.views: frozen, typed, and plain dicts when asked."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from attunement.store import views
from attunement.store.views import FeedbackView, TrendRow, UserView, Viewer

AT = dt.datetime(2026, 3, 2, 9, 30)


def test_every_view_is_frozen_with_typed_fields():
    for name in views.__all__:
        cls = getattr(views, name)
        assert dataclasses.is_dataclass(cls), name
        assert cls.__dataclass_params__.frozen, name
        assert all(f.type for f in dataclasses.fields(cls)), name
    user = UserView(1, "tina", "", "therapist", True, AT, ("x",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.role = "admin"


def test_as_dict_gives_the_fields():
    answer = FeedbackView("phq9", "client", {"item1": 2}, {"total": 2}, AT)
    assert answer.as_dict() == {
        "questionnaire": "phq9",
        "respondent": "client",
        "answers": {"item1": 2},
        "scores": {"total": 2},
        "created_at": AT,
    }
    assert Viewer(3, "sue", "supervisor").as_dict() == {
        "id": 3,
        "username": "sue",
        "role": "supervisor",
    }


def test_a_trend_row_is_flat_as_a_dict():
    row = TrendRow("s1", AT.date(), "c1", "J. Q.", "tina", {"eda_synchrony": None})
    assert row.as_dict() == {
        "session_id": "s1",
        "held_on": AT.date(),
        "client_id": "c1",
        "client_label": "J. Q.",
        "therapist": "tina",
        "eda_synchrony": None,
    }
    assert TrendRow("s1", AT.date(), "c1", "J. Q.", "tina").values == {}

"""Tests for attunement.web.summary: measurements beside feedback, trend figures and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

from attunement.ratings import builtin_questionnaires
from attunement.web.summary import (
    BESIDE_METRICS,
    beside,
    feedback_view,
    plot_block,
    trend_csv,
    trend_figures,
)


def test_beside_keeps_the_order_and_skips_what_is_missing():
    metrics = {
        "language_style_matching": 0.8123,
        "reflection_to_question_ratio": 1.5,
        "eda_synchrony": None,
        "not_shown": 3.0,
    }
    out = beside(metrics, [{"questionnaire": "phq9"}])
    names = [m["name"] for m in out["measured"]]
    assert names == ["reflection_to_question_ratio", "language_style_matching"]
    assert names == [n for n in BESIDE_METRICS if n in names]
    assert all(isinstance(m["value"], str) and m["label"] for m in out["measured"])
    assert out["felt"] == [{"questionnaire": "phq9"}]


def test_plot_block_is_a_json_data_block_that_cannot_end_early():
    name = "</script><script>alert(1)</script>"
    fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4], "name": name}], "layout": {}}
    block = plot_block(fig, "p1")
    assert block.startswith('<div class="js-plot" id="p1"></div>')
    body = re.fullmatch(
        r'<div class="js-plot" id="p1"></div><script type="application/json" data-plot="p1">'
        r"(.*)</script>",
        block,
        re.S,
    ).group(1)
    assert "</" not in body
    assert json.loads(body)["data"][0]["name"] == "</script><script>alert(1)</script>"


def _row(day: int, **values):
    return {
        "held_on": dt.date(2026, 1, day),
        "session_id": f"s{day}",
        "client_id": "c1",
        "client_label": "J, Q",
        "therapist": "tina",
        **values,
    }


def test_trend_figures_only_for_groups_with_data():
    assert trend_figures([]) == []
    rows = [
        _row(1, language_style_matching=0.7, phq9_total=12),
        _row(8, language_style_matching=None, phq9_total=9),
    ]
    figures = trend_figures(rows)
    assert [f["title"] for f in figures] == ["Resonance", "Symptoms (PHQ-9, GAD-7)"]
    data = json.loads(re.search(r">(\{.*\})</script>", figures[1]["html"], re.S).group(1))
    (trace,) = data["data"]
    assert trace["x"] == ["2026-01-01", "2026-01-08"] and trace["y"] == [12, 9]
    ids = [re.search(r'id="([^"]+)"', f["html"]).group(1) for f in figures]
    assert len(set(ids)) == len(ids)


def test_trend_csv_has_fixed_leading_columns_then_the_rest_sorted():
    rows = [_row(1, b_metric=1.5, a_metric=None), _row(2, c_score=3)]
    text = trend_csv(rows)
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == [
        "held_on",
        "session_id",
        "client_id",
        "client_label",
        "therapist",
        "a_metric",
        "b_metric",
        "c_score",
    ]
    first, second = list(reader)
    assert first["client_label"] == "J, Q"  # quoted, not split
    assert (first["a_metric"], first["b_metric"], first["c_score"]) == ("", "1.5", "")
    assert second["c_score"] == "3"
    assert trend_csv([]).strip() == "held_on,session_id,client_id,client_label,therapist"


def test_feedback_view_labels_answers_and_puts_the_client_first():
    qs = builtin_questionnaires()
    feedback = [
        {
            "questionnaire": "therapist_reflection",
            "respondent": "therapist",
            "answers": {"present": 6, "what_moved": "Her laugh"},
            "scores": {"total": None, "band": None, "flags": []},
        },
        {
            "questionnaire": "phq9",
            "respondent": "client",
            "answers": {"item1": 2, "item9": 1},
            "scores": {"total": 3, "band": "minimal", "flags": ["check safety"]},
        },
        {
            "questionnaire": "retired_form",
            "respondent": "client",
            "answers": {"q": "x"},
            "scores": {},
        },
    ]
    view = feedback_view(feedback, qs)
    assert [v["id"] for v in view] == ["phq9", "retired_form", "therapist_reflection"]
    phq9 = view[0]
    assert phq9["title"] == qs["phq9"].title
    assert phq9["lines"][0] == {
        "text": qs["phq9"].items[0].text,
        "answer": "More than half the days",
    }
    assert (phq9["total"], phq9["band"], phq9["flags"]) == (3, "minimal", ["check safety"])
    assert view[1]["lines"] == [{"text": "q", "answer": "x"}]
    reflection = {line["text"]: line["answer"] for line in view[2]["lines"]}
    assert reflection["How present did you feel with your client today?"] == "6 of 10"
    assert reflection["What moved you?"] == "Her laugh"


def test_the_client_s_moved_answer_beside_the_moments():
    from attunement import metrics as m
    from attunement.web.summary import MOVED_ITEM, moved_answer

    qs = builtin_questionnaires()
    assert "_".join(MOVED_ITEM) == m.CLIENT_SESSION_MOVED.name
    feedback = [
        {
            "questionnaire": "therapist_reflection",
            "respondent": "therapist",
            "answers": {"moved": 9},
        },
        {"questionnaire": "client_session", "respondent": "client", "answers": {"moved": 3}},
    ]
    got = moved_answer(feedback, qs)
    assert got["text"] == "Today I felt my therapist was moved by what I shared."
    assert (got["answer"], got["value"], got["max"]) == ("3 of 10", 3, 10)
    assert moved_answer([], qs)["answer"] is None
    assert moved_answer(feedback, {}) is None


def test_split_report_at_the_moments_slot():
    from attunement.report.html import FELT_SLOT
    from attunement.web.summary import split_report

    assert split_report(f"<h2>Moments</h2>{FELT_SLOT}<table>") == ("<h2>Moments</h2>", "<table>")
    assert split_report("<p>an older report</p>") is None


def test_mental_state_language_is_a_trend():
    rows = [_row(1, client_mentalizing_rate=2.5), _row(8, client_mentalizing_rate=3.1)]
    (figure,) = trend_figures(rows)
    assert figure["title"] == "Client's mental-state language (per 100 words)"
    assert "Client&#39;s mental-state language" in figure["html"] or (
        "Client's mental-state language" in figure["html"]
    )

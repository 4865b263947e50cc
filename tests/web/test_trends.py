"""Tests for attunement.web.routes.trends: trend pages and CSV exports, per viewer."""

from __future__ import annotations

import csv
import io

import pandas as pd
from web_fixture import audit_rows, login, new_client, upload_demo

LEAD = ["held_on", "session_id", "client_id", "client_label", "therapist"]


def _rows(response) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(response.text))
    return list(reader.fieldnames or []), list(reader)


def test_therapist_trends_page_and_csv(shared):
    c, w = shared.client, shared.world
    login(c, "tina")
    page = c.get("/trends")
    assert page.status_code == 200
    assert '<h2>tina <span class="muted">(1 session' in page.text
    assert "Resonance" in page.text and 'data-plot="trend-' in page.text
    r = c.get("/trends.csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="attunement-trends.csv"'
    header, rows = _rows(r)
    assert header[:5] == LEAD
    assert header[5:] == sorted(header[5:])
    assert {"language_style_matching", "eda_synchrony", "reflection_to_question_ratio"} <= set(
        header
    )
    (row,) = rows
    assert (row["held_on"], row["session_id"], row["client_id"]) == ("2026-11-20", w.sid, w.cid)
    assert (row["client_label"], row["therapist"]) == (w.label, "tina")
    assert float(row["language_style_matching"]) > 0
    assert audit_rows(w.data_dir, "export")[-1]["detail"] == "trends.csv"


def test_supervisor_trends_hold_their_therapists_only(shared):
    c, w = shared.client, shared.world
    login(c, "sue")
    _, rows = _rows(c.get("/trends.csv"))
    assert [r["session_id"] for r in rows] == [w.sid]
    assert "<h2>tina" in c.get("/trends").text


def test_trends_of_someone_with_nothing_analysed(shared):
    c = shared.client
    for user in ("theo", "uma"):
        c.cookies.clear()
        login(c, user)
        header, rows = _rows(c.get("/trends.csv"))
        assert header == LEAD and rows == []
        assert "No analysed sessions yet." in c.get("/trends").text


def test_client_trends_csv_is_that_clients_only(shared):
    c, w = shared.client, shared.world
    login(c, "theo")
    header, rows = _rows(c.get(f"/clients/{w.theo_cid}/trends.csv"))
    assert header == LEAD and rows == []  # a draft is not a trend point
    c.cookies.clear()
    login(c, "tina")
    _, rows = _rows(c.get(f"/clients/{w.cid}/trends.csv"))
    assert [r["session_id"] for r in rows] == [w.sid]


EVIL = '=HYPERLINK("http://evil.example/","open")'
#: EVIL neutralised, as a CSV cell.
EVIL_CELL = '"\'=HYPERLINK(""http://evil.example/"",""open"")"'


def test_trends_csv_has_no_formula_cells_and_keeps_negative_numbers(client, users):
    store = client.app.state.store
    login(client, "tina")
    cid = new_client(client, EVIL)
    sid = upload_demo(client, cid, rows=6, roles=None)
    pk = store.session(users["tina"], sid).pk
    metrics = {"eda_synchrony": -0.5, "language_style_matching": 0.75, "hr_synchrony": None}
    store.store_results(pk, report="<p>r</p>", results="{}", utterances="", metrics=metrics)
    for path in ("/trends.csv", f"/clients/{cid}/trends.csv"):
        r = client.get(path)
        assert r.status_code == 200
        assert f",{EVIL_CELL},tina," in r.text
        (row,) = pd.read_csv(io.StringIO(r.text)).to_dict("records")
        assert row["client_label"] == "'" + EVIL
        assert row["client_label"].removeprefix("'") == EVIL
        assert row["eda_synchrony"] == -0.5 and row["language_style_matching"] == 0.75
        assert pd.isna(row["hr_synchrony"])
        assert (row["session_id"], row["client_id"], row["therapist"]) == (sid, cid, "tina")

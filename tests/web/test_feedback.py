"""Tests for attunement.web.routes.feedback: the client's one-time link and QR code, answers and
their checks, the PHQ-9 safety flag, the therapist's reflection, feedback in the trends."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from web_fixture import (
    CheckedClient,
    audit_rows,
    count,
    login,
    message,
    new_client,
    shift_clock,
    token_of,
    upload_demo,
)

from attunement.web.app import create_app
from attunement.web.settings import Settings

CLIENT_SESSION = {f"client_session.{k}": "8" for k in ("heard", "understood", "moved", "safe")}
PHQ9 = {f"phq9.item{i}": "1" for i in range(1, 10)}
GAD7 = {f"gad7.item{i}": "0" for i in range(1, 8)}


def make_link(c, sid: str, *questionnaires: str) -> str:
    """Make a feedback link as the signed-in therapist; returns its path (/f/...)."""
    form = {"csrf_token": token_of(c), "questionnaire": list(questionnaires)}
    r = c.post(f"/sessions/{sid}/feedback-link", data=form)
    assert r.status_code == 200, message(r)
    url = re.search(r'id="feedback-url">([^<]+)<', r.text).group(1)
    return "/f/" + url.rsplit("/f/", 1)[1]


def phone(app) -> CheckedClient:
    """The client's own browser: no account, no cookie yet."""
    return CheckedClient(app)


def answer(browser, path: str, answers: dict):
    browser.get(path)
    return browser.post(path, data={**answers, "csrf_token": token_of(browser)})


# --- the link --------------------------------------------------------------------------------


def test_link_form_offers_the_client_questionnaires(client, users):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    r = client.get(f"/sessions/{sid}/feedback-link")
    assert r.status_code == 200
    offered = re.findall(r'name="questionnaire" value="([^"]+)"( checked)?', r.text)
    assert dict(offered) == {"client_session": " checked", "phq9": " checked", "gad7": " checked"}


def test_link_page_shows_the_url_and_a_qr_code(client, users, settings):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    r = client.post(
        f"/sessions/{sid}/feedback-link",
        data={"csrf_token": token_of(client), "questionnaire": ["phq9", "therapist_reflection"]},
    )
    url = re.search(r'id="feedback-url">([^<]+)<', r.text).group(1)
    assert re.fullmatch(r"http://testserver/f/[A-Za-z0-9_-]{32}", url)
    qr = r.text.split('id="qr">', 1)[1]
    assert qr.lstrip().startswith("<svg") and "<script" not in qr.split("</svg>")[0]
    entry = audit_rows(settings.data_dir, "feedback_link_created")[-1]
    assert entry["detail"] == "phq9"  # a therapist questionnaire is not sent to the client
    assert count(settings.data_dir, "feedback_links") == 1
    form = phone(client.app).get("/f/" + url.rsplit("/", 1)[1])
    assert 'id="q-phq9"' in form.text and "q-therapist_reflection" not in form.text
    assert 'id="logout"' not in form.text  # no account, no navigation


def test_link_uses_the_public_url_when_set(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", public_url="https://clinic.example:8443/")
    from web_fixture import make_users

    with CheckedClient(create_app(settings)) as c:
        make_users(c.app.state.store, ("tina",))
        login(c, "tina")
        sid = upload_demo(c, new_client(c), rows=6, roles=None)
        r = c.post(f"/sessions/{sid}/feedback-link", data={"csrf_token": token_of(c)})
        url = re.search(r'id="feedback-url">([^<]+)<', r.text).group(1)
        assert url.startswith("https://clinic.example:8443/f/")


def test_link_works_once(client, users, settings):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    path = make_link(client, sid, "client_session")
    browser = phone(client.app)
    form = browser.get(path)
    assert form.status_code == 200 and 'id="q-client_session"' in form.text
    r = browser.post(path, data={**CLIENT_SESSION, "csrf_token": token_of(browser)})
    assert r.status_code == 200 and 'id="thanks"' in r.text
    assert browser.get(path).status_code == 410
    again = browser.post(path, data={**CLIENT_SESSION, "csrf_token": token_of(browser)})
    assert again.status_code == 410
    assert "used already or has expired" in message(again)
    assert count(settings.data_dir, "feedback_responses") == 1
    assert audit_rows(settings.data_dir, "feedback_submitted")[-1]["detail"] == (
        "client: client_session"
    )
    page = client.get(f"/sessions/{sid}")
    assert "Links: answered" in page.text


def test_an_expired_link_is_410(client, users, settings, monkeypatch):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    path = make_link(client, sid, "client_session")
    browser = phone(client.app)
    browser.get(path)
    shift_clock(monkeypatch, hours=settings.feedback_link_hours, minutes=1)
    assert browser.get(path).status_code == 410
    r = browser.post(path, data={**CLIENT_SESSION, "csrf_token": token_of(browser)})
    assert r.status_code == 410
    assert count(settings.data_dir, "feedback_responses") == 0
    store = client.app.state.store
    pk = store.session(store.get_viewer(users["tina"].id), sid).pk
    assert [link.state for link in store.links(pk)] == ["expired"]


def test_an_unknown_link_is_404(client, users):
    assert phone(client.app).get("/f/" + "A" * 32).status_code == 404


def test_missing_answers_are_asked_again_with_the_rest_kept(client, users, settings):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    path = make_link(client, sid, "client_session", "phq9", "gad7")
    browser = phone(client.app)
    given = {**CLIENT_SESSION, **PHQ9, "phq9.item4": "2", "client_session.stood_out": "The walk"}
    r = answer(browser, path, given)
    assert r.status_code == 422
    assert message(r) == (
        "Please answer questions 1, 2, 3, 4, 5, 6, 7 of “Generalized Anxiety Disorder-7 "
        "(GAD-7)”. Your other answers are kept."
    )
    checked = dict(re.findall(r'name="([\w.]+)" value="(\d+)" required checked', r.text))
    assert checked == {k: v for k, v in given.items() if k != "client_session.stood_out"}
    assert ">The walk</textarea>" in r.text
    assert count(settings.data_dir, "feedback_responses") == 0
    # the link still works, and the full answers are taken
    r = browser.post(path, data={**given, **GAD7, "csrf_token": token_of(browser)})
    assert r.status_code == 200 and 'id="thanks"' in r.text
    assert count(settings.data_dir, "feedback_responses") == 3


def test_an_answer_out_of_range_is_refused(client, users, settings):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    path = make_link(client, sid, "client_session")
    r = answer(phone(client.app), path, {**CLIENT_SESSION, "client_session.heard": "11"})
    assert r.status_code == 422
    assert message(r).startswith("How was today's session for you?:")
    assert count(settings.data_dir, "feedback_responses") == 0


# --- what the therapist sees -----------------------------------------------------------------


@pytest.fixture
def answered(world, world_client):
    """tina's analysed session, answered by the client (PHQ-9 item 9 above zero) and reflected
    on by tina."""
    c, w = world_client, world
    login(c, "tina")
    path = make_link(c, w.sid, "client_session", "phq9", "gad7")
    answers = {
        **CLIENT_SESSION,
        "client_session.heard": "9",
        "client_session.stood_out": "When you said I was brave.",
        **PHQ9,
        "phq9.item9": "2",
        "phq9.difficulty": "1",
        **GAD7,
    }
    assert answer(phone(c.app), path, answers).status_code == 200
    r = c.post(
        f"/sessions/{w.sid}/reflection",
        data={
            "csrf_token": token_of(c),
            "therapist_reflection.present": "7",
            "therapist_reflection.moved": "9",
            "therapist_reflection.what_moved": "Her courage",
        },
    )
    assert r.status_code == 200 and r.url.path == f"/sessions/{w.sid}"
    return c, w


def test_phq9_item_9_raises_the_flag_on_the_session_page(answered):
    c, w = answered
    page = c.get(f"/sessions/{w.sid}").text
    felt = page.split('id="felt"', 1)[1].split("</section>", 1)[0]
    assert '<p class="flag" role="alert">⚠ PHQ-9 item 9' in felt
    assert "Follow up on the client" in felt
    assert "<b>Total 10</b> · moderate" in felt
    assert "<th>Today I felt heard by my therapist.</th><td>9 of 10</td>" in felt
    assert "When you said I was brave." in felt
    # the client's answers come before the therapist's reflection
    assert felt.index("(client)") < felt.index("(therapist)")


def test_the_self_harm_flag_and_band_are_stored_sealed(answered):
    # in the clear only what trends draw: the totals and the unscored ratings
    from web_fixture import files_containing, sql

    _, w = answered
    stored = dict(sql(w.data_dir, "SELECT questionnaire, scores FROM feedback_responses"))
    assert json.loads(stored["phq9"]) == {"total": 10}
    assert json.loads(stored["client_session"])["heard"] == 9
    assert files_containing(w.data_dir, ["PHQ-9 item 9", "Follow up", "moderate"]) == {}


def test_no_flag_when_item_9_is_zero(client, users):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    path = make_link(client, sid, "phq9")
    assert answer(phone(client.app), path, {**PHQ9, "phq9.item9": "0"}).status_code == 200
    page = client.get(f"/sessions/{sid}").text
    assert "<b>Total 8</b>" in page and 'class="flag"' not in page


def test_reflection_is_saved_shown_and_offered_again(answered):
    c, w = answered
    page = c.get(f"/sessions/{w.sid}").text
    assert "<th>What moved you?</th><td>Her courage</td>" in page
    assert "<th>How moved were you by your client today?</th><td>9 of 10</td>" in page
    form = c.get(f"/sessions/{w.sid}/reflection").text
    assert 'name="therapist_reflection.moved" value="9" required checked' in form
    assert ">Her courage</textarea>" in form
    # saving again replaces the earlier reflection
    c.post(
        f"/sessions/{w.sid}/reflection",
        data={
            "csrf_token": token_of(c),
            "therapist_reflection.present": "3",
            "therapist_reflection.moved": "2",
        },
    )
    assert count(w.data_dir, "feedback_responses", "questionnaire = 'therapist_reflection'") == 1
    page = c.get(f"/sessions/{w.sid}").text
    assert "Her courage" not in page and "<td>2 of 10</td>" in page


def test_a_reflection_needs_its_ratings(client, users):
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    r = client.post(
        f"/sessions/{sid}/reflection",
        data={
            "csrf_token": token_of(client),
            "therapist_reflection.present": "4",
            "therapist_reflection.noticed": "tired",
        },
    )
    assert r.status_code == 422
    assert message(r).startswith("Please answer question 2 of “Reflection after the session”")
    assert 'value="4" required checked' in r.text and ">tired</textarea>" in r.text


def test_feedback_numbers_reach_the_client_trends(answered):
    c, w = answered
    r = c.get(f"/clients/{w.cid}/trends.csv")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (f'attachment; filename="client-{w.cid}-trends.csv"')
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert row["session_id"] == w.sid
    assert row["client_session_heard"] == "9"
    assert row["client_session_safe"] == "8"
    assert row["phq9_total"] == "10"
    assert row["gad7_total"] == "0"
    assert row["therapist_reflection_moved"] == "9"
    assert "client_session_stood_out" not in row  # free text never goes into the trends
    page = c.get(f"/clients/{w.cid}").text
    assert "How the client felt (0-10)" in page and "Symptoms (PHQ-9, GAD-7)" in page

"""Tests for attunement.web.routes.clinical: clients, uploads, speaker roles, the session page,
exports, deletion, retry."""

from __future__ import annotations

import csv
import io
import json
import time

import pandas as pd
import pytest
from web_fixture import (
    DEMO_SENTENCE,
    audit_rows,
    confirm_roles,
    count,
    demo_transcript,
    login,
    message,
    new_client,
    sql,
    stored_files,
    token_of,
    upload,
    upload_demo,
    wait_done,
)

from attunement.web.settings import Settings

# --- clients ---------------------------------------------------------------------------------


def test_a_therapist_adds_a_client_and_sees_it(client, users, settings):
    login(client, "tina")
    assert "No clients yet." in client.get("/clients").text
    r = client.post("/clients", data={"csrf_token": token_of(client), "label": "  J.   Q.  "})
    assert r.status_code == 200 and r.url.path.startswith("/clients/")
    assert "<h1>J. Q.</h1>" in r.text
    assert 'id="upload"' in r.text
    cid = r.url.path.rsplit("/", 1)[1]
    assert f'<a href="/clients/{cid}">J. Q.</a>' in client.get("/clients").text
    assert audit_rows(settings.data_dir, "client_created")[-1]["target"] == f"client:{cid}"


@pytest.mark.parametrize("label", ["", "   ", "x" * 81])
def test_a_client_needs_a_short_label(client, users, settings, label):
    login(client, "tina")
    r = client.post("/clients", data={"csrf_token": token_of(client), "label": label})
    assert r.status_code == 422
    assert "expected 1-80" in message(r)
    assert count(settings.data_dir, "clients") == 0


# --- uploads that are refused ----------------------------------------------------------------


def _two_sessions() -> bytes:
    lines = demo_transcript(rows=12).splitlines()
    other = [line.replace(b"68,", b"69,", 1) for line in lines[1:]]
    return b"\n".join([*lines, *other]) + b"\n"


BAD_TRANSCRIPTS = {
    "empty": ("empty-notes.csv", b"", "is empty; expected a file with content"),
    "binary": ("scan-0042.bin", bytes(range(256)) * 8, "is a binary file"),
    "binary as csv": ("scan-0043.csv", b"\x00\x01speaker,text\n" * 4, "is a binary file"),
    "unknown format": ("shopping.list", b"eggs\nmilk\n", "is not a transcript format"),
    "broken vtt": ("call.vtt", b"WEBVTT\n\nnot a cue\n", "where a cue was expected"),
    "two annomi sessions": ("two-sessions.csv", _two_sessions(), "holds 2 sessions; expected one"),
}


@pytest.mark.parametrize("case", sorted(BAD_TRANSCRIPTS))
def test_a_bad_transcript_is_refused_and_nothing_is_stored(client, users, settings, case):
    name, data, expected = BAD_TRANSCRIPTS[case]
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"transcript": (name, data)})
    assert r.status_code == 422
    text = message(r)
    assert text.startswith(name) and expected in text, text
    assert "/tmp" not in text and "attunement-" not in text
    assert count(settings.data_dir, "sessions") == 0
    assert count(settings.data_dir, "session_files") == 0
    assert stored_files(settings.data_dir) == []
    assert 'id="upload"' in r.text  # the form is shown again


def test_an_upload_needs_a_transcript_and_a_real_date(client, users, settings):
    login(client, "tina")
    cid = new_client(client)
    r = client.post(
        f"/clients/{cid}/sessions", data={"csrf_token": token_of(client), "held_on": ""}
    )
    assert r.status_code == 422
    assert message(r).startswith(
        "transcript: is missing; expected a transcript file, or a recording (WAV, FLAC"
    )
    r = upload(client, cid, {"transcript": ("t.csv", demo_transcript(5))}, held_on="25/11/2026")
    assert r.status_code == 422
    assert message(r) == "held_on: is '25/11/2026'; expected a date such as 2026-11-25"
    assert count(settings.data_dir, "sessions") == 0
    assert stored_files(settings.data_dir) == []


def test_an_upload_over_the_size_limit_is_refused(tmp_path):
    from web_fixture import CheckedClient, make_users

    from attunement.web.app import create_app

    settings = Settings(data_dir=tmp_path / "data", max_upload_mb=1)
    with CheckedClient(create_app(settings)) as c:
        make_users(c.app.state.store, ("tina",))
        login(c, "tina")
        cid = new_client(c)
        big = demo_transcript() * 18  # a little over 1 MB
        assert len(big) > 1024 * 1024
        r = upload(c, cid, {"transcript": ("long-session.csv", big)})
        assert r.status_code == 422
        assert message(r) == (
            "long-session.csv: transcript: is larger than 1 MB; expected at most 1 MB "
            "(ATTUNEMENT_MAX_UPLOAD_MB)"
        )
        r = upload(
            c,
            cid,
            {
                "transcript": ("t.csv", demo_transcript(5)),
                "audio": ("voice.wav", b"\0" * (1024 * 1024 + 1)),
            },
        )
        assert r.status_code == 422 and message(r).startswith("voice.wav: audio: is larger")
        assert count(settings.data_dir, "sessions") == 0
        assert stored_files(settings.data_dir) == []


def test_clients_of_others_cannot_receive_uploads(client, users, settings):
    login(client, "theo")
    cid = new_client(client)
    client.post("/logout", data={"csrf_token": token_of(client)})
    login(client, "tina")
    r = upload(client, cid, {"transcript": ("t.csv", demo_transcript(5))})
    assert r.status_code == 404
    assert count(settings.data_dir, "sessions") == 0


# --- speaker roles ---------------------------------------------------------------------------


def test_roles_page_lists_speakers_with_guessed_roles(client, users, settings):
    login(client, "tina")
    cid = new_client(client)
    sid = upload_demo(client, cid, rows=10, roles=None)
    r = client.get(f"/sessions/{sid}/roles")
    assert r.status_code == 200
    assert '<td>Therapist</td><td class="num">5</td>' in r.text
    assert '<td>Client</td><td class="num">5</td>' in r.text
    assert r.text.count('value="therapist" selected') == 1
    assert r.text.count('value="client" selected') == 1
    page = client.get(f"/sessions/{sid}")
    assert "Say who is who" in page.text and 'id="report"' not in page.text
    files = sql(settings.data_dir, "SELECT kind, size FROM session_files")
    assert files == [("transcript", len(demo_transcript(10)))]
    assert len(stored_files(settings.data_dir)) == 1


@pytest.mark.parametrize(
    "roles", [("client", "client"), ("therapist", "therapist"), ("other", "client"), ("", "")]
)
def test_roles_need_a_therapist_and_a_client(client, users, settings, roles):
    login(client, "tina")
    cid = new_client(client)
    sid = upload_demo(client, cid, rows=6, roles=None)
    r = confirm_roles(client, sid, roles)
    assert r.status_code == 422
    assert message(r) == "Choose at least one therapist and one client."
    assert sql(settings.data_dir, "SELECT status FROM sessions") == [("draft",)]
    assert audit_rows(settings.data_dir, "analysis_started") == []


# --- the analysed session --------------------------------------------------------------------


def test_the_demo_session_page_exports_and_speed(shared):
    c, w = shared.client, shared.world
    print(f"\ndemo analysis with wristbands, upload to done: {w.analysis_s:.2f} s")
    login(c, "tina")
    assert c.get(f"/sessions/{w.sid}/status").json() == {
        "status": "done",
        "progress": 100,
        "stage": "done",
        "error": "",
    }
    times = []
    for _ in range(3):
        start = time.perf_counter()
        r = c.get(f"/sessions/{w.sid}")
        times.append(time.perf_counter() - start)
    print(f"session page: {min(times) * 1000:.0f} ms (best of 3), {len(r.text) // 1024} KiB")
    assert min(times) < 2.0
    assert r.status_code == 200
    assert '<article class="report" id="report">' in r.text
    assert DEMO_SENTENCE.replace("'", "&#39;") in r.text
    assert f"{w.label} · 2026-11-20" in r.text
    assert 'id="beside-reflection_to_question_ratio"' in r.text
    assert 'id="progress"' not in r.text and 'id="failed"' not in r.text

    j = c.get(f"/sessions/{w.sid}/export/results.json")
    assert j.status_code == 200 and j.headers["content-type"] == "application/json"
    assert j.headers["content-disposition"] == (
        f'attachment; filename="session-{w.sid}-results.json"'
    )
    document = json.loads(j.content)
    assert document["session"]["id"] == w.sid
    assert isinstance(document["metrics"], dict) and document["metrics"]
    assert "eda_synchrony" in document["metrics"]  # the wristbands were used

    u = c.get(f"/sessions/{w.sid}/export/utterances.csv")
    assert u.status_code == 200 and u.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(u.text)))
    assert len(rows) == 204
    assert {"speaker", "role", "text", "mi_behaviour"} <= set(rows[0])
    assert {r["role"] for r in rows} == {"therapist", "client"}
    exports = [a["detail"] for a in audit_rows(w.data_dir, "export")[-2:]]
    assert exports == ["results.json", "utterances.csv"]


def test_an_unknown_export_is_404(shared):
    login(shared.client, "tina")
    r = shared.client.get(f"/sessions/{shared.world.sid}/export/report.html")
    assert r.status_code == 404


def test_exports_of_a_session_not_analysed_are_404(shared):
    login(shared.client, "theo")
    r = shared.client.get(f"/sessions/{shared.world.theo_sid}/export/results.json")
    assert r.status_code == 404


EVIL = '=HYPERLINK("http://evil.example/","open")'
#: EVIL neutralised, as a CSV cell.
EVIL_CELL = '"\'=HYPERLINK(""http://evil.example/"",""open"")"'
#: A transcript whose utterances a spreadsheet would run as formulas.
FORMULA_TRANSCRIPT = (
    b"speaker,start,end,text\n"
    b'Dr Lee,1,4,"=HYPERLINK(""http://evil.example/"",""open"")"\n'
    b"Sam,4.5,7,@once I have not been sleeping.\n"
    b"Dr Lee,8,10,-2 hours of sleep a night is hard.\n"
)


@pytest.mark.filterwarnings("ignore:.*affect alignment is undefined")
def test_the_utterances_export_has_no_formula_cells(client, users, settings):
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"transcript": ("notes.csv", FORMULA_TRANSCRIPT)})
    assert r.url.path.endswith("/roles"), message(r)
    sid = r.url.path.split("/")[-2]
    confirm_roles(client, sid, ("therapist", "client"))
    assert wait_done(client, sid)["status"] == "done"
    u = client.get(f"/sessions/{sid}/export/utterances.csv")
    assert u.status_code == 200 and u.headers["content-type"].startswith("text/csv")
    assert u.text.splitlines()[1].startswith("0,Therapist,therapist,1.0,4.0,\"'=HYPERLINK(")
    table = pd.read_csv(io.StringIO(u.text))
    expected = [EVIL, "@once I have not been sleeping.", "-2 hours of sleep a night is hard."]
    assert table["text"].tolist() == ["'" + t for t in expected]
    assert [t.removeprefix("'") for t in table["text"]] == expected
    assert table["start_s"].tolist() == [1.0, 4.5, 8.0] and table["p_change"].dtype == float


def test_an_utterances_csv_stored_before_the_fix_is_neutralised_on_export(client, users):
    store = client.app.state.store
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=6, roles=None)
    old = pd.DataFrame(
        {"index": [0, 1], "text": [EVIL, "+1 for that"], "shift_s": [-0.5, 1.25]}
    ).to_csv(index=False, lineterminator="\n")
    pk = store.session(users["tina"], sid).pk
    store.store_results(pk, report="<p>r</p>", results="{}", utterances=old, metrics={})
    u = client.get(f"/sessions/{sid}/export/utterances.csv")
    assert u.status_code == 200
    assert u.text == f"index,text,shift_s\n0,{EVIL_CELL},-0.5\n1,'+1 for that,1.25\n"
    table = pd.read_csv(io.StringIO(u.text))
    assert table["text"].str.removeprefix("'").tolist() == [EVIL, "+1 for that"]
    assert table["shift_s"].tolist() == [-0.5, 1.25] and table["index"].tolist() == [0, 1]


def test_lists_show_the_session(shared):
    c, w = shared.client, shared.world
    login(c, "tina")
    listing = c.get("/clients").text
    assert f'<a href="/sessions/{w.sid}">2026-11-20</a>' in listing
    page = c.get(f"/clients/{w.cid}")
    assert f'<a href="/sessions/{w.sid}">2026-11-20</a></td><td>done</td>' in page.text
    assert 'id="client-csv"' in page.text and 'data-plot="trend-' in page.text


# --- deleting and retrying -------------------------------------------------------------------


def test_deleting_a_session_removes_its_files_and_rows(world, world_client):
    c, w = world_client, world
    login(c, "tina")
    c.post(
        f"/sessions/{w.sid}/feedback-link",
        data={"csrf_token": token_of(c), "questionnaire": "phq9"},
    )
    c.post(
        f"/sessions/{w.sid}/reflection",
        data={
            "csrf_token": token_of(c),
            "therapist_reflection.present": "6",
            "therapist_reflection.moved": "4",
        },
    )
    pk = _pk(w)
    folder = w.data_dir / "files" / w.sid
    tables = ["session_files", "session_metrics", "feedback_links", "feedback_responses"]
    assert folder.is_dir() and len(list(folder.iterdir())) == 6
    assert all(count(w.data_dir, t, "session_id = :pk", pk=pk) > 0 for t in tables)
    other = sorted((w.data_dir / "files" / w.theo_sid).iterdir())

    r = c.post(f"/sessions/{w.sid}/delete", data={"csrf_token": token_of(c)})
    assert r.status_code == 200 and r.url.path == f"/clients/{w.cid}"
    assert "No sessions yet." in r.text
    assert not folder.exists()
    assert count(w.data_dir, "sessions", "id = :pk", pk=pk) == 0
    for table in tables:
        assert count(w.data_dir, table, "session_id = :pk", pk=pk) == 0, table
    assert sorted((w.data_dir / "files" / w.theo_sid).iterdir()) == other
    assert c.get(f"/sessions/{w.sid}").status_code == 404
    assert audit_rows(w.data_dir, "session_deleted")[-1]["target"] == f"session:{w.sid}"


def _pk(world) -> int:
    return sql(world.data_dir, "SELECT id FROM sessions WHERE public_id = :s", s=world.sid)[0][0]


def test_retry_runs_the_analysis_again(client, users, settings):
    login(client, "tina")
    cid = new_client(client)
    sid = upload_demo(
        client, cid, rows=8, extra={"client_wearable": ("band.csv", b"nothing,useful\n1,2\n")}
    )
    first = wait_done(client, sid)
    assert first["status"] == "failed"
    page = client.get(f"/sessions/{sid}")
    assert 'id="failed"' in page.text and "/retry" in page.text
    r = client.post(f"/sessions/{sid}/retry", data={"csrf_token": token_of(client)})
    assert r.url.path == f"/sessions/{sid}"
    assert wait_done(client, sid) == first
    started = audit_rows(settings.data_dir, "analysis_started")
    assert [a["detail"] for a in started] == ["", "retry"]


def test_the_client_s_answer_stands_beside_the_moments_of_being_seen(world, world_client):
    c = world_client
    login(c, "tina")
    page = c.get(f"/sessions/{world.sid}").text
    assert 'id="moments-of-being-seen"' in page
    assert 'id="moments-felt"' in page and "not answered yet" in page
    store = c.app.state.store
    viewer = next(u for u in store.users() if u.username == "tina")
    pk = store.session(store.get_viewer(viewer.id), world.sid).pk
    answers = {"heard": 8, "understood": 8, "moved": 6, "safe": 9}
    store.save_feedback(pk, {"client_session": ("client", answers, {"moved": 6})})
    page = c.get(f"/sessions/{world.sid}").text
    section = page[page.index('id="moments-of-being-seen"') :]
    felt = section[section.index('id="moments-felt"') :]
    assert felt.index('id="moved-answer">6 of 10<') < felt.index("</div>")
    assert "Today I felt my therapist was moved by what I shared." in felt

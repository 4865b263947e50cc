"""Tests for attunement.web.jobs: speakers of an upload, the manifest, background analysis,
failures named by the uploaded file, resuming after a stop."""

from __future__ import annotations

import tempfile

import pytest
from web_fixture import (
    CheckedClient,
    demo_transcript,
    login,
    message,
    new_client,
    sql,
    upload_demo,
    wait_done,
)

import attunement.web.jobs as jobs
from attunement.errors import InputError
from attunement.io._common import InMemoryFile
from attunement.web.app import create_app
from attunement.web.jobs import _manifest, analyse, speakers

ROLES = {"therapist": ["Therapist"], "client": ["Client"]}


# --- reading an upload -----------------------------------------------------------------------


def test_speakers_of_the_demo_transcript():
    assert speakers("x.csv", demo_transcript()) == [
        {"name": "Therapist", "count": 104, "role": "therapist"},
        {"name": "Client", "count": 100, "role": "client"},
    ]


def test_speakers_of_a_plain_transcript_guess_roles_from_names():
    text = b"Dr. Lee: Hello.\nSam: Hi.\nDr. Lee: How are you?\n"
    found = speakers("notes.txt", text)
    assert [(s["name"], s["count"]) for s in found] == [("Dr. Lee", 2), ("Sam", 1)]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("Week 3 – Anna.vtt", b"WEBVTT\n\nbroken\n", "Week 3 – Anna.vtt:3: found 'broken'"),
        ("a.csv", b"\x00\x00", "a.csv: is a binary file"),
    ],
)
def test_speakers_errors_name_the_uploaded_file(name, data, expected):
    with pytest.raises(InputError) as info:
        speakers(name, data)
    assert str(info.value).startswith(expected)
    assert tempfile.gettempdir() not in str(info.value)


def test_the_manifest_holds_the_files_in_memory_and_the_names_as_given():
    names = ['Dr. "Q" O\'Brien', "back\\slash", "new\nline", "Ünïcode ✓", "]] = evil"]
    files = {
        "transcript": ("notes.csv", b"speaker,text\n"),
        "client_wearable": ("Anna band.zip", b"PK"),
        "audio": ("a.wav", b"RIFF"),
    }
    roles = {"therapist": names[:2], "client": names[2:], "start": "2026-11-25T14:00:00+01:00"}
    m = _manifest('id "1"', files, roles)
    assert m.id == 'id "1"' and m.start == 1795611600.0  # 2026-11-25 13:00 UTC
    assert m.transcript.path == InMemoryFile("notes.csv", b"speaker,text\n")
    assert (m.transcript.therapist, m.transcript.client) == (tuple(names[:2]), tuple(names[2:]))
    assert [(w.role, w.path.name) for w in m.wearables] == [("client", "Anna band.zip")]
    assert m.audio == InMemoryFile("a.wav", b"RIFF")


# --- analysis in the background --------------------------------------------------------------


def test_an_analysis_that_fails_names_the_uploaded_file(client, users, monkeypatch, tmp_path):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    login(client, "tina")
    cid = new_client(client)
    sid = upload_demo(
        client,
        cid,
        rows=8,
        extra={"client_wearable": ("Anna week 3 band.zip", b"PK\x03\x04 not really a zip")},
    )
    status = wait_done(client, sid)
    assert status["status"] == "failed" and status["progress"] == 100
    error = status["error"]
    assert error.startswith("Anna week 3 band.zip"), error
    for leak in (str(private_tmp), "attunement-job-", "client_wearable.zip", "session.toml"):
        assert leak not in error
    page = client.get(f"/sessions/{sid}")
    assert 'id="failed"' in page.text and "Anna week 3 band.zip" in page.text
    assert list(private_tmp.iterdir()) == []  # no decrypted copy was ever written


def test_no_plaintext_copy_is_written_anywhere(client, users, monkeypatch):
    # every way to make a file in the temporary folder fails: reading the upload, its
    # speakers, the wristbands and the audio, and the analysis, all work from memory (the
    # store's atomic writes of encrypted files name their own folder, in the data dir)
    import io
    import wave

    import numpy as np

    def guarded(make):
        def make_unless_in_tmp(*args, dir=None, **kwargs):
            if dir is None:
                raise AssertionError(f"{make.__name__} in the temporary folder")
            return make(*args, dir=dir, **kwargs)

        return make_unless_in_tmp

    for name in ("mkstemp", "mkdtemp", "TemporaryDirectory", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, guarded(getattr(tempfile, name)))
    t = np.arange(16000 * 3) / 16000
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((3000 * np.sin(2 * np.pi * 150 * t)).astype("<i2").tobytes())
    login(client, "tina")
    sid = upload_demo(
        client,
        new_client(client),
        rows=8,
        wearables=True,
        extra={"audio": ("a.wav", buf.getvalue())},
    )
    status = wait_done(client, sid)
    assert status["status"] == "done", status


def test_an_internal_error_is_reported_without_details(client, users, monkeypatch):
    def broken(session, *args, **kwargs):
        raise RuntimeError("boom in /tmp/attunement-job-xyz/transcript.csv")

    monkeypatch.setattr(jobs, "analyze_session", broken)
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=8)
    status = wait_done(client, sid)
    assert status == {
        "status": "failed",
        "progress": 100,
        "stage": "failed",
        "error": "the analysis stopped on an internal error; the server log has the details",
    }


def test_analysing_a_deleted_session_does_nothing(store):
    analyse(store, 12345, "gone")  # no exception, nothing written
    assert store.pending_jobs() == []


def test_the_number_of_workers_is_the_setting(tmp_path):
    from attunement.web.settings import Settings

    with CheckedClient(create_app(Settings(data_dir=tmp_path, analysis_workers=3))) as c:
        assert c.app.state.jobs.pool._max_workers == 3


def test_the_coder_is_the_setting_and_reaches_the_analysis(settings, users, monkeypatch):
    from attunement.web.settings import Settings

    monkeypatch.setenv("ATTUNEMENT_CODER", "ngram")
    assert Settings(data_dir=settings.data_dir).coder == "ngram"
    seen = []
    real = jobs.analyze_session
    monkeypatch.setattr(jobs, "analyze_session", lambda s, c: seen.append(c.coder) or real(s, c))
    with CheckedClient(create_app(settings.model_copy(update={"coder": "ngram"}))) as c:
        login(c, "tina")
        sid = upload_demo(c, new_client(c), rows=8)
        assert wait_done(c, sid)["status"] == "done"
    assert seen == ["ngram"]


def test_jobs_left_queued_or_running_are_resumed_at_the_next_start(app, settings, users):
    tina = users["tina"]
    with CheckedClient(app) as c:
        store = c.app.state.store
        login(c, "tina")
        cid = new_client(c)
        queued = upload_demo(c, cid, rows=16, roles=None)
        running = upload_demo(c, cid, rows=24, roles=None)
        # confirmed, but the server stops before the jobs run (or while one runs)
        pk = store.queue(tina, queued, ROLES)
        assert pk > 0
        store.set_progress(
            store.queue(tina, running, ROLES), status="running", progress=25, stage="measuring"
        )
    states = dict(sql(settings.data_dir, "SELECT public_id, status FROM sessions"))
    assert states == {queued: "queued", running: "running"}
    with CheckedClient(create_app(settings)) as c:
        login(c, "tina")
        assert wait_done(c, queued)["status"] == "done"
        assert wait_done(c, running)["status"] == "done"
        page = c.get(f"/sessions/{running}")
        assert 'id="report"' in page.text
    n = sql(settings.data_dir, "SELECT count(*) FROM session_files WHERE kind = 'report'")
    assert n == [(2,)]


def test_the_session_page_shows_progress_while_queued(client, users, monkeypatch):
    monkeypatch.setattr(jobs.JobRunner, "submit", lambda self, pk, sid: None)  # never runs
    login(client, "tina")
    sid = upload_demo(client, new_client(client), rows=8)
    page = client.get(f"/sessions/{sid}")
    assert 'id="progress"' in page.text
    assert f'data-status-url="/sessions/{sid}/status"' in page.text
    assert client.get(f"/sessions/{sid}/status").json()["status"] == "queued"
    assert message(page) == ""


def test_reading_an_upload_does_not_hold_up_other_requests(client, users, monkeypatch):
    # a transcript that takes long to read (here: 1.5 s) delays its own upload only
    import threading
    import time

    import attunement.web.routes.clinical as clinical

    real = clinical.speakers

    def slow(name, data):
        time.sleep(1.5)  # blocking, as parsing is
        return real(name, data)

    monkeypatch.setattr(clinical, "speakers", slow)
    login(client, "tina")
    cid = new_client(client)
    uploading = threading.Thread(target=upload_demo, args=(client, cid), kwargs={"rows": 8})
    uploading.start()
    time.sleep(0.3)
    started = time.perf_counter()
    assert client.get("/clients").status_code == 200
    waited = time.perf_counter() - started
    still_reading = uploading.is_alive()
    uploading.join()
    assert still_reading and waited < 1.0, waited

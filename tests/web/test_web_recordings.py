"""Tests of a session uploaded as a recording without a transcript (attunement.web.jobs'
transcribe, the upload route, the session and roles pages): transcribed on this computer with
its progress on the page, its speakers listed with the therapist guessed, then analysed as any
upload; failures named; a transcription apart from the analyses, and started again after a stop.

The real speech model transcribes a 14 s dialogue spoken by espeak-ng (two voices, four turns);
tests of progress, stalls and restarts use a stand-in that is told when to finish.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
import threading
import time

import numpy as np
import pandas as pd
import pytest
from web_fixture import (
    DIALOGUE_LINES,
    CheckedClient,
    audit_rows,
    confirm_roles,
    count,
    dialogue_samples,
    files_containing,
    login,
    logout,
    m4a_bytes,
    make_users,
    message,
    new_client,
    sql,
    stored_files,
    token_of,
    upload,
    upload_demo,
    wait_done,
    wav_bytes,
)

import attunement.transcribe.asr as asr
import attunement.transcribe.recording as recording
from attunement.errors import AttunementError
from attunement.io.roles import ADDRESS_RULE
from attunement.transcribe.recording import RecordingTranscript
from attunement.web.app import create_app
from attunement.web.jobs import _clock, _transcript_name

LINES = DIALOGUE_LINES
RATE = 16000


@pytest.fixture(scope="module")
def dialogue() -> np.ndarray:
    """The four-turn dialogue (a low male voice, the therapist, then a female one)."""
    return dialogue_samples()


def fake_result(seconds: float = 14.0) -> RecordingTranscript:
    """What a stand-in for the speech model hears: two numbered speakers, four turns."""
    speakers = ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"]
    starts = [0.0, 2.3, 6.7, 10.9]
    ends = [1.7, 6.3, 10.2, 13.8]
    turns = pd.DataFrame({"speaker": speakers, "start": starts, "end": ends, "text": LINES})
    words = pd.DataFrame(
        {"speaker": speakers, "start": starts, "end": ends, "word": LINES, "probability": 0.9}
    )
    method = {"asr": {"engine": "stand-in", "model": "a stand-in"}, "speaker_source": "diarized"}
    return RecordingTranscript(words, turns, ("Speaker 1", "Speaker 2"), seconds, ("x",), method)


def status_of(client, sid: str) -> dict:
    return client.get(f"/sessions/{sid}/status", headers={"accept": "application/json"}).json()


def wait_transcribed(client, sid: str, timeout: float = 90.0) -> list[dict]:
    """Poll until the session is no longer transcribing; returns every distinct status seen."""
    end = time.monotonic() + timeout
    seen: list[dict] = []
    while True:
        status = status_of(client, sid)
        if not seen or seen[-1] != status:
            seen.append(status)
        if status["status"] != "transcribing":
            return seen
        if time.monotonic() > end:
            raise AssertionError(f"transcription of {sid} still {status} after {timeout} s")
        time.sleep(0.05)


def upload_recording(client, cid: str, name: str, data: bytes) -> str:
    """Upload a recording alone; returns the session id (the upload opens the session page)."""
    r = upload(client, cid, {"audio": (name, data)})
    assert r.status_code == 200, message(r)
    assert re.fullmatch(r"/sessions/[^/]+", r.url.path), (r.url.path, message(r))
    return r.url.path.rsplit("/", 1)[-1]


def roles_rows(page: str) -> list[tuple[str, str]]:
    """(speaker, the role selected) of each row of the roles form."""
    rows = re.findall(r"<tr><td>(.*?)</td>.*?</tr>", page, re.S)
    chosen = re.findall(r'<select name="role_\d+".*?</select>', page, re.S)
    out = []
    for name, select in zip(rows, chosen, strict=True):
        picked = re.search(r'<option value="(\w*)" selected>', select)
        out.append((html.unescape(name), picked.group(1) if picked else ""))
    return out


def guard_the_temporary_folder(monkeypatch, tmp_path):
    """Any file made in the temporary folder fails (tempfile's makers without ``dir``); the
    folder itself is a private one, checked empty at the end."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", str(private))

    def guarded(make):
        def make_unless_in_tmp(*args, dir=None, **kwargs):
            if dir is None:
                raise AssertionError(f"{make.__name__} in the temporary folder")
            return make(*args, dir=dir, **kwargs)

        return make_unless_in_tmp

    for name in ("mkstemp", "mkdtemp", "TemporaryDirectory", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, guarded(getattr(tempfile, name)))
    return private


# --- the helpers -----------------------------------------------------------------------------


def test_the_clock_and_the_transcript_name():
    assert [_clock(s) for s in (0, 59.6, 200, 3120, 3725)] == [
        "0:00",
        "1:00",
        "3:20",
        "52:00",
        "1:02:05",
    ]
    assert _transcript_name("Week 6.M4A") == "Week 6.vtt"
    assert _transcript_name("C:\\calls\\week 6.mp4") == "week 6.vtt"
    assert _transcript_name(".wav") == "recording.vtt"


# --- the form and what it refuses ------------------------------------------------------------


def test_the_form_takes_a_recording_instead_of_a_transcript(client, users):
    login(client, "tina")
    cid = new_client(client)
    page = client.get(f"/clients/{cid}").text
    form = re.search(r'<form[^>]*id="upload".*?</form>', page, re.S).group(0)
    transcript = re.search(r'<input type="file" name="transcript"[^>]*>', form).group(0)
    assert "required" not in transcript
    label = re.search(r"<label>Recording of the session.*?</label>", form, re.S).group(0)
    for fmt in ("WAV", "FLAC", "MP3", "M4A", "Ogg", "MP4", "MOV", "MKV", "WebM"):
        assert fmt in label, fmt
    assert 'name="audio"' in label
    assert "transcribed on this computer" in form


def test_an_upload_with_neither_a_transcript_nor_a_recording_names_the_field(
    client, users, settings
):
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"client_wearable": ("band.zip", b"PK\x03\x04")})
    assert r.status_code == 422
    text = message(r)
    assert text.startswith("transcript: is missing; expected a transcript file, or a recording")
    assert "M4A" in text and "recording field" in text
    assert 'id="upload"' in r.text
    assert count(settings.data_dir, "sessions") == 0
    assert stored_files(settings.data_dir) == []
    # a transcript uploaded as such has no transcript.vtt to download
    sid = upload_demo(client, cid, rows=4, roles=None)
    assert client.get(f"/sessions/{sid}/export/transcript.vtt").status_code == 404


def test_a_recording_must_be_named_as_one(client, users, settings):
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"audio": ("notes.docx", b"PK\x03\x04")})
    assert r.status_code == 422
    assert message(r).startswith(
        "notes.docx: audio: is not named as an audio or video recording; expected WAV, FLAC"
    )
    assert count(settings.data_dir, "sessions") == 0
    assert stored_files(settings.data_dir) == []


def test_without_the_recordings_extra_a_recording_alone_is_refused(
    client, users, settings, monkeypatch
):
    def missing():
        raise AttunementError(
            "transcription needs faster-whisper, which is not installed; install it with: "
            "pip install 'attunement[recordings]'"
        )

    monkeypatch.setattr(asr, "require_recordings_extra", missing)
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"audio": ("week 6.m4a", b"\0" * 64)})
    assert r.status_code == 422
    text = message(r)
    assert text.startswith("week 6.m4a: audio: cannot be transcribed on this computer")
    assert "pip install 'attunement[recordings]'" in text
    assert count(settings.data_dir, "sessions") == 0
    assert audit_rows(settings.data_dir, "transcription_started") == []


# --- the real model: a recording in, a report out --------------------------------------------


def test_a_recording_alone_is_transcribed_then_analysed(
    client, users, settings, monkeypatch, tmp_path, dialogue
):
    private_tmp = guard_the_temporary_folder(monkeypatch, tmp_path)
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"audio": ("week 6.m4a", m4a_bytes(dialogue))})
    assert r.status_code == 200 and re.fullmatch(r"/sessions/[^/]+", r.url.path), message(r)
    sid = r.url.path.rsplit("/", 1)[-1]
    assert 'id="progress"' in r.text and "Transcribing the recording" in r.text
    assert f'data-roles-url="/sessions/{sid}/roles"' in r.text

    seen = wait_transcribed(client, sid)
    assert seen[-1] == {"status": "draft", "progress": 0, "stage": "", "error": ""}, seen
    for s in seen[:-1]:
        assert s["status"] == "transcribing" and 0 <= s["progress"] <= 95, s
        assert s["stage"].startswith(
            ("waiting", "reading the recording", "transcribing the recording: ", "telling")
        ), s
    progress = [s["progress"] for s in seen[:-1]]
    assert progress == sorted(progress)

    # the transcript is kept, encrypted, beside the recording; its words are nowhere in clear
    kinds = sql(
        settings.data_dir,
        "SELECT kind FROM session_files JOIN sessions ON sessions.id = session_files.session_id "
        "WHERE sessions.public_id = :sid ORDER BY kind",
        sid=sid,
    )
    assert kinds == [("audio",), ("transcript",)]
    assert files_containing(settings.data_dir, ["drinking", "Speaker 1", "WEBVTT"]) == {}
    (started,) = audit_rows(settings.data_dir, "transcription_started")
    assert started["target"] == f"session:{sid}" and started["username"] == "tina"

    # who is who: the speakers as heard, the therapist guessed by the stated rule
    page = client.get(f"/sessions/{sid}/roles")
    assert page.url.path.endswith("/roles")
    assert roles_rows(page.text) == [("Speaker 1", "therapist"), ("Speaker 2", "client")]
    guessed = re.search(r'id="guessed">(.*?)</p>', page.text, re.S).group(1)
    assert ADDRESS_RULE in " ".join(html.unescape(guessed).split())
    assert 'id="from-recording"' in page.text
    draft = client.get(f"/sessions/{sid}").text
    assert 'id="transcript-source"' in draft and 'id="roles-link"' in draft
    assert f'href="/sessions/{sid}/export/transcript.vtt"' in draft
    confirm_roles(client, sid, ("therapist", "client"))
    status = wait_done(client, sid, timeout=120)
    assert status["status"] == "done", status

    page = client.get(f"/sessions/{sid}")
    # the report's own notice says the transcript was made from the recording (and only it)
    assert 'id="report"' in page.text and page.text.count('id="transcribed"') == 1
    assert 'id="transcript-source"' not in page.text and 'id="export-vtt"' in page.text
    assert "transcribed by faster-whisper" in page.text  # the report's methods paragraph
    results = json.loads(client.get(f"/sessions/{sid}/export/results.json").text)
    made = results["session"]["transcription"]
    assert made["speaker_source"] == "diarized" and made["n_words"] >= 30
    assert set(results["session"]["speakers"]) == {"Therapist", "Client"}
    vtt = client.get(f"/sessions/{sid}/export/transcript.vtt")
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")
    assert "<v Speaker 1>What brings you in today?</v>" in vtt.text
    assert [r["detail"] for r in audit_rows(settings.data_dir, "export")] == [
        "results.json",
        "transcript.vtt",
    ]
    assert files_containing(settings.data_dir, ["drinking", "Speaker 1", "WEBVTT"]) == {}
    # no decrypted copy was ever written; ONNX Runtime (the speech model's voice-activity
    # detector, the coder) leaves only its telemetry session file, a time and a random id
    left = {p.name: p.read_text() for p in private_tmp.iterdir()}
    assert set(left) <= {".ses"}, left
    assert all(re.fullmatch(r"\d+\n[0-9a-f-]{36}\n", text) for text in left.values()), left


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("damaged.m4a", b"\x00\x00\x00\x1cftypM4A " + bytes(range(256)) * 8, "damaged.m4a: "),
        ("quiet.wav", wav_bytes(np.zeros(RATE * 3)), "quiet.wav: holds no speech in 3.0 s"),
    ],
)
def test_a_recording_that_cannot_be_transcribed_fails_with_its_message(
    client, users, name, data, expected
):
    login(client, "tina")
    sid = upload_recording(client, new_client(client), name, data)
    status = wait_transcribed(client, sid)[-1]
    assert status["status"] == "failed" and status["progress"] == 100, status
    assert status["error"].startswith(expected), status
    assert "/tmp" not in status["error"]
    page = client.get(f"/sessions/{sid}")
    failed = re.search(r'id="failed">(.*?)</div>', page.text, re.S).group(1)
    assert "The transcription of the recording could not finish" in failed
    assert html.escape(expected, quote=True).split(":")[0] in failed
    assert "/roles" not in failed and "/retry" in failed
    # no transcript: the roles page leads back to the session page
    assert client.get(f"/sessions/{sid}/roles").url.path == f"/sessions/{sid}"


def test_a_failed_transcription_can_be_tried_again(client, users, settings, monkeypatch):
    login(client, "tina")
    sid = upload_recording(client, new_client(client), "broken.mp3", b"ID3 not really")
    assert wait_transcribed(client, sid)[-1]["status"] == "failed"
    monkeypatch.setattr(recording, "transcribe_recording", lambda audio, **kw: fake_result())
    r = client.post(f"/sessions/{sid}/retry", data={"csrf_token": token_of(client)})
    assert r.url.path == f"/sessions/{sid}"
    assert wait_transcribed(client, sid)[-1]["status"] == "draft"
    details = [r["detail"] for r in audit_rows(settings.data_dir, "transcription_started")]
    assert details == ["", "retry"]
    assert roles_rows(client.get(f"/sessions/{sid}/roles").text) == [
        ("Speaker 1", "therapist"),
        ("Speaker 2", "client"),
    ]


def test_an_internal_error_is_reported_without_details(client, users, monkeypatch):
    def broken(audio, **kwargs):
        raise RuntimeError("boom in /tmp/secret/week 6.wav")

    monkeypatch.setattr(recording, "transcribe_recording", broken)
    login(client, "tina")
    sid = upload_recording(client, new_client(client), "week 6.wav", b"RIFF")
    assert wait_transcribed(client, sid)[-1] == {
        "status": "failed",
        "progress": 100,
        "stage": "failed",
        "error": "the transcription stopped on an internal error; the server log has the details",
    }


# --- progress, other users, stopping ---------------------------------------------------------


def test_a_long_transcription_shows_its_progress_and_holds_up_no_analysis(
    client, users, monkeypatch
):
    started, release = threading.Event(), threading.Event()

    def slow(audio, *, progress=None, **kwargs):
        progress(200.0, 3120.0)
        started.set()
        release.wait(60)
        progress(3120.0, 3120.0)
        return fake_result(3120.0)

    monkeypatch.setattr(recording, "transcribe_recording", slow)
    login(client, "tina")
    cid = new_client(client)
    sid = upload_recording(client, cid, "long session.mp3", b"ID3")
    try:
        assert started.wait(10)
        assert status_of(client, sid) == {
            "status": "transcribing",
            "progress": 11,  # 5 + 90 * 200 / 3120
            "stage": "transcribing the recording: 3:20 of 52:00",
            "error": "",
        }
        page = client.get(f"/sessions/{sid}")
        assert 'id="progress"' in page.text and 'value="11"' in page.text
        assert "3:20 of 52:00" in page.text
        assert "transcribing (11%)" in client.get(f"/clients/{cid}").text
        # while transcribing there is nobody to name yet: back to the session page
        assert client.get(f"/sessions/{sid}/roles").url.path == f"/sessions/{sid}"
        r = confirm_roles(client, sid, ("therapist", "client"))
        assert r.url.path == f"/sessions/{sid}"
        assert status_of(client, sid)["status"] == "transcribing"
        # another therapist's analysis runs meanwhile
        logout(client)
        login(client, "theo")
        other = upload_demo(client, new_client(client, "Theo's client"), rows=8)
        assert wait_done(client, other)["status"] == "done"
        assert not release.is_set()
        logout(client)
        login(client, "tina")
        assert status_of(client, sid)["status"] == "transcribing"
    finally:
        release.set()
    assert wait_transcribed(client, sid)[-1]["status"] == "draft"


def test_a_transcription_stopped_with_the_server_is_started_again(settings, monkeypatch):
    started = threading.Event()

    def endless(audio, *, progress=None, **kwargs):
        started.set()
        while True:
            progress(1.0, 10.0)
            time.sleep(0.02)

    monkeypatch.setattr(recording, "transcribe_recording", endless)
    with CheckedClient(create_app(settings)) as c:
        make_users(c.app.state.store, ("tina",))
        login(c, "tina")
        sid = upload_recording(c, new_client(c), "week 6.ogg", b"OggS")
        assert started.wait(10)
    # the server stopped the transcription at its next step and kept it waiting
    assert sql(settings.data_dir, "SELECT status FROM sessions") == [("transcribing",)]
    monkeypatch.setattr(recording, "transcribe_recording", lambda audio, **kw: fake_result())
    with CheckedClient(create_app(settings)) as c:
        login(c, "tina")
        assert wait_transcribed(c, sid)[-1]["status"] == "draft"
        assert [name for name, _ in roles_rows(c.get(f"/sessions/{sid}/roles").text)] == [
            "Speaker 1",
            "Speaker 2",
        ]


def test_transcriptions_have_a_thread_of_their_own(settings):
    with CheckedClient(create_app(settings.model_copy(update={"analysis_workers": 2}))) as c:
        jobs = c.app.state.jobs
        assert jobs.transcriptions is not jobs.pool
        assert jobs.transcriptions._max_workers == 1 and jobs.pool._max_workers == 2


def test_the_number_of_people_given_is_the_transcription_s(client, users, settings, dialogue):
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"audio": ("week 6.m4a", m4a_bytes(dialogue))}, people="2")
    sid = r.url.path.rsplit("/", 1)[-1]
    assert wait_transcribed(client, sid)[-1]["status"] == "draft"
    confirm_roles(client, sid, ("therapist", "client"))
    assert wait_done(client, sid, timeout=120)["status"] == "done"
    results = json.loads(client.get(f"/sessions/{sid}/export/results.json").text)
    made = results["session"]["transcription"]
    assert made["n_speakers"] == 2 and made["speakers_estimated"] is False


@pytest.mark.parametrize("people", ["0", "nine", "2.5", "9"])
def test_a_bad_number_of_people_names_the_field(client, users, settings, people):
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"audio": ("week 6.m4a", b"\0" * 64)}, people=people)
    assert r.status_code == 422
    assert message(r).startswith(f"people: is {people!r}; expected a whole number of people")
    assert count(settings.data_dir, "sessions") == 0


def test_a_miscounted_recording_can_be_transcribed_again_with_the_number_of_people(
    client, users, settings, dialogue
):
    login(client, "tina")
    cid = new_client(client)
    r = upload(client, cid, {"audio": ("week 6.m4a", m4a_bytes(dialogue))}, people="1")
    sid = r.url.path.rsplit("/", 1)[-1]
    assert wait_transcribed(client, sid)[-1]["status"] == "draft"
    page = client.get(f"/sessions/{sid}/roles").text
    assert len(roles_rows(page)) == 1  # one voice: no one to be the client
    assert 'id="transcribe-again"' in page and "Only one voice was heard" in page
    bad = client.post(
        f"/sessions/{sid}/transcribe", data={"csrf_token": token_of(client), "people": "zero"}
    )
    assert bad.status_code == 422 and message(bad).startswith("people: is 'zero'")
    again = client.post(
        f"/sessions/{sid}/transcribe", data={"csrf_token": token_of(client), "people": "2"}
    )
    assert again.status_code == 200 and again.url.path == f"/sessions/{sid}"
    # while it is transcribed again, the roles page leads to the progress
    assert wait_transcribed(client, sid)[-1]["status"] == "draft"
    assert [role for _, role in roles_rows(client.get(f"/sessions/{sid}/roles").text)] == [
        "therapist",
        "client",
    ]
    details = [r["detail"] for r in audit_rows(settings.data_dir, "transcription_started")]
    assert details == ["", "retry, 2 people"]


def test_a_transcript_uploaded_as_such_is_not_transcribed_again(client, users, settings):
    login(client, "tina")
    cid = new_client(client)
    sid = upload_demo(client, cid, rows=4, roles=None)
    page = client.get(f"/sessions/{sid}/roles").text
    assert 'id="transcribe-again"' not in page
    r = client.post(f"/sessions/{sid}/transcribe", data={"csrf_token": token_of(client)})
    assert r.url.path == f"/sessions/{sid}"
    assert audit_rows(settings.data_dir, "transcription_started") == []

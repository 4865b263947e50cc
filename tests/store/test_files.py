"""Tests for attunement.store.files: session files encrypted on disk, replaced, swept."""

from __future__ import annotations

import pytest
from store_fixture import TRANSCRIPT, accounts, add_session, finish, raw, temporary_store

import attunement.store.files as files_module
from attunement.errors import InputError
from attunement.store.views import FileView

store = pytest.fixture(temporary_store, name="store")
people = pytest.fixture(accounts, name="people")


def test_uploads_are_encrypted_on_disk_and_read_back(store, people, tmp_path):
    _, sid = add_session(store, people["tina"], files={"transcript": ("ezekiel.csv", TRANSCRIPT)})
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].parent.name == sid
    assert b"Ezekiel" not in files[0].read_bytes()
    assert store.read_file(people["sue"], sid, "transcript") == ("ezekiel.csv", TRANSCRIPT)
    assert store.session(people["tina"], sid).files == {
        "transcript": FileView(name="ezekiel.csv", size=len(TRANSCRIPT))
    }
    db_bytes = (tmp_path / "store.db").read_bytes() + (tmp_path / "store.db-wal").read_bytes()
    assert b"ezekiel" not in db_bytes and b"J. Q." not in db_bytes


def test_a_failed_upload_leaves_no_file_and_no_row(store, people, tmp_path, monkeypatch):
    real = files_module.write_encrypted
    calls = []

    def fail_second(path, data, cipher):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data, cipher)

    monkeypatch.setattr(files_module, "write_encrypted", fail_second)
    cid = store.create_client(people["tina"], "J. Q.")
    with pytest.raises(OSError, match="disk full"):
        store.create_session(
            people["tina"],
            cid,
            held_on=None,
            files={"transcript": ("a.csv", TRANSCRIPT), "audio": ("a.wav", b"RIFF")},
        )
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
    assert raw(store, "SELECT count(*) FROM sessions") == [(0,)]


def test_an_unknown_kind_of_file_is_refused(store, people):
    cid = store.create_client(people["tina"], "J. Q.")
    with pytest.raises(InputError, match="kind: is 'notes'"):
        store.create_session(
            people["tina"],
            cid,
            held_on=None,
            files={"transcript": ("a.csv", TRANSCRIPT), "notes": ("n.txt", b"x")},
        )
    assert raw(store, "SELECT count(*) FROM sessions") == [(0,)]


def test_results_replace_earlier_outputs(store, people, tmp_path):
    _, sid = add_session(store, people["tina"])
    finish(store, people["tina"], sid, {"language_style_matching": 0.5})
    first = sorted(p.name for p in (tmp_path / "files" / sid).iterdir())
    finish(store, people["tina"], sid, {"language_style_matching": 0.7})
    second = sorted(p.name for p in (tmp_path / "files" / sid).iterdir())
    assert len(first) == len(second) == 4
    assert set(first) & set(second) == {n for n in first if n.startswith("transcript-")}
    assert set(store.session(people["tina"], sid).files) == {
        "transcript",
        "report",
        "results",
        "utterances",
    }


def test_sweep_removes_files_no_row_points_to(store, people):
    cid = store.create_client(people["tina"], "R. K.")
    sid = store.create_session(
        people["tina"], cid, held_on=None, files={"transcript": ("s.csv", TRANSCRIPT)}
    )
    kept = sorted(p for p in store.files_dir.rglob("*") if p.is_file())
    orphan_dir = store.files_dir / "left-by-a-killed-upload"
    orphan_dir.mkdir()
    (orphan_dir / "transcript-abc.bin").write_bytes(b"ciphertext")
    (store.files_dir / sid / ".transcript-x.bin.tmp").write_bytes(b"half")
    assert store.sweep_orphans() == 2
    assert sorted(p for p in store.files_dir.rglob("*") if p.is_file()) == kept
    assert not orphan_dir.exists()
    assert store.read_file(people["tina"], sid, "transcript")[1] == TRANSCRIPT

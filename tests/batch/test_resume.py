"""Tests of the state folder that lets a batch resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from attunement.batch.resume import STATE_FOLDER, BatchState
from attunement.errors import InputError


def entry(key: str, status: str = "ok", fingerprint: str = "1:1", row: int = 0):
    return (key, fingerprint, status, key.upper(), row, 0, 0)


def commit(state: BatchState, *entries) -> int:
    seq = state.next_seq()
    for kind in ("sessions", "utterances"):
        state.part_path(seq, kind).write_bytes(b"parquet")
    state.commit(seq, list(entries))
    return seq


def test_records_survive_a_new_run(tmp_path: Path) -> None:
    with BatchState.open(tmp_path, {"a": 1}) as state:
        assert commit(state, entry("x"), entry("y", "error", row=1)) == 0
    with BatchState.open(tmp_path, {"a": 1}) as state:
        assert state.is_done("x", "1:1")
        assert not state.is_done("y", "1:1")  # failures are tried again
        assert not state.is_done("x", "2:2")  # the file changed
        assert not state.is_done("z", "1:1")
        assert state.entry("y").row == 1 and state.entry("y").session_id == "Y"
        assert state.next_seq() == 1


def test_the_latest_record_of_a_key_wins(tmp_path: Path) -> None:
    with BatchState.open(tmp_path, {}) as state:
        commit(state, entry("x", "error"))
        commit(state, entry("x", "ok"))
    with BatchState.open(tmp_path, {}) as state:
        assert state.entry("x").seq == 1 and state.is_done("x", "1:1")
        state.prune()
        assert sorted(p.name for p in state.parts.iterdir()) == [
            "000001-sessions.parquet",
            "000001-utterances.parquet",
            "000001.json",
        ]


def test_files_of_unrecorded_parts_are_deleted(tmp_path: Path) -> None:
    with BatchState.open(tmp_path, {}) as state:
        commit(state, entry("x"))
        state.part_path(1, "sessions").write_bytes(b"half")
        (state.parts / "000001-utterances.parquet.tmp").write_bytes(b"half")
        (state.parts / "000001.json.tmp").write_text('{"entries": [')
    with BatchState.open(tmp_path, {}) as state:
        assert sorted(p.name for p in state.parts.iterdir()) == [
            "000000-sessions.parquet",
            "000000-utterances.parquet",
            "000000.json",
        ]
        assert state.next_seq() == 1


def test_an_unreadable_record_is_dropped(tmp_path: Path, caplog) -> None:
    with BatchState.open(tmp_path, {}) as state:
        commit(state, entry("x"))
        (state.parts / "000000.json").write_text("{not json")
    with BatchState.open(tmp_path, {}) as state:
        assert state.entry("x") is None
        assert list(state.parts.iterdir()) == []
    assert "unreadable record" in caplog.text


def test_other_settings_are_refused(tmp_path: Path) -> None:
    BatchState.open(tmp_path, {"keep_names": False, "therapist": []}).close()
    with pytest.raises(InputError, match=r"other settings \(keep_names, therapist differ\)"):
        BatchState.open(tmp_path, {"keep_names": True, "therapist": ["Dr Lee"]})
    (tmp_path / STATE_FOLDER / "settings.json").write_text("garbage")
    with pytest.raises(InputError, match="other settings"):
        BatchState.open(tmp_path, {"keep_names": False, "therapist": []})


def test_force_forgets_everything(tmp_path: Path) -> None:
    with BatchState.open(tmp_path, {"keep_names": False}) as state:
        commit(state, entry("x"))
    with BatchState.open(tmp_path, {"keep_names": True}, force=True) as state:
        assert state.entry("x") is None and state.next_seq() == 0
        assert list(state.parts.iterdir()) == []
    BatchState.open(tmp_path, {"keep_names": True}).close()  # the new settings are kept


def test_one_batch_at_a_time(tmp_path: Path) -> None:
    with (
        BatchState.open(tmp_path, {}),
        pytest.raises(InputError, match="being written by another running batch"),
    ):
        BatchState.open(tmp_path, {})
    BatchState.open(tmp_path, {}).close()  # released


def test_an_output_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="cannot be created"):
        BatchState.open(tmp_path / "file" / "out", {})

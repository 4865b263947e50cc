"""attunement.outfiles: atomic writes, alone and together."""

from __future__ import annotations

import os
import stat

import pytest

from attunement.errors import InputError
from attunement.outfiles import atomic_write, atomic_write_all


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert stat.S_IMODE(os.stat(target).st_mode) & 0o077 == 0


def test_all_or_nothing_when_one_target_cannot_be_written(tmp_path, monkeypatch):
    first, second = tmp_path / "one.vtt", tmp_path / "two.json"
    first.write_text("kept")
    calls = []
    real = os.fdopen

    def failing(fd, *args, **kwargs):
        calls.append(fd)
        if len(calls) == 2:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", failing)
    with pytest.raises(OSError):
        atomic_write_all([(first, "new"), (second, "{}")])
    assert first.read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.vtt"]


def test_a_folder_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        atomic_write_all([(tmp_path / "x.txt", "x"), (tmp_path / "d", "y")])
    assert not (tmp_path / "x.txt").exists()

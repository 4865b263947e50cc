"""Tests for attunement.web.settings: defaults, environment variables, limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from attunement.web.settings import Settings, default_data_dir


def test_defaults(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.database_url_or_default() == f"sqlite:///{tmp_path / 'attunement.db'}"
    assert s.files_dir == tmp_path / "files"
    assert s.key_file == tmp_path / "secret.key"
    assert s.questionnaire_dir_or_default() == tmp_path / "questionnaires"
    assert (s.idle_timeout_minutes, s.login_max_failures, s.login_window_minutes) == (30, 5, 15)
    assert (s.feedback_link_hours, s.max_upload_mb, s.analysis_workers) == (72, 200, 1)
    assert s.secure_cookies is False and s.secret_key is None and s.public_url is None


def test_default_data_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "attunement"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "attunement"
    assert Settings().data_dir == default_data_dir()


def test_everything_can_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTUNEMENT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ATTUNEMENT_DATABASE_URL", "postgresql+psycopg://u@db/attunement")
    monkeypatch.setenv("ATTUNEMENT_SECRET_KEY", "k" * 44)
    monkeypatch.setenv("ATTUNEMENT_IDLE_TIMEOUT_MINUTES", "5")
    monkeypatch.setenv("ATTUNEMENT_SECURE_COOKIES", "1")
    monkeypatch.setenv("ATTUNEMENT_QUESTIONNAIRE_DIR", str(tmp_path / "q"))
    s = Settings()
    assert s.data_dir == tmp_path / "d"
    assert s.database_url_or_default() == "postgresql+psycopg://u@db/attunement"
    assert s.secret_key.get_secret_value() == "k" * 44
    assert "k" * 44 not in repr(s) and "k" * 44 not in str(s.model_dump())
    assert s.idle_timeout_minutes == 5 and s.secure_cookies is True
    assert s.questionnaire_dir_or_default() == Path(tmp_path / "q")


def test_arguments_win_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTUNEMENT_MAX_UPLOAD_MB", "7")
    assert Settings(data_dir=tmp_path).max_upload_mb == 7
    assert Settings(data_dir=tmp_path, max_upload_mb=9).max_upload_mb == 9


@pytest.mark.parametrize(
    "bad",
    [
        {"idle_timeout_minutes": 0},
        {"idle_timeout_minutes": 24 * 60 + 1},
        {"login_max_failures": 0},
        {"feedback_link_hours": 0},
        {"max_upload_mb": 0},
        {"analysis_workers": 33},
        {"no_such_setting": 1},
    ],
)
def test_out_of_range_or_unknown_settings_are_refused(tmp_path, bad):
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, **bad)


def test_an_unknown_environment_variable_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTUNEMENT_NO_SUCH_SETTING", "1")
    assert Settings(data_dir=tmp_path).data_dir == tmp_path


def test_the_key_file_can_live_outside_the_data_dir(monkeypatch, tmp_path):
    from attunement.web.app import open_store

    keys = tmp_path / "keys"
    monkeypatch.setenv("ATTUNEMENT_KEY_PATH", str(keys / "attunement.key"))
    s = Settings(data_dir=tmp_path / "data")
    assert s.key_file == keys / "attunement.key"
    open_store(s).db.dispose()
    assert (keys / "attunement.key").is_file()
    assert oct((keys / "attunement.key").stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "data" / "secret.key").exists()  # nothing beside the database
    # the data dir alone (a backup, a stolen disk) does not open: a new key is refused
    monkeypatch.delenv("ATTUNEMENT_KEY_PATH")
    from attunement.errors import AttunementError

    with pytest.raises(AttunementError, match="key"):
        open_store(Settings(data_dir=tmp_path / "data"))

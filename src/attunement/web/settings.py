"""Settings of the web app, from arguments or ``ATTUNEMENT_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/attunement`` (``~/.local/share/attunement``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "attunement"


class Settings(BaseSettings):
    """Everything the web app can be told.

    Every field can be set by an environment variable ``ATTUNEMENT_<FIELD>`` (for example
    ``ATTUNEMENT_DATABASE_URL``).

    Examples
    --------
    >>> s = Settings(data_dir="/tmp/x")
    >>> s.database_url_or_default()
    'sqlite:////tmp/x/attunement.db'
    """

    model_config = SettingsConfigDict(env_prefix="ATTUNEMENT_", extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    #: SQLAlchemy URL; default SQLite ``attunement.db`` in the data dir.
    database_url: str | None = None
    #: The encryption key (base64, 32 bytes); default: ``secret.key`` in the data dir, created
    #: with permissions 0600 on first start. Losing it makes the stored data unreadable.
    secret_key: SecretStr | None = None
    #: Where the key file lives (default ``secret.key`` in the data dir). Kept elsewhere -- on
    #: another disk, or a removable one -- a copy of the data dir (a backup, a stolen disk) is
    #: unreadable without it; ``ATTUNEMENT_SECRET_KEY`` keeps it out of files altogether.
    key_path: Path | None = None
    #: Signed-in browsers are signed out after this many minutes without a request.
    idle_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: ... and this many hours after signing in, however busy (a cookie copied or left in a
    #: shared browser does not live for ever).
    session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: Failed sign-ins allowed per user name (and per address) within ``login_window_minutes``.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    #: Over the limit, one sign-in attempt per name (and per address) this often: a guesser
    #: gets one try a minute, and the right password from any browser gets in at the next.
    login_backoff_seconds: int = Field(default=60, ge=1)
    #: How long a client's feedback link stays valid.
    feedback_link_hours: int = Field(default=72, ge=1, le=24 * 30)
    #: Largest accepted upload, in megabytes, per file.
    max_upload_mb: int = Field(default=200, ge=1)
    #: Analyses run at the same time in the background.
    analysis_workers: int = Field(default=1, ge=1, le=32)
    #: Mark cookies ``Secure`` (set when the app is served over HTTPS by a proxy).
    secure_cookies: bool = False
    #: Extra questionnaire definitions (TOML); default ``questionnaires/`` in the data dir.
    questionnaire_dir: Path | None = None
    #: The address that feedback links and QR codes point to (default: the request's own).
    public_url: str | None = None
    #: The utterance coder of every analysis: 'transformer' (default), 'ngram' or a folder
    #: written by ``attunement train`` (``ATTUNEMENT_CODER``, read here and nowhere deeper).
    coder: str | None = None
    #: The faster-whisper model folder that transcribes recordings uploaded without a
    #: transcript (``ATTUNEMENT_ASR_MODEL``; default the packaged Whisper tiny.en). Never
    #: downloaded.
    asr_model: Path | None = None

    def database_url_or_default(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'attunement.db'}"

    def questionnaire_dir_or_default(self) -> Path:
        return self.questionnaire_dir or self.data_dir / "questionnaires"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def key_file(self) -> Path:
        """The key file: ``key_path``, else ``secret.key`` in the data dir.

        >>> Settings(data_dir="/tmp/x").key_file.as_posix()
        '/tmp/x/secret.key'
        >>> Settings(data_dir="/tmp/x", key_path="/mnt/keys/a.key").key_file.as_posix()
        '/mnt/keys/a.key'
        """
        return Path(self.key_path).expanduser() if self.key_path else self.data_dir / "secret.key"

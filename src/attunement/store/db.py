"""The database: engine, schema migrations (Alembic) and transactions.

SQLite in the data dir is the embedded default; PostgreSQL works by URL
(``postgresql+psycopg://user@host/db``). The schema is only ever changed by the Alembic
migrations in ``store/migrations``, run at start-up by :func:`migrate`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from attunement.errors import AttunementError

__all__ = ["MIGRATIONS", "Database", "alembic_config", "make_engine", "migrate"]

#: The folder of Alembic migration scripts.
MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL journaling and a busy timeout.

    Raises
    ------
    AttunementError
        When the URL cannot be used.
    """
    try:
        if url.startswith("sqlite"):
            memory = url in ("sqlite://", "sqlite:///:memory:")
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                **({"poolclass": StaticPool} if memory else {}),
            )

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()

            return engine
        return create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise AttunementError(f"database URL cannot be used: {exc}") from None


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        url = engine.url.render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser syntax
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (creating it in an empty database).

    Raises
    ------
    AttunementError
        When the database cannot be reached or migrated.
    """
    cfg = alembic_config(engine)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise AttunementError(
            f"database {engine.url.render_as_string(hide_password=True)} cannot be "
            f"migrated: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}"
        ) from None


class Database:
    """An engine and its session factory.

    Examples
    --------
    >>> db = Database("sqlite://")
    >>> db.migrate()
    >>> "users" in db.table_names()
    True
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        migrate(self.engine)

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

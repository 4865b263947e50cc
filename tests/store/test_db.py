"""Tests for attunement.store.db: engines, Alembic migrations against the models, transactions."""

from __future__ import annotations

import importlib.util

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from attunement.errors import AttunementError
from attunement.store.db import MIGRATIONS, Database, alembic_config, make_engine, migrate
from attunement.store.models import Base, MetaValue


@pytest.fixture
def db(tmp_path):
    d = Database(f"sqlite:///{tmp_path / 'a.db'}")
    d.migrate()
    yield d
    d.dispose()


def test_migrations_create_every_table_of_the_models(db):
    assert set(db.table_names()) == set(Base.metadata.tables) | {"alembic_version"}


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_the_comparison_would_see_a_difference(db):
    with db.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_clients_therapist_id"))
        conn.execute(text("ALTER TABLE meta ADD COLUMN extra INTEGER"))
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    kinds = sorted(d[0] if isinstance(d, tuple) else d[0][0] for d in diff)
    assert kinds == ["add_index", "remove_column"]


def test_the_database_is_at_the_newest_migration_and_migrating_again_is_harmless(db):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    db.migrate()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_indexes_and_constraints_are_in_place(db):
    insp = inspect(db.engine)
    assert {i["name"] for i in insp.get_indexes("login_attempts")} == {
        "ix_login_attempts_at",
        "ix_login_attempts_username",
    }
    fks = {
        (fk["referred_table"], fk["options"].get("ondelete"))
        for fk in insp.get_foreign_keys("session_files")
    }
    assert fks == {("sessions", "CASCADE")}
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("feedback_responses")}
    assert ("session_id", "questionnaire") in uniques


def test_downgrade_removes_every_table(tmp_path):
    d = Database(f"sqlite:///{tmp_path / 'b.db'}")
    d.migrate()
    cfg = alembic_config(d.engine)
    with d.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert d.table_names() == ["alembic_version"]
    d.dispose()


def test_alembic_run_by_hand_with_a_url(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    command.upgrade(alembic_config(engine), "head")  # env.py opens its own connection
    assert "users" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_gets_foreign_keys_and_wal(db):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_an_in_memory_database_keeps_its_tables_across_sessions():
    d = Database("sqlite://")
    d.migrate()
    with d.transaction() as s:
        s.add(MetaValue(key="k", value=b"v"))
    with d.sessions() as s:
        assert s.scalar(select(MetaValue.value)) == b"v"


def test_a_transaction_rolls_back_on_error(db):
    with pytest.raises(RuntimeError), db.transaction() as s:
        s.add(MetaValue(key="k", value=b"v"))
        s.flush()
        raise RuntimeError("stop")
    with db.sessions() as s:
        assert s.scalar(select(MetaValue)) is None


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://x/y"])
def test_a_bad_url_is_a_clear_error(url):
    with pytest.raises(AttunementError, match="database URL cannot be used"):
        Database(url)


def test_a_file_that_is_not_a_database_cannot_be_migrated(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not an SQLite database at all, just text" * 100)
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(AttunementError, match="cannot be migrated") as info:
        migrate(engine)
    assert str(path) in str(info.value)
    engine.dispose()


def test_the_migration_environment_imports_quietly_outside_alembic():
    # pytest --doctest-modules imports every module of the package, this one too
    spec = importlib.util.spec_from_file_location("migrations_env", MIGRATIONS / "env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.run)

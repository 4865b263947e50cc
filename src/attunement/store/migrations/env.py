"""Alembic environment: migrations run on the connection that store.db.migrate gives.

Importing this file outside Alembic (``pytest --doctest-modules`` collects every module) does
nothing.
"""

from alembic import context

from attunement.store.models import Base


def run() -> None:
    """Run the migrations Alembic asked for."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` run by hand with a URL in the config
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            context.configure(
                connection=connection, target_metadata=Base.metadata, render_as_batch=True
            )
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
    else:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


if hasattr(context, "config"):  # only while Alembic runs this environment
    run()

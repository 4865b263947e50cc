"""Persistence for the web app: SQLAlchemy models, migrations, encryption at rest, audit log."""

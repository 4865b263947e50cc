"""supervision needs the therapist's consent

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 14:20:00

A supervision an admin set up is now a proposal until the therapist accepts it. Pairings made
before this revision were never agreed to by the therapist, so they start as proposals too.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supervisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supervisions", schema=None) as batch_op:
        batch_op.drop_column("accepted_at")

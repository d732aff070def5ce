"""dead_letters.last_replayed_at: when a replay last sent the letter through its sync code

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: a plain ALTER where the database can (ADD COLUMN on both), a table copy on SQLite
    # where it cannot.
    with op.batch_alter_table("dead_letters", schema=store_schema()) as batch:
        batch.add_column(sa.Column("last_replayed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dead_letters", schema=store_schema()) as batch:
        batch.drop_column("last_replayed_at")

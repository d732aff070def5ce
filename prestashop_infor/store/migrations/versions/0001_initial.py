"""the store's tables as they were when migrations began

A store made before migrations existed already has some or all of them: only the missing ones are
created (the adoption in ``migrations/__init__.py`` has checked the others' columns first), so
upgrading it through this revision amounts to stamping it at ``0001``.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from prestashop_infor.store.migrations import store_schema
from prestashop_infor.store.migrations.initial_schema import initial_metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in initial_metadata(store_schema()).sorted_tables:
        table.create(bind, checkfirst=True)  # with its indexes


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(initial_metadata(store_schema()).sorted_tables):
        table.drop(bind, checkfirst=True)

"""The shop's merchandise returns, as the module's order_return webhooks carry them

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ps_order_returns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id_order", sa.Integer, nullable=False),
        sa.Column("id_customer", sa.Integer, nullable=False),
        sa.Column("state", sa.Integer, nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("date_upd", sa.String(19), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),  # the module's resource_version (0: none)
        sa.Column("inbox_id", sa.Integer, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )
    op.create_index("ix_ps_order_returns_id_order", "ps_order_returns", ["id_order"], schema=store_schema())


def downgrade() -> None:
    op.drop_index("ix_ps_order_returns_id_order", "ps_order_returns", schema=store_schema())
    op.drop_table("ps_order_returns", schema=store_schema())

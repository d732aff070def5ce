"""the shop's order states and M3's items, as their extraction assets stored them

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = store_schema()
    op.create_table(
        "ps_order_states",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )
    op.create_table(
        "m3_items",
        sa.Column("itno", sa.String(15), primary_key=True),
        sa.Column("stat", sa.String(2), nullable=False),
        sa.Column("unms", sa.String(3), nullable=False),
        sa.Column("itds", sa.String(60), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )


def downgrade() -> None:
    for table in ("m3_items", "ps_order_states"):
        op.drop_table(table, schema=store_schema())

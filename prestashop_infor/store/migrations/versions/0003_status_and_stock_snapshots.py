"""m3_order_states, m3_balances, ps_combinations: what the status and stock pushes read, written by
their upstream assets (infor_order_statuses, infor_inventory, prestashop_products)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    schema = store_schema()
    op.create_table(
        "m3_order_states",
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("orno", sa.String(10), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=True),
        sa.Column("milestone", sa.String(30), nullable=True),
        sa.Column("head", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        _when("read_at"),
        schema=schema,
    )
    op.create_table(
        "m3_balances",
        sa.Column("itno", sa.String(15), primary_key=True),
        sa.Column("whlo", sa.String(3), primary_key=True),
        sa.Column("av01", sa.Numeric(20, 6), nullable=False),
        sa.Column("av02", sa.Numeric(20, 6), nullable=False),
        sa.Column("stqt", sa.Numeric(20, 6), nullable=True),
        _when("loaded_at"),
        schema=schema,
    )
    op.create_table(
        "ps_combinations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id_product", sa.Integer, nullable=False),
        sa.Column("reference", sa.String(128), nullable=True),
        _when("loaded_at"),
        schema=schema,
    )
    op.create_index("ix_ps_combinations_id_product", "ps_combinations", ["id_product"], schema=schema)


def downgrade() -> None:
    schema = store_schema()
    op.drop_index("ix_ps_combinations_id_product", table_name="ps_combinations", schema=schema)
    for table in ("ps_combinations", "m3_balances", "m3_order_states"):
        op.drop_table(table, schema=schema)

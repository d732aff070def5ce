"""reconciliation: per-day order snapshots of both sides and the findings

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(20, 6)
# named here, not by index=True: with a schema, Alembic would put the schema in the name
INDEXES = (("recon_shop_orders", "day"), ("recon_shop_orders", "cuor"), ("recon_m3_orders", "day"),
           ("recon_m3_orders", "cuor"), ("recon_findings", "day"))  # fmt: skip


def upgrade() -> None:
    schema = store_schema()
    op.create_table(
        "recon_shop_orders",
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("cuor", sa.String(20), nullable=False),
        sa.Column("state_id", sa.Integer, nullable=False),
        sa.Column("state_rank", sa.Integer, nullable=True),
        sa.Column("exported", sa.Boolean, nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("placed_at", sa.String(19), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )
    op.create_table(
        "recon_m3_orders",
        sa.Column("orno", sa.String(10), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("cuor", sa.String(20), nullable=False),
        sa.Column("milestone", sa.String(20), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )
    op.create_table(
        "recon_findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("expected", sa.Text, nullable=True),
        sa.Column("actual", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], schema=schema)


def downgrade() -> None:
    for table in ("recon_findings", "recon_m3_orders", "recon_shop_orders"):
        op.drop_table(table, schema=store_schema())

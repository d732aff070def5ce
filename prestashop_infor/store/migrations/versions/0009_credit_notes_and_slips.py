"""M3's credit notes (returns and credits) and the shop's credit slips, as their extractions store them;
money in the reconciliation snapshots

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "m3_credit_notes",
        sa.Column("year", sa.String(4), primary_key=True),
        sa.Column("ivno", sa.String(15), primary_key=True),
        sa.Column("orno", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric(20, 6), nullable=False),  # gross, in the ERP currency: below 0
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("corrects", sa.String(14), nullable=False),  # RXIN: the invoice it credits
        sa.Column("invoice_date", sa.Date, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )
    op.create_index("ix_m3_credit_notes_orno", "m3_credit_notes", ["orno"], schema=store_schema())
    op.create_table(
        "ps_order_slips",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id_order", sa.Integer, nullable=False),
        sa.Column("amount", sa.Numeric(20, 6), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("date_upd", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )
    op.create_index("ix_ps_order_slips_id_order", "ps_order_slips", ["id_order"], schema=store_schema())
    for name in ("paid", "refunded"):
        op.add_column(
            "recon_shop_orders", sa.Column(name, sa.Numeric(20, 6), nullable=True), schema=store_schema()
        )
    for name in ("invoiced", "credited"):
        op.add_column(
            "recon_m3_orders", sa.Column(name, sa.Numeric(20, 6), nullable=True), schema=store_schema()
        )
    op.add_column("recon_m3_orders", sa.Column("settled", sa.Boolean, nullable=True), schema=store_schema())


def downgrade() -> None:
    for table, names in (("recon_m3_orders", ("settled", "credited", "invoiced")),
                         ("recon_shop_orders", ("refunded", "paid"))):  # fmt: skip
        for name in names:
            op.drop_column(table, name, schema=store_schema())
    op.drop_index("ix_ps_order_slips_id_order", "ps_order_slips", schema=store_schema())
    op.drop_table("ps_order_slips", schema=store_schema())
    op.drop_index("ix_m3_credit_notes_orno", "m3_credit_notes", schema=store_schema())
    op.drop_table("m3_credit_notes", schema=store_schema())

"""M3's sales prices valid today, as infor_price_lists reads them

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "m3_prices",
        sa.Column("prrf", sa.String(10), primary_key=True),
        sa.Column("cucd", sa.String(3), primary_key=True),
        sa.Column("cuno", sa.String(10), primary_key=True),
        sa.Column("itno", sa.String(15), primary_key=True),
        sa.Column("from_quantity", sa.Numeric(20, 6), primary_key=True),
        sa.Column("price", sa.Numeric(20, 6), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )


def downgrade() -> None:
    op.drop_table("m3_prices", schema=store_schema())

"""ps_addresses, ps_countries, ps_currencies: what the order step maps addresses and currencies
from, kept by prestashop_customers

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    schema = store_schema()
    op.create_table(
        "ps_addresses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id_customer", sa.Integer, nullable=True),
        sa.Column("id_country", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=True),
        _when("date_upd"),
        sa.Column("record", sa.Text, nullable=False),
        _when("loaded_at"),
        schema=schema,
    )
    for name in ("ps_countries", "ps_currencies"):
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("iso_code", sa.String(3), nullable=False),
            sa.Column("record", sa.Text, nullable=False),
            _when("loaded_at"),
            schema=schema,
        )


def downgrade() -> None:
    schema = store_schema()
    for name in ("ps_currencies", "ps_countries", "ps_addresses"):
        op.drop_table(name, schema=schema)

"""Prices in the shop: M3 prices kept per validity (a day's price is known after a new list takes
over), the M3 customers' price terms, the shop's specific prices, and the shop order lines' prices
the reconciliation compares with M3's, and the shop of each (multistore)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from prestashop_infor.store.migrations import store_schema

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _m3_prices(primary: tuple[str, ...]) -> None:
    op.create_table(
        "m3_prices",
        sa.Column("prrf", sa.String(10), primary_key=True),
        sa.Column("cucd", sa.String(3), primary_key=True),
        sa.Column("cuno", sa.String(10), primary_key=True),
        sa.Column("itno", sa.String(15), primary_key=True),
        sa.Column("from_quantity", sa.Numeric(20, 6), primary_key=True),
        sa.Column("price", sa.Numeric(20, 6), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False, primary_key="valid_from" in primary),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )


def upgrade() -> None:
    # replaced in full by every infor_price_lists run: recreated with the from-date in its key
    op.drop_table("m3_prices", schema=store_schema())
    _m3_prices(("valid_from",))
    op.create_table(
        "m3_customer_prices",
        sa.Column("cuno", sa.String(10), primary_key=True),
        sa.Column("price_list", sa.String(10), nullable=False),  # PLTB, "" for none
        sa.Column("discount", sa.Numeric(9, 4), nullable=False),  # DIPC, percent
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )
    op.create_table(
        "ps_specific_prices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id_product", sa.Integer, nullable=False),
        sa.Column("id_product_attribute", sa.Integer, nullable=False),
        sa.Column("id_shop", sa.Integer, nullable=False),
        sa.Column("id_shop_group", sa.Integer, nullable=False),
        sa.Column("id_cart", sa.Integer, nullable=False),
        sa.Column("id_currency", sa.Integer, nullable=False),
        sa.Column("id_country", sa.Integer, nullable=False),
        sa.Column("id_group", sa.Integer, nullable=False),
        sa.Column("id_customer", sa.Integer, nullable=False),
        sa.Column("id_specific_price_rule", sa.Integer, nullable=False),
        sa.Column("from_quantity", sa.Integer, nullable=False),
        sa.Column("price", sa.String(30), nullable=False),
        sa.Column("reduction", sa.String(30), nullable=False),
        sa.Column("reduction_type", sa.String(20), nullable=False),
        sa.Column("starts", sa.String(19), nullable=False),  # "from"
        sa.Column("ends", sa.String(19), nullable=False),  # "to"
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=store_schema(),
    )
    with op.batch_alter_table("recon_shop_orders", schema=store_schema()) as batch:
        batch.add_column(sa.Column("id_customer", sa.Integer, nullable=True))
        batch.add_column(sa.Column("currency", sa.String(3), nullable=True))
        batch.add_column(sa.Column("line_prices", sa.Text, nullable=True))
        batch.add_column(sa.Column("id_shop", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recon_shop_orders", schema=store_schema()) as batch:
        batch.drop_column("id_shop")
        batch.drop_column("line_prices")
        batch.drop_column("currency")
        batch.drop_column("id_customer")
    op.drop_table("ps_specific_prices", schema=store_schema())
    op.drop_table("m3_customer_prices", schema=store_schema())
    op.drop_table("m3_prices", schema=store_schema())
    _m3_prices(())

"""The store's price tables (revisions 0011, 0012), on the one ``metadata`` of ``store.tables``
(which imports them, so ``tables.m3_prices`` and the others are where every table is)."""

from __future__ import annotations

import sqlalchemy as sa

from prestashop_infor.store.tables import UtcDateTime, metadata

# M3's sales prices (revisions 0011, 0012), replaced in full by each ``infor_price_lists`` run: per
# price list (PRRF, currency, customer or blank for any), item, from-quantity (1: the base price;
# more: a quantity break) and the list's validity, ``valid_to`` being when the list ends or the day
# before the next list of the same key takes over (None: open); today's and the history the
# reconciliation judges past days by.
m3_prices = sa.Table(
    "m3_prices",
    metadata,
    sa.Column("prrf", sa.String(10), primary_key=True),
    sa.Column("cucd", sa.String(3), primary_key=True),
    sa.Column("cuno", sa.String(10), primary_key=True),
    sa.Column("itno", sa.String(15), primary_key=True),
    sa.Column("from_quantity", sa.Numeric(20, 6), primary_key=True),
    sa.Column("price", sa.Numeric(20, 6), nullable=False),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)
# The price terms of the M3 customers of the shop's price groups (revision 0012), replaced in full
# by each ``infor_price_lists`` run: the price list they buy by (CRS610MI PLTB, "" none) and their
# discount percentage (DIPC).
m3_customer_prices = sa.Table(
    "m3_customer_prices",
    metadata,
    sa.Column("cuno", sa.String(10), primary_key=True),
    sa.Column("price_list", sa.String(10), nullable=False),
    sa.Column("discount", sa.Numeric(9, 4), nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# The shop's specific prices (revision 0012), read in full by ``prestashop_specific_prices``: what the
# price push compares M3's prices with. ``starts``/``ends`` are the record's ``from``/``to``.
ps_specific_prices = sa.Table(
    "ps_specific_prices",
    metadata,
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
    sa.Column("starts", sa.String(19), nullable=False),
    sa.Column("ends", sa.String(19), nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

"""The store's schema at revision ``0001``, frozen: the tables as they were when migrations began.

Revision ``0001`` creates these tables, and a store made before migrations existed is checked
against them before it is adopted. Never change this file: a change to the schema is a new
revision in ``versions/``. Timestamps are ``DateTime(timezone=True)``, what ``UtcDateTime``
(``store/tables.py``) puts in the database; every default is applied by the code, not the database.
"""

from __future__ import annotations

import sqlalchemy as sa

MONEY = sa.Numeric(20, 6)


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def initial_metadata(schema: str | None = None) -> sa.MetaData:
    """A fresh ``MetaData`` holding the ten tables of revision ``0001``, in ``schema`` if given."""
    metadata = sa.MetaData(schema=schema)
    sa.Table(
        "cursors",
        metadata,
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )
    dead_letters = sa.Table(
        "dead_letters",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("error_code", sa.String(200), nullable=False),
        sa.Column("field", sa.String(500), nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("failures", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_seen", _utc(), nullable=False),
        sa.Column("last_seen", _utc(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.UniqueConstraint("entity", "key", "stage", name="uq_dead_letters_entity_key_stage"),
        sa.CheckConstraint("stage in ('validate', 'map', 'load')", name="ck_dead_letters_stage"),
        sa.CheckConstraint("state in ('open', 'replayed', 'resolved')", name="ck_dead_letters_state"),
    )
    sa.Index("ix_dead_letters_state_entity", dead_letters.c.state, dead_letters.c.entity)
    sa.Table(
        "ps_orders",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("id_customer", sa.Integer, nullable=False),
        sa.Column("id_currency", sa.Integer, nullable=False),
        sa.Column("id_address_delivery", sa.Integer, nullable=True),
        sa.Column("id_address_invoice", sa.Integer, nullable=True),
        sa.Column("id_carrier", sa.Integer, nullable=True),
        sa.Column("id_shop", sa.Integer, nullable=True),
        sa.Column("current_state", sa.Integer, nullable=False),
        sa.Column("module", sa.String(255), nullable=True),
        sa.Column("payment", sa.String(255), nullable=True),
        sa.Column("total_paid", MONEY, nullable=False),
        sa.Column("total_paid_tax_incl", MONEY, nullable=False),
        sa.Column("total_paid_tax_excl", MONEY, nullable=False),
        sa.Column("total_products", MONEY, nullable=False),
        sa.Column("total_products_wt", MONEY, nullable=False),
        sa.Column("total_shipping", MONEY, nullable=False),
        sa.Column("total_discounts", MONEY, nullable=False),
        sa.Column("conversion_rate", MONEY, nullable=True),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("date_add", _utc(), nullable=False),
        sa.Column("date_upd", _utc(), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("loaded_at", _utc(), nullable=False),
    )
    order_rows = sa.Table(
        "ps_order_rows",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id_order", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("product_attribute_id", sa.Integer, nullable=False),
        sa.Column("product_quantity", sa.Integer, nullable=False),
        sa.Column("product_name", sa.Text, nullable=True),
        sa.Column("product_reference", sa.String(128), nullable=True),
        sa.Column("product_price", MONEY, nullable=True),
        sa.Column("unit_price_tax_incl", MONEY, nullable=False),
        sa.Column("unit_price_tax_excl", MONEY, nullable=False),
        sa.Column("loaded_at", _utc(), nullable=False),
    )
    # Named as ``index=True`` names it in tables.py (with a schema, the automatic name would add it).
    sa.Index("ix_ps_order_rows_id_order", order_rows.c.id_order)
    sa.Table(
        "ps_customers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("firstname", sa.String(255), nullable=True),
        sa.Column("lastname", sa.String(255), nullable=True),
        sa.Column("company", sa.String(255), nullable=True),
        sa.Column("id_default_group", sa.Integer, nullable=True),
        sa.Column("id_lang", sa.Integer, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("is_guest", sa.Boolean, nullable=False),
        sa.Column("newsletter", sa.Boolean, nullable=False),
        sa.Column("date_add", _utc(), nullable=False),
        sa.Column("date_upd", _utc(), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("loaded_at", _utc(), nullable=False),
    )
    sa.Table(
        "ps_products",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("reference", sa.String(128), nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("ean13", sa.String(32), nullable=True),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("wholesale_price", MONEY, nullable=True),
        sa.Column("weight", MONEY, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("product_type", sa.String(64), nullable=True),
        sa.Column("id_category_default", sa.Integer, nullable=True),
        sa.Column("date_add", _utc(), nullable=False),
        sa.Column("date_upd", _utc(), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("loaded_at", _utc(), nullable=False),
    )
    sa.Table(
        "ps_stock",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id_product", sa.Integer, nullable=False),
        sa.Column("id_product_attribute", sa.Integer, nullable=False),
        sa.Column("id_shop", sa.Integer, nullable=False),
        sa.Column("id_shop_group", sa.Integer, nullable=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("depends_on_stock", sa.Boolean, nullable=True),
        sa.Column("out_of_stock", sa.Integer, nullable=True),
        sa.Column("location", sa.String(255), nullable=True),
        sa.Column("loaded_at", _utc(), nullable=False),
    )
    sa.Table(
        "id_map",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("source_key", sa.String(255), nullable=False),
        sa.Column("target_key", sa.String(50), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.UniqueConstraint("entity", "source_key", name="uq_id_map_entity_source"),
        sa.UniqueConstraint("entity", "target_key", name="uq_id_map_entity_target"),
    )
    sa.Table(
        "id_claims",
        metadata,
        sa.Column("entity", sa.String(50), primary_key=True),
        sa.Column("source_key", sa.String(255), primary_key=True),
        sa.Column("planned_key", sa.String(50), nullable=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("claimed_at", _utc(), nullable=False),
    )
    sa.Table(
        "backoffice_order_pushes",
        metadata,
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("orno", sa.String(10), nullable=False),
        sa.Column("m3_fingerprint", sa.String(200), nullable=True),
        sa.Column("milestone", sa.String(30), nullable=True),
        sa.Column("state_id", sa.Integer, nullable=True),
        sa.Column("tracking_number", sa.String(64), nullable=True),
        sa.Column("payment_key", sa.String(254), nullable=True),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )
    return metadata


INITIAL_TABLES = tuple(initial_metadata().tables)

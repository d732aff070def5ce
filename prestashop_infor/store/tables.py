"""The durable store's tables (SQLAlchemy Core), one ``MetaData`` for all of them.

Two kinds of table live here:

- bookkeeping the sync needs to survive restarts: ``cursors`` (extraction watermarks) and
  ``dead_letters`` (records that failed a stage, waiting for a fix and a replay);
- the latest validated snapshot of each extracted PrestaShop entity (``ps_orders``,
  ``ps_order_rows``, ``ps_customers``, ``ps_products``, ``ps_stock``), upserted by id, which the
  Dagster assets write and downstream steps read.

Later issues add their tables (inbox, id map) to the same ``metadata``. The schema is versioned: a
change here is also a new revision in ``store/migrations/versions/`` (a test compares the two).
Every timestamp column is a ``UtcDateTime``: stored and returned as an aware UTC datetime on both
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData()

DEAD_LETTER_STAGES = ("validate", "map", "load")
DEAD_LETTER_STATES = ("open", "replayed", "resolved")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp kept in UTC. Naive values are refused: their time zone would be a guess."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given where a UTC timestamp is stored")
        value = value.astimezone(UTC)
        # SQLite has no time zone type; store the UTC wall clock and re-attach UTC on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_now() -> datetime:
    return datetime.now(UTC)


cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False, default=_utc_now),
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
    sa.Column("payload", sa.Text, nullable=True),  # JSON text of the record as received
    sa.Column("failures", sa.Text, nullable=True),  # JSON list of {check, field, failure_case}
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
    sa.Column("first_seen", UtcDateTime, nullable=False),
    sa.Column("last_seen", UtcDateTime, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, default="open"),
    sa.Column("last_replayed_at", UtcDateTime, nullable=True),  # revision 0002: set when marked replayed
    sa.UniqueConstraint("entity", "key", "stage", name="uq_dead_letters_entity_key_stage"),
    sa.CheckConstraint(f"stage in {DEAD_LETTER_STAGES!r}", name="ck_dead_letters_stage"),
    sa.CheckConstraint(f"state in {DEAD_LETTER_STATES!r}", name="ck_dead_letters_state"),
)
sa.Index("ix_dead_letters_state_entity", dead_letters.c.state, dead_letters.c.entity)

MONEY = sa.Numeric(20, 6)

ps_orders = sa.Table(
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
    sa.Column("date_add", UtcDateTime, nullable=False),
    sa.Column("date_upd", UtcDateTime, nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # the record as received, JSON
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

ps_order_rows = sa.Table(
    "ps_order_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id_order", sa.Integer, nullable=False, index=True),
    sa.Column("product_id", sa.Integer, nullable=False),
    sa.Column("product_attribute_id", sa.Integer, nullable=False),
    sa.Column("product_quantity", sa.Integer, nullable=False),
    sa.Column("product_name", sa.Text, nullable=True),
    sa.Column("product_reference", sa.String(128), nullable=True),
    sa.Column("product_price", MONEY, nullable=True),
    sa.Column("unit_price_tax_incl", MONEY, nullable=False),
    sa.Column("unit_price_tax_excl", MONEY, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

ps_customers = sa.Table(
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
    sa.Column("date_add", UtcDateTime, nullable=False),
    sa.Column("date_upd", UtcDateTime, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

ps_products = sa.Table(
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
    sa.Column("date_add", UtcDateTime, nullable=False),
    sa.Column("date_upd", UtcDateTime, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

ps_stock = sa.Table(
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
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# The id map (binder, issue 4): PrestaShop key <-> M3 key per entity, with a fingerprint of what was
# last sent. Functions in ``store/id_map.py``. A target is bound from one source key, except for the
# entities of ``MANY_TO_ONE`` (revision 0006): several e-mails (a customer who changed it) and several
# shop accounts (guest and registered with one e-mail) may name one M3 customer.
MANY_TO_ONE = ("customer", "shop_customer")
id_map = sa.Table(
    "id_map",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(50), nullable=False),  # "customer", "sales_order"
    sa.Column("source_key", sa.String(255), nullable=False),  # normalized email, PrestaShop order id
    sa.Column("target_key", sa.String(50), nullable=False),  # CUNO, ORNO
    sa.Column("fingerprint", sa.String(64), nullable=True),  # hash of what was last sent
    sa.Column("data", sa.Text, nullable=True),  # JSON: temporary ORNO, CUOR, originals...
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("entity", "source_key", name="uq_id_map_entity_source"),
)
_ONE_TO_ONE = sa.text(f"entity NOT IN ({', '.join(repr(e) for e in MANY_TO_ONE)})")
sa.Index(
    "uq_id_map_entity_target",
    id_map.c.entity,
    id_map.c.target_key,
    unique=True,
    sqlite_where=_ONE_TO_ONE,
    postgresql_where=_ONE_TO_ONE,
)

# Claims taken before an M3 create, so two concurrent runs never create the same record twice: the
# unique key is taken in the database first; the winner creates and binds, the loser waits for the
# binding. ``planned_key`` is the M3 key the winner will use, so a crash between the claim and the
# binding is recovered by looking that key up in M3.
id_claims = sa.Table(
    "id_claims",
    metadata,
    sa.Column("entity", sa.String(50), primary_key=True),
    sa.Column("source_key", sa.String(255), primary_key=True),
    sa.Column("planned_key", sa.String(50), nullable=True),
    sa.Column("owner", sa.String(100), nullable=False),  # host:pid:thread of the claimer, for diagnosis
    sa.Column("claimed_at", UtcDateTime, nullable=False),
)

# What the back-office lane last pushed to PrestaShop per order (issue 4); functions in
# ``store/backoffice.py``. A memory for skipping work, never the authority.
backoffice_order_pushes = sa.Table(
    "backoffice_order_pushes",
    metadata,
    sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),  # PrestaShop order id
    sa.Column("orno", sa.String(10), nullable=False),  # M3 customer order number
    sa.Column("m3_fingerprint", sa.String(200), nullable=True),  # STAT/ORSL/ORST/OBLC last fully handled
    sa.Column("milestone", sa.String(30), nullable=True),  # last milestone reached and handled
    sa.Column("state_id", sa.Integer, nullable=True),  # shop state we last set (or found in place)
    sa.Column("tracking_number", sa.String(64), nullable=True),  # last tracking number written
    sa.Column("payment_key", sa.String(254), nullable=True),  # transaction_id of the payment recorded
    sa.Column("closed", sa.Boolean, nullable=False, default=False),  # paid or cancelled: nothing more to do
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# What M3 says about each order the status lane follows (revision 0003); written by the M3 half
# (``infor_order_statuses``), read by the shop half (``prestashop_order_status_updates``);
# functions in ``store/order_states.py``.
m3_order_states = sa.Table(
    "m3_order_states",
    metadata,
    sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),  # PrestaShop order id
    sa.Column("orno", sa.String(10), nullable=False),  # M3 customer order number
    sa.Column("fingerprint", sa.String(200), nullable=True),  # STAT/ORSL/ORST/OBLC of the head
    sa.Column("milestone", sa.String(30), nullable=True),
    sa.Column("head", sa.Text, nullable=False),  # JSON: the GetHead record
    sa.Column("details", sa.Text, nullable=False),  # JSON: deliveries, invoices, receivables records
    sa.Column("error", sa.Text, nullable=True),  # JSON: what M3 refused when read, if it did
    sa.Column("read_at", UtcDateTime, nullable=False),
)

# M3 inventory balances per item and warehouse (revision 0003), upserted by ``infor_inventory``
# from OIS100MI/LstNewBalances; read by the stock push (``prestashop_stock_levels``).
m3_balances = sa.Table(
    "m3_balances",
    metadata,
    sa.Column("itno", sa.String(15), primary_key=True),
    sa.Column("whlo", sa.String(3), primary_key=True),
    sa.Column("av01", sa.Numeric(20, 6), nullable=False),  # allocatable: on hand - allocated
    sa.Column("av02", sa.Numeric(20, 6), nullable=False),  # on hand - reserved
    sa.Column("stqt", sa.Numeric(20, 6), nullable=True),  # on hand (MMS200MI/GetItmWhsBal), when mapped
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# M3's items as ``infor_items`` validated them (revision 0008), replaced in full by each of its runs:
# the items the order step knows exist without asking M3 again.
m3_items = sa.Table(
    "m3_items",
    metadata,
    sa.Column("itno", sa.String(15), primary_key=True),
    sa.Column("stat", sa.String(2), nullable=False),
    sa.Column("unms", sa.String(3), nullable=False),
    sa.Column("itds", sa.String(60), nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# M3's credit notes (revision 0009), added by ``infor_credit_notes`` as M3 lists new invoices: a
# return received, or a credit without goods back. ``corrects`` is the invoice credited (RXIN).
# ``division`` (revision 0013): a shop's own M3 division, "" the mapping's (M3 numbers per division).
m3_credit_notes = sa.Table(
    "m3_credit_notes",
    metadata,
    sa.Column("division", sa.String(3), primary_key=True),
    sa.Column("year", sa.String(4), primary_key=True),
    sa.Column("ivno", sa.String(15), primary_key=True),
    sa.Column("orno", sa.String(10), nullable=False, index=True),
    sa.Column("amount", MONEY, nullable=False),  # gross, in the ERP currency: below 0
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("corrects", sa.String(14), nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=True),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# The shop's credit slips (revision 0009), read incrementally by ``prestashop_order_slips``: refunds
# given in the shop (sent to M3 as credits) and the slips the integration wrote for M3's credit notes.
ps_order_slips = sa.Table(
    "ps_order_slips",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id_order", sa.Integer, nullable=False, index=True),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("date_upd", UtcDateTime, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# PrestaShop merchandise returns (revision 0010), as the module's ``order_return.*`` webhooks carry
# them (the Webservice never shows a return's lines): the newest per return, by the module's
# per-resource version, then the shop's date_upd (verbatim, shop-local), then the inbox id.
ps_order_returns = sa.Table(
    "ps_order_returns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id_order", sa.Integer, nullable=False, index=True),
    sa.Column("id_customer", sa.Integer, nullable=False),
    sa.Column("state", sa.Integer, nullable=False),
    sa.Column("lines", sa.Text, nullable=False),  # JSON: [[id_order_detail, quantity], ...]
    sa.Column("date_upd", sa.String(19), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the module's resource_version (0: none)
    sa.Column("inbox_id", sa.Integer, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# PrestaShop combinations (revision 0003), read in full by ``prestashop_products`` (combinations
# carry no date_upd): the references the stock push resolves M3 items with.
ps_combinations = sa.Table(
    "ps_combinations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id_product", sa.Integer, nullable=False, index=True),
    sa.Column("reference", sa.String(128), nullable=True),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# PrestaShop addresses (incremental by date_upd), countries and currencies (read in full) (revision
# 0004), kept by ``prestashop_customers``: what the order step maps delivery and invoice addresses
# and currencies from.
ps_addresses = sa.Table(
    "ps_addresses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id_customer", sa.Integer, nullable=True),
    sa.Column("id_country", sa.Integer, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=True),
    sa.Column("date_upd", UtcDateTime, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)
ps_countries = sa.Table(
    "ps_countries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("iso_code", sa.String(3), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)
ps_currencies = sa.Table(
    "ps_currencies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("iso_code", sa.String(3), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# The shop's order states (revision 0008), read in full by ``prestashop_reference_data``: what the
# order sync, the status push and the reconciliation resolve the status map against.
ps_order_states = sa.Table(
    "ps_order_states",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)

# The webhook inbox (revision 0005): every event the receiver accepted, unique on the event id so a
# retried delivery is stored once; ``id`` is the sensors' cursor. Written by ``prestashop-infor
# webhooks serve`` before it answers; functions in ``store/inbox.py``.
webhook_inbox = sa.Table(
    "webhook_inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(100), nullable=False, unique=True),
    sa.Column("event", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # "pending" or "ignored" (unknown event type)
    sa.Column("resource_type", sa.String(50), nullable=True),
    sa.Column("resource_id", sa.Integer, nullable=True),
    sa.Column("shop_url", sa.String(255), nullable=True),
    sa.Column("attempt", sa.Integer, nullable=True),
    sa.Column("occurred_at", sa.String(40), nullable=True),  # as sent (RFC 3339), informational
    sa.Column("body", sa.Text, nullable=False),  # the envelope as received (ids and hints only)
    sa.Column("received_at", UtcDateTime, nullable=False),
)

# The reconciliation lane (revision 0007). Per day (the shop's time zone), what each side holds of
# its orders, as the partitioned assets ``prestashop_orders_daily`` and ``infor_orders_daily`` read
# them, reduced to what is compared; and what ``order_reconciliation`` / ``stock_reconciliation``
# found. Functions in ``store/reconciliation.py`` (the lane: ``sync/reconcile/``).
recon_shop_orders = sa.Table(
    "recon_shop_orders",
    metadata,
    sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, nullable=False, index=True),  # date_add in the shop's time zone
    sa.Column("cuor", sa.String(20), nullable=False, index=True),
    sa.Column("state_id", sa.Integer, nullable=False),
    sa.Column("state_rank", sa.Integer, nullable=True),  # on the fulfilment ladder; None: off it
    sa.Column("exported", sa.Boolean, nullable=False),  # not in a not_exported state
    sa.Column("amount", MONEY, nullable=True),  # lines in the ERP currency; None: prices not sent
    sa.Column("lines", sa.Text, nullable=False),  # JSON {ITNO: quantity}
    sa.Column("placed_at", sa.String(19), nullable=False),  # date_add as the shop gives it
    # money (revision 0009), in the ERP currency: what the shop recorded as paid (order_payments), and
    # refunded for products (order_slip), taxes as the order sync sends prices (orders.price)
    sa.Column("paid", MONEY, nullable=True),
    sa.Column("refunded", MONEY, nullable=True),
    # prices (revision 0012): the customer, the order's currency (ISO) and its lines as
    # JSON [[ITNO, quantity, unit price in the order currency], ...], as orders.price sends them
    sa.Column("id_customer", sa.Integer, nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("line_prices", sa.Text, nullable=True),
    sa.Column("id_shop", sa.Integer, nullable=True),  # the order's shop (multistore)
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)
recon_m3_orders = sa.Table(
    "recon_m3_orders",
    metadata,
    sa.Column("orno", sa.String(10), primary_key=True),
    sa.Column("day", sa.Date, nullable=False, index=True),  # ORDT
    sa.Column("cuor", sa.String(20), nullable=False, index=True),
    sa.Column("milestone", sa.String(20), nullable=True),  # status.milestone_of_m3 of the head
    sa.Column("status", sa.String(20), nullable=False),  # STAT/ORSL/ORST as read
    sa.Column("amount", MONEY, nullable=False),  # sum of ORQT x SAPR
    sa.Column("lines", sa.Text, nullable=False),  # JSON {ITNO: quantity}
    # money (revision 0009): invoiced (net, debit invoices), credited (net, credit notes, above zero),
    # and whether every invoice is settled (nothing remains to pay); None before any invoice
    sa.Column("invoiced", MONEY, nullable=True),
    sa.Column("credited", MONEY, nullable=True),
    sa.Column("settled", sa.Boolean, nullable=True),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)
recon_findings = sa.Table(
    "recon_findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scope", sa.String(10), nullable=False),  # "orders" (per day) or "stock" (per check)
    sa.Column("day", sa.Date, nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("key", sa.String(60), nullable=False),  # the order id, or "product:combination"
    sa.Column("expected", sa.Text, nullable=True),  # what the shop implies
    sa.Column("actual", sa.Text, nullable=True),  # what M3 holds
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("found_at", UtcDateTime, nullable=False),
)


# The price tables live beside, on the same metadata (this module stays readable); re-exported.
from prestashop_infor.store import price_tables  # noqa: E402

m3_prices = price_tables.m3_prices
m3_customer_prices = price_tables.m3_customer_prices
ps_specific_prices = price_tables.ps_specific_prices

"""PrestaShop extraction: orders, customers, products (incremental by ``date_upd``) and stock
(full scan), each through its pandera gate into its snapshot table in the store (no Dagster; the
assets in ``prestashop_infor.defs.prestashop`` run it, and ``dlq replay`` re-runs one record).

Every batch of records passes its gate; the failing records go to the dead-letter table (stage
``validate``), the rest are upserted into the snapshot table, and only then does the durable cursor
move to the page's watermark. A failure anywhere (shop unreachable, key rejected, store down) leaves
the cursor at the last page that was fully processed, so the next run picks up every record not yet
written.

What a read did is in its ``ExtractionSummary`` (the asset's materialization metadata); the ``log``
hears only what that cannot say: each page of a read over several pages (its progress, as it goes)
and any read that quarantined records. A read of one clean page, which is what a webhook's run makes,
logs nothing: each line is an event Dagster writes before the run's next step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pandera.pandas as pa

from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.models import to_utc
from prestashop_infor.store import Store
from prestashop_infor.sync.gates import Failure, frame_of, quarantine, scalar, validate_frame
from prestashop_infor.sync.prestashop_schemas import (
    DATETIME_FORMAT,
    AddressSchema,
    CombinationSchema,
    CountrySchema,
    CurrencySchema,
    CustomerSchema,
    OrderRowSchema,
    OrderSchema,
    OrderSlipSchema,
    OrderStateSchema,
    ProductSchema,
    SpecificPriceSchema,
    StockSchema,
    order_frame,
    order_rows_of,
)

PREVIEW_ROWS = 5


def cursor_name(resource: str) -> str:
    """The name of the durable cursor of an incrementally extracted resource."""
    return f"prestashop.{resource}"


# -- one batch of records: validate, quarantine, write -------------------------------------------


@dataclass
class BatchOutcome:
    valid: int
    quarantined: int
    valid_ids: list[int]
    preview: pd.DataFrame


@dataclass(frozen=True)
class Entity:
    """How one PrestaShop resource is gated and stored."""

    resource: str
    schema: type[pa.DataFrameModel]
    table: str
    preview_columns: tuple[str, ...]
    to_row: Callable[[dict[str, Any], str, datetime], dict[str, Any]]

    def frame(self, records: Sequence[dict[str, Any]]) -> pd.DataFrame:
        return frame_of(self.schema, records)


def process_batch(
    entity: Entity, records: Sequence[dict[str, Any]], store: Store, *, time_zone: str
) -> BatchOutcome:
    """Gate one batch and write it: failures to the dead-letter table, the rest to the snapshot,
    except a record older (``date_upd``) than the one the snapshot already holds."""
    frame = entity.frame(records)
    outcome = validate_frame(entity.schema, frame)
    failures = {label: list(found) for label, found in outcome.failures.items()}
    if entity.resource == "orders":
        _add_order_row_failures(records, failures)
    quarantine(store, entity.resource, records, failures)

    loaded_at = datetime.now(UTC)
    valid_labels = [label for label in range(len(records)) if label not in failures]
    valid_records = [records[label] for label in valid_labels]
    rows = [entity.to_row(record, time_zone, loaded_at) for record in valid_records]
    newer = _not_older(store, entity.table, rows)  # a late or replayed read never overwrites newer state
    store.upsert(entity.table, [row for row in rows if row["id"] in newer])
    if entity.resource == "orders":
        written = [record for record in valid_records if int(record["id"]) in newer]
        order_ids = [int(record["id"]) for record in written]
        children = [_order_row(row, loaded_at) for record in written for row in order_rows_of(record)]
        store.replace_children("ps_order_rows", "id_order", order_ids, children)
    valid_ids = [int(record["id"]) for record in valid_records]
    store.resolve_dead_letters(entity.resource, valid_ids, "validate")
    preview = frame.loc[valid_labels, list(entity.preview_columns)].head(PREVIEW_ROWS)
    return BatchOutcome(len(valid_records), len(failures), valid_ids, preview)


def _not_older(store: Store, table: str, rows: Sequence[dict[str, Any]]) -> set[int]:
    """The ids of ``rows`` whose ``date_upd`` is not older than the stored one (equal is applied:
    ``date_upd`` has one-second resolution; contract webhooks §7.3); every id for a table without
    ``date_upd``."""
    ids = {int(row["id"]) for row in rows}
    if not rows or "date_upd" not in rows[0]:
        return ids
    stored = {r["id"]: r["date_upd"] for r in store.rows_by_id(table, ids)}
    return {
        int(row["id"])
        for row in rows
        if int(row["id"]) not in stored or row["date_upd"] >= stored[int(row["id"])]
    }


def _add_order_row_failures(orders: Sequence[dict[str, Any]], failures: dict[int, list[Failure]]) -> None:
    """An order whose lines fail the order-row gate fails as a whole (a partial order is no order)."""
    lines: list[dict[str, Any]] = []
    owners: list[int] = []
    for label, order in enumerate(orders):
        for line in order_rows_of(order):
            lines.append(line)
            owners.append(label)
    if not lines:
        return
    outcome = validate_frame(OrderRowSchema, frame_of(OrderRowSchema, lines))
    for line_label, found in outcome.failures.items():
        failures.setdefault(owners[line_label], []).extend(
            Failure(f.check, f"order_rows.{f.field}" if f.field else "order_rows", f.failure_case)
            for f in found
        )


# -- store rows (only ever built from records that passed the gate) -----------------------------


def _utc(value: str, time_zone: str) -> datetime:
    return to_utc(datetime.strptime(value, DATETIME_FORMAT), time_zone)


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _text(value: Any) -> str | None:
    value = scalar(value)
    return None if value is None else str(value)


def _flag(value: Any) -> bool | None:
    return None if value in (None, "") else str(value) == "1"


ORDER_ID_FIELDS = (
    "id_customer",
    "id_currency",
    "id_address_delivery",
    "id_address_invoice",
    "id_carrier",
    "id_shop",
    "current_state",
)
ORDER_MONEY_FIELDS = (
    "total_paid",
    "total_paid_tax_incl",
    "total_paid_tax_excl",
    "total_products",
    "total_products_wt",
    "total_shipping",
    "total_discounts",
    "conversion_rate",
)


def _order(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": int(record["id"]),
        "reference": _text(record.get("reference")),
        "module": _text(record.get("module")),
        "payment": _text(record.get("payment")),
        "row_count": len(order_rows_of(record)),
        "date_add": _utc(record["date_add"], time_zone),
        "date_upd": _utc(record["date_upd"], time_zone),
        "record": json.dumps(record, sort_keys=True),
        "loaded_at": loaded_at,
    }
    row.update({name: _int(record.get(name)) for name in ORDER_ID_FIELDS})
    row.update({name: _money(record.get(name)) for name in ORDER_MONEY_FIELDS})
    return row


def _order_row(row: dict[str, Any], loaded_at: datetime) -> dict[str, Any]:
    return {
        "id": int(row["id"]),
        "id_order": int(row["id_order"]),
        "product_id": int(row["product_id"]),
        "product_attribute_id": int(row["product_attribute_id"]),
        "product_quantity": int(row["product_quantity"]),
        "product_name": _text(row.get("product_name")),
        "product_reference": _text(row.get("product_reference")),
        "product_price": _money(row.get("product_price")),
        "unit_price_tax_incl": _money(row["unit_price_tax_incl"]),
        "unit_price_tax_excl": _money(row["unit_price_tax_excl"]),
        "loaded_at": loaded_at,
    }


def _customer(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "id": int(record["id"]),
        "email": str(record["email"]),
        "firstname": _text(record.get("firstname")),
        "lastname": _text(record.get("lastname")),
        "company": _text(record.get("company")),
        "id_default_group": _int(record.get("id_default_group")),
        "id_lang": _int(record.get("id_lang")),
        "active": _flag(record["active"]),
        "deleted": _flag(record["deleted"]),
        "is_guest": _flag(record["is_guest"]),
        "newsletter": _flag(record["newsletter"]),
        "date_add": _utc(record["date_add"], time_zone),
        "date_upd": _utc(record["date_upd"], time_zone),
        "record": json.dumps(record, sort_keys=True),
        "loaded_at": loaded_at,
    }


def _product(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "id": int(record["id"]),
        "reference": _text(record.get("reference")),
        "name": _text(record.get("name")),
        "ean13": _text(record.get("ean13")),
        "price": _money(record["price"]),
        "wholesale_price": _money(record.get("wholesale_price")),
        "weight": _money(record.get("weight")),
        "active": _flag(record["active"]),
        "product_type": _text(record.get("product_type")),
        "id_category_default": _int(record.get("id_category_default")),
        "date_add": _utc(record["date_add"], time_zone),
        "date_upd": _utc(record["date_upd"], time_zone),
        "record": json.dumps(record, sort_keys=True),
        "loaded_at": loaded_at,
    }


def _stock(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "id": int(record["id"]),
        "id_product": int(record["id_product"]),
        "id_product_attribute": int(record["id_product_attribute"]),
        "id_shop": int(record["id_shop"]),
        "id_shop_group": _int(record.get("id_shop_group")),
        "quantity": int(record["quantity"]),
        "depends_on_stock": _flag(record.get("depends_on_stock")),
        "out_of_stock": _int(record.get("out_of_stock")),
        "location": _text(record.get("location")),
        "loaded_at": loaded_at,
    }


def _address(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "id": int(record["id"]),
        "id_customer": _int(record.get("id_customer")),
        "id_country": int(record["id_country"]),
        "deleted": _flag(record.get("deleted")),
        "date_upd": _utc(record["date_upd"], time_zone),
        "record": json.dumps(record, sort_keys=True),
        "loaded_at": loaded_at,
    }


def _coded(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    """A country or a currency: its ISO code and the record."""
    return {
        "id": int(record["id"]),
        "iso_code": str(record["iso_code"]).upper(),
        "record": json.dumps(record, sort_keys=True),
        "loaded_at": loaded_at,
    }


def _order_slip(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "id": int(record["id"]),
        "id_order": int(record["id_order"]),
        "amount": Decimal(str(record.get("amount") or "0")),
        "record": json.dumps(record, sort_keys=True),
        "date_upd": _utc(record["date_upd"], time_zone),
        "loaded_at": loaded_at,
    }


def _order_state(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    return {"id": int(record["id"]), "record": json.dumps(record, sort_keys=True), "loaded_at": loaded_at}


def _combination(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "id": int(record["id"]),
        "id_product": int(record["id_product"]),
        "reference": _text(record.get("reference")),
        "loaded_at": loaded_at,
    }


def _specific_price(record: dict[str, Any], time_zone: str, loaded_at: datetime) -> dict[str, Any]:
    numbers = ("id_product", "id_product_attribute", "id_shop", "id_shop_group", "id_cart", "id_currency",
               "id_country", "id_group", "id_customer", "id_specific_price_rule", "from_quantity")  # fmt: skip
    return {"id": int(record["id"]), **{c: _int(record.get(c)) or 0 for c in numbers},
            "price": str(record.get("price") or "0"), "reduction": str(record.get("reduction") or "0"),
            "reduction_type": str(record.get("reduction_type") or ""),
            "starts": str(record.get("from") or "")[:19], "ends": str(record.get("to") or "")[:19],
            "loaded_at": loaded_at}  # fmt: skip


class _OrderEntity(Entity):
    def frame(self, records: Sequence[dict[str, Any]]) -> pd.DataFrame:
        return order_frame(records)


ORDERS = _OrderEntity(
    "orders",
    OrderSchema,
    "ps_orders",
    ("id", "reference", "id_customer", "current_state", "total_paid_tax_incl", "row_count", "date_upd"),
    _order,
)
CUSTOMERS = Entity(
    "customers",
    CustomerSchema,
    "ps_customers",
    ("id", "firstname", "lastname", "active", "date_upd"),
    _customer,
)
PRODUCTS = Entity(
    "products",
    ProductSchema,
    "ps_products",
    ("id", "reference", "name", "price", "active", "date_upd"),
    _product,
)
ADDRESSES = Entity(
    "addresses",
    AddressSchema,
    "ps_addresses",
    ("id", "id_customer", "id_country", "date_upd"),
    _address,
)
COUNTRIES = Entity("countries", CountrySchema, "ps_countries", ("id", "iso_code"), _coded)
CURRENCIES = Entity("currencies", CurrencySchema, "ps_currencies", ("id", "iso_code"), _coded)
ORDER_SLIPS = Entity(
    "order_slip", OrderSlipSchema, "ps_order_slips", ("id", "id_order", "amount", "date_upd"), _order_slip
)
ORDER_STATES = Entity("order_states", OrderStateSchema, "ps_order_states", ("id",), _order_state)
COMBINATIONS = Entity(
    "combinations",
    CombinationSchema,
    "ps_combinations",
    ("id", "id_product", "reference"),
    _combination,
)
SPECIFIC_PRICES = Entity(
    "specific_prices",
    SpecificPriceSchema,
    "ps_specific_prices",
    ("id", "id_product", "id_group", "id_customer", "id_currency", "from_quantity", "price"),
    _specific_price,
)
#: specific prices per request and per gated write: a shop with B2B prices holds a hundred thousand
SPECIFIC_PRICES_BATCH = 1_000
STOCK = Entity(
    "stock_availables",
    StockSchema,
    "ps_stock",
    ("id", "id_product", "id_product_attribute", "id_shop", "quantity"),
    _stock,
)


# -- whole runs ----------------------------------------------------------------------------------


@dataclass
class ExtractionSummary:
    """What one run extracted, kept and set aside, and where the cursor ended."""

    resource: str
    table: str
    extracted: int = 0
    valid: int = 0
    quarantined: int = 0
    pages: int = 0
    previous_cursor: str | None = None
    cursor: str | None = None
    removed: int | None = None
    previews: list[pd.DataFrame] = field(default_factory=list)

    def add(self, extracted: int, outcome: BatchOutcome) -> None:
        self.pages += 1
        self.extracted += extracted
        self.valid += outcome.valid
        self.quarantined += outcome.quarantined
        if sum(len(p) for p in self.previews) < PREVIEW_ROWS and not outcome.preview.empty:
            self.previews.append(outcome.preview)

    @property
    def failure_share(self) -> float:
        return self.quarantined / self.extracted if self.extracted else 0.0

    @property
    def preview(self) -> pd.DataFrame:
        """The first valid records of the run (``PREVIEW_ROWS`` at most); empty when none passed."""
        return pd.concat(self.previews).head(PREVIEW_ROWS) if self.previews else pd.DataFrame()


def extract_changed(
    client: PrestashopClient,
    store: Store,
    entity: Entity,
    *,
    time_zone: str,
    overlap: timedelta | None = None,
    log: Any = None,
) -> ExtractionSummary:
    """Read the records changed since the durable cursor, page by page, moving the cursor after each page."""
    name = cursor_name(entity.resource)
    previous = store.get_cursor(name)
    summary = ExtractionSummary(entity.resource, entity.table, previous_cursor=previous, cursor=previous)
    since = datetime.fromisoformat(previous) if previous else None
    options = {"overlap": overlap} if overlap is not None else {}
    untold: list[str] = []  # a clean first page's line, told only once a second page comes
    for page in client.changed_since(entity.resource, since, **options):
        outcome = process_batch(entity, page.records, store, time_zone=time_zone)
        summary.add(len(page.records), outcome)
        if page.watermark is not None:
            summary.cursor = page.watermark.astimezone(UTC).isoformat()
            store.set_cursor(name, summary.cursor)
        if log is not None:
            untold.append(f"{entity.resource}: page {summary.pages}: {len(page.records)} records, "
                          f"{outcome.quarantined} quarantined, cursor {summary.cursor}")  # fmt: skip
            if summary.pages > 1 or outcome.quarantined:
                for line in untold:
                    log.info(line)
                untold.clear()
    return summary


def extract_all(
    client: PrestashopClient,
    store: Store,
    entity: Entity,
    *,
    time_zone: str,
    batch_size: int,
    page_size: int | None = None,
    log: Any = None,
) -> ExtractionSummary:
    """Read every record (no cursor), ``page_size`` a request (None: the client's), gated and written
    ``batch_size`` at a time; rows the shop no longer has leave the snapshot."""
    summary = ExtractionSummary(entity.resource, entity.table)
    seen: list[int] = []
    for batch in _batches(client.iter_all(entity.resource, page_size=page_size), batch_size):
        outcome = process_batch(entity, batch, store, time_zone=time_zone)
        summary.add(len(batch), outcome)
        seen.extend(int(record["id"]) for record in batch if str(record.get("id", "")).isdigit())
    summary.removed = store.delete_missing(entity.table, seen)
    if log is not None and summary.quarantined:
        log.info(f"{entity.resource}: {summary.extracted} records, {summary.quarantined} quarantined")
    return summary


def _batches(records: Iterable[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch

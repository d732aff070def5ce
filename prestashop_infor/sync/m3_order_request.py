"""The mapper: a PrestaShop order, with what the shop knows about it, becomes an M3 order.

``ShopLookups`` holds what mapping needs besides the order (customers, addresses, countries,
currencies, products, combinations, order states), from the store the extraction assets wrote or
read from the shop in a few list reads; ``map_order`` fills a ``PlannedOrder`` with the M3 batch
head, delivery address, lines and texts, the customer record and what the id map keeps, by the
rules of the mapping (``sync.mapping``); each line by the one line rule (``sync.order_lines``) the
reconciliation expects it by. No M3 call and no write: the order synchronizer (``sync.orders``)
takes it from there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from prestashop_infor.prestashop import Order, PrestashopClient
from prestashop_infor.store import Store, tables
from prestashop_infor.sync.customers import CustomerRecord, normalize_email
from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.mapping import (
    FittedAddress,
    Mapping,
    OrderContext,
    ResolvedStatusMap,
    StockSettings,
    text_parts,
)
from prestashop_infor.sync.mapping.enrichment import WAREHOUSE_WITH_STOCK
from prestashop_infor.sync.order_lines import order_line

ADDRESS_OVERFLOW = "address_overflow"  # warning: the delivery address went partly into the order text
ADDRESS_TEXT_LABEL = "Delivery address"


# ------------------------------------------------------------------------------------ shop lookups


class ShopLookups:
    """What mapping an order needs from PrestaShop besides the order itself, read in batches and
    cached for the life of this object (one sync run): customers, addresses, countries, currencies,
    product and combination references, order states. Built on a client (``ShopLookups(client)``)
    or on records already at hand (``ShopLookups(None, customers=[...], ...)``, e.g. the snapshot)."""

    def __init__(
        self,
        client: PrestashopClient | None,
        *,
        customers: Iterable[MappingABC[str, Any]] = (),
        addresses: Iterable[MappingABC[str, Any]] = (),
        countries: Iterable[MappingABC[str, Any]] | None = None,
        currencies: Iterable[MappingABC[str, Any]] | None = None,
        products: Iterable[MappingABC[str, Any]] = (),
        combinations: Iterable[MappingABC[str, Any]] = (),
        order_states: Iterable[MappingABC[str, Any]] | None = None,
        stock: Callable[[Collection[str], StockSettings], MappingABC[str, MappingABC[str, int]]]
        | None = None,
    ):
        self.client = client
        self._stock = stock
        self._records: dict[str, dict[int, dict[str, Any]]] = {
            "customers": {int(r["id"]): dict(r) for r in customers},
            "addresses": {int(r["id"]): dict(r) for r in addresses},
            "products": {int(r["id"]): dict(r) for r in products},
            "combinations": {int(r["id"]): dict(r) for r in combinations},
        }
        self._missing: dict[str, set[int]] = {name: set() for name in self._records}
        self._countries = None if countries is None else {int(r["id"]): dict(r) for r in countries}
        self._currencies = None if currencies is None else {int(r["id"]): dict(r) for r in currencies}
        self._order_states = None if order_states is None else [dict(r) for r in order_states]
        self._status: dict[int, ResolvedStatusMap] = {}

    @classmethod
    def from_store(
        cls,
        client: PrestashopClient | None,
        store: Store,
        orders: Sequence[MappingABC[str, Any]],
        *,
        order_states: Iterable[MappingABC[str, Any]] | None = None,
        stock: Callable[[Collection[str], StockSettings], MappingABC[str, MappingABC[str, int]]]
        | None = None,
    ) -> ShopLookups:
        """What mapping these orders needs, from what the upstream assets stored: customers and
        their addresses, countries and currencies (``prestashop_customers``), products and
        combinations (``prestashop_products``). ``client`` reads only what an upstream asset has
        not stored yet (an address created after the last extraction), in a few list reads."""
        customer_ids = {_int_or_none(o.get("id_customer")) for o in orders} - {None}
        address_ids = {
            _int_or_none(o.get(name))
            for o in orders
            for name in ("id_address_delivery", "id_address_invoice")
        } - {None, 0}

        def records(table: Any, ids: Iterable[int | None]) -> list[dict[str, Any]]:
            return [
                json.loads(r["record"]) for r in store.rows_by_id(table, [i for i in ids if i is not None])
            ]

        countries = [json.loads(r["record"]) for r in store.rows(tables.ps_countries)]
        currencies = [json.loads(r["record"]) for r in store.rows(tables.ps_currencies)]
        products, combinations = _stored_catalogue(store, *_catalogue_ids(orders))
        return cls(
            client,
            customers=records(tables.ps_customers, customer_ids),
            addresses=records(tables.ps_addresses, address_ids),
            countries=countries or None,  # none stored yet: read them from the shop
            currencies=currencies or None,
            products=products,
            combinations=combinations,
            order_states=order_states,  # already read by the caller, or read once when first needed
            stock=stock,
        )

    @classmethod
    def for_order_lines(
        cls, client: PrestashopClient | None, store: Store, orders: Sequence[MappingABC[str, Any]]
    ) -> ShopLookups:
        """The products and combinations these orders' rows refer to, as the mapper finds them:
        what ``prestashop_products`` stored, and what it has not stored yet read from the shop in a
        few list reads. What the reconciliation needs to expect each line as the sync sends it
        (``sync.order_lines``), without the customers and addresses the mapper also reads."""
        return cls(client).add_order_lines(store, orders)

    def add_order_lines(self, store: Store, orders: Sequence[MappingABC[str, Any]]) -> ShopLookups:
        """``for_order_lines`` for more orders, on these lookups: only the products and combinations
        not known yet are looked for (a snapshot's pages share one catalogue)."""
        product_ids, combination_ids = _catalogue_ids(orders)
        wanted = {"products": product_ids, "combinations": combination_ids}
        for resource, ids in wanted.items():
            ids -= {*self._records[resource], *self._missing[resource]}
        products, combinations = _stored_catalogue(store, wanted["products"], wanted["combinations"])
        self._records["products"].update((int(r["id"]), r) for r in products)
        self._records["combinations"].update((int(r["id"]), dict(r)) for r in combinations)
        for resource, ids in wanted.items():
            self.prefetch(resource, ids)
        return self

    def stock_of(self, items: Collection[str], rules: StockSettings) -> MappingABC[str, MappingABC[str, int]]:
        """Per item, per M3 warehouse of ``rules``: the whole units ``infor_inventory`` stored
        (``warehouse: stock``); nothing when the caller gave no store (a replay: the first warehouse
        is taken)."""
        return self._stock(items, rules) if self._stock is not None else {}

    def prefetch(self, resource: str, ids: Iterable[int]) -> None:
        """Read the records of ``ids`` not yet known, in a few list reads."""
        known, missing = self._records[resource], self._missing[resource]
        wanted = sorted({int(i) for i in ids if i and int(i) not in known and int(i) not in missing})
        if not wanted or self.client is None:
            missing.update(wanted)
            return
        for row in self.client.list_by_ids(resource, wanted):
            known[int(row["id"])] = row
        missing.update(i for i in wanted if i not in known)

    def record(self, resource: str, record_id: int) -> dict[str, Any] | None:
        if record_id not in self._records[resource] and record_id not in self._missing[resource]:
            self.prefetch(resource, [record_id])
        return self._records[resource].get(record_id)

    def country(self, country_id: int) -> dict[str, Any] | None:
        if self._countries is None:
            rows = self.client.list("countries") if self.client is not None else []
            self._countries = {int(r["id"]): r for r in rows}
        return self._countries.get(int(country_id))

    def currency_iso(self, currency_id: int) -> str | None:
        if self._currencies is None:
            rows = self.client.list("currencies") if self.client is not None else []
            self._currencies = {int(r["id"]): r for r in rows}
        row = self._currencies.get(int(currency_id))
        return str(row.get("iso_code") or "").upper() or None if row else None

    def order_states(self) -> list[dict[str, Any]]:
        """The shop's order states (``/api/order_states``, read once)."""
        if self._order_states is None:
            self._order_states = self.client.order_states() if self.client is not None else []
        return self._order_states

    def status_map(self, mapping: Mapping) -> ResolvedStatusMap:
        """The mapping's status map resolved against this shop's order states (read once)."""
        key = id(mapping)
        if key not in self._status:
            self._status[key] = mapping.status.resolve(self.order_states())
        return self._status[key]


# ------------------------------------------------------------------------------------- the order


@dataclass
class PlannedOrder:
    """One order on its way to M3."""

    order: Order
    payload: dict[str, Any]  # the record as received (dead-letter payload)
    cuor: str
    source_fingerprint: str
    email: str = ""
    customer: CustomerRecord | None = None
    customer_group: int | None = None  # the shop customer's default group (the credit gate's key)
    cuno: str = ""
    head: dict[str, Any] = field(default_factory=dict)
    address: dict[str, Any] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)  # AddBatchText fields (head pre-texts)
    warnings: list[dict[str, str]] = field(default_factory=list)  # code, field, message
    data: dict[str, Any] = field(default_factory=dict)  # kept in the id map

    @property
    def order_id(self) -> int:
        return self.order.id

    def sent_fingerprint(self) -> str:
        sent = {"head": self.head, "address": self.address, "lines": self.lines}
        return _digest({**sent, "texts": self.texts} if self.texts else sent)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def source_fingerprint(order: Order) -> str:
    """A hash of what an order's M3 payload is made from (lines, quantities, prices, delivery
    address, customer, currency), so a later run can tell whether the shop changed the order."""
    rows = [
        (r.product_id, r.product_attribute_id, r.product_quantity, str(r.unit_price_tax_excl))
        for r in order.order_rows
    ]
    return _digest(
        {
            "rows": rows,
            "customer": order.id_customer,
            "delivery": order.id_address_delivery,
            "currency": order.id_currency,
            "rate": str(order.conversion_rate),
        }
    )


def map_order(plan: PlannedOrder, shop: ShopLookups, mapping: Mapping) -> None:
    """Fill the M3 head, delivery address (and the texts carrying it when it does not fit), lines and
    customer record of one order (no M3 calls), by the mapping as the order's shop sees it."""
    order = plan.order
    mapping = mapping.for_shop(order.id_shop)
    customer = shop.record("customers", order.id_customer)
    if customer is None:
        raise MappingFailure(
            "unknown_customer", "id_customer", f"the shop has no customer {order.id_customer}"
        )
    plan.email = normalize_email(customer.get("email"))
    plan.customer_group = _int_or_none(customer.get("id_default_group"))
    delivery = shop.record("addresses", order.id_address_delivery)
    if delivery is None:
        raise MappingFailure(
            "unknown_address", "id_address_delivery", f"the shop has no address {order.id_address_delivery}"
        )
    invoice = shop.record("addresses", order.id_address_invoice) or delivery
    fitted, delivery_iso = _address(delivery, shop, mapping, "id_address_delivery", phone_length=10)
    invoice_fields = customer_address(invoice, shop, mapping, "id_address_invoice")
    currency = shop.currency_iso(order.id_currency)
    if currency is None:
        raise MappingFailure(
            "unknown_currency", "id_currency", f"the shop has no currency {order.id_currency}"
        )

    resolved = []
    for index, row in enumerate(order.order_rows):
        product = shop.record("products", row.product_id)
        combination = (
            shop.record("combinations", row.product_attribute_id) if row.product_attribute_id else None
        )
        try:
            resolved.append(order_line(row, product, combination, mapping))
        except MappingFailure as error:
            raise MappingFailure(error.code, f"order_rows[{index}].{error.field}", error.message) from None
    lines = []
    originals = []
    for index, (row, line) in enumerate(zip(order.order_rows, resolved, strict=True)):
        sent: dict[str, Any] = {
            "ITNO": line.itno,
            "ORQT": str(line.quantity),
            "CUOR": plan.cuor,
            "CUPO": str(index + 1),
        }
        original = {"row": row.id, "price": str(line.price)}
        erp_price = line.erp_price(mapping, currency, order.conversion_rate)
        if erp_price is not None:
            sent["SAPR"] = erp_price
            original["erp_price"] = str(erp_price)
        lines.append(sent)
        originals.append(original)
    enrichment = mapping.enrichment.for_order(
        OrderContext(order.id_shop, order.id_carrier, delivery_iso, order.module, currency)
    )
    if enrichment.warehouse == WAREHOUSE_WITH_STOCK:
        enrichment = enrichment.model_copy(
            update={"warehouse": warehouse_with_stock(lines, shop, mapping.stock)}
        )
    head: dict[str, Any] = {
        "CUOR": plan.cuor,
        "YREF": order.reference[:30],
        "CUCD": mapping.erp.currency,
        **enrichment.head_fields(),
    }
    if order.date_add is not None:
        head["ORDT"] = order.date_add.date()
    if enrichment.warehouse:
        for line in lines:
            line["WHLO"] = enrichment.warehouse
    plan.head = head
    plan.address = {"ADRT": str(mapping.orders.address_type), **fitted.fields}
    plan.lines = lines
    plan.texts, plan.warnings = [], []
    if fitted.overflow:
        parts = text_parts(fitted.text(ADDRESS_TEXT_LABEL))
        plan.texts = [{"TYPE": "1", "TYTR": "1", "PARM": part} for part in parts]
        plan.warnings.append(
            {
                "code": ADDRESS_OVERFLOW,
                "field": "id_address_delivery",
                "message": f"{fitted.length} characters of address lines do not fit CUA1-CUA4 (4 x 36): "
                f"the first four lines were sent, the whole address is in {len(parts)} head "
                f"text{'s' * (len(parts) > 1)}",
            }
        )
    plan.customer = CustomerRecord(
        plan.email,
        order.id_customer,
        invoice_fields,
        address_id=_int_or_none(invoice.get("id")),
        division=mapping.erp.division,  # the order's shop's (for_shop above)
    )
    plan.data = {
        "cuor": plan.cuor,
        "reference": order.reference,
        "currency": currency,
        "erp_currency": mapping.erp.currency,
        "conversion_rate": str(order.conversion_rate),
        "total_paid_tax_incl": str(order.total_paid_tax_incl),
        "lines": originals,
        "cost_center": enrichment.cost_center,
        "cost_center_dimension": enrichment.cost_center_dimension,
        "source_fingerprint": plan.source_fingerprint,
    }
    if plan.warnings:
        plan.data["warnings"] = plan.warnings


def warehouse_with_stock(
    lines: Sequence[MappingABC[str, Any]], shop: ShopLookups, stock: StockSettings
) -> str:
    """``warehouse: stock``: the first of the order's shop's ``stock.warehouses`` whose stored
    balances (in whole units, after the stock rules) hold every line's quantity; none does: the
    first (M3 backorders)."""
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line["ITNO"]] = wanted.get(line["ITNO"], 0) + int(Decimal(str(line["ORQT"])))
    held = shop.stock_of(wanted, stock)
    for whlo in stock.warehouses:
        if all(held.get(item, {}).get(whlo, 0) >= quantity for item, quantity in wanted.items()):
            return whlo
    return stock.warehouses[0]


def customer_address(
    record: MappingABC[str, Any], shop: ShopLookups, mapping: Mapping, field_name: str = "address"
) -> dict[str, str]:
    """The M3 customer (``CRS610MI``) address fields of a shop address: ``CUNM``, ``CUA1``-``CUA4``,
    ``PONO``, ``TOWN``, ``CSCD``, ``PHNO`` (16). A customer has no text, so an address too long keeps
    the lines that fit. One path for the creation (the first order's invoice address) and the
    updates (``sync.master_data``); a MappingFailure names ``field_name`` and the shop field."""
    return _address(record, shop, mapping, field_name, phone_length=16)[0].fields


def _address(
    record: MappingABC[str, Any], shop: ShopLookups, mapping: Mapping, field_name: str, *, phone_length: int
) -> tuple[FittedAddress, str]:
    country_id = int(record.get("id_country") or 0)
    iso = mapping.address.countries.get(country_id)
    country = shop.country(country_id) if country_id else None
    if iso is None:
        iso = str((country or {}).get("iso_code") or "").upper()
    if not iso:
        raise MappingFailure(
            "unknown_country", f"{field_name}.id_country", f"no ISO code for country {country_id}"
        )
    try:
        fitted = mapping.address.fit(
            record, iso, str((country or {}).get("zip_code_format") or ""), phone_length=phone_length
        )
    except MappingFailure as error:
        raise MappingFailure(error.code, f"{field_name}.{error.field}", error.message) from None
    return fitted, iso


def read_from_shop(plans: Sequence[PlannedOrder], shop: ShopLookups) -> None:
    """Everything mapping these orders needs from PrestaShop, in batched reads."""
    shop.prefetch("customers", [p.order.id_customer for p in plans])
    shop.prefetch(
        "addresses", [a for p in plans for a in (p.order.id_address_delivery, p.order.id_address_invoice)]
    )
    shop.prefetch("products", [r.product_id for p in plans for r in p.order.order_rows])
    shop.prefetch("combinations", [r.product_attribute_id for p in plans for r in p.order.order_rows])


def _order_rows(orders: Sequence[MappingABC[str, Any]]) -> list[MappingABC[str, Any]]:
    return [r for o in orders for r in ((o.get("associations") or {}).get("order_rows") or [])]


def _stored_catalogue(
    store: Store, product_ids: Collection[int], combination_ids: Collection[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The stored products (their records) and combinations (id, product, reference) of these ids
    (``prestashop_products``)."""
    products = [json.loads(r["record"]) for r in store.rows_by_id(tables.ps_products, list(product_ids))]
    return products, store.rows_by_id(tables.ps_combinations, list(combination_ids))


def _catalogue_ids(orders: Sequence[MappingABC[str, Any]]) -> tuple[set[int], set[int]]:
    """The product and combination ids the rows of these orders refer to."""
    rows = _order_rows(orders)
    return (
        {i for r in rows if (i := _int_or_none(r.get("product_id")))},
        {i for r in rows if (i := _int_or_none(r.get("product_attribute_id")))},
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

"""PrestaShop order -> confirmed M3 sales order, exactly once, a batch at a time.

One code path, whichever lane asks (``sync_orders`` for a batch, ``sync_order`` for one id — the
DLQ replay and the reconciliation re-drive call it). For a batch of orders:

1. validate each record (typed by ``prestashop.models.Order``: text where a number belongs is a
   ``validate`` dead letter naming the field); orders in states the mapping does not export are
   skipped;
2. the id map: an order already bound is skipped (its source fingerprint tells whether the shop
   changed it since: such orders are listed in ``changed``, see "updates" below);
3. claims (one transaction) so two runs never work on the same order at once;
4. everything read from PrestaShop *before* anything is written to M3 (customers, addresses,
   countries, currencies, product/combination references): if the shop is down the run fails and
   nothing moved;
5. mapping (items, addresses, currency, enrichment): failures are ``map`` dead letters;
6. customers: ``sync.customers.upsert_customers`` (one bulk ``CRS610MI/Add`` for the new ones);
7. item check: ``MMS200MI/Get`` once per distinct item (cached per call): an unknown item is a
   ``load`` dead letter with M3's code and field, and no half-built batch order is left in M3;
8. the M3 lookup by ``CUOR`` (one bulk ``OIS120MI/LstCOStopByCUOR`` + one bulk
   ``OIS100MI/LstBatchHead`` per customer): an order M3 already has — a crash between the M3 call
   and the id-map write, or a write that timed out after committing — is bound, not created again;
9. create: bulk ``AddBatchHead``, bulk ``AddBatchAddress`` + ``AddBatchLine``, bulk ``Confirm``,
   bulk ``GetOrderNo`` for those M3 turned into customer orders; rejected batch orders are ``load``
   dead letters with M3's message id (``LstErrMsgOrder``);
10. bind in the id map (final ``ORNR`` when known, else the temporary number, both in ``data``).

Updates: an order M3 has already accepted is never changed from here. M3 order changes go through
other transactions and are refused once lines are allocated or picked, and a shop-side edit of a
paid order is rare and needs a human. ``SyncReport.updated`` therefore stays empty for orders; a
bound order whose shop content changed since it was sent is listed in ``SyncReport.changed`` (and
counted as skipped) so it can be looked at.

Nothing here advances a cursor: the caller moves its cursor only after this returns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pydantic

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.prestashop import Order, PrestashopClient
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.customers import CustomerOutcome, CustomerRecord, normalize_email, upsert_customers
from prestashop_infor.sync.errors import LoadError, MappingFailure, SyncError, ValidationError, batch_errors
from prestashop_infor.sync.mapping import (
    Mapping,
    OrderContext,
    ResolvedStatusMap,
    customer_order_number,
    erp_amounts,
)

ENTITY = "sales_order"
BATCH_CREATED = "90"
BATCH_WAITING = "10"
BATCH_CREDIT_STOP = "30"
BATCH_ERRORS = frozenset({"15", "20", "25", "55"})
ID_CHUNK = 100  # ids per PrestaShop filter[id]=[a|b|...] request


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
    ):
        self.client = client
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

    def prefetch(self, resource: str, ids: Iterable[int]) -> None:
        """Read the records of ``ids`` not yet known, ``ID_CHUNK`` per request."""
        known, missing = self._records[resource], self._missing[resource]
        wanted = sorted({int(i) for i in ids if i and int(i) not in known and int(i) not in missing})
        if not wanted or self.client is None:
            missing.update(wanted)
            return
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            rows = self.client.list(resource, filters={"id": "[" + "|".join(map(str, chunk)) + "]"})
            for row in rows:
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


# ----------------------------------------------------------------------------------------- report


@dataclass
class SyncReport:
    """What one call did, by PrestaShop order id."""

    created: list[int] = field(default_factory=list)  # confirmed in M3 by this call
    updated: list[int] = field(default_factory=list)  # always empty for orders (see module docstring)
    skipped: list[int] = field(default_factory=list)  # already in M3, not exported, or busy elsewhere
    dead_lettered: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)  # found in M3 by CUOR and bound (subset of skipped)
    # bound, but the shop content changed since (subset of skipped)
    changed: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)  # another run holds the order's claim (subset of skipped)
    customers_created: list[str] = field(default_factory=list)  # e-mails
    errors: dict[int, SyncError] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "skipped": len(self.skipped),
            "dead_lettered": len(self.dead_lettered),
            "recovered": len(self.recovered),
            "changed": len(self.changed),
            "busy": len(self.busy),
            "customers_created": len(self.customers_created),
        }


# ---------------------------------------------------------------------------------------- one order


@dataclass
class _Planned:
    """One order on its way to M3."""

    order: Order
    payload: dict[str, Any]  # the record as received (dead-letter payload)
    cuor: str
    source_fingerprint: str
    email: str = ""
    customer: CustomerRecord | None = None
    cuno: str = ""
    head: dict[str, Any] = field(default_factory=dict)
    address: dict[str, Any] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # kept in the id map
    temp_orno: str = ""
    ornr: str = ""
    batch_status: str = ""

    @property
    def order_id(self) -> int:
        return self.order.id

    def sent_fingerprint(self) -> str:
        return _digest({"head": self.head, "address": self.address, "lines": self.lines})


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


def _validate(raw: Order | MappingABC[str, Any]) -> tuple[Order, dict[str, Any]]:
    """The typed order and its payload; a ValidationError names the first bad field."""
    if isinstance(raw, Order):
        return raw, raw.model_dump(mode="json")
    payload = dict(raw)
    try:
        order = Order.model_validate(payload)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        path = ""
        for part in first["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        path = path.replace("associations.order_rows", "order_rows")
        code = "not_a_number" if "number" in first["msg"] or "integer" in first["msg"] else "invalid_value"
        raise ValidationError(code, path, f"{first['msg']} (got {first.get('input')!r})") from None
    return order, payload


def _check_mandatory(order: Order) -> None:
    for name in ("id_customer", "id_address_delivery", "id_currency"):
        if not getattr(order, name):
            raise ValidationError("missing_field", name, f"order {order.id} has no {name}")
    if not order.order_rows:
        raise ValidationError("missing_field", "order_rows", f"order {order.id} has no lines")
    for index, row in enumerate(order.order_rows):
        if row.product_quantity <= 0:
            raise ValidationError(
                "invalid_quantity",
                f"order_rows[{index}].product_quantity",
                f"quantity {row.product_quantity} is not positive",
            )
        if not row.product_id:
            raise ValidationError("missing_field", f"order_rows[{index}].product_id", "no product id")


def _map(plan: _Planned, shop: ShopLookups, mapping: Mapping) -> None:
    """Fill the M3 head, delivery address, lines and customer record of one order (no M3 calls)."""
    order = plan.order
    customer = shop.record("customers", order.id_customer)
    if customer is None:
        raise MappingFailure(
            "unknown_customer", "id_customer", f"the shop has no customer {order.id_customer}"
        )
    plan.email = normalize_email(customer.get("email"))
    delivery = shop.record("addresses", order.id_address_delivery)
    if delivery is None:
        raise MappingFailure(
            "unknown_address", "id_address_delivery", f"the shop has no address {order.id_address_delivery}"
        )
    invoice = shop.record("addresses", order.id_address_invoice) or delivery
    delivery_fields, delivery_iso = _address(delivery, shop, mapping, "id_address_delivery", phone_length=10)
    invoice_fields, _ = _address(invoice, shop, mapping, "id_address_invoice", phone_length=16)
    currency = shop.currency_iso(order.id_currency)
    if currency is None:
        raise MappingFailure(
            "unknown_currency", "id_currency", f"the shop has no currency {order.id_currency}"
        )

    lines = []
    originals = []
    prices: list[Decimal] = []
    for index, row in enumerate(order.order_rows):
        product = shop.record("products", row.product_id) or {}
        combination = (
            shop.record("combinations", row.product_attribute_id) if row.product_attribute_id else None
        )
        try:
            itno = mapping.items.resolve(
                row.product_id,
                row.product_attribute_id,
                str(product.get("reference") or row.product_reference or ""),
                str((combination or {}).get("reference") or row.product_reference or "")
                if row.product_attribute_id
                else None,
            )
        except MappingFailure as error:
            raise MappingFailure(error.code, f"order_rows[{index}].{error.field}", error.message) from None
        price = (
            row.unit_price_tax_incl
            if mapping.orders.price == "unit_price_tax_incl"
            else row.unit_price_tax_excl
        )
        prices.append(price)
        originals.append({"row": row.id, "price": str(price)})
        lines.append(
            {"ITNO": itno, "ORQT": str(row.product_quantity), "CUOR": plan.cuor, "CUPO": str(index + 1)}
        )
    if mapping.orders.price != "none":
        for line, erp_price, original in zip(
            lines, erp_amounts(mapping, prices, currency, order.conversion_rate), originals, strict=True
        ):
            line["SAPR"] = erp_price
            original["erp_price"] = str(erp_price)
    enrichment = mapping.enrichment.for_order(
        OrderContext(order.id_shop, order.id_carrier, delivery_iso, order.module, currency)
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
    plan.address = {"ADRT": str(mapping.orders.address_type), **delivery_fields}
    plan.lines = lines
    plan.customer = CustomerRecord(plan.email, order.id_customer, invoice_fields)
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


def _address(
    record: MappingABC[str, Any], shop: ShopLookups, mapping: Mapping, field_name: str, *, phone_length: int
) -> tuple[dict[str, str], str]:
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
        fields = mapping.address.standardize(
            record, iso, str((country or {}).get("zip_code_format") or ""), phone_length=phone_length
        )
    except MappingFailure as error:
        raise MappingFailure(error.code, f"{field_name}.{error.field}", error.message) from None
    return fields, iso


# ---------------------------------------------------------------------------------------- the batch


def sync_orders(
    orders: Sequence[Order | MappingABC[str, Any]],
    *,
    shop_lookups: ShopLookups,
    m3: M3Client,
    store: Store,
    mapping: Mapping,
    before_bind: Callable[[list[int]], None] | None = None,
    stale_claim_after: timedelta = timedelta(minutes=15),
) -> SyncReport:
    """Sync a batch of PrestaShop orders to M3 (see the module docstring for the steps).

    Per-order failures are dead-lettered (entity ``sales_order``, key = order id) and the batch goes
    on; failures that concern the whole run (PrestaShop or M3 unreachable, authentication) raise,
    and nothing that was not finished is bound. Orders another live run is working on are skipped
    and listed in ``busy`` (a caller with a cursor should not move it past them); a claim older than
    ``stale_claim_after`` is taken over. ``before_bind`` is called with the order ids just
    before the id-map write (a seam for tests that crash there, and for diagnostics).
    """
    report = SyncReport()
    letters: list[dict[str, Any]] = []

    def fail(plan_or_id: _Planned | int, payload: Any, error: SyncError) -> None:
        order_id = plan_or_id.order_id if isinstance(plan_or_id, _Planned) else plan_or_id
        report.dead_lettered.append(order_id)
        report.errors[order_id] = error
        letters.append(error.dead_letter(ENTITY, order_id, payload))

    # 1. validate
    plans: list[_Planned] = []
    seen: set[int] = set()
    status = shop_lookups.status_map(mapping)
    prefix = mapping.orders.customer_order_prefix
    for raw in orders:
        raw_id = raw.id if isinstance(raw, Order) else _raw_id(raw)
        try:
            order, payload = _validate(raw)
            _check_mandatory(order)
        except SyncError as error:
            fail(raw_id or 0, raw if not isinstance(raw, Order) else raw.model_dump(mode="json"), error)
            continue
        if order.id in seen:
            continue
        seen.add(order.id)
        if not status.exportable(order.current_state):
            report.skipped.append(order.id)
            continue
        plans.append(
            _Planned(order, payload, customer_order_number(order.id, prefix), source_fingerprint(order))
        )

    # 2. the id map
    bound = id_map.bindings_for(store, ENTITY, [p.order_id for p in plans])
    fresh = []
    for plan in plans:
        binding = bound.get(str(plan.order_id))
        if binding is None:
            fresh.append(plan)
            continue
        report.skipped.append(plan.order_id)
        if binding.data.get("source_fingerprint") not in (None, plan.source_fingerprint):
            report.changed.append(plan.order_id)

    # 3. claims: another run working on the same order right now -> leave it to that run
    got = id_map.claim_many(store, ENTITY, {str(p.order_id): p.cuor for p in fresh})
    for plan in fresh:
        key = str(plan.order_id)
        if key not in got:
            claim = id_map.claim_of(store, ENTITY, key)
            if claim is None:  # released between our insert and now: try once more
                taken = id_map.claim(store, ENTITY, key, plan.cuor)
            else:  # a claim left by a killed run: the CUOR lookup below covers whatever it did
                stale = datetime.now(UTC) - claim.claimed_at > stale_claim_after
                taken = stale and id_map.take_over(store, ENTITY, key, claim)
            if taken:
                got.add(key)
    # a run that finished between our read and our claim has bound and released: read again
    late = id_map.bindings_for(store, ENTITY, got)
    id_map.release(store, ENTITY, late)
    report.busy.extend(p.order_id for p in fresh if str(p.order_id) not in got)
    report.skipped.extend(p.order_id for p in fresh if str(p.order_id) not in got or str(p.order_id) in late)
    plans = [p for p in fresh if str(p.order_id) in got and str(p.order_id) not in late]
    try:
        _sync_claimed(plans, shop_lookups, m3, store, mapping, report, fail, before_bind)
    finally:
        store.quarantine_many(letters)
        id_map.release(store, ENTITY, [str(p.order_id) for p in plans])
        if report.created or report.recovered:
            store.resolve_dead_letters(ENTITY, [*report.created, *report.recovered], "load")
            store.resolve_dead_letters(ENTITY, [*report.created, *report.recovered], "map")
            store.resolve_dead_letters(ENTITY, [*report.created, *report.recovered], "validate")
    return report


def _read_from_shop(plans: Sequence[_Planned], shop: ShopLookups) -> None:
    """Everything mapping these orders needs from PrestaShop, in batched reads."""
    shop.prefetch("customers", [p.order.id_customer for p in plans])
    shop.prefetch(
        "addresses", [a for p in plans for a in (p.order.id_address_delivery, p.order.id_address_invoice)]
    )
    shop.prefetch("products", [r.product_id for p in plans for r in p.order.order_rows])
    shop.prefetch("combinations", [r.product_attribute_id for p in plans for r in p.order.order_rows])


def _raw_id(raw: MappingABC[str, Any]) -> int:
    try:
        return int(raw.get("id") or 0)
    except (TypeError, ValueError):
        return 0


def _sync_claimed(
    plans: list[_Planned],
    shop: ShopLookups,
    m3: M3Client,
    store: Store,
    mapping: Mapping,
    report: SyncReport,
    fail: Callable[[_Planned | int, Any, SyncError], None],
    before_bind: Callable[[list[int]], None] | None,
) -> None:
    if not plans:
        return
    # 4. read what the orders need from the shop, all before any M3 write
    _read_from_shop(plans, shop)

    # 5. map
    mapped = []
    for plan in plans:
        try:
            _map(plan, shop, mapping)
        except SyncError as error:
            fail(plan, plan.payload, error)
            continue
        mapped.append(plan)

    # 6. customers
    outcome = upsert_customers(
        [p.customer for p in mapped if p.customer is not None], m3=m3, store=store, mapping=mapping
    )
    report.customers_created.extend(outcome.created)
    ready = []
    for plan in mapped:
        if plan.email in outcome.errors:
            fail(plan, plan.payload, outcome.errors[plan.email])
        else:
            plan.cuno = outcome.numbers[plan.email]
            plan.head["CUNO"] = plan.cuno
            ready.append(plan)

    # 7. M3 lookup by CUOR: orders M3 already has are bound, not created again
    existing = _find_existing(ready, m3, mapping)
    to_create, to_bind = [], []
    for plan in ready:
        found = existing.get(plan.cuor)
        if found is None:
            to_create.append(plan)
        else:
            plan.temp_orno, plan.ornr, plan.batch_status = found
            to_bind.append(plan)
    adopted = _settle_found(to_bind, m3, mapping, fail)

    # 8. item check, then create
    _check_items(to_create, m3, mapping, fail)
    to_create = [p for p in to_create if p.order_id not in report.errors]
    created = _create(to_create, m3, mapping, fail)
    accepted = [*created, *adopted]

    # 9. bind
    if before_bind is not None:
        before_bind([p.order_id for p in accepted])
    id_map.bind_many(
        store,
        ENTITY,
        [
            (
                p.order_id,
                p.ornr or p.temp_orno,
                p.sent_fingerprint() if p in created else None,
                {**p.data, "temp_orno": p.temp_orno, "ornr": p.ornr or None, "batch_status": p.batch_status,
                 "cuno": p.cuno, "recovered": p not in created},
            )
            for p in accepted
        ],
    )  # fmt: skip
    report.created.extend(p.order_id for p in created)
    report.recovered.extend(p.order_id for p in adopted)
    report.skipped.extend(p.order_id for p in adopted)


def _find_existing(plans: list[_Planned], m3: M3Client, mapping: Mapping) -> dict[str, tuple[str, str, str]]:
    """CUOR -> (temporary ORNO, final ORNR, batch STAT) of the orders M3 already has: customer orders
    by ``OIS120MI/LstCOStopByCUOR`` (exact match, NFTR=1) and batch orders not (yet) turned into
    customer orders by ``OIS100MI/LstBatchHead`` of their customer. Lists position rather than
    filter, so the key is checked on every record (contract §9)."""
    if not plans:
        return {}
    wanted = {p.cuor for p in plans}
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("OIS120MI", "LstCOStopByCUOR", {"CUOR": p.cuor, "NFTR": 1}) for p in plans
    ]
    customers = sorted({p.cuno for p in plans})
    calls += [("OIS100MI", "LstBatchHead", {"CUNO": cuno}) for cuno in customers]
    results = m3.bulk(calls, max_per_request=mapping.orders.bulk_size, max_records=0)
    final: dict[str, str] = {}
    batches: dict[str, list[dict[str, str]]] = {}
    for (_, transaction, _fields), result in zip(calls, results, strict=True):
        if not result.ok:
            # a lookup that cannot answer means we cannot know: stop rather than risk a duplicate
            raise result.error or RuntimeError(f"{transaction} failed")
        for record in result.records:
            cuor = record.get("CUOR", "")
            if cuor not in wanted:
                continue
            if transaction == "LstCOStopByCUOR":
                final.setdefault(cuor, record.get("ORNO", ""))
            else:
                batches.setdefault(cuor, []).append(record)
    found: dict[str, tuple[str, str, str]] = {}
    for cuor in wanted:
        # several batch orders may carry one CUOR (a rejected one and its correction): prefer the
        # one that became a customer order, then one not in error
        candidates = sorted(
            batches.get(cuor, []),
            key=lambda r: (not r.get("ORNR"), r.get("STAT", "") in BATCH_ERRORS, r.get("ORNO", "")),
        )
        batch = candidates[0] if candidates else {}
        ornr = final.get(cuor) or batch.get("ORNR", "")
        if ornr or batch:
            status = BATCH_CREATED if final.get(cuor) else batch.get("STAT", "")
            found[cuor] = (batch.get("ORNO", ""), ornr, status)
    return found


def _settle_found(
    plans: list[_Planned], m3: M3Client, mapping: Mapping, fail: Callable[..., None]
) -> list[_Planned]:
    """Orders M3 already has: bind customer orders and waiting/credit-stopped batch orders; a batch
    order M3 rejected stays a dead letter with M3's reasons (fix or delete it in OIS275, then replay)."""
    adopted, rejected = [], []
    for plan in plans:
        if plan.ornr or plan.batch_status in (BATCH_CREATED, BATCH_WAITING, BATCH_CREDIT_STOP):
            adopted.append(plan)
        else:
            rejected.append(plan)
    _dead_letter_rejected(rejected, m3, mapping, fail, found=True)
    return adopted


def _check_items(plans: list[_Planned], m3: M3Client, mapping: Mapping, fail: Callable[..., None]) -> None:
    """``MMS200MI/Get`` once per distinct item: an unknown item fails its orders with M3's code and
    field before anything of theirs is written."""
    items = sorted({line["ITNO"] for p in plans for line in p.lines})
    if not items:
        return
    results = m3.bulk(
        [("MMS200MI", "Get", {"ITNO": itno}) for itno in items], max_per_request=mapping.orders.bulk_size
    )
    unknown: dict[str, M3TransactionError] = {}
    for itno, result in zip(items, results, strict=True):
        if result.ok:
            continue
        if isinstance(result.error, M3TransactionError):
            unknown[itno] = result.error
        else:
            raise result.error or RuntimeError("MMS200MI/Get failed")
    for plan in plans:
        for index, line in enumerate(plan.lines):
            if line["ITNO"] in unknown:
                error = LoadError.from_m3(unknown[line["ITNO"]], context=f"order_rows[{index}]")
                fail(plan, plan.payload, error)
                break


def _create(
    plans: list[_Planned], m3: M3Client, mapping: Mapping, fail: Callable[..., None]
) -> list[_Planned]:
    """AddBatchHead, AddBatchAddress + AddBatchLine, Confirm, GetOrderNo — each one bulk request
    (or a few, ``orders.bulk_size`` transactions per request) for the whole batch."""
    size = mapping.orders.bulk_size
    if not plans:
        return []
    # heads
    heads = m3.bulk([("OIS100MI", "AddBatchHead", p.head) for p in plans], max_per_request=size)
    with_head, unsure = [], []
    for plan, result in zip(plans, heads, strict=True):
        if result.ok and result.records and result.records[0].get("ORNO"):
            plan.temp_orno = result.records[0]["ORNO"]
            with_head.append(plan)
        elif isinstance(result.error, M3GatewayError) and result.error.may_have_committed:
            unsure.append(plan)
        else:
            fail(
                plan, plan.payload, LoadError.from_m3(result.error or RuntimeError("no ORNO"), context="head")
            )
    if unsure:
        # the gateway failed after M3 may have created the head: look, never add a second one
        found = _find_existing(unsure, m3, mapping)
        for plan in unsure:
            if plan.cuor in found and not found[plan.cuor][1]:
                plan.temp_orno = found[plan.cuor][0]
                with_head.append(plan)
            else:
                fail(plan, plan.payload, LoadError("head_not_confirmed", None,
                     "OIS100MI/AddBatchHead got no answer and no batch order was found; replay to retry"))  # fmt: skip
    # address + lines
    calls: list[tuple[str, str, dict[str, Any]]] = []
    owners: list[_Planned] = []
    for plan in with_head:
        calls.append(("OIS100MI", "AddBatchAddress", {"ORNO": plan.temp_orno, **plan.address}))
        owners.append(plan)
        for line in plan.lines:
            calls.append(("OIS100MI", "AddBatchLine", {"ORNO": plan.temp_orno, **line}))
            owners.append(plan)
    results = m3.bulk(calls, max_per_request=size) if calls else []
    broken: dict[int, SyncError] = {}
    for plan, call, result in zip(owners, calls, results, strict=True):
        if not result.ok and plan.order_id not in broken:
            broken[plan.order_id] = LoadError.from_m3(result.error or RuntimeError("failed"), context=call[1])
    complete = []
    for plan in with_head:
        if plan.order_id in broken:
            # the batch order stays unconfirmed in M3 (OIS275); a replay finds it by CUOR
            fail(plan, plan.payload, broken[plan.order_id])
        else:
            complete.append(plan)
    # confirm
    confirms = m3.bulk(
        [("OIS100MI", "Confirm", {"ORNO": p.temp_orno}) for p in complete], max_per_request=size
    )
    confirmed, rejected, unsure = [], [], []
    for plan, result in zip(complete, confirms, strict=True):
        if result.ok:
            plan.batch_status = (result.records[0].get("STAT", "") if result.records else "") or BATCH_WAITING
            (rejected if plan.batch_status in BATCH_ERRORS else confirmed).append(plan)
        elif isinstance(result.error, M3GatewayError):
            unsure.append(plan)
        else:
            fail(
                plan,
                plan.payload,
                LoadError.from_m3(result.error or RuntimeError("failed"), context="confirm"),
            )
    if unsure:
        statuses = m3.bulk(
            [("OIS275MI", "GetTmpOrderStat", {"ORNO": p.temp_orno}) for p in unsure], max_per_request=size
        )
        for plan, result in zip(unsure, statuses, strict=True):
            record = result.records[0] if result.ok and result.records else {}
            plan.batch_status = record.get("STAT", "")
            plan.ornr = record.get("ORNR", "")
            if plan.batch_status in BATCH_ERRORS:
                rejected.append(plan)
            elif plan.ornr or plan.batch_status == BATCH_CREDIT_STOP:
                confirmed.append(plan)
            else:
                fail(plan, plan.payload, LoadError("confirm_unknown", None,
                     f"OIS100MI/Confirm of {plan.temp_orno} got no answer; replay to retry"))  # fmt: skip
    _dead_letter_rejected(rejected, m3, mapping, fail, found=False)
    # final numbers of the orders M3 created at once
    final = [p for p in confirmed if p.batch_status == BATCH_CREATED and not p.ornr]
    numbers = m3.bulk(
        [("OIS100MI", "GetOrderNo", {"ORNO": p.temp_orno}) for p in final], max_per_request=size
    )
    for plan, result in zip(final, numbers, strict=True):
        if result.ok and result.records:
            plan.ornr = result.records[0].get("ORNR", "")
    return confirmed


def _dead_letter_rejected(
    plans: list[_Planned], m3: M3Client, mapping: Mapping, fail: Callable[..., None], *, found: bool
) -> None:
    """Batch orders M3 rejected (OIS275 status 15/20/25/55): dead letters with M3's message ids."""
    if not plans:
        return
    results = m3.bulk(
        [("OIS100MI", "LstErrMsgOrder", {"ORNO": p.temp_orno}) for p in plans],
        max_per_request=mapping.orders.bulk_size,
        max_records=0,
    )
    for plan, result in zip(plans, results, strict=True):
        values = {line["ITNO"]: "ITNO" for line in plan.lines}
        values.update({v: k for k, v in plan.head.items() if k in ("WHLO", "CUNO", "FACI", "ORTP")})
        values.update({line.get("WHLO", ""): "WHLO" for line in plan.lines if line.get("WHLO")})
        error = batch_errors(result.records if result.ok else [], values)
        note = f" (batch order {plan.temp_orno}, status {plan.batch_status}" + (
            ", found by CUOR: correct it in OIS275 or delete it there, then replay)" if found else ")"
        )
        fail(plan, plan.payload, LoadError(error.code, error.field, error.message + note))


# ---------------------------------------------------------------------------------------- one order


def sync_order(
    order_id: int,
    *,
    shop_lookups: ShopLookups,
    m3: M3Client,
    store: Store,
    mapping: Mapping,
) -> SyncReport:
    """Sync one PrestaShop order, read fresh from the shop: the entry point of the DLQ replay and the
    reconciliation re-drive. The same code as a batch (``sync_orders`` with one order)."""
    if shop_lookups.client is None:
        raise ValueError("sync_order reads the order from the shop: give ShopLookups a PrestashopClient")
    record = shop_lookups.client.get("orders", int(order_id))
    if record is None:
        raise LookupError(f"the shop has no order {order_id}")
    return sync_orders([record], shop_lookups=shop_lookups, m3=m3, store=store, mapping=mapping)


def refresh_order_numbers(store: Store, m3: M3Client, mapping: Mapping) -> int:
    """Bindings still on a temporary batch number (M3's batch job had not run): ask
    ``OIS275MI/GetTmpOrderStat`` and rebind the final ``ORNR`` when it exists; returns how many."""
    pending = [
        b for b in id_map.bindings(store, ENTITY) if not b.data.get("ornr") and b.data.get("temp_orno")
    ]
    if not pending:
        return 0
    results = m3.bulk(
        [("OIS275MI", "GetTmpOrderStat", {"ORNO": b.data["temp_orno"]}) for b in pending],
        max_per_request=mapping.orders.bulk_size,
    )
    rows = []
    for binding, result in zip(pending, results, strict=True):
        record = result.records[0] if result.ok and result.records else {}
        if record.get("ORNR"):
            data = {**binding.data, "ornr": record["ORNR"], "batch_status": record.get("STAT", "")}
            rows.append((binding.source_key, record["ORNR"], binding.fingerprint, data))
    id_map.bind_many(store, ENTITY, rows)
    return len(rows)


__all__ = [
    "ENTITY",
    "ShopLookups",
    "SyncReport",
    "refresh_order_numbers",
    "source_fingerprint",
    "sync_order",
    "sync_orders",
]


def sync_customers_of(
    orders: Sequence[Order | MappingABC[str, Any]],
    *,
    shop_lookups: ShopLookups,
    m3: M3Client,
    store: Store,
    mapping: Mapping,
) -> CustomerOutcome:
    """Make sure the customers of these orders exist in M3, ahead of the orders themselves.

    The same steps as ``sync_orders`` up to its customer step (validate, read from the shop, map,
    ``upsert_customers``) and nothing after; orders already in M3 or not exported are left out.
    Order problems are not dead-lettered here: the order sync meets them again and records them
    under its own entity. ``sync_orders`` then finds these customers bound and creates none.
    """
    status = shop_lookups.status_map(mapping)
    plans: dict[int, _Planned] = {}
    for raw in orders:
        try:
            order, payload = _validate(raw)
            _check_mandatory(order)
        except SyncError:
            continue
        if status.exportable(order.current_state):
            plans.setdefault(
                order.id,
                _Planned(
                    order,
                    payload,
                    customer_order_number(order.id, mapping.orders.customer_order_prefix),
                    source_fingerprint(order),
                ),
            )
    bound = id_map.bindings_for(store, ENTITY, list(plans))
    pending = [plan for order_id, plan in plans.items() if str(order_id) not in bound]
    _read_from_shop(pending, shop_lookups)
    customers = []
    for plan in pending:
        try:
            _map(plan, shop_lookups, mapping)
        except SyncError:
            continue
        if plan.customer is not None:
            customers.append(plan.customer)
    return upsert_customers(customers, m3=m3, store=store, mapping=mapping)

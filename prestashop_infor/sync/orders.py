"""PrestaShop order -> confirmed M3 sales order, exactly once, a batch at a time.

One code path, whichever lane asks (``sync_orders`` for a batch, ``sync_order`` for one id — the
DLQ replay and the reconciliation re-drive call it). For a batch of orders:

1. validate each record (typed by ``prestashop.models.Order``: text where a number belongs is a
   ``validate`` dead letter naming the field); orders in states the mapping does not export are
   skipped;
2. the id map: an order already bound is skipped (its source fingerprint tells whether the shop
   changed it since: such orders are listed in ``changed``, see "updates" below);
3. claims (one transaction) so two runs never work on the same order at once;
4. everything the mapping needs, before anything is written to M3 (``sync.m3_order_request.ShopLookups``:
   customers, products and combinations from the store when the caller built it from there,
   addresses, countries and currencies from PrestaShop): if the shop is down the run fails and
   nothing moved;
5. mapping (``sync.m3_order_request.map_order``: items, addresses, currency, enrichment): failures are
   ``map`` dead letters; a delivery
   address too long for M3's four lines goes, with ``address.overflow: text``, as the lines that
   fit plus the whole address in the batch order's text, and the order carries the warning
   ``address_overflow`` (``SyncReport.warnings``, the id map's ``data["warnings"]``);
6. customers: ``sync.customers.upsert_customers`` (one bulk ``CRS610MI/Add`` for the new ones);
7. item check: ``MMS200MI/Get`` once per distinct item: an unknown item is a ``load`` dead
   letter with M3's code and field, and no half-built batch order is left in M3;
8. into M3 (``sync.order_entry``): what M3 already holds for the order's ``CUOR`` is looked up
   first: a customer order is bound (``recovered``), a batch order an earlier run left unfinished
   is checked and finished (``finished``), a rejected or credit-stopped one is a ``load`` dead
   letter with M3's message id; the others are entered (head, address, lines, ``Confirm``,
   ``GetOrderNo``);
9. bind in the id map, only orders M3 holds as customer orders (final ``ORNR``; the temporary
   number in ``data``). A confirmed batch order M3 has not turned into a customer order yet is
   ``waiting``: not bound, looked up again by the next run.

Updates: an order M3 has already accepted is never changed from here. M3 order changes go through
other transactions and are refused once lines are allocated or picked, and a shop-side edit of a
paid order is rare and needs a human. ``SyncReport.updated`` therefore stays empty for orders; a
bound order whose shop content changed since it was sent is listed in ``SyncReport.changed`` (and
counted as skipped) so it can be looked at.

Nothing here advances a cursor: the caller moves its cursor only after this returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pydantic

from prestashop_infor.infor import M3Client, M3TransactionError
from prestashop_infor.prestashop import Order
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.customers import upsert_customers
from prestashop_infor.sync.errors import SyncError, ValidationError
from prestashop_infor.sync.m3_order_request import (
    ADDRESS_OVERFLOW,
    PlannedOrder,
    ShopLookups,
    map_order,
    read_from_shop,
    source_fingerprint,
)
from prestashop_infor.sync.mapping import (
    Mapping,
    customer_order_number,
)
from prestashop_infor.sync.order_entry import NEW, UNFINISHED, BatchOrder, enter_orders

ENTITY = "sales_order"


# ----------------------------------------------------------------------------------------- report


@dataclass
class SyncReport:
    """What one call did, by PrestaShop order id."""

    created: list[int] = field(default_factory=list)  # M3 created the customer order through this call
    updated: list[int] = field(default_factory=list)  # always empty for orders (see module docstring)
    skipped: list[int] = field(default_factory=list)  # already in M3, not exported, or busy elsewhere
    dead_lettered: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)  # found in M3 by CUOR and bound (subset of skipped)
    # an unfinished batch order found by CUOR and finished by this call (subset of created)
    finished: list[int] = field(default_factory=list)
    # confirmed, but M3 has not created the customer order yet: not bound, looked up again next run
    # (subset of skipped), with the reason
    waiting: dict[int, str] = field(default_factory=dict)
    # bound, but the shop content changed since (subset of skipped)
    changed: list[int] = field(default_factory=list)
    # bound by this call and sent with a warning (each a dict: code, field, message), e.g.
    # address_overflow: the delivery address did not fit CUA1-CUA4, its full text is in the order text
    warnings: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    busy: list[int] = field(default_factory=list)  # another run holds the order's claim (subset of skipped)
    customers_created: list[str] = field(default_factory=list)  # e-mails
    customers_found: list[str] = field(default_factory=list)  # e-mails already in M3, bound now
    customer_numbers: dict[str, str] = field(default_factory=dict)  # e-mail -> CUNO of this call's customers
    customer_errors: dict[str, SyncError] = field(default_factory=dict)  # e-mail -> why M3 has no customer
    errors: dict[int, SyncError] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "skipped": len(self.skipped),
            "dead_lettered": len(self.dead_lettered),
            "recovered": len(self.recovered),
            "finished": len(self.finished),
            "waiting": len(self.waiting),
            "changed": len(self.changed),
            ADDRESS_OVERFLOW: sum(
                any(w["code"] == ADDRESS_OVERFLOW for w in found) for found in self.warnings.values()
            ),
            "busy": len(self.busy),
            "customers_created": len(self.customers_created),
        }


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

    def fail(plan_or_id: PlannedOrder | int, payload: Any, error: SyncError) -> None:
        order_id = plan_or_id.order_id if isinstance(plan_or_id, PlannedOrder) else plan_or_id
        report.dead_lettered.append(order_id)
        report.errors[order_id] = error
        letters.append(error.dead_letter(ENTITY, order_id, payload))

    # 1. validate
    plans: list[PlannedOrder] = []
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
            PlannedOrder(order, payload, customer_order_number(order.id, prefix), source_fingerprint(order))
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
    got = id_map.claim_for_work(
        store, ENTITY, {str(p.order_id): p.cuor for p in fresh}, stale_after=stale_claim_after
    )
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


def _raw_id(raw: MappingABC[str, Any]) -> int:
    try:
        return int(raw.get("id") or 0)
    except (TypeError, ValueError):
        return 0


def _sync_claimed(
    plans: list[PlannedOrder],
    shop: ShopLookups,
    m3: M3Client,
    store: Store,
    mapping: Mapping,
    report: SyncReport,
    fail: Callable[[PlannedOrder | int, Any, SyncError], None],
    before_bind: Callable[[list[int]], None] | None,
) -> None:
    if not plans:
        return
    # 4. read what the orders need from the shop, all before any M3 write
    read_from_shop(plans, shop)

    # 5. map
    mapped = []
    for plan in plans:
        try:
            map_order(plan, shop, mapping)
        except SyncError as error:
            fail(plan, plan.payload, error)
            continue
        mapped.append(plan)

    # 6. customers
    outcome = upsert_customers(
        [p.customer for p in mapped if p.customer is not None], m3=m3, store=store, mapping=mapping
    )
    report.customers_created.extend(outcome.created)
    report.customers_found.extend(outcome.found)
    report.customer_numbers.update(outcome.numbers)
    report.customer_errors.update(outcome.errors)
    ready = []
    for plan in mapped:
        if plan.email in outcome.errors:
            fail(plan, plan.payload, outcome.errors[plan.email])
        elif plan.email in outcome.busy:  # another run is creating the customer: a later run sends it
            report.busy.append(plan.order_id)
            report.skipped.append(plan.order_id)
        else:
            plan.cuno = outcome.numbers[plan.email]
            plan.head["CUNO"] = plan.cuno
            ready.append(plan)

    # 7-9. into M3 (lookup by CUOR, then enter or finish, confirm, number), then bind what M3 holds
    entries = [
        BatchOrder(p.order_id, p.cuor, p.cuno, p.head, p.address, p.lines, texts=p.texts) for p in ready
    ]
    entry = enter_orders(entries, m3, bulk_size=mapping.orders.bulk_size)
    by_id = {p.order_id: p for p in ready}
    for order_id, error in entry.failed.items():
        fail(by_id[order_id], by_id[order_id].payload, error)
    done = [order for order in entry.done if order.key not in entry.failed]
    if before_bind is not None:
        before_bind([order.key for order in done])
    created = set(entry.keys(NEW, UNFINISHED))
    id_map.bind_many(
        store,
        ENTITY,
        [
            (
                order.key,
                order.ornr,
                by_id[order.key].sent_fingerprint() if order.key in created else None,
                {**by_id[order.key].data, "temp_orno": order.temp_orno, "ornr": order.ornr,
                 "batch_status": order.status, "cuno": order.cuno, "recovered": order.key not in created},
            )
            for order in done
        ],
    )  # fmt: skip
    report.created.extend(order.key for order in done if order.key in created)
    report.warnings.update(
        (order.key, by_id[order.key].warnings) for order in done if by_id[order.key].warnings
    )
    report.finished.extend(entry.keys(UNFINISHED))
    recovered = [order.key for order in done if order.key not in created]
    report.recovered.extend(recovered)
    report.skipped.extend(recovered)
    report.waiting.update(entry.waiting)
    report.skipped.extend(entry.waiting)


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


def bound_orders_missing_in_m3(
    store: Store, m3: M3Client, mapping: Mapping, *, newest: int = 50, at_random: int = 50
) -> tuple[int, list[str]]:
    """A check the id map cannot fool: sample bound orders (the newest and some drawn at random) and
    ask M3 for each customer order (``OIS100MI/GetHead``). Returns how many were checked and one
    line per binding M3 does not back (no such order, or an order of another ``CUOR``)."""
    sample = id_map.sample_bindings(store, ENTITY, newest=newest, at_random=at_random)
    results = m3.bulk(
        [("OIS100MI", "GetHead", {"ORNO": b.target_key}) for b in sample],
        max_per_request=mapping.orders.bulk_size,
    )
    problems = []
    for binding, result in zip(sample, results, strict=True):
        if not result.ok and not isinstance(result.error, M3TransactionError):
            raise result.error or RuntimeError("OIS100MI/GetHead failed")
        cuor = binding.data.get("cuor", "")
        if not result.ok or not result.records:
            problems.append(
                f"order {binding.source_key} is bound to {binding.target_key}, which M3 does not hold"
            )
        elif cuor and result.records[0].get("CUOR") != cuor:
            problems.append(
                f"order {binding.source_key} is bound to {binding.target_key}, whose CUOR in M3 is "
                f"{result.records[0].get('CUOR')!r}, not {cuor!r}"
            )
    return len(sample), problems


__all__ = [
    "ENTITY",
    "bound_orders_missing_in_m3",
    "ShopLookups",
    "SyncReport",
    "source_fingerprint",
    "sync_order",
    "sync_orders",
]

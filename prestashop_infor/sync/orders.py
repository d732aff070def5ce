"""PrestaShop order -> confirmed M3 sales order, exactly once, a batch at a time.

One code path, whichever lane asks (``sync_orders`` for a batch, ``sync_order`` for one id — the
DLQ replay and the reconciliation re-drive call it). For a batch of orders:

1. validate each record (typed by ``prestashop.models.Order``: text where a number belongs is a
   ``validate`` dead letter naming the field); orders in states the mapping does not export are
   skipped;
2. the id map: an order already bound is skipped (its source fingerprint tells whether the shop
   changed it since: such orders are listed in ``changed``, see "updates" below);
3. claims (one transaction) so two runs never work on the same order at once; steps 3 to 9 are the
   one synchronizer shape (``sync.synchronizer``: claim, read, decide, write, bind or dead-letter),
   the mapping deciding and the write being the customers and the whole entry of the batch;
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
8. into M3 (``sync.order_entry``): the orders of customers behind the credit gate first pass M3's
   credit check (``sync.credit_gate``); what M3 already holds for the order's ``CUOR`` is looked up
   first: a customer order is bound (``recovered``), a batch order an earlier run left unfinished
   is checked and finished (``finished``), a rejected or credit-stopped one is a ``load`` dead
   letter with M3's message id (a gated customer's credit stop is ``held`` instead: a
   ``credit_hold`` finding, looked up again next run); the others are entered (head, address,
   lines, ``Confirm``, ``GetOrderNo``);
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

from collections.abc import Callable, Iterator, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pydantic

from prestashop_infor.infor import M3Client, M3TransactionError
from prestashop_infor.prestashop import Order
from prestashop_infor.store import Store, id_map
from prestashop_infor.store.reference_data import known_m3_items
from prestashop_infor.sync.credit_gate import CREDIT_HOLD, check_credit, credit_hold
from prestashop_infor.sync.credit_gate import STAGE as CREDIT_STAGE
from prestashop_infor.sync.customers import upsert_customers
from prestashop_infor.sync.errors import SyncError, ValidationError, first_problem
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
from prestashop_infor.sync.synchronizer import (
    Bind,
    DeadLetter,
    Decision,
    Leave,
    Outcome,
    Run,
    Write,
    synchronize,
)

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
    # gated customers' orders M3 holds for credit (subset of waiting): a credit_hold finding each
    held: dict[int, str] = field(default_factory=dict)
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
            "held_for_credit": len(self.held),
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
        problem, _more = first_problem(exc)
        path = problem.path.replace("associations.order_rows", "order_rows")
        code = (
            "not_a_number" if "number" in problem.message or "integer" in problem.message else "invalid_value"
        )
        raise ValidationError(code, path, f"{problem.message} (got {problem.value!r})") from None
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

    def fail(order_id: int, payload: Any, error: SyncError) -> None:
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

    # 3-9. one synchronizer (``sync.synchronizer``): claim, read the shop, map, customers and entry
    # into M3, then bind what M3 holds; another run working on the same order right now -> leave it
    if letters:  # records that failed validation are nobody's work: recorded before the claims
        store.quarantine_many(letters)
    work = {str(p.order_id): p for p in fresh}
    entry = _OrderEntry(shop_lookups, m3, store, mapping, report, before_bind)
    _report_run(report, work, synchronize(work, entry, store, stale_after=stale_claim_after))
    return report


def _report_run(report: SyncReport, work: MappingABC[str, PlannedOrder], run: Run[PlannedOrder]) -> None:
    """What the synchronizer's run came to, in the report's terms (its dead letters are reported
    by ``_OrderEntry.dead_letter``)."""
    report.busy.extend(int(key) for key in run.busy)
    report.skipped.extend(
        int(key) for key in work if key in run.busy or run.left.get(key) == _BOUND_MEANWHILE
    )
    waiting_on_customer = [int(key) for key, why in run.left.items() if why == _CUSTOMER_BUSY]
    report.busy.extend(waiting_on_customer)
    report.skipped.extend(waiting_on_customer)
    done: list[BatchOrder] = list(run.bound.values())
    report.created.extend(order.key for order in done if order.origin in (NEW, UNFINISHED))
    report.warnings.update(
        (order.key, work[str(order.key)].warnings) for order in done if work[str(order.key)].warnings
    )
    report.finished.extend(order.key for order in done if order.origin == UNFINISHED)
    recovered = [order.key for order in done if order.origin not in (NEW, UNFINISHED)]
    report.recovered.extend(recovered)
    report.skipped.extend(recovered)
    waiting = {
        int(key): why for key, why in run.left.items() if why not in (_BOUND_MEANWHILE, _CUSTOMER_BUSY)
    }
    report.waiting.update(waiting)
    report.skipped.extend(waiting)


def _raw_id(raw: MappingABC[str, Any]) -> int:
    try:
        return int(raw.get("id") or 0)
    except (TypeError, ValueError):
        return 0


# ----------------------------------------------------------------------- the orders, as an entity

_BOUND_MEANWHILE = "bound by a run that finished between our read of the id map and our claim"
_CUSTOMER_BUSY = "another run is creating the order's customer: a later run sends the order"


class _OrderEntry:
    """The claimed orders (key: the PrestaShop order id) for ``synchronizer.synchronize``: the shop
    is read before anything is written to M3, the mapping decides, and the write is the whole entry
    of the batch: its customers first (``upsert_customers``), then ``order_entry.enter_orders``
    (which looks up what M3 holds for each ``CUOR`` before any write of it)."""

    claims = ENTITY

    def __init__(
        self,
        shop: ShopLookups,
        m3: M3Client,
        store: Store,
        mapping: Mapping,
        report: SyncReport,
        before_bind: Callable[[list[int]], None] | None,
    ):
        self.shop = shop
        self.m3 = m3
        self.store = store
        self.mapping = mapping
        self.report = report
        self.before_bind = before_bind

    def planned(self, key: str, plan: PlannedOrder) -> str:
        return plan.cuor

    def read_current(self, work: MappingABC[str, PlannedOrder]) -> dict[str, id_map.Binding]:
        """The orders bound meanwhile (a run that finished between our read and our claim has bound
        and released); for the others, everything the mapping needs from the shop (step 4)."""
        late = id_map.bindings_for(self.store, ENTITY, list(work))
        plans = [plan for key, plan in work.items() if key not in late]
        if plans:
            read_from_shop(plans, self.shop)
        return late

    def decide(self, key: str, plan: PlannedOrder, late: id_map.Binding | None) -> Decision:
        """Step 5: a mapping failure (a ``SyncError``) dead-letters the order."""
        if late is not None:
            return Leave(_BOUND_MEANWHILE)
        map_order(plan, self.shop, self.mapping)
        return Write(plan)

    def write(
        self, sends: MappingABC[str, tuple[PlannedOrder, PlannedOrder]]
    ) -> Iterator[tuple[str, Outcome]]:
        """Steps 6-8: the customers, then the orders into M3 (lookup by CUOR, then enter or finish,
        confirm, number); each order answered done, refused, or waiting for M3's batch job."""
        plans = [plan for plan, _ in sends.values()]
        outcome = upsert_customers(
            [p.customer for p in plans if p.customer is not None],
            m3=self.m3,
            store=self.store,
            mapping=self.mapping,
        )
        self.report.customers_created.extend(outcome.created)
        self.report.customers_found.extend(outcome.found)
        self.report.customer_numbers.update(outcome.numbers)
        self.report.customer_errors.update(outcome.errors)
        ready = []
        for plan in plans:
            if plan.email in outcome.errors:
                yield str(plan.order_id), DeadLetter(outcome.errors[plan.email])
            elif plan.email in outcome.busy:
                yield str(plan.order_id), Leave(_CUSTOMER_BUSY)
            else:
                plan.cuno = outcome.numbers[plan.email]
                plan.head["CUNO"] = plan.cuno
                ready.append(plan)
        entries = [
            BatchOrder(p.order_id, p.cuor, p.cuno, p.head, p.address, p.lines, texts=p.texts,
                       gated=self.mapping.credit.gated(p.customer_group),
                       division=self.mapping.for_shop(p.order.id_shop).erp.division)
            for p in ready
        ]  # fmt: skip
        check_credit([entry for entry in entries if entry.gated], self.m3, self.mapping.erp.currency)
        ready_by_id = {p.order_id: p for p in ready}
        items = {line["ITNO"] for entry in entries for line in entry.lines}
        entry = enter_orders(
            entries,
            self.m3,
            bulk_size=self.mapping.orders.bulk_size,
            known_items=known_m3_items(self.store, items),  # what infor_items stored: not asked again
        )
        for order_id, error in entry.failed.items():
            yield str(order_id), DeadLetter(error)
        for order in entry.done:
            if order.key not in entry.failed:
                yield str(order.key), Bind(order)
        for order_id, why in entry.waiting.items():
            yield str(order_id), Leave(why)
        if entry.held:
            held = {int(k): ready_by_id[int(k)] for k in entry.held}
            self.store.quarantine_many([
                credit_hold(why).dead_letter(CREDIT_HOLD, order_id, {"customer_id": held[order_id].order.id_customer,
                                                                   "cuno": held[order_id].cuno})
                for order_id, why in entry.held.items()
            ])  # fmt: skip
            self.report.held.update(entry.held)
        for order_id, why in entry.held.items():
            yield str(order_id), Leave(why)

    def bind(self, bound: MappingABC[str, tuple[PlannedOrder, BatchOrder]]) -> None:
        """Step 9: bind the orders M3 holds as customer orders (final ``ORNR``; the temporary number
        in ``data``) and resolve their earlier dead letters."""
        if self.before_bind is not None:
            self.before_bind([order.key for _, order in bound.values()])
        id_map.bind_many(
            self.store,
            ENTITY,
            [
                (
                    order.key,
                    order.ornr,
                    plan.sent_fingerprint() if order.origin in (NEW, UNFINISHED) else None,
                    {**plan.data, "temp_orno": order.temp_orno, "ornr": order.ornr,
                     "batch_status": order.status, "cuno": order.cuno,
                     "recovered": order.origin not in (NEW, UNFINISHED)},
                )
                for plan, order in bound.values()
            ],
        )  # fmt: skip
        for stage in ("load", "map", "validate"):
            self.store.resolve_dead_letters(ENTITY, [int(key) for key in bound], stage)
        self.store.resolve_dead_letters(CREDIT_HOLD, [int(key) for key in bound], CREDIT_STAGE)

    def dead_letter(self, failed: MappingABC[str, tuple[PlannedOrder, SyncError]]) -> None:
        letters = []
        for plan, error in failed.values():
            self.report.dead_lettered.append(plan.order_id)
            self.report.errors[plan.order_id] = error
            letters.append(error.dead_letter(ENTITY, plan.order_id, plan.payload))
        self.store.quarantine_many(letters)


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

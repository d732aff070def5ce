"""M3 -> PrestaShop for orders already in M3: status, tracking number and payment (back-office lane).

For every PrestaShop order bound to an M3 customer order in the id map (entity ``sales_order``),
read what M3 did with it and show it in the shop, without ever moving an order backwards:

1. **Read M3 in bulk** (contract infor §10.6): one ``OIS100MI/GetHead`` per order in bulk requests;
   for orders at the shipped stage and beyond ``OIS100MI/LstLine`` -> ``LstDelLineByCO`` (``DLIX``)
   -> ``MWS410MI/GetHead`` (``ETRN`` tracking number, ``FWNO`` forwarder); for invoiced orders
   ``OIS350MI/LstInvHeadByCo`` (invoices) and ``ARS200MI/LstInvoices`` per customer (``RECO`` 9 =
   paid). Each step is one bulk round for all the orders that need it.
2. **Read the shop** in list calls: the orders' ``current_state`` (never trusted from memory), the
   order carriers and payments of the orders about to change.
3. **Write** per order, in this order (pitfall 8: the status email must not go out before the
   tracking number is stored, and a payment recorded first stops the shop adding its own when the
   new state is flagged ``paid``):
   - the tracking number on the latest ``order_carriers`` row (whole record PUT, ``sendemail`` per
     ``mapping.notifications.tracking_email``), only when it differs;
   - the payment (``order_payments``, ``transaction_id`` = the M3 invoice keys, so a repeat is seen
     and never duplicated);
   - the state (POST ``order_histories``, ``sendemail`` per ``mapping.notifications.status_email``),
     only forward on the milestone ladder and never a no-op.

What was pushed is remembered per order in ``store.backoffice`` so the next poll skips orders M3 did
not touch; the memory only saves work — every write is preceded by a read of the shop.

A failure of one order (M3 refuses a read, the shop refuses a write, a tracking number the shop
cannot store) goes to the dead-letter queue (entity ``order_status``, stage ``load``) and the others
go on. Infrastructure failures (the shop or the gateway down after the client's retries, a rejected
key) stop the run: they are not the order's fault and would fill the queue for nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.infor.models import Delivery, Invoice, Receivable
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.client import (
    PrestashopAuthError,
    PrestashopError,
    PrestashopUnavailable,
)
from prestashop_infor.store import Store, backoffice, id_map
from prestashop_infor.store.backoffice import OrderPush
from prestashop_infor.store.id_map import Binding
from prestashop_infor.sync.errors import LoadError, SyncError
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import ResolvedStatusMap

log = logging.getLogger(__name__)

ENTITY = "order_status"
BINDING_ENTITY = "sales_order"
STAGE = "load"

SHIPPED = "shipped"
INVOICED = "invoiced"
PAID = "paid"
CANCELLED = "cancelled"

# PrestaShop's isTrackingNumber (contract §6.6); order_carriers.tracking_number holds 64 characters.
TRACKING_PATTERN = re.compile(r"[~:#,%&_=()\[\].? +\-@/a-zA-Z0-9]+")
TRACKING_MAX = 64
SHOP_IDS_PER_REQUEST = 100  # ids per filter[id]=[a|b|c] list call: keeps the URL short
MONEY_PLACES = Decimal("0.000001")  # PrestaShop stores amounts with 6 decimals
PAYMENT_TOLERANCE = Decimal("0.01")  # below one cent the order counts as settled


@dataclass
class StatusReport:
    """What one run did, by PrestaShop order id."""

    updated: list[int] = field(default_factory=list)  # a new state was set
    tracking: list[int] = field(default_factory=list)  # the tracking number was written
    payments: list[int] = field(default_factory=list)  # a payment was recorded (or tagged)
    skipped: list[int] = field(default_factory=list)  # nothing to change
    dead_lettered: list[int] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)  # why an order was left as it is, when notable

    def merge(self, other: StatusReport) -> None:
        for name in ("updated", "tracking", "payments", "skipped", "dead_lettered"):
            getattr(self, name).extend(getattr(other, name))
        self.notes.update(other.notes)


@dataclass
class M3OrderState:
    """What M3 says about one customer order, read in bulk."""

    orno: str
    head: dict[str, str]
    milestone: str | None = None  # from the order head (mapping.status.milestone_of_m3)
    deliveries: list[Delivery] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    receivables: list[Receivable] = field(default_factory=list)
    error: SyncError | None = None

    @property
    def fingerprint(self) -> str:
        """The head fields whose change means the order moved (LMTS is not on GetHead)."""
        h = self.head
        return "/".join(h.get(name, "") for name in ("STAT", "ORSL", "ORST", "OBLC"))

    @property
    def tracking_numbers(self) -> list[str]:
        """Distinct tracking numbers of the order's deliveries, in delivery order."""
        seen: list[str] = []
        for delivery in sorted(self.deliveries, key=lambda d: d.delivery_number):
            if delivery.tracking_number and delivery.tracking_number not in seen:
                seen.append(delivery.tracking_number)
        return seen

    @property
    def paid(self) -> bool:
        """Every invoice of the order is paid: its receivable has RECO 9 (ARS200MI), or — for a
        tenant where the receivable number is not the invoice number — nothing remains to pay on it."""
        if not self.invoices:
            return False
        receivables = {(_key(r.invoice_number), r.invoice_year): r for r in self.receivables}
        for invoice in self.invoices:
            receivable = receivables.get((_key(invoice.invoice_number), invoice.year))
            if receivable is not None:
                if not receivable.paid:
                    return False
            elif not (invoice.gross_amount > 0 and invoice.remaining <= 0):
                return False
        return True

    @property
    def payment_key(self) -> str:
        """The ``transaction_id`` of the shop payment: the M3 invoice keys (year:number)."""
        keys = sorted({f"{i.year}:{_key(i.invoice_number)}" for i in self.invoices})
        return "M3 invoice " + ",".join(keys)


# --- the entry points ------------------------------------------------------------------------------


def push_order_statuses(
    *,
    prestashop: PrestashopClient,
    m3: M3Client,
    store: Store,
    mapping: SyncMapping,
    order_ids: Iterable[int] | None = None,
) -> StatusReport:
    """Bring the shop's orders up to date with M3: state, tracking number, payment.

    Without ``order_ids``: every order in the id map that is not closed (paid or cancelled), and of
    those only the ones whose M3 head changed since the last run (or still waiting for payment).
    With ``order_ids`` (a replay, a re-drive): exactly those orders, each checked in full.
    Raises when the shop or M3 stays unreachable, or the status map does not fit the shop's states.
    """
    forced = order_ids is not None
    bound = {int(b.source_key): b for b in id_map.bindings(store, BINDING_ENTITY)}
    report = StatusReport()
    if forced:
        wanted = sorted({int(i) for i in order_ids or []})
        for order_id in wanted:
            if order_id not in bound:
                report.skipped.append(order_id)
                report.notes[order_id] = "not in the id map (never sent to M3)"
        wanted = [i for i in wanted if i in bound]
    else:
        closed = backoffice.closed_order_ids(store)
        wanted = sorted(i for i in bound if i not in closed)
    waiting = [i for i in wanted if _final_orno(bound[i]) is None]
    for order_id in waiting:
        report.skipped.append(order_id)
        report.notes[order_id] = "M3 has not created the customer order yet (temporary batch number)"
    wanted = [i for i in wanted if i not in waiting]
    if not wanted:
        return report

    resolved = mapping.status.resolve(prestashop.order_states())
    ladder = Ladder(mapping.status.milestones, resolved)
    memory = backoffice.order_pushes_for(store, wanted)
    orno_of = {i: str(_final_orno(bound[i])) for i in wanted}

    m3_states = read_m3_orders(m3, [orno_of[i] for i in wanted], mapping=mapping)
    work: list[int] = []
    for order_id in wanted:
        state = m3_states[orno_of[order_id]]
        push = memory.get(order_id)
        if not forced and state.error is None and _unchanged(push, state, ladder):
            report.skipped.append(order_id)
            continue
        work.append(order_id)
    _read_details(m3, [m3_states[orno_of[i]] for i in work], memory={orno_of[i]: memory.get(i) for i in work},
                  ladder=ladder, forced=forced)  # fmt: skip

    shop_orders = _shop_orders(prestashop, work)
    letters: list[dict[str, Any]] = []
    done: list[int] = []
    try:
        for order_id in work:
            state = m3_states[orno_of[order_id]]
            try:
                outcome = _push_checked(
                    prestashop, mapping, ladder, order_id, shop_orders, state, memory, forced
                )
            except SyncError as error:
                letters.append(error.dead_letter(ENTITY, order_id, _payload(order_id, state)))
                report.dead_lettered.append(order_id)
                log.warning("order %s: status not pushed: %s", order_id, error)
                continue
            backoffice.save_order_push(store, outcome.push)
            done.append(order_id)
            report.merge(outcome.report)
    finally:  # even when the run stops (shop down): keep what was learnt about the others
        if letters:
            store.quarantine_many(letters)
        if done:
            store.resolve_dead_letters(ENTITY, done, STAGE)
    return report


def _push_checked(
    prestashop: PrestashopClient,
    mapping: SyncMapping,
    ladder: Ladder,
    order_id: int,
    shop_orders: Mapping[int, Mapping[str, Any]],
    state: M3OrderState,
    memory: Mapping[int, OrderPush],
    forced: bool,
) -> _Outcome:
    """``_push_one`` with every per-order failure turned into a ``SyncError``; failures of the
    infrastructure (shop or gateway down after the retries, a rejected key) pass through."""
    if state.error is not None:
        raise state.error
    shop_order = shop_orders.get(order_id)
    if shop_order is None:
        raise LoadError("shop_order_missing", "id_order", f"order {order_id} is not in the shop (deleted?)")
    try:
        return _push_one(
            prestashop, mapping, ladder, order_id, shop_order, state, memory.get(order_id), forced
        )
    except (PrestashopUnavailable, PrestashopAuthError):
        raise
    except PrestashopError as error:
        code = error.codes[0] if error.codes else None
        raise LoadError(
            f"prestashop_{error.status or 'error'}" + (f"_{code}" if code is not None else ""),
            error.resource,
            str(error),
        ) from error


def push_order_status(
    order_id: int, *, prestashop: PrestashopClient, m3: M3Client, store: Store, mapping: SyncMapping
) -> StatusReport:
    """One order through the same code path (dead-letter replay, re-drive)."""
    return push_order_statuses(
        prestashop=prestashop, m3=m3, store=store, mapping=mapping, order_ids=[int(order_id)]
    )


# --- the milestone ladder --------------------------------------------------------------------------


class Ladder:
    """The milestones in order and how the shop's states sit on them (``ResolvedStatusMap``).

    Payment is a dimension of its own in PrestaShop (a state *flag*), fulfilment is a ladder: an
    order paid at checkout ("Payment accepted", ranked before confirmation) still moves to Shipped,
    and a shipped order paid later is not moved "back" to Payment accepted. So the fulfilment step
    compares ranks, and the paid state is set only when the shop's state is not already flagged
    paid and the paid state does not rank below it.
    """

    def __init__(self, milestones: Sequence[str], resolved: ResolvedStatusMap):
        self.milestones = [m for m in milestones if m != CANCELLED]
        self.resolved = resolved

    def rank(self, milestone: str) -> int:
        return self.milestones.index(milestone)

    def has(self, milestone: str) -> bool:
        return milestone in self.milestones

    def reached(self, milestone: str | None, at_least: str) -> bool:
        return (
            milestone is not None
            and self.has(milestone)
            and self.has(at_least)
            and self.rank(milestone) >= self.rank(at_least)
        )

    def state_for(self, milestone: str) -> int | None:
        return self.resolved.state_for(milestone)

    def state_rank(self, state_id: int) -> int | None:
        """Where a shop state sits on the fulfilment ladder; None when off it (cancelled, refunded,
        payment error: a person decided, the sync does not override)."""
        return self.resolved.rank_of_state(int(state_id))

    def is_paid(self, state_id: int) -> bool:
        return self.resolved.is_paid(int(state_id))

    def fulfilment_target(self, milestone: str) -> tuple[str, int] | None:
        """The furthest milestone up to ``milestone`` (``paid`` excluded) that sets a shop state."""
        if not self.has(milestone):
            return None
        for candidate in reversed(self.milestones[: self.rank(milestone) + 1]):
            if candidate == PAID:
                continue
            state = self.state_for(candidate)
            if state is not None:
                return candidate, state
        return None


@dataclass
class _Outcome:
    push: OrderPush
    report: StatusReport


def _push_one(
    prestashop: PrestashopClient,
    mapping: SyncMapping,
    ladder: Ladder,
    order_id: int,
    shop_order: Mapping[str, Any],
    state: M3OrderState,
    push: OrderPush | None,
    forced: bool,
) -> _Outcome:
    report = StatusReport()
    current = int(shop_order["current_state"])
    milestone = state.milestone
    tracking = _tracking_text(state) if ladder.reached(milestone, SHIPPED) else None
    paid = state.paid and ladder.reached(milestone, INVOICED)
    pushed_tracking = push.tracking_number if push else None
    payment_key = push.payment_key if push else None
    changed = False

    if tracking and (forced or tracking != pushed_tracking):
        if _write_tracking(prestashop, mapping, order_id, tracking):
            report.tracking.append(order_id)
            changed = True
        pushed_tracking = tracking

    if paid and (forced or payment_key != state.payment_key):
        if _record_payment(prestashop, shop_order, state):
            report.payments.append(order_id)
            changed = True
        payment_key = state.payment_key

    send_email = bool(mapping.notifications.status_email)
    for _ in range(2):  # at most the fulfilment state, then the paid state
        new_state = _next_state(ladder, milestone, paid, current)
        if isinstance(new_state, str):
            report.notes[order_id] = new_state
            break
        if new_state is None:
            break
        prestashop.add_order_history(order_id, new_state, send_email=send_email)
        current = new_state
        if order_id not in report.updated:
            report.updated.append(order_id)
        changed = True
    if not changed:
        report.skipped.append(order_id)

    closed = milestone == CANCELLED or (paid and payment_key is not None)
    return _Outcome(
        OrderPush(
            order_id=order_id,
            orno=state.orno,
            m3_fingerprint=state.fingerprint,
            milestone=PAID if paid else milestone,
            state_id=current,
            tracking_number=pushed_tracking,
            payment_key=payment_key,
            closed=closed,
        ),
        report,
    )


def _next_state(ladder: Ladder, milestone: str | None, paid: bool, current: int) -> int | str | None:
    """The state to set next: a state id, None when the shop is already right, or a note saying why
    the order is left alone. Never backwards, never the state the order already has."""
    if milestone is None:
        return None
    current_rank = ladder.state_rank(current)
    if milestone == CANCELLED:
        target = ladder.state_for(CANCELLED)
        if target is None or target == current:
            return None
        if current_rank is None:
            return f"M3 cancelled the order; shop state {current} is off the ladder: left alone"
        if ladder.has(SHIPPED) and current_rank >= ladder.rank(SHIPPED):
            return f"M3 cancelled the order but the shop shows it shipped (state {current}): left alone"
        return target
    if current_rank is None:
        return f"shop state {current} is off the milestone ladder (cancelled, refunded...): left alone"
    goal = ladder.fulfilment_target(milestone)
    if goal is not None:
        goal_milestone, goal_state = goal
        if goal_state != current and ladder.rank(goal_milestone) > current_rank:
            return goal_state
    if paid and ladder.has(PAID) and not ladder.is_paid(current):
        paid_state = ladder.state_for(PAID)
        if paid_state is not None and paid_state != current:
            paid_rank = ladder.state_rank(paid_state)
            if paid_rank is not None and paid_rank >= current_rank:
                return paid_state
    return None


# --- shop writes -----------------------------------------------------------------------------------


def _write_tracking(prestashop: PrestashopClient, mapping: SyncMapping, order_id: int, tracking: str) -> bool:
    """Put ``tracking`` on the order's latest carrier row (read, change, write the whole record);
    False when the shop already has it."""
    rows = prestashop.order_carriers(order_id)
    if not rows:
        raise LoadError("no_order_carrier", "order_carriers", f"order {order_id} has no order_carriers row")
    row = max(rows, key=lambda r: int(r["id"]))
    if (row.get("tracking_number") or "") == tracking:
        return False
    params = {"sendemail": "1"} if mapping.notifications.tracking_email else {}
    prestashop.update("order_carriers", {**row, "tracking_number": tracking}, params=params)
    return True


def _record_payment(prestashop: PrestashopClient, shop_order: Mapping[str, Any], state: M3OrderState) -> bool:
    """Record the M3 payment on the shop order, once. False when it is already there.

    The amount is the shop order's own total in the order's currency (``total_paid_tax_incl``,
    ``id_currency``, ``conversion_rate``): the M3 invoice is in the ERP currency, computed with M3's
    own taxes and lines, and the shop needs to see its order settled, not a converted approximation.
    What is already recorded is deducted, so a payment the shop added itself (a state flagged paid)
    is not paid twice: it is tagged with the M3 key instead.
    """
    reference = str(shop_order.get("reference") or "")
    if not reference:
        raise LoadError("order_reference_missing", "reference", "the shop order has no reference")
    key = state.payment_key
    payments = prestashop.order_payments(reference)
    if any((p.get("transaction_id") or "") == key for p in payments):
        return False
    total = _money(shop_order.get("total_paid_tax_incl"), "total_paid_tax_incl")
    recorded = sum((_money(p.get("amount"), "order_payments.amount") for p in payments), Decimal(0))
    outstanding = total - recorded
    if outstanding >= PAYMENT_TOLERANCE:
        prestashop.add_order_payment(
            {
                "order_reference": reference,
                "id_currency": int(shop_order["id_currency"]),
                "amount": str(outstanding.quantize(MONEY_PLACES, ROUND_HALF_UP)),
                "payment_method": str(shop_order.get("payment") or "M3 invoice")[:254],
                "conversion_rate": str(shop_order.get("conversion_rate") or "1"),
                "transaction_id": key,
            }
        )
        return True
    untagged = [p for p in payments if not (p.get("transaction_id") or "")]
    if not untagged:
        return False  # settled by payments another system tagged: nothing of ours to add
    row = max(untagged, key=lambda p: int(p["id"]))
    prestashop.update("order_payments", {**row, "transaction_id": key})
    return True


# --- M3 reads --------------------------------------------------------------------------------------


def read_m3_orders(m3: M3Client, ornos: Sequence[str], *, mapping: SyncMapping) -> dict[str, M3OrderState]:
    """``OIS100MI/GetHead`` for every order in bulk; each result carries its milestone or its error."""
    unique = list(dict.fromkeys(ornos))
    results = m3.bulk([("OIS100MI", "GetHead", {"ORNO": orno}) for orno in unique])
    states: dict[str, M3OrderState] = {}
    for orno, result in zip(unique, results, strict=True):
        state = M3OrderState(orno, {})
        if not result.ok or not result.records:
            state.error = _m3_failure(result.error, f"reading order {orno}")
        else:
            state.head = result.records[0]
            state.milestone = mapping.status.milestone_of_m3(state.head)
        states[orno] = state
    return states


def _read_details(
    m3: M3Client,
    states: Sequence[M3OrderState],
    *,
    memory: Mapping[str, OrderPush | None],
    ladder: Ladder,
    forced: bool,
) -> None:
    """Deliveries (tracking) and invoices/receivables (payment) of the orders that need them."""
    healthy = [s for s in states if s.error is None]
    need_tracking = [
        s
        for s in healthy
        if ladder.reached(s.milestone, SHIPPED)
        and (forced or memory.get(s.orno) is None or memory[s.orno].m3_fingerprint != s.fingerprint
             or not memory[s.orno].tracking_number)
    ]  # fmt: skip
    _read_deliveries(m3, need_tracking)
    need_invoices = [s for s in healthy if ladder.reached(s.milestone, INVOICED)]
    _read_invoices(m3, need_invoices)


def _read_deliveries(m3: M3Client, states: Sequence[M3OrderState]) -> None:
    if not states:
        return
    line_results = m3.bulk([("OIS100MI", "LstLine", {"ORNO": s.orno}) for s in states], max_records=0)
    line_calls: list[tuple[M3OrderState, str]] = []
    for state, result in zip(states, line_results, strict=True):
        if not result.ok:
            state.error = _m3_failure(result.error, f"listing the lines of order {state.orno}")
            continue
        for record in result.records:
            line_calls.append((state, record.get("PONR", "")))
    delivery_results = m3.bulk(
        [("OIS100MI", "LstDelLineByCO", {"ORNO": s.orno, "PONR": ponr}) for s, ponr in line_calls],
        max_records=0,
    )
    wanted: dict[str, list[M3OrderState]] = {}
    for (state, ponr), result in zip(line_calls, delivery_results, strict=True):
        if not result.ok:
            state.error = _m3_failure(result.error, f"listing the deliveries of line {state.orno}/{ponr}")
            continue
        for record in result.records:
            dlix = record.get("DLIX", "")
            if dlix and state not in wanted.setdefault(dlix, []):
                wanted[dlix].append(state)
    dlixes = list(wanted)
    heads = m3.bulk([("MWS410MI", "GetHead", {"DLIX": dlix}) for dlix in dlixes])
    for dlix, result in zip(dlixes, heads, strict=True):
        for state in wanted[dlix]:
            if not result.ok or not result.records:
                state.error = _m3_failure(result.error, f"reading delivery {dlix} of order {state.orno}")
            else:
                state.deliveries.append(Delivery.from_record(result.records[0]))


def _read_invoices(m3: M3Client, states: Sequence[M3OrderState]) -> None:
    if not states:
        return
    results = m3.bulk([("OIS350MI", "LstInvHeadByCo", {"ORNO": s.orno}) for s in states], max_records=0)
    for state, result in zip(states, results, strict=True):
        if not result.ok:
            state.error = _m3_failure(result.error, f"listing the invoices of order {state.orno}")
        else:
            state.invoices = [Invoice.from_record(r) for r in result.records]
    by_customer: dict[str, list[M3OrderState]] = {}
    for state in states:
        if state.error is None and state.invoices:
            by_customer.setdefault(state.head.get("CUNO", ""), []).append(state)
    customers = [c for c in by_customer if c]
    calls = []
    for customer in customers:
        dates = [i.invoice_date for s in by_customer[customer] for i in s.invoices if i.invoice_date]
        fields = {"CUNO": customer}
        if dates:
            fields["IVDT"] = min(dates).strftime("%Y%m%d")  # only receivables from the oldest invoice on
        calls.append(("ARS200MI", "LstInvoices", fields))
    for customer, result in zip(customers, m3.bulk(calls, max_records=0), strict=True):
        for state in by_customer[customer]:
            if not result.ok:
                state.error = _m3_failure(result.error, f"listing the receivables of customer {customer}")
            else:
                state.receivables = [Receivable.from_record(r) for r in result.records]


def _m3_failure(error: BaseException | None, context: str) -> SyncError:
    """A per-order M3 failure; a gateway failure (M3 down after the retries) stops the run."""
    if isinstance(error, M3GatewayError):
        raise error
    if error is None:
        return LoadError("m3_no_record", None, f"{context}: M3 returned no record")
    if isinstance(error, M3TransactionError):
        return LoadError.from_m3(error, context=context)
    return LoadError("m3_error", None, f"{context}: {error}")


# --- shop reads ------------------------------------------------------------------------------------


def _shop_orders(prestashop: PrestashopClient, order_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The fields the writes need, for many orders in a few list calls (``filter[id]=[a|b|c]``)."""
    found: dict[int, dict[str, Any]] = {}
    ids = sorted(set(order_ids))
    display = "[id,reference,current_state,id_currency,conversion_rate,total_paid_tax_incl,payment]"
    for start in range(0, len(ids), SHOP_IDS_PER_REQUEST):
        chunk = ids[start : start + SHOP_IDS_PER_REQUEST]
        rows = prestashop.list(
            "orders", display=display, filters={"id": "[" + "|".join(map(str, chunk)) + "]"}, sort="[id_ASC]"
        )
        for row in rows:
            found[int(row["id"])] = row
    return found


# --- helpers ---------------------------------------------------------------------------------------


def _final_orno(binding: Binding) -> str | None:
    """The final M3 order number of a binding, None while it is still the temporary batch number
    (the id map keeps the temporary number in ``data`` until M3 has created the order)."""
    target = str(binding.target_key)
    temporary = {str(v) for k, v in binding.data.items() if "temp" in k.lower() and v}
    return None if target in temporary else target


def _unchanged(push: OrderPush | None, state: M3OrderState, ladder: Ladder) -> bool:
    """Nothing new in M3 since the last run: same head, and not an invoiced order awaiting payment
    (payment shows on the receivable, not on the head)."""
    if push is None or push.m3_fingerprint != state.fingerprint:
        return False
    waiting_for_payment = ladder.reached(state.milestone, INVOICED) and push.payment_key is None
    return not waiting_for_payment


def _tracking_text(state: M3OrderState) -> str | None:
    """The tracking numbers of the order as the shop can store them: joined by ", " within 64
    characters. A number the shop would refuse is an error naming ETRN, not a silent truncation."""
    numbers = state.tracking_numbers
    if not numbers:
        return None
    for number in numbers:
        if not TRACKING_PATTERN.fullmatch(number):
            raise LoadError(
                "invalid_tracking_number",
                "ETRN",
                f"tracking number {number!r} of order {state.orno} has characters PrestaShop refuses",
            )
    text = numbers[0]
    for number in numbers[1:]:
        if len(text) + 2 + len(number) > TRACKING_MAX:
            log.warning("order %s: tracking numbers beyond %s characters left out", state.orno, TRACKING_MAX)
            break
        text = f"{text}, {number}"
    if len(text) > TRACKING_MAX:
        raise LoadError(
            "tracking_number_too_long", "ETRN", f"tracking number {text!r} is longer than {TRACKING_MAX}"
        )
    return text


def _money(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise LoadError("not_a_number", name, f"{name} is not a number: {value!r}") from None


def _key(number: str) -> str:
    return number.lstrip("0") or "0"


def _payload(order_id: int, state: M3OrderState) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "orno": state.orno,
        "milestone": state.milestone,
        "head": {k: state.head.get(k, "") for k in ("STAT", "ORSL", "ORST", "OBLC", "CUNO", "CUOR")},
        "tracking_numbers": state.tracking_numbers,
        "invoices": [f"{i.year}:{i.invoice_number}" for i in state.invoices],
    }

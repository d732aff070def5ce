"""M3 -> PrestaShop for orders already in M3: status, tracking number and payment (back-office lane).

For every PrestaShop order bound to an M3 customer order in the id map (entity ``sales_order``),
read what M3 did with it and show it in the shop, without ever moving an order backwards:

1. **What M3 did**, as the M3 half (``sync.m3_order_states``, the ``infor_order_statuses``
   asset) stored it: head, milestone, deliveries, invoices and receivables.
2. **Read the shop** in list calls: the orders' ``current_state`` (never trusted from memory), the
   order carriers and payments of the orders about to change.
3. **Write** per order (a few orders at a time, ``shop_writes``, so a write that hangs holds up its
   own order only), in this order (pitfall 8: the status email must not go out before the
   tracking number is stored, and a payment recorded first stops the shop adding its own when the
   new state is flagged ``paid``):
   - each delivery's tracking number on its own ``order_carriers`` row (a row without a number, else
     a new row of the order's carrier; whole record PUT, ``sendemail`` per
     ``mapping.notifications.tracking_email``), as soon as the first delivery leaves (an order M3
     delivers in several deliveries gets each number when its delivery ships), only new numbers;
   - the payment (``order_payments``, ``transaction_id`` = the M3 invoice keys, so a repeat is seen
     and never duplicated);
   - the state (POST ``order_histories``, ``sendemail`` per ``mapping.notifications.status_email``),
     only forward on the milestone ladder and never a no-op.

What was pushed is remembered per order in ``store.backoffice`` so the next poll skips orders M3 did
not touch; the memory only saves work — every write is preceded by a read of the shop. The steps
are those of every synchronizer (``sync.synchronizer``: claim, read, decide, write, record).

A failure of one order (M3 refuses a read, the shop refuses a write, a tracking number the shop
cannot store) goes to the dead-letter queue (entity ``order_status``, stage ``load``) and the others
go on. Infrastructure failures (the shop or the gateway down after the client's retries, a rejected
key) stop the run: they are not the order's fault and would fill the queue for nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.prestashop.client import (
    PrestashopAuthError,
    PrestashopError,
    PrestashopNotFound,
    PrestashopUnavailable,
)
from prestashop_infor.store import Store, backoffice
from prestashop_infor.store.backoffice import OrderPush
from prestashop_infor.sync.errors import LoadError, SyncError
from prestashop_infor.sync.m3_order_states import (
    CANCELLED,
    INVOICED,
    PAID,
    PARTIALLY_SHIPPED,
    M3OrderState,
    read_order_states,
    stored_states,
    tracked_orders,
)
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.shop_writes import UNAVAILABLE_IN_A_ROW, in_order
from prestashop_infor.sync.status_ladder import Ladder
from prestashop_infor.sync.synchronizer import Bind, DeadLetter, Decision, Leave, Outcome, Write, synchronize

log = logging.getLogger(__name__)

ENTITY = "order_status"
BINDING_ENTITY = "sales_order"
STAGE = "load"


# PrestaShop's isTrackingNumber (contract §6.6); order_carriers.tracking_number holds 64 characters.
TRACKING_PATTERN = re.compile(r"[~:#,%&_=()\[\].? +\-@/a-zA-Z0-9]+")
TRACKING_MAX = 64
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
    left_for_next_run: list[int] = field(default_factory=list)  # the push's time was up before them
    notes: dict[int, str] = field(default_factory=dict)  # why an order was left as it is, when notable

    def merge(self, other: StatusReport) -> None:
        for name in ("updated", "tracking", "payments", "skipped", "dead_lettered", "left_for_next_run"):
            getattr(self, name).extend(getattr(other, name))
        self.notes.update(other.notes)


# --- the entry points ------------------------------------------------------------------------------


def push_order_statuses(
    *,
    prestashop: PrestashopClient,
    m3: M3Client,
    store: Store,
    mapping: SyncMapping,
    order_ids: Iterable[int] | None = None,
) -> StatusReport:
    """Both halves in one call (the DLQ replay, a re-drive): read M3 into the store, then push."""
    wanted = None if order_ids is None else sorted({int(i) for i in order_ids})
    read_order_states(m3=m3, store=store, mapping=mapping, order_ids=wanted)
    return push_stored_statuses(prestashop=prestashop, store=store, mapping=mapping, order_ids=wanted)


def push_stored_statuses(
    *,
    prestashop: PrestashopClient,
    store: Store,
    mapping: SyncMapping,
    order_ids: Iterable[int] | None = None,
    stale_claim_after: timedelta = timedelta(minutes=15),
    max_seconds: float | None = None,
    order_states: Sequence[Mapping[str, Any]] | None = None,
) -> StatusReport:
    """The shop half (the ``prestashop_order_status_updates`` asset): bring the shop's orders up to
    date with the M3 states ``read_order_states`` stored: state, tracking number, payment.

    Without ``order_ids``: every order the id map follows that is not closed (paid or cancelled),
    and of those only the ones whose M3 state changed since the last push (or still waiting for
    payment). With ``order_ids``: exactly those orders, each checked in full. A write the shop does
    not take leaves its order for the next run; raises when the shop stays unreachable (five orders
    in a row), or the status map does not fit the shop's states. With ``max_seconds``, no order's
    push starts after that long: the rest are left for the next run (``left_for_next_run``).
    ``order_states``: the shop's order states as ``prestashop_reference_data`` stored them (the
    asset passes them); without, they are read from the shop (a replay, a re-drive).
    """
    report = StatusReport()
    tracked, notes = tracked_orders(store, order_ids)
    for order_id, note in notes.items():
        report.skipped.append(order_id)
        report.notes[order_id] = note
    stored = stored_states(store, tracked)
    for order_id in tracked:
        if order_id not in stored:
            report.skipped.append(order_id)
            report.notes[order_id] = "no M3 state read yet (infor_order_statuses)"
    # one push per order at a time (the synchronizer's claims): a concurrent push leaves these
    # orders alone (and vice versa), so a payment is never recorded twice by two overlapping runs
    push = _StatusPush(
        prestashop,
        store,
        mapping,
        forced=order_ids is not None,
        max_seconds=max_seconds,
        order_states=order_states,
    )
    work = {str(i): stored[i] for i in tracked if i in stored}
    run = synchronize(work, push, store, stale_after=stale_claim_after)
    for key in run.busy:
        report.skipped.append(int(key))
        report.notes[int(key)] = "another run is pushing this order right now"
    for key, why in run.left.items():
        report.skipped.append(int(key))
        if why:
            report.notes[int(key)] = why
    report.dead_lettered.extend(int(key) for key in run.dead_lettered)
    for outcome in run.bound.values():
        report.merge(outcome.report)
    report.left_for_next_run = [int(key) for key in run.unwritten]  # the push's time was up first
    return report


def push_order_status(
    order_id: int, *, prestashop: PrestashopClient, m3: M3Client, store: Store, mapping: SyncMapping
) -> StatusReport:
    """One order through the same code path (dead-letter replay, re-drive)."""
    return push_order_statuses(
        prestashop=prestashop, m3=m3, store=store, mapping=mapping, order_ids=[int(order_id)]
    )


# --- the push, as the synchronizer's entity ---------------------------------------------------------

_UNCHANGED = "unchanged"  # the current state read for an order M3 did not touch since the last push


@dataclass
class _Outcome:
    push: OrderPush
    report: StatusReport


class _StatusPush:
    """One order's push (key: the PrestaShop order id) for ``synchronizer.synchronize``: the shop is
    read just before the writes, which are a few orders at a time (``shop_writes``: a write that
    hangs holds up its own order only); what was pushed is remembered in ``store.backoffice``."""

    claims = ENTITY

    def __init__(
        self,
        prestashop: PrestashopClient,
        store: Store,
        mapping: SyncMapping,
        *,
        forced: bool,
        max_seconds: float | None,
        order_states: Sequence[Mapping[str, Any]] | None = None,
    ):
        self.prestashop = prestashop
        self.store = store
        self.mapping = mapping
        self.forced = forced
        self.max_seconds = max_seconds
        self.order_states = order_states
        self.ladder: Ladder | None = None
        self.memory: dict[int, OrderPush] = {}

    def planned(self, key: str, state: M3OrderState) -> None:
        return None

    def read_current(self, work: Mapping[str, M3OrderState]) -> dict[str, Any]:
        """The shop's states, the memory of the last pushes and, for the orders M3 changed since
        (all of them when forced), the shop order (never trusted from memory)."""
        states = self.order_states if self.order_states is not None else self.prestashop.order_states()
        ladder = self.ladder = Ladder(self.mapping.status.resolve(states))
        self.memory = dict(backoffice.order_pushes_for(self.store, [int(k) for k in work]))
        changed = [
            int(key)
            for key, state in work.items()
            if self.forced
            or state.error is not None
            or not _unchanged(self.memory.get(int(key)), state, ladder)
        ]
        shop_orders = _shop_orders(self.prestashop, changed)
        current: dict[str, Any] = {key: _UNCHANGED for key in work}
        current.update((str(i), shop_orders.get(i)) for i in changed)
        return current

    def decide(self, key: str, state: M3OrderState, shop_order: Any) -> Decision:
        if shop_order is _UNCHANGED:
            return Leave()
        if state.error is not None:
            return DeadLetter(state.error)
        if shop_order is None:
            return DeadLetter(
                LoadError("shop_order_missing", "id_order", f"order {key} is not in the shop (deleted?)")
            )
        return Write(shop_order)

    def write(
        self, sends: Mapping[str, tuple[M3OrderState, dict[str, Any]]]
    ) -> Iterator[tuple[str, Outcome]]:
        """Each order's push, in the orders' order. One write the shop did not take (a 500 or a
        timeout; it may have been applied) leaves its order for the next run, which reads it again
        and finishes it without doing anything twice; several in a row: the shop is down, raises."""
        unavailable = 0  # orders in a row whose write the shop did not take
        with in_order(
            list(sends), lambda key: self.push(key, *sends[key]), seconds=self.max_seconds
        ) as outcomes:
            for key, future in outcomes:
                try:
                    outcome = future.result()
                except SyncError as error:
                    yield key, DeadLetter(error)
                    continue
                except PrestashopUnavailable as error:
                    unavailable += 1
                    if unavailable >= UNAVAILABLE_IN_A_ROW:
                        raise
                    log.warning("order %s: status push left for the next run: %s", key, error)
                    yield key, Leave(f"left for the next run: {error}")
                    continue
                unavailable = 0
                yield key, Bind(outcome)

    def push(self, key: str, state: M3OrderState, shop_order: Mapping[str, Any]) -> _Outcome:
        """``_push_one`` with the shop's refusals turned into a ``LoadError``; failures of the
        infrastructure (shop or gateway down after the retries, a rejected key) pass through."""
        assert self.ladder is not None
        order_id = int(key)
        try:
            return _push_one(
                self.prestashop, self.mapping, self.ladder, order_id, shop_order, state,
                self.memory.get(order_id), self.forced,
            )  # fmt: skip
        except (PrestashopUnavailable, PrestashopAuthError):
            raise
        except PrestashopError as error:
            code = error.codes[0] if error.codes else None
            raise LoadError(
                f"prestashop_{error.status or 'error'}" + (f"_{code}" if code is not None else ""),
                error.resource,
                str(error),
            ) from error

    def bind(self, bound: Mapping[str, tuple[M3OrderState, _Outcome]]) -> None:
        for _state, outcome in bound.values():
            backoffice.save_order_push(self.store, outcome.push)
        self.store.resolve_dead_letters(ENTITY, [int(key) for key in bound], STAGE)

    def dead_letter(self, failed: Mapping[str, tuple[M3OrderState, SyncError]]) -> None:
        letters = []
        for key, (state, error) in failed.items():
            letters.append(error.dead_letter(ENTITY, int(key), _payload(int(key), state)))
            log.warning("order %s: status not pushed: %s", key, error)
        self.store.quarantine_many(letters)


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
    tracking = _tracking_numbers(state) if ladder.reached(milestone, PARTIALLY_SHIPPED) else []
    paid = state.paid and ladder.reached(milestone, INVOICED)
    pushed_tracking = push.tracking_number if push else None
    payment_key = push.payment_key if push else None
    changed = False

    if tracking and (forced or _tracking_memory(tracking) != pushed_tracking):
        if _write_tracking(prestashop, mapping, order_id, tracking):
            report.tracking.append(order_id)
            changed = True
        pushed_tracking = _tracking_memory(tracking)

    if paid and (forced or payment_key != state.payment_key):
        if _record_payment(prestashop, shop_order, state):
            report.payments.append(order_id)
            changed = True
        payment_key = state.payment_key

    send_email = bool(mapping.notifications.status_email)
    for _ in range(2):  # at most the fulfilment state, then the paid state
        new_state = ladder.next_state(milestone, paid, current)
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


# --- shop writes -----------------------------------------------------------------------------------


def _write_tracking(
    prestashop: PrestashopClient, mapping: SyncMapping, order_id: int, numbers: list[str]
) -> bool:
    """Each delivery's tracking number on its own carrier row of the order; False when the shop
    holds them all already."""
    try:
        written = prestashop.set_tracking_numbers(
            order_id, numbers, send_email=bool(mapping.notifications.tracking_email)
        )
    except PrestashopNotFound:
        raise LoadError(
            "no_order_carrier", "order_carriers", f"order {order_id} has no order_carriers row"
        ) from None
    return bool(written)


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


# --- shop reads ------------------------------------------------------------------------------------


def _shop_orders(prestashop: PrestashopClient, order_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The fields the writes need, for many orders in a few list reads."""
    display = "[id,reference,current_state,id_currency,conversion_rate,total_paid_tax_incl,payment]"
    return {int(row["id"]): row for row in prestashop.list_by_ids("orders", order_ids, display=display)}


# --- helpers ---------------------------------------------------------------------------------------


def _unchanged(push: OrderPush | None, state: M3OrderState, ladder: Ladder) -> bool:
    """Nothing new in M3 since the last run: same head, and not an invoiced order awaiting payment
    (payment shows on the receivable, not on the head)."""
    if push is None or push.m3_fingerprint != state.fingerprint:
        return False
    waiting_for_payment = ladder.reached(state.milestone, INVOICED) and push.payment_key is None
    return not waiting_for_payment


def _tracking_numbers(state: M3OrderState) -> list[str]:
    """The tracking numbers of the order's deliveries, each as the shop stores it (one carrier row
    each). A number the shop would refuse is an error naming ETRN, not a silent truncation."""
    numbers = state.tracking_numbers
    for number in numbers:
        if not TRACKING_PATTERN.fullmatch(number):
            raise LoadError(
                "invalid_tracking_number",
                "ETRN",
                f"tracking number {number!r} of order {state.orno} has characters PrestaShop refuses",
            )
        if len(number) > TRACKING_MAX:
            raise LoadError(
                "tracking_number_too_long",
                "ETRN",
                f"tracking number {number!r} is longer than {TRACKING_MAX}",
            )
    return numbers


def _tracking_memory(numbers: list[str]) -> str:
    """What the push remembers of the numbers it wrote (64 characters): them, or their digest."""
    text = ", ".join(numbers)
    return text if len(text) <= TRACKING_MAX else "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:57]


def _money(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise LoadError("not_a_number", name, f"{name} is not a number: {value!r}") from None


def _payload(order_id: int, state: M3OrderState) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "orno": state.orno,
        "milestone": state.milestone,
        "head": {k: state.head.get(k, "") for k in ("STAT", "ORSL", "ORST", "OBLC", "CUNO", "CUOR")},
        "tracking_numbers": state.tracking_numbers,
        "invoices": [f"{i.year}:{i.invoice_number}" for i in state.invoices],
    }

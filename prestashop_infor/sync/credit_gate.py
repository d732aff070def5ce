"""The credit gate for business customers (mapping ``credit``).

An order of a customer in one of ``credit.customer_groups`` passes M3's credit check before it is
confirmed (``check_credit``, called by the order sync right before the orders go into M3): the
customer's credit limit in the division of the order's shop (``CRS610MI/GetFinancial``, ``CRL3``:
M3's "credit limit 3", outstanding invoices plus orders; ``CRLM`` and ``CRL2`` count invoices only)
and, when there is one, whether the order fits it (``OIS100MI/CheckCredit`` with the order's amount in the ERP currency). The order is
entered either way: M3 decides at ``Confirm`` and holds an order over the limit (its credit stop,
batch order status 30). For a gated customer that hold is no failure (``sync.order_entry``): the
order is left unbound, a ``credit_hold`` finding records why (what the check said and M3's message;
it alerts like the other findings), and every cycle looks the order up again; once a person
releases the stop in M3 the order becomes a customer order and is bound, and the finding is
resolved. Consumers (no gated group) skip the check: M3's credit stop of one stays a dead letter.

``notify_credit_holds`` tells the shop once per hold: the order takes ``credit.awaiting_state``
(when set; read first, never written twice) and gets a private message saying why
(``credit.shop_message``; found again rather than written twice). The awaiting state must be one the
order sync exports, or the order would never be looked at again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError
from prestashop_infor.infor.models import m3_decimal
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.errors import LoadError
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import MappingError
from prestashop_infor.sync.order_entry import BatchOrder
from prestashop_infor.sync.shop_messages import private_message

CREDIT_HOLD = "credit_hold"  # the finding's entity and code, keyed by shop order id
NOTICE = "credit_hold_notice"  # id map: the shop was told of the hold (state and message)
STAGE = "load"


def credit_hold(why: str) -> LoadError:
    """The finding of an order M3 holds for credit."""
    return LoadError(CREDIT_HOLD, "CUNO", why)


def check_credit(orders: Sequence[BatchOrder], m3: M3Client, currency: str) -> None:
    """Ask M3 about each gated order's credit (module docstring), in the order's ERP currency (its
    head's ``CUCD``; ``currency`` when it has none) and its shop's division (M3 keeps a customer's
    financial data per division); what it said goes to ``order.credit_note``. A read M3 cannot
    answer raises: nothing has been written yet."""
    for division in sorted({order.division or "" for order in orders}):
        _check_in_division([o for o in orders if (o.division or "") == division], m3.in_division(division or None),
                           currency)  # fmt: skip


def _check_in_division(orders: Sequence[BatchOrder], m3: M3Client, currency: str) -> None:
    customers = sorted({order.cuno for order in orders})
    answers = m3.bulk(
        [("CRS610MI", "GetFinancial", {"CUNO": cuno, "DIVI": m3.division}) for cuno in customers],
        max_records=0,
    )
    limits: dict[str, Decimal] = {}
    for cuno, answer in zip(customers, answers, strict=True):
        if isinstance(answer.error, M3GatewayError):
            raise answer.error
        limits[cuno] = m3_decimal(answer.records[0], "CRL3") if answer.ok and answer.records else Decimal(0)
    limited = [order for order in orders if limits[order.cuno] > 0]
    calls = []
    for order in limited:
        fields = {"CUNO": order.cuno, "CUCD": str(order.head.get("CUCD") or currency)}
        amount = order_amount(order)
        if amount is not None:
            fields["AMNT"] = str(amount)
        calls.append(("OIS100MI", "CheckCredit", fields))
    for order, answer in zip(limited, m3.bulk(calls, max_records=0), strict=True):
        if isinstance(answer.error, M3GatewayError):
            raise answer.error
        limit = f"credit limit {limits[order.cuno]:.2f} {order.head.get('CUCD') or currency}"
        said = answer.error.message if answer.error is not None else ""
        order.credit_note = f"Within the {limit}." if answer.ok else f"Over the {limit}: {said}."


def order_amount(order: BatchOrder) -> Decimal | None:
    """What the order adds to the customer's exposure: its lines' quantity x price in the ERP
    currency; None when M3 prices the lines itself (no ``SAPR``)."""
    try:
        return sum(
            (Decimal(str(line["ORQT"])) * Decimal(str(line["SAPR"])) for line in order.lines), Decimal(0)
        )
    except (KeyError, InvalidOperation):
        return None


@dataclass
class HoldNotice:
    held: int  # open credit holds
    told: list[int] = field(default_factory=list)  # the orders the shop was told of by this run


def notify_credit_holds(
    *,
    prestashop: PrestashopClient,
    store: Store,
    mapping: SyncMapping,
    order_states: Sequence[Mapping[str, Any]],
) -> HoldNotice:
    """Tell the shop of each open credit hold not told yet (module docstring)."""
    rules = mapping.credit
    awaiting = rules.awaiting(order_states)
    if awaiting is not None and awaiting in mapping.status.resolve(order_states).not_exported:
        raise MappingError(
            "credit.awaiting_state",
            f"state {awaiting} is not exported (status.not_exported): an order held for credit would "
            "never be looked at again; choose a state the order sync sends",
        )
    letters = store.dead_letters(state="open", entity=CREDIT_HOLD)
    told = id_map.bindings_for(store, NOTICE, [letter.key for letter in letters])
    notice = HoldNotice(len(letters))
    for letter in letters:
        if letter.key in told:
            continue
        order_id = int(letter.key)
        payload = letter.payload or {}
        if awaiting is not None:
            order = prestashop.get("orders", order_id)
            if order is not None and int(order.get("current_state") or 0) != awaiting:
                prestashop.add_order_history(order_id, awaiting)
        message = ""
        if rules.shop_message:
            text = f"Held in M3 for credit: {letter.message}"[:1600]
            message = str(private_message(prestashop, order_id, int(payload.get("customer_id") or 0), text))
        id_map.bind(store, NOTICE, order_id, message or "state")
        notice.told.append(order_id)
    return notice


__all__ = [
    "CREDIT_HOLD",
    "NOTICE",
    "HoldNotice",
    "check_credit",
    "credit_hold",
    "notify_credit_holds",
    "order_amount",
]

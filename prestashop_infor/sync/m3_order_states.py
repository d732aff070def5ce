"""The M3 half of the status lane (the ``infor_order_statuses`` asset): what M3 did with each order
the id map follows, read in bulk and stored (``m3_order_states``) for the shop half
(``sync.status``) to push.

Contract infor §10.6: one ``OIS100MI/GetHead`` per order, in bulk requests; for orders at the
shipped stage and beyond ``OIS100MI/LstLine`` -> ``LstDelLineByCO`` (``DLIX``) -> ``MWS410MI/GetHead``
(``ETRN`` tracking number, ``FWNO`` forwarder); for invoiced orders ``OIS350MI/LstInvHeadByCo``
(invoices) and ``ARS200MI/LstInvoices`` per customer, in the order's division (``RECO`` 9 = paid). Each step is one bulk
round for all the orders that need it, and the details are read again only for an order whose head
moved or that waits for its tracking number or its payment. Heads pass the order-status gate; an
order M3 refuses to read is stored with the error (the shop half dead-letters it); M3 unreachable
after the client's retries stops the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.infor.models import Delivery, Invoice, Receivable
from prestashop_infor.store import Store, backoffice, id_map, order_states
from prestashop_infor.store.id_map import Binding
from prestashop_infor.sync.errors import LoadError, SyncError
from prestashop_infor.sync.gates import gate
from prestashop_infor.sync.infor_schemas import OrderStatusSchema
from prestashop_infor.sync.mapping import MILESTONES
from prestashop_infor.sync.mapping import Mapping as SyncMapping

BINDING_ENTITY = "sales_order"
PARTIALLY_SHIPPED = "partially_shipped"
SHIPPED = "shipped"
INVOICED = "invoiced"
PAID = "paid"
CANCELLED = "cancelled"


@dataclass
class M3OrderState:
    """What M3 says about one customer order, read in bulk."""

    orno: str
    head: dict[str, str]
    milestone: str | None = None  # from the order head (mapping.status.milestone_of_m3)
    # the M3 records as read: "deliveries" (MWS410MI), "invoices" (OIS350MI), "receivables" (ARS200MI)
    raw: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    error: SyncError | None = None

    @property
    def deliveries(self) -> list[Delivery]:
        return [Delivery.from_record(r) for r in self.raw.get("deliveries", [])]

    @property
    def invoices(self) -> list[Invoice]:
        """The order's invoices; its credit notes (returns, credits) are ``credit_notes``."""
        return [i for i in (Invoice.from_record(r) for r in self.raw.get("invoices", [])) if not i.is_credit]

    @property
    def credit_notes(self) -> list[Invoice]:
        return [i for i in (Invoice.from_record(r) for r in self.raw.get("invoices", [])) if i.is_credit]

    @property
    def receivables(self) -> list[Receivable]:
        return [Receivable.from_record(r) for r in self.raw.get("receivables", [])]

    def to_row(self, order_id: int) -> dict[str, Any]:
        error = None if self.error is None else {"code": self.error.code, "field": self.error.field,
                                                  "message": self.error.message}  # fmt: skip
        return {"order_id": order_id, "orno": self.orno, "fingerprint": self.fingerprint,
                "milestone": self.milestone, "head": self.head, "details": self.raw, "error": error}  # fmt: skip

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> M3OrderState:
        error = row.get("error")
        return cls(
            orno=row["orno"],
            head=dict(row.get("head") or {}),
            milestone=row.get("milestone"),
            raw={k: list(v) for k, v in (row.get("details") or {}).items()},
            error=LoadError(error["code"], error.get("field"), error["message"]) if error else None,
        )

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


@dataclass
class StatesRead:
    """What one M3 read stored, by PrestaShop order id."""

    read: list[int] = field(default_factory=list)  # heads read (and stored)
    moved: list[int] = field(default_factory=list)  # head changed since the stored state (details read)
    failed: list[int] = field(default_factory=list)  # M3 refused a read: stored with the error
    quarantined: int = 0  # heads the gate refused (dead-lettered as m3_order_statuses)
    by_milestone: dict[str, int] = field(default_factory=dict)


def read_order_states(
    *, m3: M3Client, store: Store, mapping: SyncMapping, order_ids: Iterable[int] | None = None
) -> StatesRead:
    """The M3 half (the ``infor_order_statuses`` asset): what M3 did with each order the id map
    follows and that is not closed, stored in ``m3_order_states`` for the shop half to push.

    Heads (``OIS100MI/GetHead``, bulk) pass the order-status gate; deliveries (tracking) and
    invoices/receivables (payment) are read again only for an order whose head moved since the
    stored state, or that waits for its tracking number or its payment; otherwise they are kept.
    With ``order_ids`` (a replay, a re-drive): exactly those orders, read in full.
    """
    forced = order_ids is not None
    read = StatesRead()
    tracked, _notes = tracked_orders(store, order_ids)
    if not tracked:
        return read
    states = read_m3_orders(m3, list(tracked.values()), mapping=mapping)
    heads = [s.head for s in states.values() if s.error is None]
    valid, read.quarantined = gate(OrderStatusSchema, heads, store, "m3_order_statuses", key_field="ORNO")
    passed = set(valid["ORNO"]) if len(valid) else set()
    previous = stored_states(store, tracked)
    need: list[M3OrderState] = []
    rows: list[dict[str, Any]] = []
    for order_id, orno in tracked.items():
        state = states[orno]
        if state.error is None and orno not in passed:
            continue  # quarantined by the gate: nothing stored, the push leaves the order alone
        before = previous.get(order_id)
        if state.error is None and (forced or before is None or _needs_details(before, state)):
            need.append(state)
            if before is None or before.fingerprint != state.fingerprint:
                read.moved.append(order_id)
        elif state.error is None and before is not None:
            state.raw = before.raw
        read.read.append(order_id)
    _read_details(m3, need)
    for order_id, orno in tracked.items():
        if order_id not in read.read:
            continue
        state = states[orno]
        if state.error is not None:
            read.failed.append(order_id)
        else:
            milestone = state.milestone or "none"
            read.by_milestone[milestone] = read.by_milestone.get(milestone, 0) + 1
        rows.append(state.to_row(order_id))
    order_states.save(store, rows)
    return read


def stored_states(store: Store, order_ids: Iterable[int]) -> dict[int, M3OrderState]:
    return {
        order_id: M3OrderState.from_row(row) for order_id, row in order_states.load(store, order_ids).items()
    }


def tracked_orders(store: Store, order_ids: Iterable[int] | None) -> tuple[dict[int, str], dict[int, str]]:
    """The orders the status lane follows (order id -> M3 customer order number) and, for the
    others asked for, why not: every bound order not closed, or exactly ``order_ids``."""
    bound = {int(b.source_key): b for b in id_map.bindings(store, BINDING_ENTITY)}
    notes: dict[int, str] = {}
    if order_ids is not None:
        wanted = sorted({int(i) for i in order_ids})
        for order_id in wanted:
            if order_id not in bound:
                notes[order_id] = "not in the id map (never sent to M3)"
        wanted = [i for i in wanted if i in bound]
    else:
        closed = backoffice.closed_order_ids(store)
        wanted = sorted(i for i in bound if i not in closed)
    tracked = {}
    for order_id in wanted:
        orno = final_orno(bound[order_id])
        if orno is None:
            notes[order_id] = "M3 has not created the customer order yet (temporary batch number)"
        else:
            tracked[order_id] = orno
    return tracked, notes


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


def milestone_rank(milestone: str | None) -> int | None:
    """Where an M3 milestone sits on the fulfilment ladder ``confirmed < allocated < picking <
    partially_shipped < shipped < invoiced < paid`` (``mapping.MILESTONES``, fixed); None off it (``cancelled``, no
    milestone yet). The one ranking of milestones: the status lane (here and ``status.Ladder``) and
    the reconciliation compare by it, and a shop state ranks on the same ladder
    (``ResolvedStatusMap.rank_of_state``)."""
    return MILESTONES.index(milestone) if milestone in MILESTONES else None


def reached(milestone: str | None, at_least: str) -> bool:
    """``milestone`` is ``at_least`` or further on the fulfilment ladder."""
    rank, goal = milestone_rank(milestone), milestone_rank(at_least)
    return rank is not None and goal is not None and rank >= goal


def _needs_details(before: M3OrderState, now: M3OrderState) -> bool:
    """Read deliveries and invoices again: the head moved, the last read failed, or the order is
    shipped without a tracking number or invoiced and not paid yet (neither shows on the head)."""
    return (
        before.fingerprint != now.fingerprint
        or before.error is not None
        or (reached(now.milestone, PARTIALLY_SHIPPED) and not before.tracking_numbers)
        or (reached(now.milestone, INVOICED) and not before.paid)
    )


def _read_details(m3: M3Client, states: Sequence[M3OrderState]) -> None:
    """Deliveries (tracking) of shipped orders and invoices/receivables (payment) of invoiced ones."""
    for state in states:
        state.raw = {}
    _read_deliveries(m3, [s for s in states if reached(s.milestone, PARTIALLY_SHIPPED)])
    _read_invoices(m3, [s for s in states if s.error is None and reached(s.milestone, INVOICED)])


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
                state.raw.setdefault("deliveries", []).append(result.records[0])


def _read_invoices(m3: M3Client, states: Sequence[M3OrderState]) -> None:
    if not states:
        return
    results = m3.bulk([("OIS350MI", "LstInvHeadByCo", {"ORNO": s.orno}) for s in states], max_records=0)
    for state, result in zip(states, results, strict=True):
        if not result.ok:
            state.error = _m3_failure(result.error, f"listing the invoices of order {state.orno}")
        else:
            state.raw["invoices"] = list(result.records)
    # receivables are kept per division (an order's is its facility's, on its head): read per
    # division and customer, each in its division
    by_customer: dict[tuple[str, str], list[M3OrderState]] = {}
    for state in states:
        if state.error is None and state.invoices:
            by_customer.setdefault((state.head.get("DIVI", ""), state.head.get("CUNO", "")), []).append(state)
    for division in sorted({division for division, _ in by_customer}):
        customers = [c for d, c in by_customer if d == division and c]
        calls = []
        for customer in customers:
            dates = [
                i.invoice_date
                for s in by_customer[(division, customer)]
                for i in s.invoices
                if i.invoice_date
            ]
            fields = {"CUNO": customer}
            if dates:
                fields["IVDT"] = min(dates).strftime("%Y%m%d")  # only receivables from the oldest invoice on
            calls.append(("ARS200MI", "LstInvoices", fields))
        results = m3.in_division(division or None).bulk(calls, max_records=0)
        for customer, result in zip(customers, results, strict=True):
            for state in by_customer[(division, customer)]:
                if not result.ok:
                    state.error = _m3_failure(result.error, f"listing the receivables of customer {customer}")
                else:
                    state.raw["receivables"] = list(result.records)


def _m3_failure(error: BaseException | None, context: str) -> SyncError:
    """A per-order M3 failure; a gateway failure (M3 down after the retries) stops the run."""
    if isinstance(error, M3GatewayError):
        raise error
    if error is None:
        return LoadError("m3_no_record", None, f"{context}: M3 returned no record")
    if isinstance(error, M3TransactionError):
        return LoadError.from_m3(error, context=context)
    return LoadError("m3_error", None, f"{context}: {error}")


def final_orno(binding: Binding) -> str | None:
    """The M3 customer order number of a binding. The order sync binds an order only once M3
    holds its customer order; a store written before that rule may still bind an order to its
    temporary batch number (``data.temp_orno`` equal to the target, no ``data.ornr``): None then."""
    target = str(binding.target_key)
    if binding.data.get("temp_orno") == target and not binding.data.get("ornr"):
        return None
    return target


def _key(number: str) -> str:
    return number.lstrip("0") or "0"


def moved_orders(*, m3: M3Client, store: Store, mapping: SyncMapping) -> dict[int, str]:
    """The orders whose M3 head moved since their state was stored (or that have none stored yet):
    order id -> the head's fingerprint now. One bulk ``GetHead`` for the open orders the id map
    follows; an order M3 refuses to read counts as moved (the M3 half stores the error)."""
    tracked, _notes = tracked_orders(store, None)
    if not tracked:
        return {}
    heads = read_m3_orders(m3, list(tracked.values()), mapping=mapping)
    stored = stored_states(store, tracked)
    moved = {}
    for order_id, orno in tracked.items():
        now, before = heads[orno], stored.get(order_id)
        if now.error is not None or before is None or before.fingerprint != now.fingerprint:
            moved[order_id] = now.fingerprint
    return moved

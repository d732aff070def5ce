"""Shop refunds -> M3 credits: a credit slip made in the shop (a refund without a return M3 knows
of) on an order M3 holds becomes an M3 customer return that takes no goods back, so M3 credits the
customer as it records such a credit (``OIS390MI``, transaction reason ``refunds.m3_credit_reason``).

Which slips: those ``prestashop_order_slips`` stored on orders bound to an M3 order, made since the
order was bound (a shop's refunds from before it was connected are the reconciliation's to report;
its heal sends those it finds M3 lacking), that are not
the integration's own (a slip written for an M3 credit note is bound to it in the id map) and not
an M3 credit note's mirror (a stored credit note of the same amount on the order that no slip is
bound to yet: the slip the credit-slip push is about to bind), and not sent yet.

Each slip goes through the one synchronizer shape (``sync.synchronizer``):

1. claim it (entity ``shop_refund``, key the slip id);
2. read M3: the return the slip becomes has a number of its own, derived from the slip
   (``refunds.m3_return_number_base`` + slip id, like the derived customer numbers), so its head
   (``OIS390MI/GetHead``) and lines (``LstLine``) say what an earlier run already did; and the
   customer order's lines (``OIS100MI/LstLine``) to find the lines refunded;
3. decide: head and every line there: bind; otherwise write what is missing;
4. write ``AddHead`` (warehouse of the order's lines, ``RORN`` the order, ``RSCD`` the credit reason,
   ``YREF`` the slip) and ``AddLine`` per refunded line (``RORL`` the M3 line whose customer line
   ``CUPO`` is the order row's position, ``REQ0`` the quantity);
5. bind the slip to the return number once M3 answered OK for all of it. An AddHead that committed
   unheard is found by its number on the next run, never entered twice.

M3 then credits the customer by its own process; the credit note comes back through
``sync.credit_notes`` and binds to this slip (same order and amount), so the shop gets no second slip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.store import Store, id_map
from prestashop_infor.store.credit_notes import credit_notes_of, slips_to_send
from prestashop_infor.sync.errors import LoadError, SyncError
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.synchronizer import Bind, DeadLetter, Decision, Leave, Outcome, Write, synchronize

ENTITY = "shop_refund"
SENT = "sales_order"
SLIPS_WRITTEN = "credit_slip"  # sync.credit_notes.ENTITY: slips the integration wrote
TOLERANCE = Decimal("0.01")
NOT_FOUND = "EMI0201"  # M3's "record does not exist"
STALE_CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class ShopRefund:
    slip_id: int
    order_id: int
    orno: str
    amount: Decimal
    lines: tuple[tuple[int, int], ...]  # (order detail id, quantity)
    order_rows: tuple[int, ...]  # the order's detail ids in the order's own order (CUPO = position)


@dataclass
class RefundReport:
    sent: list[int] = field(default_factory=list)  # slips entered in M3 by this run
    found: list[int] = field(default_factory=list)  # slips M3 held already (an earlier run, unheard)
    mirrors: list[int] = field(default_factory=list)  # slips that mirror an M3 credit note: not sent
    dead_lettered: dict[int, SyncError] = field(default_factory=dict)
    busy: list[int] = field(default_factory=list)
    left: dict[int, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"sent_to_m3": len(self.sent), "found_in_m3": len(self.found), "mirrors": len(self.mirrors),
                "dead_lettered": len(self.dead_lettered), "busy": len(self.busy), "left": len(self.left)}  # fmt: skip


def refunds_to_send(
    store: Store,
    report: RefundReport,
    *,
    limit: int,
    order_ids: Iterable[int] | None = None,
    since_bound: bool = True,
) -> list[ShopRefund]:
    """The stored shop slips to send (module docstring), oldest first; mirrors of M3 credit notes
    are counted in ``report.mirrors`` and left out."""
    slips = slips_to_send(store, sent=SENT, ours=SLIPS_WRITTEN, entity=ENTITY, limit=limit, order_ids=order_ids,
                          since_bound=since_bound)  # fmt: skip
    notes = credit_notes_of(store, {slip.orno for slip in slips})
    bound_notes = set(
        id_map.bindings_for(store, SLIPS_WRITTEN, [n.key for found in notes.values() for n in found])
    )
    refunds = []
    for slip in slips:
        if any(
            n.key not in bound_notes and abs(-n.amount - slip.amount) < TOLERANCE for n in notes[slip.orno]
        ):
            report.mirrors.append(slip.slip_id)  # an M3 credit note's slip, about to be bound to it
            continue
        details = (slip.record.get("associations") or {}).get("order_slip_details") or []
        lines = tuple((int(d["id_order_detail"]), int(d["product_quantity"])) for d in details
                      if int(d.get("product_quantity") or 0) > 0)  # fmt: skip
        rows = tuple(int(r["id"]) for r in (slip.order.get("associations") or {}).get("order_rows") or [])
        refunds.append(ShopRefund(slip.slip_id, slip.order_id, slip.orno, slip.amount, lines, rows))
    return refunds


def send_refunds(
    *,
    m3: M3Client,
    store: Store,
    mapping: SyncMapping,
    limit: int = 200,
    order_ids: Iterable[int] | None = None,
    since_bound: bool = True,
) -> RefundReport:
    """Enter in M3 the shop's refunds it does not know of (module docstring); ``order_ids`` and
    ``since_bound=False``: the reconciliation's heal, for the orders it found M3 lacking a refund."""
    report = RefundReport()
    work = {str(r.slip_id): r for r in refunds_to_send(store, report, limit=limit, order_ids=order_ids,
                                                       since_bound=since_bound)}  # fmt: skip
    run = synchronize(work, _Refunds(m3, store, mapping, report), store, stale_after=STALE_CLAIM)
    report.busy = [int(k) for k in run.busy]
    report.left = {int(k): why for k, why in run.left.items()}
    return report


def return_number(mapping: SyncMapping, slip_id: int) -> str:
    return str(mapping.refunds.m3_return_number_base + slip_id)


@dataclass(frozen=True)
class _Plan:
    head: dict[str, str] | None  # AddHead's fields, None when M3 holds the head
    lines: list[dict[str, str]]  # AddLine's fields still to enter


class _Refunds:
    claims = ENTITY

    def __init__(self, m3: M3Client, store: Store, mapping: SyncMapping, report: RefundReport):
        self.m3, self.store, self.mapping, self.report = m3, store, mapping, report

    def planned(self, key: str, item: ShopRefund) -> str | None:
        return return_number(self.mapping, item.slip_id)

    def read_current(self, work: Mapping[str, ShopRefund]) -> Mapping[str, Any]:
        """Per slip: (the order's lines, its return's lines or None when M3 has no such return)."""
        keys = list(work)
        order_lines = self.m3.bulk(
            [("OIS100MI", "LstLine", {"ORNO": work[k].orno}) for k in keys], max_records=0
        )
        current: dict[str, Any] = {}
        asked: list[str] = []
        for key, result in zip(keys, order_lines, strict=True):
            if isinstance(result.error, M3GatewayError):
                raise result.error
            if not result.ok or not result.records:
                current[key] = (
                    LoadError.from_m3(result.error, context=f"listing the lines of {work[key].orno}")
                    if result.error
                    else LoadError("order_not_in_m3", "ORNO", f"M3 order {work[key].orno} has no lines")
                )
            else:
                current[key] = (result.records, None)
                asked.append(key)
        calls = []
        for key in asked:
            fields = {
                "WHLO": current[key][0][0].get("WHLO", ""),
                "REPN": return_number(self.mapping, work[key].slip_id),
            }
            calls += [("OIS390MI", "GetHead", fields), ("OIS390MI", "LstLine", fields)]
        results = self.m3.bulk(calls, max_records=0)
        for index, key in enumerate(asked):
            head, lines = results[2 * index], results[2 * index + 1]
            for result in (head, lines):
                if isinstance(result.error, M3GatewayError):
                    raise result.error
            if head.ok and lines.ok:
                current[key] = (current[key][0], lines.records)
            elif head.ok or not (isinstance(head.error, M3TransactionError) and head.error.code == NOT_FOUND):
                current[key] = LoadError.from_m3(head.error or lines.error, context="reading the return")
        return current

    def decide(self, key: str, item: ShopRefund, current: Any) -> Decision:
        if isinstance(current, SyncError):
            return DeadLetter(current)
        order_lines, return_lines = current
        if not item.lines:
            return DeadLetter(LoadError("no_refunded_lines", "order_slip_details",
                                        f"credit slip {item.slip_id} names no order line to credit"))  # fmt: skip
        by_cupo = {line.get("CUPO", "").strip(): line for line in order_lines}
        wanted: list[dict[str, str]] = []
        for detail_id, quantity in item.lines:
            if detail_id not in item.order_rows:
                return DeadLetter(LoadError("unknown_order_row", "id_order_detail",
                                            f"credit slip {item.slip_id}: order row {detail_id} is not on order {item.order_id}"))  # fmt: skip
            line = by_cupo.get(str(item.order_rows.index(detail_id) + 1))
            if line is None:
                return DeadLetter(LoadError("line_not_in_m3", "CUPO",
                                            f"credit slip {item.slip_id}: M3 order {item.orno} has no line for order row {detail_id}"))  # fmt: skip
            wanted.append({"WHLO": line.get("WHLO", ""), "RORL": line["PONR"].strip(), "REQ0": str(quantity)})
        repn = return_number(self.mapping, item.slip_id)
        held = {line.get("RORL", line.get("PONR", "")).strip() for line in return_lines or []}
        missing = [dict(line, REPN=repn) for line in wanted if line["RORL"] not in held]
        if return_lines is not None and not missing:
            return Bind((repn, False))
        head = None
        if return_lines is None:  # no such return yet
            head = {"WHLO": wanted[0]["WHLO"], "REPN": repn, "RORN": item.orno,
                    "RSCD": self.mapping.refunds.m3_credit_reason, "YREF": f"PrestaShop credit slip {item.slip_id}"}  # fmt: skip
        return Write(_Plan(head, missing))

    def write(self, sends: Mapping[str, tuple[ShopRefund, Any]]) -> Iterable[tuple[str, Outcome]]:
        for key, (item, plan) in sends.items():
            try:
                if plan.head is not None:
                    self.m3.execute("OIS390MI", "AddHead", **plan.head)
                for line in plan.lines:
                    self.m3.execute("OIS390MI", "AddLine", **line)
            except M3TransactionError as error:
                yield (
                    key,
                    DeadLetter(LoadError.from_m3(error, context=f"entering credit slip {item.slip_id}")),
                )
            except M3GatewayError as error:
                yield key, Leave(f"M3 did not answer ({error}): the next run reads the return again")
            else:
                yield key, Bind((return_number(self.mapping, item.slip_id), True))

    def bind(self, bound: Mapping[str, tuple[ShopRefund, Any]]) -> None:
        id_map.bind_many(self.store, ENTITY, [(key, repn, None, {"order_id": item.order_id, "orno": item.orno})
                                              for key, (item, (repn, _written)) in bound.items()])  # fmt: skip
        for _key, (item, (_repn, written)) in bound.items():
            (self.report.sent if written else self.report.found).append(item.slip_id)

    def dead_letter(self, failed: Mapping[str, tuple[ShopRefund, SyncError]]) -> None:
        letters = []
        for key, (item, error) in failed.items():
            self.report.dead_lettered[item.slip_id] = error
            letters.append(error.dead_letter(ENTITY, key, {"slip_id": item.slip_id, "order_id": item.order_id,
                                                           "orno": item.orno, "amount": str(item.amount)}))  # fmt: skip
        self.store.quarantine_many(letters)


__all__ = ["ENTITY", "RefundReport", "ShopRefund", "refunds_to_send", "return_number", "send_refunds"]

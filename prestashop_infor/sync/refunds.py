"""Shop refunds -> M3 credits: a credit slip made in the shop (a refund without a return M3 knows
of) on an order M3 holds becomes an M3 customer return that takes no goods back, so M3 credits the
customer as it records such a credit (``OIS390MI``, transaction reason ``refunds.m3_credit_reason``).

Which slips: those ``prestashop_order_slips`` stored on orders bound to an M3 order, made since the
order was bound (a shop's refunds from before it was connected are the reconciliation's to report;
its heal sends those it finds M3 lacking), that are not
the integration's own (a slip written for an M3 credit note is bound to it in the id map) and not
an M3 credit note's mirror (a stored credit note of the same amount on the order that no slip is
bound to yet: the slip the credit-slip push is about to bind), and not sent yet.

Each slip is entered as ``sync.m3_returns`` enters any customer return (claim, read M3, write
what is missing, bind; entity ``shop_refund``): ``AddHead`` with ``RSCD`` the credit reason and
``YREF`` the slip, an ``AddLine`` per refunded line; its number is derived from the slip
(``refunds.m3_return_number_base`` + slip id), so an ``AddHead`` that committed unheard is found on
the next run, never entered twice.

A slip that only refunds what a merchandise return the integration entered in M3 brings back (same
order, each line within the return's quantities: ``sync.returns``) is that return's refund: M3
credits the return when the goods arrive, so the slip is not sent (counted as ``returned``).

M3 then credits the customer by its own process; the credit note comes back through
``sync.credit_notes`` and binds to this slip (same order and amount), so the shop gets no second slip.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from prestashop_infor.infor import M3Client
from prestashop_infor.store import Store, id_map
from prestashop_infor.store.credit_notes import credit_notes_of, slips_to_send
from prestashop_infor.store.order_returns import returned_quantities
from prestashop_infor.sync.m3_returns import ReturnReport, ReturnRequest, enter_returns
from prestashop_infor.sync.mapping import Mapping as SyncMapping

ENTITY = "shop_refund"
SENT = "sales_order"
SLIPS_WRITTEN = "credit_slip"  # sync.credit_notes.ENTITY: slips the integration wrote
RETURNS_SENT = "shop_return"  # sync.returns.ENTITY: merchandise returns entered in M3
TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class ShopRefund:
    slip_id: int
    order_id: int
    orno: str
    amount: Decimal
    lines: tuple[tuple[int, int], ...]  # (order detail id, quantity)
    order_rows: tuple[int, ...]  # the order's detail ids in the order's own order (CUPO = position)


@dataclass
class RefundReport(ReturnReport):
    mirrors: list[int] = field(default_factory=list)  # slips that mirror an M3 credit note: not sent
    returned: list[int] = field(default_factory=list)  # slips refunding a return sent to M3: not sent

    def counts(self) -> dict[str, int]:
        return {**super().counts(), "mirrors": len(self.mirrors), "returned": len(self.returned)}


def refunds_to_send(
    store: Store,
    report: RefundReport,
    *,
    limit: int,
    order_ids: Iterable[int] | None = None,
    since_bound: bool = True,
) -> list[ShopRefund]:
    """The stored shop slips to send (module docstring), oldest first; mirrors of M3 credit notes
    (``report.mirrors``) and refunds of returns entered in M3 (``report.returned``) are left out."""
    slips = slips_to_send(store, sent=SENT, ours=SLIPS_WRITTEN, entity=ENTITY, limit=limit, order_ids=order_ids,
                          since_bound=since_bound)  # fmt: skip
    notes = credit_notes_of(store, {slip.orno for slip in slips})
    bound_notes = set(
        id_map.bindings_for(store, SLIPS_WRITTEN, [n.key for found in notes.values() for n in found])
    )
    returned = returned_quantities(store, {slip.order_id for slip in slips}, entity=RETURNS_SENT)
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
        back = returned.get(slip.order_id, {})
        if lines and all(quantity <= back.get(detail, 0) for detail, quantity in lines):
            report.returned.append(slip.slip_id)  # the refund of a return M3 credits itself
            for detail, quantity in lines:  # a second slip for the same lines is a refund of its own
                back[detail] -= quantity
            continue
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
    refunds = refunds_to_send(store, report, limit=limit, order_ids=order_ids, since_bound=since_bound)
    requests = [
        ReturnRequest(
            source_id=refund.slip_id,
            what=f"credit slip {refund.slip_id}",
            order_id=refund.order_id,
            orno=refund.orno,
            repn=return_number(mapping, refund.slip_id),
            reason=mapping.refunds.m3_credit_reason,
            lines=refund.lines,
            order_rows=refund.order_rows,
            context={"slip_id": refund.slip_id, "amount": str(refund.amount)},
        )
        for refund in refunds
    ]
    enter_returns(requests, m3=m3, store=store, entity=ENTITY, report=report)
    return report


def return_number(mapping: SyncMapping, slip_id: int) -> str:
    return str(mapping.refunds.m3_return_number_base + slip_id)


__all__ = ["ENTITY", "RefundReport", "ShopRefund", "refunds_to_send", "return_number", "send_refunds"]

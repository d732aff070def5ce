"""The order-to-cash stories off the happy path, acted in the sandbox as the people in both systems
would, for the demo to show the integration carrying each through (issue 19 §5):

- ``cancelled``: a customer service agent cancels in the shop an order M3 has not picked yet (the
  shop's ``order.status_changed`` webhook; the integration cancels it in M3);
- ``returned``: the warehouse receives one unit of an invoiced order back and M3 credits it (a
  customer return, ``OIS390MI``; the integration writes the credit slip in the shop);
- ``refunded``: the merchant refunds one unit of a paid order M3 has invoiced, in the shop (a credit
  slip and its ``order.updated`` webhook; the integration enters it in M3 as a credit);
- ``return_requested``: a shipped order is marked delivered in the shop (as a carrier module or the
  merchant does), its customer asks to send back one unit and the merchant accepts it (the module's ``order_return.created`` and ``order_return.updated``
  webhooks, with the lines; the integration enters it in M3 as a customer return, which M3 credits
  when the goods arrive).

Each on a different order that M3 holds once (``CUOR`` = ``PS<id>``), chosen reproducibly from a
seed among the orders that fit; the answer names them.
"""

from __future__ import annotations

import random
from typing import Any

from prestashop_infor.sandbox.discrepancies import _pairs
from prestashop_infor.sandbox.infor.models import CustomerOrder, M3Tenant
from prestashop_infor.sandbox.prestashop import Shop
from prestashop_infor.sandbox.prestashop.models.returns import DELIVERED_STATE
from prestashop_infor.sync.mapping import Mapping, load_mapping

PICKING = "44"  # M3 releases the picking list here: cancelled before it
ACCEPTED = 2  # the shop's return state "Waiting for package": the merchant accepted the return


def _cancellable(shop: Shop, m3: M3Tenant, order_id: int, order: CustomerOrder, canceled: int) -> bool:
    row = shop.tables["orders"].rows[order_id]
    return order.orst < PICKING and int(shop._field("orders", row, "current_state")) != canceled


def _returnable(shop: Shop, m3: M3Tenant, order_id: int, order: CustomerOrder, canceled: int) -> bool:
    return order.invoice is not None and not m3.credit_notes.get(order.orno) and order.lines[0].ivqt >= 1


def _refundable(shop: Shop, m3: M3Tenant, order_id: int, order: CustomerOrder, canceled: int) -> bool:
    row = shop.tables["orders"].rows[order_id]
    slips = any(int(s["id_order"]) == order_id for s in shop.records("order_slip"))
    return (
        order.invoice is not None
        and shop._field("orders", row, "total_paid_real") != "0.000000"
        and sum(line.orqt for line in order.lines) >= 2
        and not slips
        and not m3.credit_notes.get(order.orno)
    )


def _shop_returnable(shop: Shop, m3: M3Tenant, order_id: int, order: CustomerOrder, canceled: int) -> bool:
    first = order.lines[0] if order.lines else None
    return (
        first is not None
        and shop._has_reached(order_id, lambda state: shop._state_flag(state, "shipped"))
        and m3.returnable(order, first) >= 1
        and not m3.credit_notes.get(order.orno)
    )


def act_after_sales(shop: Shop, m3: M3Tenant, *, seed: int, mapping: Mapping | None = None) -> dict[str, Any]:
    """Cancel, return and refund one order each (module docstring); what was done, by story: the shop
    order id, and the return number, the credit slip id or the shop's return id. A story no order fits is left out."""
    mapping = mapping or load_mapping()
    rnd = random.Random(seed)
    canceled_state = mapping.status.resolve(shop.records("order_states")).targets.get("cancelled")
    done: dict[str, Any] = {}
    with shop.lock, m3.lock():
        pairs = _pairs(shop, m3, mapping, set())
        rnd.shuffle(pairs)
        used: set[int] = set()

        def pick(fits: Any) -> tuple[int, CustomerOrder] | None:
            for order_id, order in pairs:
                if order_id not in used and fits(shop, m3, order_id, order, canceled_state):
                    used.add(order_id)
                    return order_id, order
            return None

        if canceled_state is not None and (found := pick(_cancellable)):
            shop.change_order_state(found[0], canceled_state)  # by hand in the back office: webhook, hooks
            done["cancelled"] = {"order": found[0]}
        if found := pick(_returnable):
            order_id, order = found
            line = order.lines[0]
            head = {"WHLO": line.whlo, "RORN": order.orno, "RSCD": "RET", "YREF": "demo return"}
            repn = m3.execute("OIS390MI", "AddHead", head)[0]["REPN"]
            m3.execute(
                "OIS390MI", "AddLine", {"WHLO": line.whlo, "REPN": repn, "RORL": str(line.ponr), "REQ0": "1"}
            )
            m3.receive_return_now(repn)
            done["returned"] = {"order": order_id, "return": repn}
        if found := pick(_refundable):
            order_id, _order = found
            slip = shop.refund(order_id, [(min(shop._details_by_order[order_id]), 1)])
            done["refunded"] = {"order": order_id, "slip": slip}
        if found := pick(_shop_returnable):
            order_id, _order = found
            if not shop._has_reached(order_id, lambda state: state == DELIVERED_STATE):
                shop.change_order_state(
                    order_id, DELIVERED_STATE
                )  # delivered: PrestaShop lets it be returned
            return_id = shop.request_return(
                order_id, [(min(shop._details_by_order[order_id]), 1)], "Too small"
            )
            shop.set_return_state(return_id, ACCEPTED)  # the merchant accepts it in the back office
            done["return_requested"] = {"order": order_id, "return": return_id}
    return done

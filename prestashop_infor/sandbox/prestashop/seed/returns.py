"""Returns and credit slips among the seeded orders: each refunded order has the credit slip of its
refund (every line and the shipping, dated when it became Refunded), and about one delivered order
in fifty has a merchandise return of one of its lines, at some stage of the return states; a
completed return has its credit slip too. Its own random stream, after everything else is seeded:
the orders, customers and products of a seed never change."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from prestashop_infor.sandbox.prestashop.models import Shop
from prestashop_infor.sandbox.prestashop.models.returns import DELIVERED_STATE, REFUNDED_STATE

RETURN_SHARE = 0.02  # of the orders delivered and left there
RETURN_STATES = (1, 2, 3, 4, 5)  # waiting for confirmation, for the package, received, denied, completed
RETURN_STATE_WEIGHTS = (30, 25, 15, 10, 20)
RETURN_COMPLETED = 5
QUESTIONS = ("Wrong size", "Not as pictured", "Arrived damaged", "Changed my mind")


def seed_returns(shop: Shop, seed: int, moment: datetime) -> None:
    """Credit slips of the refunded orders, and returns of a few delivered ones, none after ``moment``."""
    rnd = random.Random(seed * 7919 + 23)
    history = shop.definitions["order_histories"].by_name
    order_pos, state_pos, date_pos = (
        history[name].pos for name in ("id_order", "id_order_state", "date_add")
    )
    last_state: dict[str, tuple[str, str]] = {}  # order id -> (state, date) of its latest history
    for row in shop.tables["order_histories"].rows.values():  # seeded in date order, order by order
        last_state[row[order_pos]] = (row[state_pos], row[date_pos])
    quantity_pos = shop.definitions["order_details"].by_name["product_quantity"].pos
    details = shop.tables["order_details"].rows
    refunded, delivered = str(REFUNDED_STATE), str(DELIVERED_STATE)
    for order_id in list(shop.tables["orders"].rows):  # seeded in id order
        state, when = last_state.get(str(order_id), ("0", ""))
        if state not in (refunded, delivered):
            continue
        lines = [(d, int(details[d][quantity_pos])) for d in shop._details_by_order.get(order_id, ())]
        if state == refunded:
            shop.add_slip(order_id, lines, shipping=True, when=when, shipped=True)
        elif rnd.random() < RETURN_SHARE:
            asked = _later(shop, when, rnd.uniform(0.5, 10), moment)
            if asked is None:
                continue
            detail_id, bought = rnd.choice(lines)
            returned = [(detail_id, rnd.randint(1, bought))]
            return_state = rnd.choices(RETURN_STATES, RETURN_STATE_WEIGHTS)[0]
            refund_date = _later(shop, asked, rnd.uniform(1, 4), moment)
            if return_state == RETURN_COMPLETED and refund_date is None:
                return_state = 3  # received, not refunded yet
            shop.add_return(order_id, returned, rnd.choice(QUESTIONS), return_state, asked)
            if return_state == RETURN_COMPLETED and refund_date is not None:
                shop.add_slip(order_id, returned, shipping=False, when=refund_date, shipped=True)


def _later(shop: Shop, text: str, days: float, moment: datetime) -> str | None:
    """The shop-local date ``days`` after ``text``, or None when that is not before ``moment``."""
    later = shop.clock.first_instant_reading(text) + timedelta(days=days)
    return shop.clock.local_text(later) if later < moment else None

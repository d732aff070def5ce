"""A month of sandbox orders: placed at random times, each with a plausible history of states up to
now (paid, shipped, delivered; cancelled, refunded or failed now and then)."""

from __future__ import annotations

import random
from datetime import datetime

from prestashop_infor.sandbox.prestashop.models import Shop
from prestashop_infor.sandbox.prestashop.models.checkout import PAYMENTS_17, build_order
from prestashop_infor.sandbox.prestashop.seed.reference import CURRENCIES

CURRENCY_OF_COUNTRY = {"US": "USD", "GB": "GBP"}


def _history_path(
    rnd: random.Random, first_state: int, placed_ts: float, now_ts: float
) -> list[tuple[int, float]]:
    """A plausible life of an order from its first state up to now."""
    path = [(first_state, placed_ts)]
    ts = placed_ts

    def step(state: int, min_hours: float, max_hours: float) -> bool:
        nonlocal ts
        candidate = ts + rnd.uniform(min_hours, max_hours) * 3600
        if candidate >= now_ts:
            return False
        ts = candidate
        path.append((state, ts))
        return True

    if first_state in (1, 10):  # waiting for a cheque or a bank transfer
        roll = rnd.random()
        if roll < 0.08:
            step(6, 72, 200)  # cancelled, never paid
            return path
        if roll < 0.10:
            step(8, 12, 48)  # payment error
            return path
        if not step(2, 6, 60):
            return path
    if first_state == 13:  # cash on delivery: prepared and shipped before any payment
        step(3, 2, 20) and step(4, 4, 30) and step(5, 24, 96)
        return path
    if step(3, 2, 24) and step(4, 4, 36) and step(5, 24, 120) and rnd.random() < 0.02:
        step(7, 48, 200)  # refunded
    return path


def seed_orders(shop: Shop, rnd: random.Random, count: int, moment: datetime) -> None:
    """``count`` orders placed in the 30 days before ``moment``, ids growing with their dates."""
    if count == 0:
        return
    now_ts = moment.timestamp()
    start_ts = now_ts - 30 * 86400
    # Sorted placement times: order ids grow with date_add, as in a real shop.
    times = sorted(rnd.uniform(start_ts, now_ts - 60) for _ in range(count))
    customer_ids = sorted(shop.tables["customers"].rows)
    catalog = shop.catalog
    payments = PAYMENTS_17
    payment_weights = [p[3] for p in payments]
    currency_ids = {iso: shop.currency_id(iso) for _, iso, *_ in CURRENCIES}
    for placed_ts in times:
        customer_id = rnd.choice(customer_ids)
        _address, iso = shop.customer_addresses[customer_id][0]
        currency_iso = CURRENCY_OF_COUNTRY.get(iso, "EUR") if rnd.random() < 0.9 else "EUR"
        lines = []
        for _ in range(rnd.choices((1, 2, 3, 4, 5), (35, 30, 18, 10, 7))[0]):
            product_id, _ref, _name, _price, combos = rnd.choice(catalog)
            combination_id = rnd.choice(combos)[0] if combos else 0
            lines.append((product_id, combination_id, rnd.choices((1, 2, 3), (75, 18, 7))[0]))
        payment = rnd.choices(payments, payment_weights)[0][:3]
        path = _history_path(rnd, payment[2], placed_ts, now_ts)
        build_order(
            shop,
            customer_id,
            lines,
            currency_ids[currency_iso],
            datetime.fromtimestamp(placed_ts, shop.clock.zone),
            path,
            rnd,
            payment,
        )

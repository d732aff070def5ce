"""A deterministic sandbox shop: catalog, customers, reference data and a month of orders.

``seed_shop(seed=42, orders=2000)`` always builds the same shop for the same seed and ``now``.
Product and combination references are M3-friendly item numbers (upper case, at most 15 characters,
e.g. ``PS-TSH-01-BK-XL``). Seeding is linear in the number of orders: rows are copied from
per-resource templates, so 50,000 orders take seconds, not minutes.

One module per part of the shop, in the order they are seeded: ``reference`` (the install's
reference data), ``catalog``, ``customers``, ``shops`` (a multistore's further shops, only with
``shops`` above 1), ``orders``, ``returns``.
"""

from __future__ import annotations

import random
from datetime import datetime

from prestashop_infor.sandbox.prestashop.models import DEFAULT_API_KEY, Shop
from prestashop_infor.sandbox.prestashop.models.checkout import build_order
from prestashop_infor.sandbox.prestashop.seed.catalog import seed_catalog
from prestashop_infor.sandbox.prestashop.seed.customers import seed_customers
from prestashop_infor.sandbox.prestashop.seed.orders import seed_orders
from prestashop_infor.sandbox.prestashop.seed.reference import seed_reference_data
from prestashop_infor.sandbox.prestashop.seed.reference import state_data as _state_data
from prestashop_infor.sandbox.prestashop.seed.returns import seed_returns
from prestashop_infor.sandbox.prestashop.seed.shops import MAX_SHOPS, seed_shops, shop_stream


def seed_shop(
    seed: int = 42,
    orders: int = 2000,
    api_key: str = DEFAULT_API_KEY,
    version: str = "1.7.8.0",
    time_zone: str = "Europe/Paris",
    now: datetime | None = None,
    *,
    languages: tuple[str, ...] = ("en",),
    customers: int | None = None,
    returns: bool = True,
    shops: int = 1,
) -> Shop:
    """A seeded sandbox shop. Same ``seed`` and ``now`` → same shop, record for record.

    The seeded history ends at the shop clock's now: no record is dated later, on the wall clock,
    than ``shop.clock.local_text()`` at the end of seeding, so a client reading "up to now" sees
    every record (in the autumn fold the history stops at the first pass of the repeated hour).
    With ``returns`` the refunded orders get their credit slips and a few delivered ones a
    merchandise return (``seed.returns``); the orders, customers and products are the same either way.
    With ``shops`` above 1 the shop is a multistore (``seed.shops``): shops 2 to ``shops`` with their
    own stock rows and about a third of the customers, whose orders are placed there.
    """
    if orders < 0:
        raise ValueError(f"orders must be >= 0, got {orders}")
    if not 1 <= shops <= MAX_SHOPS:
        raise ValueError(f"shops must be 1 to {MAX_SHOPS}, got {shops}")
    shop = Shop(version=version, time_zone=time_zone, api_key=api_key, now=now)
    rnd = random.Random(seed)
    shop.rng = random.Random(seed + 1)
    shop.faults.seed = seed
    started = shop.clock.now()
    # Compared as instants: datetimes sharing a tzinfo compare by wall clock, blind to the fold.
    moment = min(started, shop.clock.first_instant_reading(shop.clock.local_text(started)), key=_instant)
    shop.record_events = False
    seed_reference_data(shop, languages, moment)
    seed_catalog(shop, rnd, moment)
    customer_count = customers if customers is not None else max(40, min(orders // 6, 20000))
    seed_customers(shop, rnd, customer_count, moment)
    seed_shops(shop, shop_stream(seed), shops)
    seed_orders(shop, rnd, orders, moment)
    if returns:
        seed_returns(shop, seed, moment)
    shop.record_events = True
    return shop


def _instant(moment: datetime) -> float:
    return moment.timestamp()


__all__ = ["_state_data", "build_order", "seed_shop"]  # _state_data, build_order: tests import them here

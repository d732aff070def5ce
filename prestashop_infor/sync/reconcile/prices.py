"""The price check of the order reconciliation (``price_mismatch``): with M3's prices pushed to the
shop (``mapping.prices``), an order whose line prices differ from M3's price for that customer, day,
currency and quantity (``sync.m3_prices``) is reported, whatever the order sync sent M3.

An order is judged when its customer buys by a mapped list (their shop group's, or their M3
customer's ``PLTB``) and the list priced its items in the order's currency on the day it was
placed; lines M3 has no price for are not judged. Prices are compared tax excluded, in the order's
currency, to the cent. The customers' price terms are today's (M3 keeps no history of them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from prestashop_infor.store import Store, id_map, tables
from prestashop_infor.sync.customers import ENTITY as CUSTOMER  # shop customer -> M3 customer
from prestashop_infor.sync.m3_prices import PriceHistory
from prestashop_infor.sync.mapping import Mapping as SyncMapping

KIND = "price_mismatch"


def price_problems(
    store: Store,
    mapping: SyncMapping,
    orders: Sequence[Mapping[str, Any]],
    history: PriceHistory,
    tolerance: Decimal,
) -> dict[int, tuple[dict[str, str], dict[str, str]]]:
    """Per shop order id whose prices differ: ({item: M3's price}, {item: the shop's price})."""
    judged = [o for o in orders if o.get("line_prices") and o.get("exported") and o.get("id_customer")]
    ids = {int(o["id_customer"]) for o in judged}
    numbers = {k: b.target_key for k, b in id_map.bindings_for(store, CUSTOMER, ids).items()}
    groups = {
        int(c["id"]): c.get("id_default_group") for c in store.rows_where_in(tables.ps_customers, "id", ids)
    }
    problems: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
    for order in judged:
        customer = int(order["id_customer"])
        cuno = numbers.get(str(customer))
        book = history.on(order["day"])
        terms = book.terms(mapping.prices, cuno, groups.get(customer))
        expected: dict[str, str] = {}
        actual: dict[str, str] = {}
        for itno, quantity, shop_price in json.loads(order["line_prices"]):
            m3_price = book.price(terms, cuno, order.get("currency") or "", itno, Decimal(quantity))
            if m3_price is not None and abs(Decimal(shop_price) - m3_price) > tolerance:
                expected[itno] = f"{m3_price.normalize():f}"
                actual[itno] = f"{Decimal(shop_price).normalize():f}"
        if expected:
            problems[int(order["order_id"])] = (expected, actual)
    return problems


__all__ = ["KIND", "price_problems"]

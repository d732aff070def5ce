"""The price check of the order reconciliation (issue 21 §1, ``price_mismatch``): with M3's prices
pushed to the shop, orders whose line prices differ from M3's price for that customer, day, currency
and quantity are reported; what M3 has no price for is not judged."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from prestashop_infor.store import Store, id_map, tables
from prestashop_infor.store.prices import replace_customer_prices, replace_m3_prices
from prestashop_infor.sync import reconcile
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor_tests.two_systems import TwoSystems

DAY = date(2026, 11, 3)  # the day a new list took over
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
PUSHED = parse_mapping({"prices": {"groups": {"B2B": [3], "VIP": [4]}}})


@pytest.fixture
def store(tmp_path: Path):
    with Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        yield opened


def price(prrf: str, itno: str, amount: str, valid_from: date, valid_to: date | None, *, quantity: int = 1,
          cucd: str = "EUR", cuno: str = "") -> dict:  # fmt: skip
    return {"prrf": prrf, "cucd": cucd, "cuno": cuno, "itno": itno, "from_quantity": Decimal(quantity),
            "price": Decimal(amount), "valid_from": valid_from, "valid_to": valid_to}  # fmt: skip


def customer(customer_id: int, group: int) -> dict:
    return {"id": customer_id, "email": f"c{customer_id}@example.com", "id_default_group": group, "active": True,
            "deleted": False, "is_guest": False, "newsletter": False, "date_add": NOW, "date_upd": NOW,
            "record": "{}", "loaded_at": NOW}  # fmt: skip


def shop_order(order_id: int, customer_id: int, lines: list[tuple[str, int, str]], *, day: date = DAY,
               currency: str = "EUR", exported: bool = True) -> dict:  # fmt: skip
    quantities = {itno: quantity for itno, quantity, _ in lines}
    return {"order_id": order_id, "day": day, "cuor": f"PS{order_id}", "state_id": 3, "state_rank": 0,
            "exported": exported, "amount": None, "lines": json.dumps(quantities), "placed_at": f"{day} 10:00:00",
            "id_customer": customer_id, "currency": currency, "line_prices": json.dumps([list(x) for x in lines]),
            "loaded_at": NOW}  # fmt: skip


def m3_order(order_id: int, lines: dict[str, int], day: date = DAY) -> dict:
    return {"orno": f"10000{order_id}", "day": day, "cuor": f"PS{order_id}", "milestone": "confirmed",
            "status": "20/22/22", "amount": Decimal(0), "lines": json.dumps(lines), "loaded_at": NOW}  # fmt: skip


def stored_world(store: Store) -> None:
    replace_m3_prices(store, [
        price("B2B", "MUG", "9.00", DAY - timedelta(days=30), DAY - timedelta(days=1)),  # the list before
        price("B2B", "MUG", "8.00", DAY, None),
        price("B2B", "MUG", "7.00", DAY, None, quantity=10),  # a quantity break
        price("B2B", "MUG", "6.50", DAY, None, cuno="CUST2"),  # customer 2's own line
        price("VIP", "MUG", "5.00", DAY, None),
        price("B2B", "TEE", "20.00", DAY, None),
    ])  # fmt: skip
    replace_customer_prices(store, [
        {"cuno": "CUST1", "price_list": "B2B", "discount": Decimal("10")},  # 10 % off the list
        {"cuno": "CUST2", "price_list": "B2B", "discount": Decimal(0)},
        {"cuno": "CUST3", "price_list": "VIP", "discount": Decimal(0)},  # M3 says VIP, the shop group B2B
    ])  # fmt: skip
    store.upsert(tables.ps_customers, [customer(1, 3), customer(2, 3), customer(3, 3), customer(4, 3),
                                       customer(5, 1)])  # fmt: skip
    id_map.bind_many(store, "customer", [(1, "CUST1", None, None), (2, "CUST2", None, None),
                                         (3, "CUST3", None, None)])  # fmt: skip


def test_line_prices_that_differ_from_m3s_for_that_customer_and_day_are_reported(store):
    stored_world(store)
    orders = [
        shop_order(1, 1, [("MUG", 1, "7.20")]),  # 8.00 less 10 %: agrees
        shop_order(2, 1, [("MUG", 1, "8.00")]),  # the discount not given: 7.20 expected
        shop_order(3, 2, [("MUG", 2, "6.50")]),  # the customer's own line: agrees
        shop_order(4, 4, [("MUG", 10, "7.00"), ("TEE", 1, "19.00")]),  # the break agrees, TEE does not
        shop_order(5, 4, [("MUG", 1, "9.00")], day=DAY - timedelta(days=1)),  # the old list's price, its day
        shop_order(6, 4, [("MUG", 1, "9.00")]),  # the old price the day the new list took over
        shop_order(7, 3, [("MUG", 1, "5.00")]),  # M3's VIP list for this customer: agrees
        shop_order(8, 4, [("MUG", 1, "3.00")], currency="CHF"),  # no list in CHF: not judged
        shop_order(9, 5, [("MUG", 1, "3.00")]),  # a consumer (group 1): the shop's own prices
        shop_order(10, 4, [("CAP", 1, "3.00")]),  # an item no list prices: not judged
        shop_order(11, 4, [("MUG", 1, "1.00")], exported=False),  # never sent to M3: not judged
    ]
    with store.engine.begin() as connection:
        connection.execute(tables.recon_shop_orders.insert(), orders)
        connection.execute(tables.recon_m3_orders.insert(), [
            m3_order(o["order_id"], json.loads(o["lines"]), o["day"]) for o in orders if o["exported"]
        ])  # fmt: skip
    report = reconcile.reconcile_orders(store, PUSHED, DAY - timedelta(days=1), DAY, now=NOW)
    found = {
        f.key: f for f in reconcile.open_findings(store, DAY - timedelta(days=1), DAY, ["price_mismatch"])
    }
    assert set(found) == {"2", "4", "6"} and report.counts["price_mismatch"] == 3
    assert json.loads(found["2"].expected) == {"MUG": "7.2"} and json.loads(found["2"].actual) == {"MUG": "8"}
    assert json.loads(found["4"].expected) == {"TEE": "20"} and json.loads(found["4"].actual) == {"TEE": "19"}
    assert json.loads(found["6"].expected) == {"MUG": "8"} and found["6"].day == DAY
    assert "M3's prices" in found["6"].detail

    # without prices pushed nothing is judged: the shop's prices are the shop's business
    reconcile.reconcile_orders(store, parse_mapping({}), DAY - timedelta(days=1), DAY, now=NOW)
    assert reconcile.open_findings(store, DAY - timedelta(days=1), DAY, ["price_mismatch"]) == []


def test_the_shop_snapshot_keeps_each_lines_price_tax_excluded_with_prices_pushed(tmp_path: Path):
    world = TwoSystems(tmp_path, {"prices": {"groups": {"B2B": [3]}}})
    try:
        orders = world.ps.list("orders", display="full")
        days = sorted({o["date_add"][:10] for o in orders})
        first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
        reconcile.snapshot_shop_orders(world.ps, world.store, world.mapping, first, last)
        stored = {r["order_id"]: r for r in world.store.rows(tables.recon_shop_orders, order_by="order_id")}
        assert set(stored) == {int(o["id"]) for o in orders}
        for order in orders:
            row = stored[int(order["id"])]
            assert row["id_customer"] == int(order["id_customer"]) and row["currency"]
            rows = order["associations"]["order_rows"]
            assert [(q, Decimal(p)) for _, q, p in json.loads(row["line_prices"])] == [
                (int(r["product_quantity"]), Decimal(r["unit_price_tax_excl"])) for r in rows
            ]
        world.store.engine.dispose()
        reconcile.snapshot_shop_orders(world.ps, world.store, parse_mapping({}), first, last)
        assert all(
            r["line_prices"] is None for r in world.store.rows(tables.recon_shop_orders, order_by="order_id")
        )
    finally:
        world.close()

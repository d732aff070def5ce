"""M3 -> PrestaShop stock (sync/stock.py) against both emulators over real HTTP: full and
incremental runs, only changed rows written (PUTs counted), combinations and product totals, unknown
items reported, retries when the shop stumbles and a failed run that leaves the cursor alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from starlette.testclient import TestClient

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient, PrestashopUnavailable
from prestashop_infor.sandbox.infor import LifecycleSettings, M3Tenant, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as create_m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as create_shop_app
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import Store
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor.sync.stock import StockReport, push_stock_levels, shop_quantity

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOTH_WAREHOUSES = parse_mapping({"stock": {"warehouses": ["100", "200"], "quantity_field": "AV01"}})
CURSOR = "m3_stock_lmts"


class Traffic:
    """Requests and answers of the shop client (httpx hooks): PUTs sent, 5xx received."""

    def __init__(self) -> None:
        self.puts: list[str] = []
        self.server_errors = 0

    def request(self, request: httpx.Request) -> None:
        if request.method == "PUT":
            self.puts.append(request.url.path)

    def response(self, response: httpx.Response) -> None:
        if response.status_code >= 500:
            self.server_errors += 1


@dataclass
class World:
    shop: Shop
    tenant: M3Tenant
    prestashop: PrestashopClient
    m3: M3Client
    m3_http: httpx.Client
    store: Store
    traffic: Traffic

    def run(self, since: int | None = None, mapping=BOTH_WAREHOUSES) -> StockReport:
        return push_stock_levels(
            prestashop=self.prestashop, m3=self.m3, store=self.store, mapping=mapping, since_lmts=since
        )

    def expected(self, item: str, warehouses=("100", "200")) -> int:
        return shop_quantity(
            sum(
                (
                    b.allocatable
                    for (w, i), b in self.tenant.balances.items()
                    if i == item and w in warehouses
                ),
                Decimal(0),
            )
        )

    def adjust(self, item: str, quantity: int, warehouse: str = "100") -> None:
        response = self.m3_http.post(
            "/_sandbox/stock", json={"item": item, "quantity": quantity, "warehouse": warehouse}
        )
        assert response.status_code == 200, response.text

    def quantity(self, product_id: int, combination_id: int = 0) -> int:
        return self.shop.stock_quantity(product_id, combination_id)


def make_world(
    shop: Shop, shop_http: httpx.Client | None = None, base_url: str = "http://testserver"
) -> World:
    tenant = seed_tenant_from_shop(shop, lifecycle=LifecycleSettings.manual(), seed=9)
    traffic = Traffic()
    shop_http = shop_http or TestClient(create_shop_app(shop))
    shop_http.event_hooks = {"request": [traffic.request], "response": [traffic.response]}
    prestashop = PrestashopClient(
        base_url, DEFAULT_API_KEY, http_client=shop_http, backoff=0.001, page_size=200
    )
    m3_http = TestClient(create_m3_app(tenant))
    m3 = M3Client(IonApiCredentials.from_dict(tenant.ionapi("http://testserver")), http_client=m3_http)
    return World(shop, tenant, prestashop, m3, m3_http, Store.from_url("sqlite://"), traffic)


def new_shop() -> Shop:
    return seed_shop(seed=5, orders=0, customers=3, now=START)


@pytest.fixture
def world() -> Iterator[World]:
    w = make_world(new_shop())
    yield w
    w.store.dispose()


def a_combination(shop: Shop) -> tuple[int, int, str]:
    combination = shop.records("combinations")[0]
    return int(combination["id_product"]), int(combination["id"]), combination["reference"]


def a_simple_product(shop: Shop) -> tuple[int, str]:
    with_combinations = {int(c["id_product"]) for c in shop.records("combinations")}
    product = next(p for p in shop.records("products") if int(p["id"]) not in with_combinations)
    return int(product["id"]), product["reference"]


def test_full_then_incremental_writes_only_changed_rows(world: World) -> None:
    rows = len(world.shop.records("stock_availables"))
    report = world.run()
    assert report.new_cursor and report.unknown_items == [] and report.not_in_m3 == []
    assert len(world.traffic.puts) == len(report.changed) and 0 < len(report.changed) <= rows
    # every sellable row now shows M3's allocatable quantity summed over both warehouses
    product_id, combination_id, combo_item = a_combination(world.shop)
    simple_id, simple_item = a_simple_product(world.shop)
    assert world.quantity(product_id, combination_id) == world.expected(combo_item)
    assert world.quantity(simple_id) == world.expected(simple_item)
    combination_ids = [
        int(c["id"]) for c in world.shop.records("combinations") if int(c["id_product"]) == product_id
    ]
    assert world.quantity(product_id) == sum(world.quantity(product_id, c) for c in combination_ids)

    world.traffic.puts.clear()
    again = world.run()  # full again: nothing differs, nothing written
    assert again.changed == [] and world.traffic.puts == []
    quiet = world.run(since=report.new_cursor)
    assert quiet.changed == [] and quiet.unknown_items == [] and world.traffic.puts == []

    before_total = world.quantity(product_id)
    world.adjust(combo_item, 7, warehouse="200")
    incremental = world.run(since=quiet.new_cursor)
    assert [(c.product_id, c.combination_id) for c in incremental.changed] == [
        (product_id, combination_id),
        (product_id, 0),  # the product total follows its combinations
    ]
    assert len(world.traffic.puts) == 2
    assert world.quantity(product_id, combination_id) == world.expected(combo_item)
    assert world.quantity(product_id) == before_total + 7
    assert incremental.new_cursor > quiet.new_cursor


def test_warehouse_rule_and_quantity_field(world: World) -> None:
    simple_id, item = a_simple_product(world.shop)
    world.tenant.set_balance("100", item, 12)
    world.tenant.set_balance("200", item, 30)
    world.run(mapping=parse_mapping({"stock": {"warehouses": ["100"]}}))
    assert world.quantity(simple_id) == world.expected(item, ("100",)) == 12
    world.run(mapping=parse_mapping({"stock": {"warehouses": ["100", "200"], "quantity_field": "STQT"}}))
    assert world.quantity(simple_id) == 42


def test_unknown_item_is_reported_not_fatal(world: World) -> None:
    cursor = world.run().new_cursor
    world.tenant.add_item("NOT-IN-SHOP", "Only in M3", "3.00")
    world.tenant.set_balance("100", "NOT-IN-SHOP", 5)
    simple_id, item = a_simple_product(world.shop)
    world.adjust(item, 3)
    report = world.run(since=cursor)
    assert report.unknown_items == ["NOT-IN-SHOP"]
    assert [(c.item_number, c.product_id) for c in report.changed] == [(item, simple_id)]
    assert world.quantity(simple_id) == world.expected(item)


def test_shop_hiccups_are_retried(world: World) -> None:
    world.shop.faults.update({"error_rate": 0.3, "seed": 3})
    report = world.run()
    world.shop.faults.update({"error_rate": 0.0})
    assert world.traffic.server_errors > 0  # the shop did fail, the client retried
    product_id, combination_id, item = a_combination(world.shop)
    assert world.quantity(product_id, combination_id) == world.expected(item)
    world.traffic.puts.clear()
    assert world.run().changed == [] and world.traffic.puts == []  # everything landed the first time
    assert report.changed


def test_shop_down_fails_the_run_and_the_cursor_stays(world: World) -> None:
    cursor = world.run().new_cursor
    world.store.set_cursor(CURSOR, str(cursor))
    world.adjust(a_simple_product(world.shop)[1], 4)
    world.shop.faults.update({"disabled": True})
    try:
        with pytest.raises(PrestashopUnavailable):
            report = world.run(since=int(world.store.get_cursor(CURSOR)))
            world.store.set_cursor(CURSOR, str(report.new_cursor))  # what a caller does on success
    finally:
        world.shop.faults.update({"disabled": False})
    assert world.store.get_cursor(CURSOR) == str(cursor)
    retry = world.run(since=cursor)  # the next run picks the change up
    assert len(retry.changed) == 1


def test_over_a_loopback_socket() -> None:
    shop = new_shop()
    with BackgroundServer(create_shop_app(shop)) as server:
        world = make_world(shop, httpx.Client(), server.url)
        try:
            report = world.run()
            assert report.changed and len(world.traffic.puts) == len(report.changed)
            simple_id, item = a_simple_product(shop)
            assert world.quantity(simple_id) == world.expected(item)
        finally:
            world.prestashop._http.close()
            world.store.dispose()

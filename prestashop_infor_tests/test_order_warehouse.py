"""Several warehouses, the order side (issue 21 §3): with the enrichment's ``warehouse: stock`` an
order goes to the first of ``stock.warehouses`` whose stored balances, after the stock rules, hold
every line; none does: the first (M3 backorders it). Rules by shop or country keep choosing a fixed
warehouse. Both emulators in process, a real SQLite store, balances as ``infor_inventory`` stores
them."""

from __future__ import annotations

from pathlib import Path

import pytest

from prestashop_infor.store import id_map
from prestashop_infor.sync.infor_extraction import extract_inventory
from prestashop_infor.sync.mapping import MappingError, parse_mapping
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor.sync.stock import warehouse_quantities
from prestashop_infor_tests.test_sync_credit_gate import BUSINESS, World

ITEM = "PS-TSH-01-BK-S"  # product 1, combination 1 of the sandbox shop


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    w.mapping = parse_mapping({
        "stock": {"warehouses": ["100", "200"], "reserve": 1},
        "enrichment": {"defaults": {"warehouse": "stock"},
                       "rules": [{"when": {"country": ["CH"]}, "set": {"warehouse": "100"}}]},
    })  # fmt: skip
    yield w
    w.close()


def send(world: World, quantity: int) -> str:
    """An order of ``quantity`` of ITEM, sent; the warehouse of its M3 lines."""
    extract_inventory(world.m3, world.store)  # what infor_inventory stores
    order_id = world.shop.place_order(world.customer(BUSINESS), [(1, 1, quantity)])
    lookups = ShopLookups(
        world.ps, stock=lambda items, stock: warehouse_quantities(world.store, stock, items)[0]
    )
    report = sync_orders([world.ps.get("orders", order_id)], shop_lookups=lookups, m3=world.m3,
                         store=world.store, mapping=world.mapping)  # fmt: skip
    assert report.created == [order_id], report.errors
    orno = id_map.binding(world.store, "sales_order", order_id).target_key
    (whlo,) = {line.whlo for line in world.tenant.orders[orno].lines}
    return whlo


def test_the_order_goes_to_the_first_warehouse_that_holds_every_line(world: World):
    world.tenant.set_balance("100", ITEM, 3)
    world.tenant.set_balance("200", ITEM, 10)
    assert send(world, 2) == "100"  # 3 less the reserve of 1 holds 2
    world.tenant.set_balance("100", ITEM, 3)
    assert send(world, 3) == "200"  # 100 holds 2 after its reserve: 200 holds 3
    world.tenant.set_balance("200", ITEM, 1)
    assert send(world, 50) == "100"  # none holds it: the first, M3 backorders


def test_a_warehouse_that_is_neither_a_code_nor_stock_is_refused():
    with pytest.raises(MappingError, match="enrichment.defaults.warehouse"):
        parse_mapping({"enrichment": {"defaults": {"warehouse": "STOCKS"}}})

"""Several shops in one PrestaShop (issue 21 §4, the multistore): the mapping's ``shops`` gives a shop
its own stock warehouses and order-head values; the stock push writes each shop's rows from its own
warehouses, orders go to their shop's warehouse, and the reconciliations keep the shops apart. Both
emulators in process (the shop seeded with two shops), a real SQLite store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from prestashop_infor.store import id_map, tables
from prestashop_infor.sync import reconcile
from prestashop_infor.sync.infor_extraction import extract_inventory
from prestashop_infor.sync.mapping import MappingError, parse_mapping
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor.sync.prestashop_extraction import (
    COMBINATIONS,
    PRODUCTS,
    STOCK,
    extract_all,
    extract_changed,
)
from prestashop_infor.sync.stock import push_stock_levels, warehouse_quantities
from prestashop_infor_tests.two_systems import TIME_ZONE, TwoSystems

ITEM = "PS-TSH-01-BK-S"  # product 1, combination 1 of the sandbox shop
RULES = {
    "stock": {"warehouses": ["100"]},
    "shops": {2: {"name": "Swiss shop", "stock": {"warehouses": ["200"]}, "order": {"warehouse": "stock"}}},
}


@pytest.fixture
def world(tmp_path: Path):
    w = TwoSystems(tmp_path, RULES, shops=2)
    yield w
    w.close()


def read_catalogue(world: TwoSystems) -> None:
    """What prestashop_products, prestashop_stock and infor_inventory store."""
    extract_changed(world.ps, world.store, PRODUCTS, time_zone=TIME_ZONE)
    extract_all(world.ps, world.store, COMBINATIONS, time_zone=TIME_ZONE, batch_size=100)
    extract_all(world.ps, world.store, STOCK, time_zone=TIME_ZONE, batch_size=100)
    extract_inventory(world.m3, world.store)


def shop_rows(world: TwoSystems, product: int, combination: int) -> dict[int, int]:
    """The shop's quantity of a product or combination, per shop, as its Webservice answers."""
    rows = world.ps.list("stock_availables", display="full",
                         filters={"id_product": f"[{product}]", "id_product_attribute": f"[{combination}]"})  # fmt: skip
    return {int(r["id_shop"]): int(r["quantity"]) for r in rows}


def customer_of_shop(world: TwoSystems, shop_id: int) -> int:
    return next(int(c["id"]) for c in world.shop.records("customers") if int(c["id_shop"]) == shop_id)


def test_a_shop_of_its_own_is_stocked_from_its_own_warehouses(world: TwoSystems):
    world.tenant.set_balance("100", ITEM, 7)
    world.tenant.set_balance("200", ITEM, 42)
    read_catalogue(world)
    report = push_stock_levels(prestashop=world.ps, store=world.store, mapping=world.mapping)
    assert not report.dead_lettered
    assert shop_rows(world, 1, 1) == {1: 7, 2: 42}
    # each shop's product total is the sum of its own combinations
    extract_all(world.ps, world.store, STOCK, time_zone=TIME_ZONE, batch_size=100)
    totals = shop_rows(world, 1, 0)
    for shop_id in (1, 2):
        rows = world.ps.list("stock_availables", display="full",
                             filters={"id_product": "[1]", "id_shop": f"[{shop_id}]"})  # fmt: skip
        assert totals[shop_id] == sum(int(r["quantity"]) for r in rows if int(r["id_product_attribute"]))
    # nothing differs any more: a second push writes nothing
    assert push_stock_levels(prestashop=world.ps, store=world.store, mapping=world.mapping).changed == []


def test_the_stock_check_names_the_shop_whose_row_drifted(world: TwoSystems):
    world.tenant.set_balance("100", ITEM, 7)
    world.tenant.set_balance("200", ITEM, 42)
    read_catalogue(world)
    push_stock_levels(prestashop=world.ps, store=world.store, mapping=world.mapping)
    extract_all(world.ps, world.store, STOCK, time_zone=TIME_ZONE, batch_size=100)
    assert [f.key for f in reconcile.reconcile_stock(world.store, world.mapping)] == []
    world.tenant.set_balance("200", ITEM, 40)
    extract_inventory(world.m3, world.store)
    found = reconcile.reconcile_stock(world.store, world.mapping)
    assert [(f.key, f.expected, f.actual) for f in found] == [("1:1@2", "40", "42")]
    assert "in Swiss shop" in found[0].detail and "200: 40" in found[0].detail


def test_an_order_goes_to_its_shops_warehouse(world: TwoSystems):
    world.tenant.set_balance("100", ITEM, 50)
    world.tenant.set_balance("200", ITEM, 50)
    read_catalogue(world)
    lookups = ShopLookups(
        world.ps, stock=lambda items, stock: warehouse_quantities(world.store, stock, items)[0]
    )
    placed = {
        shop_id: world.shop.place_order(customer_of_shop(world, shop_id), [(1, 1, 2)]) for shop_id in (1, 2)
    }
    orders = [world.ps.get("orders", order_id) for order_id in placed.values()]
    assert [int(o["id_shop"]) for o in orders] == [1, 2]
    report = sync_orders(orders, shop_lookups=lookups, m3=world.m3, store=world.store, mapping=world.mapping)
    assert sorted(report.created) == sorted(placed.values()), report.errors
    warehouses = {}
    for shop_id, order_id in placed.items():
        orno = id_map.binding(world.store, "sales_order", order_id).target_key
        warehouses[shop_id] = {line.whlo for line in world.tenant.orders[orno].lines}
    # shop 1 has no order values of its own: M3 takes the customer's default; shop 2 its warehouse
    assert warehouses[2] == {"200"} and warehouses[1] != {"200"}


def test_a_shops_orders_are_entered_in_its_erp_currency(world: TwoSystems):
    world.mapping = parse_mapping({**RULES, "shops": {2: {**RULES["shops"][2], "currency": "GBP"}}})
    read_catalogue(world)
    lookups = ShopLookups(
        world.ps, stock=lambda items, stock: warehouse_quantities(world.store, stock, items)[0]
    )
    british = world.shop.place_order(customer_of_shop(world, 2), [(1, 1, 2)], currency_iso="GBP")
    french = world.shop.place_order(customer_of_shop(world, 1), [(1, 1, 2)], currency_iso="EUR")
    orders = [world.ps.get("orders", order_id) for order_id in (british, french)]
    report = sync_orders(orders, shop_lookups=lookups, m3=world.m3, store=world.store, mapping=world.mapping)
    assert sorted(report.created) == sorted((british, french)), report.errors
    for order, currency in zip(orders, ("GBP", "EUR"), strict=True):
        orno = id_map.binding(world.store, "sales_order", int(order["id"])).target_key
        m3_order = world.tenant.orders[orno]
        assert m3_order.cucd == currency
        # in its own currency: the shop's unit price as it is, not converted
        (row,) = order["associations"]["order_rows"]
        unit = Decimal(row["unit_price_tax_excl"]).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )  # currency.decimals
        assert {line.sapr for line in m3_order.lines} == {unit}
    with pytest.raises(MappingError, match="currency"):
        parse_mapping({"shops": {2: {"currency": "chf"}}})


def test_the_order_reconciliation_counts_each_shops_findings_apart(world: TwoSystems):
    for shop_id in (1, 2, 2):
        world.shop.place_order(customer_of_shop(world, shop_id), [(1, 1, 1)])
    orders = world.ps.list("orders", display="full")
    days = sorted({o["date_add"][:10] for o in orders})
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    reconcile.snapshot_shop_orders(world.ps, world.store, world.mapping, first, last)
    stored = {
        r["order_id"]: r["id_shop"] for r in world.store.rows(tables.recon_shop_orders, order_by="order_id")
    }
    assert stored == {int(o["id"]): int(o["id_shop"]) for o in orders}
    later = datetime.now(UTC) + timedelta(days=1)  # none is in flight any more: each missing in M3
    report = reconcile.reconcile_orders(world.store, world.mapping, first, last, now=later)
    per_shop = {shop_id: counts["missing_in_m3"] for shop_id, counts in report.per_shop.items()}
    expected = {}
    for order in orders:
        expected[int(order["id_shop"])] = expected.get(int(order["id_shop"]), 0) + 1
    assert per_shop == expected and set(per_shop) == {1, 2}


def test_a_shop_id_that_cannot_be_or_a_key_misspelt_is_refused():
    with pytest.raises(MappingError, match="0 is not a PrestaShop shop id"):
        parse_mapping({"shops": {0: {}}})
    with pytest.raises(MappingError, match=r"shops.*stok"):
        parse_mapping({"shops": {2: {"stok": {}}}})
    with pytest.raises(MappingError, match="warehouses"):
        parse_mapping({"shops": {2: {"stock": {"warehouses": []}}}})
    # a company of the shop's own: refused with the way to have it (an installation of its own:
    # test_second_installation), not as an unknown key (a division is: test_division_per_shop)
    with pytest.raises(
        MappingError,
        match=r"^shops\[2\]: a shop's own company is not a mapping key: every shop of an installation works in "
        r"the M3 company of erp\.company; a shop in another company is an installation of its own.*"
        r"<NAME>_PRESTASHOP_SHOPS",
    ):
        parse_mapping({"shops": {2: {"name": "Swiss shop", "company": 200}}})
    with pytest.raises(MappingError, match=r"shops.*division"):
        parse_mapping({"shops": {2: {"division": "TOOLONG"}}})


def test_a_shops_view_of_the_mapping_is_made_once_and_is_the_shops():
    """`for_shop` is asked once per order (the order sync, a year's reconciliation): made once per
    shop, the same object after, and what it says is that shop's, the mapping's own left as it was."""
    mapping = parse_mapping({"shops": {2: {"currency": "CHF", "order": {"warehouse": "200"}}}})
    second = mapping.for_shop(2)
    assert mapping.for_shop(2) is second
    assert (second.erp.currency, second.enrichment.defaults.warehouse) == ("CHF", "200")
    assert (mapping.erp.currency, mapping.enrichment.defaults.warehouse) != ("CHF", "200")
    assert mapping.for_shop(1) is mapping and mapping.for_shop(None) is mapping  # a shop not listed
    assert parse_mapping({"shops": {2: {"currency": "CHF"}}}).for_shop(2) is not second  # per mapping

"""One line rule (issue 18): the reconciliation expects each order line as the order sync sends it.

A small clean day: shop orders whose lines are variants (combinations) with references of their own,
different from their product's, in the ERP currency and in a converted one. The M3 side is written
here by hand, as M3 holds what the sync sent (``ITNO``, ``ORQT``, ``SAPR`` per unit), never made by
the rule under test. With ``items.product_reference_for_combinations: true``, for each price setting
and conversion, the two snapshots and the comparison find nothing, and the mapper sends exactly the
lines written here; a line whose M3 item really differs is reported.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from prestashop_infor.defs.reconciliation import prestashop_orders_daily
from prestashop_infor.infor import BulkResult
from prestashop_infor.prestashop import Order
from prestashop_infor.prestashop.client import Page
from prestashop_infor.store import Store, tables
from prestashop_infor.sync import reconcile
from prestashop_infor.sync.m3_order_request import PlannedOrder, ShopLookups, map_order, source_fingerprint
from prestashop_infor.sync.mapping import Mapping, parse_mapping

DAY = date(2025, 3, 6)
NOW = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)

# -- the shop -------------------------------------------------------------------------------------

ORDER_STATES = [
    {"id": 2, "name": "Payment accepted", "paid": "1", "shipped": "0", "delivery": "0", "logable": "1"},
    {"id": 3, "name": "Processing in progress", "paid": "1", "shipped": "0", "delivery": "1", "logable": "1"},
    {"id": 4, "name": "Shipped", "paid": "1", "shipped": "1", "delivery": "1", "logable": "1"},
    {"id": 6, "name": "Canceled", "paid": "0", "shipped": "0", "delivery": "0", "logable": "0"},
    {"id": 7, "name": "Refunded", "paid": "1", "shipped": "0", "delivery": "0", "logable": "0"},
    {"id": 8, "name": "Payment error", "paid": "0", "shipped": "0", "delivery": "0", "logable": "0"},
]
CURRENCIES = [{"id": 1, "iso_code": "EUR"}, {"id": 2, "iso_code": "USD"}]
PRODUCTS = [{"id": 1, "reference": "TEE"}, {"id": 2, "reference": "MUG"}, {"id": 3, "reference": "CAP"}]
COMBINATIONS = [  # each variant's reference differs from its product's
    {"id": 11, "id_product": 1, "reference": "TEE-S-RED"},
    {"id": 12, "id_product": 1, "reference": "TEE-M-BLUE"},
    {"id": 31, "id_product": 3, "reference": "CAP-KIDS"},
]
CUSTOMER = {"id": 7, "email": "ada@example.com"}
ADDRESS = {"id": 70, "id_country": 8, "firstname": "Ada", "lastname": "Lovelace", "address1": "1 rue de la Paix",
           "postcode": "75002", "city": "Paris"}  # fmt: skip


def row(
    row_id: int, product: int, combination: int, reference: str, quantity: int, excl: str, incl: str
) -> dict:
    """An order row as the Webservice gives it: ``product_reference`` is the combination's."""
    return {"id": row_id, "product_id": str(product), "product_attribute_id": str(combination),
            "product_quantity": str(quantity), "product_reference": reference,
            "unit_price_tax_excl": excl, "unit_price_tax_incl": incl}  # fmt: skip


def order(order_id: int, currency_id: int, rate: str, rows: list[dict]) -> dict:
    return {"id": order_id, "reference": f"REF{order_id}", "id_customer": "7", "id_address_delivery": "70",
            "id_address_invoice": "70", "id_currency": str(currency_id), "conversion_rate": rate,
            "current_state": "3", "date_add": f"{DAY} 10:00:00",
            "associations": {"order_rows": rows}}  # fmt: skip


ORDERS = [
    order(101, 1, "1.000000", [
        row(1, 1, 11, "TEE-S-RED", 2, "12.500000", "15.000000"),
        row(2, 2, 0, "MUG", 3, "8.330000", "9.996000"),
    ]),
    order(102, 2, "1.300000", [  # in USD
        row(3, 1, 12, "TEE-M-BLUE", 50, "0.990000", "1.188000"),
        row(4, 3, 31, "CAP-KIDS", 7, "1.990000", "2.388000"),
    ]),
]  # fmt: skip


class Shop:
    """The reads the shop snapshot makes, over the records above; ``catalogue``: the products and
    combinations the shop answers for when the store does not hold them."""

    def __init__(self, catalogue: dict[str, list[dict]] | None = None):
        self.catalogue = catalogue or {"products": [], "combinations": []}
        self.read: list[str] = []

    def order_states(self) -> list[dict]:
        return ORDER_STATES

    def list(self, resource: str, **_: Any) -> list[dict]:
        assert resource in ("currencies", "order_payments", "order_slip")
        return CURRENCIES if resource == "currencies" else []  # nothing paid or refunded: no money compared

    def iter_pages(self, resource: str, **_: Any):
        yield Page(resource, json.loads(json.dumps(ORDERS)), None, 1)

    def list_by_ids(self, resource: str, ids, **_: Any) -> list[dict]:
        self.read.append(resource)
        return [r for r in self.catalogue[resource] if r["id"] in set(ids)]


def store_catalogue(store: Store) -> None:
    """What ``prestashop_products`` keeps: the products (with their records) and combinations."""
    with store.engine.begin() as connection:
        connection.execute(tables.ps_products.insert(), [
            {"id": p["id"], "reference": p["reference"], "price": Decimal(10), "active": True,
             "date_add": NOW, "date_upd": NOW, "record": json.dumps(p), "loaded_at": NOW}
            for p in PRODUCTS
        ])  # fmt: skip
        connection.execute(tables.ps_combinations.insert(), [{**c, "loaded_at": NOW} for c in COMBINATIONS])


# -- M3, written by hand --------------------------------------------------------------------------

# The lines M3 holds (ITNO, ORQT, SAPR) for each setting: with product_reference_for_combinations
# every variant is its product's item; SAPR is the unit price in EUR rounded to 2 decimals (order 102
# is in USD: divided by its conversion rate 1.3, or multiplied by the rates table's 0.8)
SETTINGS = {
    "tax excluded, order's conversion rate": (
        {"orders": {"price": "unit_price_tax_excl"}},
        {101: [("TEE", 2, "12.50"), ("MUG", 3, "8.33")], 102: [("TEE", 50, "0.76"), ("CAP", 7, "1.53")]},
    ),
    "tax included, order's conversion rate": (
        {"orders": {"price": "unit_price_tax_incl"}},
        {101: [("TEE", 2, "15.00"), ("MUG", 3, "10.00")], 102: [("TEE", 50, "0.91"), ("CAP", 7, "1.84")]},
    ),
    "tax excluded, rates table": (
        {
            "orders": {"price": "unit_price_tax_excl"},
            "currency": {"source": "rates", "rates": {"USD": "0.8"}},
        },
        {101: [("TEE", 2, "12.50"), ("MUG", 3, "8.33")], 102: [("TEE", 50, "0.79"), ("CAP", 7, "1.59")]},
    ),
}


def mapping_for(setting: dict) -> Mapping:
    items = {"strategies": ["table", "product_reference"], "product_reference_for_combinations": True}
    return parse_mapping({"items": items, **setting})


class M3:
    """``OIS175MI/LstHeadByDate`` and ``OIS100MI/LstLine`` over customer orders written by hand."""

    def __init__(self, lines: dict[int, list[tuple[str, int, str]]]):
        self.heads = [
            {"ORNO": f"10000{order_id}", "CUOR": f"PS{order_id}", "ORDT": DAY.strftime("%Y%m%d"), "STAT": "20",
             "ORSL": "22", "ORST": "22"}
            for order_id in lines
        ]  # fmt: skip
        self.lines = {
            f"10000{order_id}": [{"ITNO": i, "ORQT": str(q), "SAPR": p} for i, q, p in order_lines]
            for order_id, order_lines in lines.items()
        }

    def execute(self, program: str, transaction: str, **_: Any) -> list[dict]:
        assert (program, transaction) == ("OIS175MI", "LstHeadByDate")
        return self.heads

    def bulk(self, calls, **_: Any) -> list[BulkResult]:
        """The lines of each order; no invoice yet (``OIS350MI/LstInvHeadByCo`` lists none)."""
        return [
            BulkResult(p, t, True, self.lines[fields["ORNO"]] if t == "LstLine" else [])
            for p, t, fields in calls
        ]


def reconciled(store: Store, shop: Shop, m3: M3, mapping: Mapping) -> set[tuple[str, str]]:
    reconcile.snapshot_shop_orders(shop, store, mapping, DAY, DAY)
    reconcile.snapshot_m3_orders(m3, store, mapping, DAY, DAY)
    reconcile.reconcile_orders(store, mapping, DAY, DAY, now=NOW)
    return {(f.kind, f.key) for f in reconcile.open_findings(store, DAY, DAY)}


@pytest.fixture
def store(tmp_path: Path):
    with Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        yield opened


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting, lines", SETTINGS.values(), ids=SETTINGS.keys())
def test_a_clean_day_of_variants_reconciles_with_no_finding(store, setting, lines):
    store_catalogue(store)
    shop = Shop()  # answers for no product: the items come from the store
    assert reconciled(store, shop, M3(lines), mapping_for(setting)) == set()
    assert shop.read == []


@pytest.mark.parametrize("setting, lines", SETTINGS.values(), ids=SETTINGS.keys())
def test_the_sync_sends_the_lines_m3_holds_here(setting, lines):
    lookups = ShopLookups(
        None,
        customers=[CUSTOMER],
        addresses=[ADDRESS],
        countries=[{"id": 8, "iso_code": "FR"}],
        currencies=CURRENCIES,
        products=PRODUCTS,
        combinations=COMBINATIONS,
        order_states=ORDER_STATES,
    )
    for record in ORDERS:
        shop_order = Order.model_validate(record)
        plan = PlannedOrder(shop_order, record, f"PS{shop_order.id}", source_fingerprint(shop_order))
        map_order(plan, lookups, mapping_for(setting))
        sent = [(line["ITNO"], int(line["ORQT"]), line["SAPR"]) for line in plan.lines]
        assert sent == [(itno, quantity, Decimal(price)) for itno, quantity, price in lines[shop_order.id]]


def test_products_the_store_does_not_hold_yet_are_read_from_the_shop(store):
    setting, lines = SETTINGS["tax excluded, order's conversion rate"]
    shop = Shop({"products": PRODUCTS, "combinations": COMBINATIONS})
    assert reconciled(store, shop, M3(lines), mapping_for(setting)) == set()
    assert sorted(shop.read) == ["combinations", "products"]


def test_a_line_whose_m3_item_really_differs_is_reported(store):
    store_catalogue(store)
    setting, lines = SETTINGS["tax excluded, order's conversion rate"]
    wrong = {**lines, 102: [("TEE", 50, "0.76"), ("CAP-KIDS", 7, "1.53")]}  # the variant, not the item
    assert reconciled(store, Shop(), M3(wrong), mapping_for(setting)) == {("line_mismatch", "102")}


def test_the_shop_snapshot_follows_the_stored_products():
    deps = prestashop_orders_daily.asset_deps[prestashop_orders_daily.key]
    assert dg.AssetKey("prestashop_products") in deps

"""PrestaShop orders -> M3 sales orders, exactly once: both emulators over real HTTP (in process),
the id map and dead letters in a real SQLite store. The failure cases of issue 4 §3 that concern
orders, and the crash/5xx cases of the exactly-once design."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient, PrestashopUnavailable
from prestashop_infor.sandbox.infor import (
    Fault,
    LifecycleSettings,
    seed_tenant_from_shop,
)
from prestashop_infor.sandbox.infor import (
    create_app as m3_app,
)
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as shop_app
from prestashop_infor.store import Store, id_map, tables
from prestashop_infor.sync import load_mapping
from prestashop_infor.sync.infor_extraction import extract_items
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor.sync.orders import ShopLookups, sync_order, sync_orders
from prestashop_infor_tests.in_process import in_process_client

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class World:
    """A seeded shop, an M3 tenant with the shop's items, clients on both and a store."""

    def __init__(self, tmp_path: Path, orders: int = 60):
        self.shop = seed_shop(seed=42, orders=orders, now=NOW)
        self.tenant = seed_tenant_from_shop(self.shop, lifecycle=LifecycleSettings.manual())
        self.shop_http = in_process_client(shop_app(self.shop))
        self.m3_http = in_process_client(m3_app(self.tenant))
        self.ps = PrestashopClient(
            "http://testserver",
            DEFAULT_API_KEY,
            http_client=self.shop_http,
            time_zone="Europe/Paris",
            backoff=0.001,
        )
        credentials = IonApiCredentials.from_dict(self.tenant.ionapi("http://testserver"))
        self.m3 = M3Client(credentials, http_client=self.m3_http, sleep=lambda _s: None)
        self.store = Store.from_url(f"sqlite:///{tmp_path}/store.db")
        self.mapping = load_mapping()

    def orders(self) -> list[dict]:
        return list(self.ps.iter_all("orders"))

    def sync(self, orders, **options):
        options = {"shop_lookups": ShopLookups(self.ps), "m3": self.m3, "store": self.store,
                   "mapping": self.mapping, **options}  # fmt: skip
        return sync_orders(orders, **options)

    def m3_orders_with(self, cuor: str) -> int:
        return sum(1 for b in self.tenant.batch_orders.values() if b.head.get("CUOR") == cuor)

    def close(self) -> None:
        self.store.dispose()
        self.shop_http.close()
        self.m3_http.close()


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    w.close()


def an_order(world: World) -> dict:
    """A fresh checkout of a registered customer with a short address, read back from the shop."""
    customer = next(c for c in world.shop.records("customers") if c["id"] > 10)
    order_id = world.shop.place_order(customer["id"], [(1, 1, 2), (29, 0, 1)])
    return world.ps.get("orders", order_id)


def test_orders_become_confirmed_m3_orders_once(world: World):
    orders = world.orders()
    report = world.sync(orders)
    assert report.created and not report.updated
    assert set(report.created) | set(report.skipped) | set(report.dead_lettered) == {o["id"] for o in orders}
    for order_id in report.created[:5]:
        binding = id_map.binding(world.store, "sales_order", order_id)
        order = world.tenant.orders[binding.target_key]
        assert order.cuor == f"PS{order_id}" and binding.data["ornr"] == order.orno
        assert binding.data["temp_orno"] == order.batch_orno
        shop_order = next(o for o in orders if o["id"] == order_id)
        assert order.head["YREF"] == shop_order["reference"]
        assert len(order.lines) == len(shop_order["associations"]["order_rows"])
    before = len(world.tenant.batch_orders)
    again = world.sync(orders)
    assert again.created == [] and len(world.tenant.batch_orders) == before
    assert set(again.skipped) >= set(report.created)


def test_amounts_are_converted_to_the_erp_currency_and_originals_kept(world: World):
    usd = next(
        o for o in world.orders() if o["id_currency"] == "2" and o["current_state"] not in ("6", "7", "8")
    )
    report = world.sync([usd])
    assert report.created == [usd["id"]], report.errors
    binding = id_map.binding(world.store, "sales_order", usd["id"])
    row = usd["associations"]["order_rows"][0]
    assert binding.data["currency"] == "USD" and binding.data["erp_currency"] == "EUR"
    line = world.tenant.orders[binding.target_key].lines[0]
    expected = float(row["unit_price_tax_excl"]) / float(usd["conversion_rate"])
    assert abs(float(line.sapr) - expected) < 0.006 and line.sapr == line.sapr.quantize(line.sapr)
    assert binding.data["lines"][0]["price"] == row["unit_price_tax_excl"]  # the original, traceable


def test_an_unknown_item_dead_letters_that_order_with_m3_code_and_field_and_the_rest_continue(world: World):
    good = an_order(world)
    bad = an_order(world)
    del world.tenant.items["PS-MUG-01"]  # product 29's reference: M3 no longer knows it
    report = world.sync([good, bad])
    assert bad["id"] in report.dead_lettered and good["id"] in report.dead_lettered  # both use product 29
    # a second pair where only one order has the unknown item
    world.tenant.add_item("PS-MUG-01", "Mug", "14.50")
    customer = next(c for c in world.shop.records("customers") if c["id"] > 10)
    ok_id = world.shop.place_order(customer["id"], [(1, 1, 1)])
    ko_id = world.shop.place_order(customer["id"], [(30, 0, 1)])
    del world.tenant.items["PS-MUG-02"]
    report = world.sync([world.ps.get("orders", ok_id), world.ps.get("orders", ko_id)])
    assert report.created == [ok_id] and report.dead_lettered == [ko_id]
    letter = next(d for d in world.store.dead_letters(entity="sales_order") if d.key == str(ko_id))
    assert (letter.stage, letter.error_code, letter.field) == ("load", "EMI0201", "ITNO")
    assert "PS-MUG-02" in letter.message and letter.payload["id"] == ko_id
    assert world.m3_orders_with(f"PS{ko_id}") == 0  # nothing half-built left in M3


def test_the_order_step_asks_m3_only_for_items_infor_items_has_not_stored(world: World, monkeypatch):
    asked: list[str] = []
    bulk = world.m3.bulk

    def recording(calls, **options):
        asked.extend(
            fields["ITNO"]
            for program, transaction, fields in calls
            if (program, transaction) == ("MMS200MI", "Get")
        )
        return bulk(calls, **options)

    monkeypatch.setattr(world.m3, "bulk", recording)
    first = an_order(world)
    assert world.sync([first]).created == [first["id"]]
    items = {row["product_reference"] for row in first["associations"]["order_rows"]}
    assert len(items) == 2 and sorted(asked) == sorted(items)  # nothing stored yet: each item asked once
    extract_items(world.m3, world.store, page_size=500)  # what infor_items does
    asked.clear()
    second = an_order(world)
    assert world.sync([second]).created == [second["id"]] and asked == []  # both items stored: none asked


def test_m3_rejecting_a_batch_order_dead_letters_it_with_m3_code_and_field(world: World):
    world.mapping = parse_mapping({"enrichment": {"defaults": {"warehouse": "999"}}})
    order = an_order(world)
    report = world.sync([order])
    assert report.dead_lettered == [order["id"]]
    letter = world.store.dead_letters(entity="sales_order")[0]
    assert (letter.stage, letter.error_code, letter.field) == ("load", "EMI0201", "WHLO")
    assert "999" in letter.message
    # the rejected batch order is in M3 (OIS275); a replay finds it by CUOR and creates no second one
    world.mapping = load_mapping()
    again = world.sync([order])
    assert again.dead_lettered == [order["id"]] and world.m3_orders_with(f"PS{order['id']}") == 1
    assert world.store.dead_letters(entity="sales_order")[0].attempts == 2


def test_text_where_a_number_belongs_is_quarantined_with_the_field_named(world: World):
    order = an_order(world)
    broken = {**order, "associations": {"order_rows": [dict(r) for r in order["associations"]["order_rows"]]}}
    broken["associations"]["order_rows"][1]["product_quantity"] = "two"
    fine = an_order(world)
    report = world.sync([broken, fine])
    assert report.dead_lettered == [order["id"]] and report.created == [fine["id"]]
    letter = world.store.dead_letters(entity="sales_order")[0]
    assert (letter.stage, letter.error_code) == ("validate", "not_a_number")
    assert letter.field == "order_rows[1].product_quantity"


def test_a_missing_mandatory_field_is_quarantined(world: World):
    order = {**an_order(world), "id_address_delivery": "0"}
    report = world.sync([order])
    letter = world.store.dead_letters(entity="sales_order")[0]
    assert report.dead_lettered == [order["id"]]
    assert (letter.stage, letter.error_code, letter.field) == (
        "validate",
        "missing_field",
        "id_address_delivery",
    )


def test_a_crash_between_m3_and_the_id_map_write_creates_no_duplicate(world: World):
    order = an_order(world)

    def crash(_ids):
        raise RuntimeError("killed before the id-map write")

    with pytest.raises(RuntimeError, match="killed"):
        world.sync([order], before_bind=crash)
    assert id_map.binding(world.store, "sales_order", order["id"]) is None
    assert world.m3_orders_with(f"PS{order['id']}") == 1
    report = world.sync([order])
    assert report.recovered == [order["id"]] and report.created == []
    assert world.m3_orders_with(f"PS{order['id']}") == 1
    binding = id_map.binding(world.store, "sales_order", order["id"])
    assert world.tenant.orders[binding.target_key].cuor == f"PS{order['id']}"


def test_a_5xx_after_m3_committed_the_head_creates_no_duplicate(world: World):
    order = an_order(world)

    def break_heads(request: httpx.Request) -> None:
        if request.method == "POST" and b'"AddBatchHead"' in request.content:
            world.tenant.gateway.faults.append(Fault(503, count=1, match="OIS100MI/", after_commit=True))

    world.m3_http.event_hooks["request"].append(break_heads)
    report = world.sync([order])
    assert report.created == [order["id"]], report.errors
    assert world.m3_orders_with(f"PS{order['id']}") == 1
    assert (
        len(
            world.tenant.batch_orders[
                id_map.binding(world.store, "sales_order", order["id"]).data["temp_orno"]
            ].lines
        )
        == 2
    )
    assert world.sync([order]).created == [] and world.m3_orders_with(f"PS{order['id']}") == 1


def test_a_5xx_after_m3_committed_the_confirm_creates_no_duplicate(world: World):
    order = an_order(world)

    def break_confirm(request: httpx.Request) -> None:
        if request.method == "POST" and b'"Confirm"' in request.content:
            world.tenant.gateway.faults.append(Fault(502, count=1, match="OIS100MI/", after_commit=True))

    world.m3_http.event_hooks["request"].append(break_confirm)
    report = world.sync([order])
    assert report.created == [order["id"]], report.errors
    binding = id_map.binding(world.store, "sales_order", order["id"])
    assert binding.data["ornr"] and world.m3_orders_with(f"PS{order['id']}") == 1


def test_a_shop_down_for_good_fails_the_run_and_nothing_is_written(world: World):
    order = an_order(world)
    world.shop.faults.update({"disabled": True})
    with pytest.raises(PrestashopUnavailable):
        world.sync([order])  # the customer and address reads fail after the client's retries
    assert id_map.binding(world.store, "sales_order", order["id"]) is None
    assert world.m3_orders_with(f"PS{order['id']}") == 0 and world.store.dead_letters() == []
    assert id_map.claims(world.store, "sales_order") == []
    world.shop.faults.update({"disabled": False})
    assert world.sync([order]).created == [order["id"]]


def test_a_shop_hiccup_is_retried_and_the_run_goes_through(world: World):
    order = an_order(world)
    world.shop.faults.update({"error_rate": 0.5, "seed": 3})
    report = world.sync([order])
    world.shop.faults.update({"error_rate": 0.0})
    assert report.created == [order["id"]]


def test_one_order_replays_through_the_same_path_and_resolves_its_dead_letter(world: World):
    order = an_order(world)
    world.mapping = parse_mapping({"items": {"strategies": ["table"]}})  # nothing resolves
    report = world.sync([order])
    letter = world.store.dead_letters(entity="sales_order")[0]
    assert report.dead_lettered == [order["id"]] and (letter.stage, letter.error_code) == (
        "map",
        "unresolved_item",
    )
    assert letter.field.startswith("order_rows[0].")
    world.mapping = load_mapping()
    replay = sync_order(order["id"], shop_lookups=ShopLookups(world.ps), m3=world.m3, store=world.store,
                        mapping=world.mapping)  # fmt: skip
    assert replay.created == [order["id"]]
    assert world.store.dead_letters(entity="sales_order")[0].state == "resolved"


def test_an_order_changed_in_the_shop_after_creation_is_reported_not_resent(world: World):
    order = an_order(world)
    world.sync([order])
    edited = {**order, "associations": {"order_rows": [dict(r) for r in order["associations"]["order_rows"]]}}
    edited["associations"]["order_rows"][0]["product_quantity"] = "5"
    report = world.sync([edited])
    assert report.changed == [order["id"]] and report.updated == [] and report.created == []
    assert world.m3_orders_with(f"PS{order['id']}") == 1


def test_orders_in_states_not_exported_are_skipped(world: World):
    cancelled = next(o for o in world.orders() if o["current_state"] == "6")
    report = world.sync([cancelled])
    assert report.skipped == [cancelled["id"]] and world.m3_orders_with(f"PS{cancelled['id']}") == 0


def a_long_address_order(world: World) -> dict:
    """A fresh checkout delivered to one of the seeded shop's longest addresses (address1 of 128
    characters and address2 of 77: 205 characters of lines, more than M3's 4 x 36)."""
    first: dict[int, dict] = {}
    for address in sorted(world.ps.iter_all("addresses"), key=lambda a: int(a["id"])):
        first.setdefault(int(address["id_customer"]), address)
    customer_id, address = next(
        (c, a) for c, a in first.items() if len(a["address1"]) + len(a["address2"]) >= 205
    )
    order = world.ps.get("orders", world.shop.place_order(customer_id, [(1, 1, 2), (29, 0, 1)]))
    assert int(order["id_address_delivery"]) == int(address["id"])
    return order


def test_an_address_too_long_for_m3_goes_through_with_its_whole_text_and_a_warning(world: World):
    order = a_long_address_order(world)
    address = world.ps.get("addresses", int(order["id_address_delivery"]))
    other = an_order(world)
    report = world.sync([order, other])
    assert sorted(report.created) == sorted([order["id"], other["id"]]), report.errors
    assert report.dead_lettered == [] and world.store.dead_letters(entity="sales_order") == []
    (warning,) = report.warnings[order["id"]]
    assert (warning["code"], warning["field"]) == ("address_overflow", "id_address_delivery")
    assert warning["message"].startswith("205 characters of address lines do not fit CUA1-CUA4")
    assert other["id"] not in report.warnings and report.counts()["address_overflow"] == 1
    binding = id_map.binding(world.store, "sales_order", order["id"])
    assert binding.data["warnings"] == [warning]
    assert "warnings" not in id_map.binding(world.store, "sales_order", other["id"]).data
    batch = world.tenant.batch_orders[binding.data["temp_orno"]]
    lines = [batch.addresses["1"][k] for k in ("CUA1", "CUA2", "CUA3", "CUA4")]
    assert all(0 < len(line) <= 36 for line in lines)
    assert f"{address['address1']}, {address['address2']}".startswith(" ".join(lines))
    # the whole address, in order, in head pre-texts of at most 240 characters
    assert [(t["TYPE"], t["TYTR"]) for t in batch.texts] == [("1", "1")] * len(batch.texts)
    assert len(batch.texts) == 2 and all(len(t["PARM"]) <= 240 for t in batch.texts)
    text = " ".join(t["PARM"].split(" ", 1)[1] for t in batch.texts)
    assert text.startswith("Delivery address: ") and address["address1"] in text
    assert address["address2"] in text and text.endswith(f"{address['city']}, {batch.addresses['1']['CSCD']}")
    assert (
        world.tenant.batch_orders[
            id_map.binding(world.store, "sales_order", other["id"]).data["temp_orno"]
        ].texts
        == []
    )
    # the customer (same invoice address) has no text: it gets the four lines that fit
    customer = world.tenant.customers[binding.data["cuno"]]
    assert [customer.cua1, customer.cua2, customer.cua3, customer.cua4] == lines
    again = world.sync([order])  # nothing twice
    assert again.created == [] and again.warnings == {} and len(batch.texts) == 2


def test_the_strict_address_policy_dead_letters_an_address_too_long_for_m3(world: World):
    world.mapping = parse_mapping({"address": {"overflow": "error"}})
    order = a_long_address_order(world)
    report = world.sync([order])
    assert report.dead_lettered == [order["id"]] and report.warnings == {}
    letter = world.store.dead_letters(entity="sales_order")[0]
    assert (letter.stage, letter.error_code, letter.field) == (
        "map",
        "address_too_long",
        "id_address_delivery.address1",
    )
    assert world.m3_orders_with(f"PS{order['id']}") == 0
    # the default policy then lets the replay through, with the text
    world.mapping = load_mapping()
    replay = sync_order(order["id"], shop_lookups=ShopLookups(world.ps), m3=world.m3, store=world.store,
                        mapping=world.mapping)  # fmt: skip
    assert replay.created == [order["id"]] and replay.counts()["address_overflow"] == 1
    assert world.store.dead_letters(entity="sales_order")[0].state == "resolved"


def test_an_order_whose_customer_another_run_is_creating_waits_for_a_later_run(world: World):
    """One claim protocol: the customer's claim is held by another live run, so the order is left
    for a later run (busy, not dead-lettered, nothing waited for); once released it goes through."""
    order = an_order(world)
    email = world.ps.get("customers", int(order["id_customer"]))["email"].strip().lower()
    assert id_map.claim(world.store, "customer", email)  # another run is creating this customer
    report = world.sync([order])
    assert report.busy == [order["id"]] and report.dead_lettered == [] and report.created == []
    assert world.m3_orders_with(f"PS{order['id']}") == 0
    id_map.release(world.store, "customer", [email])
    assert world.sync([order]).created == [order["id"]]


def test_the_order_step_maps_from_what_the_upstream_assets_stored(world: World):
    """Customers, addresses, countries, currencies, products and combinations come from the store
    the extraction assets wrote: mapping the order reads nothing from the shop; an address no
    asset has stored yet is the one thing read (by id)."""
    from prestashop_infor.sync.prestashop_extraction import (
        ADDRESSES,
        COMBINATIONS,
        COUNTRIES,
        CURRENCIES,
        CUSTOMERS,
        PRODUCTS,
        extract_all,
        extract_changed,
    )

    order = an_order(world)
    for entity in (CUSTOMERS, ADDRESSES, PRODUCTS):
        extract_changed(world.ps, world.store, entity, time_zone="Europe/Paris")
    for entity in (COMBINATIONS, COUNTRIES, CURRENCIES):
        extract_all(world.ps, world.store, entity, time_zone="Europe/Paris", batch_size=100)
    paths: list[str] = []
    world.shop_http.event_hooks["request"].append(lambda request: paths.append(request.url.path))
    lookups = ShopLookups.from_store(world.ps, world.store, [order])
    lookups.order_states()  # the shop's configuration, read once per run
    paths.clear()
    report = world.sync([order], shop_lookups=lookups)
    assert report.created == [order["id"]], report.errors
    assert paths == []  # nothing read from the shop to map it

    # an order whose delivery address no extraction has stored yet: that address is read by id
    second = an_order(world)
    with world.store.engine.begin() as connection:
        connection.execute(
            tables.ps_addresses.delete().where(tables.ps_addresses.c.id == int(second["id_address_delivery"]))
        )
    lookups = ShopLookups.from_store(world.ps, world.store, [second])
    lookups.order_states()
    paths.clear()
    assert world.sync([second], shop_lookups=lookups).created == [second["id"]]
    assert {path.split("/")[2] for path in paths} == {"addresses"}


def test_an_older_read_of_a_record_never_overwrites_newer_state(world: World):
    """Events arrive out of order and reads are replayed: a record older (date_upd) than the one
    the snapshot holds is not written; the same or a newer one is."""
    from prestashop_infor.sync.prestashop_extraction import CUSTOMERS, process_batch

    customer = world.ps.get("customers", 11)
    newer = {**customer, "date_upd": "2026-03-02 10:00:00", "lastname": "Newer"}
    older = {**customer, "date_upd": "2026-03-01 10:00:00", "lastname": "Older"}
    process_batch(CUSTOMERS, [newer], world.store, time_zone="Europe/Paris")
    process_batch(CUSTOMERS, [older], world.store, time_zone="Europe/Paris")
    (row,) = world.store.rows_by_id("ps_customers", [11])
    assert row["lastname"] == "Newer"
    same_second = {**newer, "lastname": "Same second"}
    process_batch(CUSTOMERS, [same_second], world.store, time_zone="Europe/Paris")
    assert world.store.rows_by_id("ps_customers", [11])[0]["lastname"] == "Same second"

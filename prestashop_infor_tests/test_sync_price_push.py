"""M3 -> PrestaShop prices (issue 21 §1, the push): every M3 price valid today lands as one of the
shop's ``specific_prices`` per mapped group, currency, product or combination and quantity break, and
the id map binds it; a second cycle writes nothing; a changed price rewrites only its rows; a price
gone from M3, or a group no longer mapped, deletes only our rows, never the merchant's (one with the
very key of a planned row is adopted and made M3's); customers with a discount get rows of their own.
Faults on each write (create, update, delete): failing before the shop commits, committing but
answering an error, timing out or the run ending unheard, the shop unreachable; a refused row is a
dead letter; two pushes at once. Finally the Dagster job over real sockets.

Both emulators in process (the shop's Webservice over no socket: `in_process`), a SQLite store;
what the shop holds is always read back through the Webservice, never from the store. Most tests
trim M3's lists to a few items (``KEEP``): a full price book is the first test's."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
import yaml

from prestashop_infor import names
from prestashop_infor.defs.infor import InforResource, infor_price_lists
from prestashop_infor.defs.prestashop import assets as shop_assets
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.sync.prices import prestashop_customer_prices, price_sync_job
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.prestashop import PrestashopUnavailable
from prestashop_infor.sandbox.infor import LifecycleSettings, SimClock, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as create_m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as create_shop_app
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import id_map
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor.sync.prestashop_extraction import (
    COMBINATIONS,
    CUSTOMERS,
    PRODUCTS,
    SPECIFIC_PRICES,
    extract_all,
    extract_changed,
)
from prestashop_infor.sync.price_lists import read_price_lists
from prestashop_infor.sync.price_push import (
    PricePushReport,
    planned_specific_prices,
    push_specific_prices,
    source_key,
)
from prestashop_infor.sync.stock import shop_item_index
from prestashop_infor_tests.concurrency import at_once
from prestashop_infor_tests.two_systems import TIME_ZONE, TwoSystems

VISITOR, GUEST, CUSTOMER = 1, 2, 3  # the sandbox's customer groups
RULES = {"prices": {"groups": {"B2B": [CUSTOMER]}}}
KEEP = ("PS-MUG-01", "PS-MUG-02", "PS-MUG-03", "PS-TSH-01-BK-S", "PS-TSH-01-BK-M", "PS-TSH-01-BK-L")
UNLIMITED = "0000-00-00 00:00:00"
SIX = Decimal("0.000001")
Key = tuple[int, int, int, int, int, int]  # product, combination, customer, group, currency, from quantity


class Terminated(BaseException):
    """A run stopped right after the shop stored a write: it never hears the answer."""


KEY = ("id_product", "id_product_attribute", "id_customer", "id_group", "id_currency", "from_quantity")
ZERO = ("id_cart", "id_shop", "id_shop_group", "id_country", "id_specific_price_rule")


def key_of(row: dict[str, Any]) -> Key | None:
    """A shop row's key as the push writes them (None: a row for a cart, shop, country or dates)."""
    if any(int(row[c] or 0) for c in ZERO) or {str(row["from"])[:19], str(row["to"])[:19]} != {UNLIMITED}:
        return None
    return tuple(int(row[c]) for c in KEY)  # type: ignore[return-value]


def trim(tenant: Any, items: tuple[str, ...]) -> None:
    """M3's price lists cut down to ``items``: a small price book, quick cycles."""
    for price_list in tenant.price_lists.values():
        price_list.lines = {itno: line for itno, line in price_list.lines.items() if itno in items}


class World(TwoSystems):
    def __init__(self, tmp_path: Path, items: tuple[str, ...] | None = KEEP):
        super().__init__(tmp_path, RULES)
        if items:
            trim(self.tenant, items)
        self.today = self.tenant.clock.now().date()

    # -- a cycle: what the job's upstream assets store, then the push ----------------------------------
    def read(self) -> None:
        extract_changed(self.ps, self.store, PRODUCTS, time_zone=TIME_ZONE)
        extract_all(self.ps, self.store, COMBINATIONS, time_zone=TIME_ZONE, batch_size=100)
        extract_changed(self.ps, self.store, CUSTOMERS, time_zone=TIME_ZONE)
        read_price_lists(self.m3, self.store, today=self.today, mapping=self.mapping)
        extract_all(self.ps, self.store, SPECIFIC_PRICES, time_zone=TIME_ZONE, batch_size=100)

    def push(self) -> PricePushReport:
        return push_specific_prices(prestashop=self.ps, store=self.store, mapping=self.mapping,
                                    today=self.today)  # fmt: skip

    def cycle(self) -> PricePushReport:
        self.read()
        return self.push()

    # -- what each side holds ---------------------------------------------------------------------------
    def planned(self) -> dict[Key, Decimal]:
        return planned_specific_prices(self.store, self.mapping, self.today)

    def rows(self) -> dict[int, dict[str, Any]]:
        return {int(r["id"]): r for r in self.ps.list("specific_prices", display="full")}

    def held(self) -> dict[Key, list[tuple[int, Decimal]]]:
        held: dict[Key, list[tuple[int, Decimal]]] = {}
        for row_id, row in self.rows().items():
            if (key := key_of(row)) is not None:
                held.setdefault(key, []).append((row_id, Decimal(row["price"])))
        return held

    def bound(self) -> dict[str, int]:
        return {b.source_key: int(b.target_key) for b in id_map.bindings(self.store, "specific_price")}

    def where(self, item: str) -> tuple[int, int]:
        (product_and_combination,) = shop_item_index(self.store, self.mapping).rows[item]
        return product_and_combination

    # -- M3 and the merchant ----------------------------------------------------------------------------
    def set_price(self, item: str, price: str, quantity: int | None = None) -> None:
        body = {"price_list": "B2B", "currency": "EUR", "item": item, "price": price}
        body |= {"quantity": quantity} if quantity else {}
        answer = self.m3_http.post("/_sandbox/prices", json=body)
        assert answer.status_code == 200, answer.text

    def remove(self, item: str) -> None:
        """M3 no longer prices ``item`` in today's EUR list."""
        (fvdt,) = [k[3] for k, pl in self.tenant.price_lists.items()
                   if k[:3] == ("B2B", "EUR", "") and pl.fvdt <= self.today <= pl.lvdt]  # fmt: skip
        fields = {"PRRF": "B2B", "CUCD": "EUR", "FVDT": fvdt.strftime("%Y%m%d"), "ITNO": item}
        self.m3.execute("OIS017MI", "DelBasePrice", **fields)

    def merchant_price(self, product: int, combination: int = 0, **fields: Any) -> int:
        """A specific price the merchant creates in the shop (back office), not the push."""
        record = {"id_shop_group": 0, "id_shop": 0, "id_cart": 0, "id_product": product,
                  "id_product_attribute": combination, "id_currency": 0, "id_country": 0, "id_group": 0,
                  "id_customer": 0, "id_specific_price_rule": 0, "price": "-1", "from_quantity": 1,
                  "reduction": "0", "reduction_tax": 1, "reduction_type": "amount", "from": UNLIMITED,
                  "to": UNLIMITED} | fields  # fmt: skip
        return int(self.ps.create("specific_prices", record)["id"])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def assert_in_step(w: World, merchant: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    """The shop holds every planned row once, at M3's price; the id map binds exactly those; any
    other row in the shop is the merchant's."""
    planned, held = w.planned(), w.held()
    assert planned
    assert {k: [p for _, p in held.get(k, [])] for k in planned} == {k: [p] for k, p in planned.items()}
    assert w.bound() == {source_key(k): held[k][0][0] for k in planned}
    assert set(w.rows()) == {held[k][0][0] for k in planned} | merchant


def assert_claims_only_held(w: World, gone: int | None = None) -> None:
    """Every row the id map binds is in the shop under the bound key (``gone``: a row deleted unheard)."""
    rows = w.rows()
    for name, row_id in w.bound().items():
        if row_id != gone:
            assert row_id in rows and source_key(key_of(rows[row_id])) == name, name  # type: ignore[arg-type]
    assert all(len(found) == 1 for found in w.held().values())


class Fault:
    """The ``nth`` ``method`` request to ``specific_prices`` fails: ``before`` the shop commits it
    (every try: the client gives up), or once after: an ``error`` answer, a ``timeout``, or the run
    ``ends`` unheard. The other requests go through."""

    def __init__(self, w: World, method: str, kind: str, nth: int = 2):
        self.method, self.kind, self.nth, self.seen = method, kind, nth, 0
        self.target: tuple[str, bytes] | None = None
        self.fired, self.lock = False, threading.Lock()
        hook = (w.shop_http.event_hooks["request"].append if kind == "before"
                else w.shop_http.event_hooks["response"].append)  # fmt: skip
        hook(self.on_request if kind == "before" else self.on_response)

    def chosen(self, request: httpx.Request) -> bool:
        with self.lock:
            if request.method != self.method or "/api/specific_prices" not in request.url.path:
                return False
            if self.target is None:
                self.seen += 1
                if self.seen == self.nth:
                    self.target = (str(request.url), request.content)
            return self.target == (str(request.url), request.content)

    def on_request(self, request: httpx.Request) -> None:
        if self.chosen(request):
            raise httpx.ConnectError("the shop is down", request=request)

    def on_response(self, response: httpx.Response) -> None:
        if self.fired or not self.chosen(response.request):
            return
        self.fired = True
        if self.kind == "ends":
            raise Terminated()
        if self.kind == "timeout":
            raise httpx.ReadTimeout("the shop did not answer in time", request=response.request)
        response.status_code = 500  # committed, and a PHP fatal error after it

    @property
    def row_id(self) -> int:
        assert self.target is not None
        return int(self.target[0].split("?")[0].rsplit("/", 1)[1])

    @property
    def key(self) -> Key:
        assert self.target is not None
        fields = {e.tag: e.text for e in ET.fromstring(self.target[1]).find("specific_price")}  # type: ignore[union-attr]
        return key_of(fields)  # type: ignore[return-value]


# -- the tests ---------------------------------------------------------------------------------------


def test_every_planned_row_lands_in_the_shop_and_a_second_cycle_writes_nothing(tmp_path: Path):
    w = World(tmp_path, items=None)  # the whole price book
    try:
        first = w.cycle()
        planned = w.planned()
        assert first.created == first.rows_written == len(planned) == first.planned > 100
        assert (first.dead_lettered, first.left_for_next_run) == ([], [])
        # M3's own numbers, independently: today's EUR list, its lines and breaks, on each product or
        # combination carrying the item's reference; the CHF list has no currency in the shop
        (current,) = [pl for k, pl in w.tenant.price_lists.items()
                      if k[:2] == ("B2B", "EUR") and pl.fvdt <= w.today <= pl.lvdt]  # fmt: skip
        eur = next(int(c["id"]) for c in w.ps.list("currencies") if c["iso_code"] == "EUR")
        products, combinations = w.shop.records("products"), w.shop.records("combinations")
        combined = {int(c["id_product"]) for c in combinations}
        where = {p["reference"]: (int(p["id"]), 0) for p in products if int(p["id"]) not in combined}
        where |= {c["reference"]: (int(c["id_product"]), int(c["id"])) for c in combinations}
        expected = {}
        for line in (line for line in current.lines.values() if line.itno in where):
            breaks = {Decimal(1): line.sapr} | {b.qtyl: b.sapr for b in line.breaks.values()}
            expected |= {(*where[line.itno], 0, CUSTOMER, eur, int(q)): price for q, price in breaks.items()}
        assert planned == expected
        assert any(k[1] for k in planned) and any(k[5] > 1 for k in planned)  # combinations, breaks
        assert_in_step(w)
        second = w.cycle()
        assert second.rows_written == 0 and second.unchanged == len(planned) and second.adopted == 0
    finally:
        w.close()


def test_a_changed_m3_price_rewrites_only_its_rows_in_one_cycle(world: World):
    world.cycle()
    before = world.held()
    tee, mug = world.where("PS-TSH-01-BK-M"), world.where("PS-MUG-02")
    world.set_price("PS-TSH-01-BK-M", "17.25")
    world.set_price("PS-MUG-02", "3.10", quantity=10)
    report = world.cycle()
    changed = {k for k, p in world.planned().items() if [p] != [price for _, price in before[k]]}
    assert {(k[:2], k[5]) for k in changed} == {(tee, 1), (mug, 10)}
    assert report.updated == report.rows_written == len(changed) == 2
    assert report.created == report.deleted == 0
    after = world.held()
    assert {k: rows[0][0] for k, rows in after.items()} == {k: rows[0][0] for k, rows in before.items()}
    same = [k for k in before if k not in changed]
    assert {k: after[k] for k in same} == {k: before[k] for k in same}
    assert after[(*tee, 0, CUSTOMER, 1, 1)][0][1] == Decimal("17.25")
    assert_in_step(world)
    assert world.cycle().rows_written == 0


def test_only_our_rows_are_deleted_and_a_merchant_row_with_a_planned_key_is_adopted(world: World):
    world.read()
    mug, tee, eur = world.where("PS-MUG-01"), world.where("PS-TSH-01-BK-M"), 1
    planned = world.planned()
    merchant = {  # the merchant's own: another group, a catalogue promotion, a group price with dates
        world.merchant_price(*mug, id_group=VISITOR, id_currency=eur, price="5.00"),
        world.merchant_price(*tee, reduction="0.100000", reduction_type="percentage"),
        world.merchant_price(*mug, id_group=CUSTOMER, id_currency=eur, price="4.00",
                             **{"from": "2025-01-01 00:00:00", "to": "2025-12-31 23:59:59"}),
    }  # fmt: skip
    untouched = {i: world.ps.get("specific_prices", i) for i in merchant}
    replaced_key, same_key = (*mug, 0, CUSTOMER, eur, 1), (*tee, 0, CUSTOMER, eur, 10)
    replaced = world.merchant_price(*mug, id_group=CUSTOMER, id_currency=eur, price="1.00")
    same = world.merchant_price(*tee, id_group=CUSTOMER, id_currency=eur, from_quantity=10,
                                price=f"{planned[same_key]:f}")  # fmt: skip
    first = world.cycle()
    assert (first.updated, first.adopted, first.created) == (1, 1, len(planned) - 2)
    held = world.held()
    assert held[replaced_key] == [(replaced, planned[replaced_key])]
    assert held[same_key] == [(same, planned[same_key])]
    assert_in_step(world, merchant)

    world.remove("PS-MUG-01")  # M3 no longer prices the mug: its two rows (one adopted) go
    gone = world.cycle()
    assert gone.deleted == gone.rows_written == 2 and not any(k[:2] == mug for k in world.planned())
    assert_in_step(world, merchant)

    world.mapping = parse_mapping({"prices": {"groups": {"B2B": [GUEST]}}})  # the list moves to guests
    moved = world.cycle()
    assert moved.deleted == moved.created == len(planned) - 2 and moved.updated == 0
    assert {k[3] for k in world.planned()} == {GUEST}
    assert_in_step(world, merchant)
    assert {i: world.ps.get("specific_prices", i) for i in merchant} == untouched


def test_a_customer_with_a_discount_gets_rows_of_their_own(world: World):
    customers = world.shop.records("customers")
    discounted, plain = [int(c["id"]) for c in customers if int(c["id_default_group"]) == CUSTOMER][:2]
    # WEB0000001 buys by no list of its own (its group's), WEB0000002 by B2B, the group's list too
    bound = [(discounted, "WEB0000001", None, None), (plain, "WEB0000002", None, None)]
    id_map.bind_many(world.store, "customer", bound)  # type: ignore[arg-type]
    world.m3.execute("CRS610MI", "ChgOrderInfo", CUNO="WEB0000001", DIPC="10")
    assert world.m3.execute("CRS610MI", "GetOrderInfo", CUNO="WEB0000002")[0]["PLTB"] == "B2B"
    report = world.cycle()
    planned = world.planned()
    group = {k: p for k, p in planned.items() if k[3] == CUSTOMER}
    own = {(*k[:2], discounted, 0, *k[4:]): (p * Decimal("0.9")).quantize(SIX) for k, p in group.items()}
    assert planned == group | own and report.created == 2 * len(group) == len(planned)
    assert not any(k[2] == plain for k in world.held())
    assert_in_step(world)

    world.m3.execute("CRS610MI", "ChgOrderInfo", CUNO="WEB0000001", DIPC="0")  # the group's prices again
    again = world.cycle()
    assert again.deleted == again.rows_written == len(own) and world.planned() == group
    assert_in_step(world)


def _planned_writes(world: World, action: str) -> str:
    """Set up a cycle whose push writes several rows with ``action``; returns the HTTP method."""
    if action != "create":
        world.cycle()
        for item in ("PS-MUG-02", "PS-TSH-01-BK-S", "PS-TSH-01-BK-L"):
            world.set_price(item, "2.50") if action == "update" else world.remove(item)
    world.read()
    return {"create": "POST", "update": "PUT", "delete": "DELETE"}[action]


@pytest.mark.parametrize("kind", ["before", "error", "timeout", "ends"])
@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_a_write_that_fails_is_made_good_next_cycle_never_twice(world: World, action: str, kind: str):
    method = _planned_writes(world, action)
    old = world.held()
    fault = Fault(world, method, kind)
    heard = action != "create" and kind in ("error", "timeout")  # PUT, DELETE: asked again, and heard
    if heard:
        world.push()
    else:
        with pytest.raises(Terminated if kind == "ends" else PrestashopUnavailable):
            world.push()
    world.shop_http.event_hooks["request"].clear()
    world.shop_http.event_hooks["response"].clear()
    held, bound = world.held(), world.bound()
    committed = kind != "before"
    if action == "create":
        assert (fault.key in held) is committed and source_key(fault.key) not in bound
    elif action == "update":
        row_key = next(k for k, rows in held.items() if rows[0][0] == fault.row_id)
        assert (held[row_key] != old[row_key]) is committed and bound[source_key(row_key)] == fault.row_id
    else:
        assert (fault.row_id not in world.rows()) is committed
        assert (fault.row_id in bound.values()) is (kind in ("before", "ends"))
    assert_claims_only_held(world, gone=fault.row_id if action == "delete" and kind == "ends" else None)

    following = world.cycle()
    if action == "create" and committed:  # found under its key and adopted, not created twice
        assert following.adopted >= 1 and world.bound()[source_key(fault.key)] == held[fault.key][0][0]
    if action == "delete" and kind == "ends":  # (a delete the ended run had not started yet is done now)
        assert following.forgotten == 1
    if heard:
        assert following.rows_written == 0
    assert following.dead_lettered == [] and following.left_for_next_run == []
    assert_in_step(world)
    assert world.cycle().rows_written == 0


def test_a_shop_unreachable_raises_and_the_id_map_claims_nothing_it_does_not_hold(world: World):
    world.read()
    world.shop.faults.update({"disabled": True})
    try:
        with pytest.raises(PrestashopUnavailable):
            world.push()
    finally:
        world.shop.faults.update({"disabled": False})
    assert world.held() == {} and world.bound() == {}

    posts, lock = [], threading.Lock()

    def down_after_five(request: httpx.Request) -> None:  # the shop goes away in the middle of a push
        with lock:
            posts.append(request.method)
            if len(posts) > 5:
                raise httpx.ConnectError("the shop is down", request=request)

    world.shop_http.event_hooks["request"].append(down_after_five)
    with pytest.raises(PrestashopUnavailable):
        world.push()
    world.shop_http.event_hooks["request"].clear()
    # the five the shop confirmed are bound, those under way at the failure included
    assert len(world.held()) == len(world.bound()) == 5
    assert_claims_only_held(world)
    following = world.cycle()
    assert following.created == len(world.planned()) - 5 and following.adopted == 0
    assert_in_step(world)


def test_a_row_the_shop_refuses_is_a_dead_letter_and_the_rest_go_on(world: World):
    world.set_price("PS-MUG-01", "12345678901.5")  # M3 takes it; isNegativePrice allows 10 digits
    report = world.cycle()
    refused = (*world.where("PS-MUG-01"), 0, CUSTOMER, 1, 1)
    assert report.dead_lettered == [source_key(refused)] and report.created == len(world.planned()) - 1
    (letter,) = world.store.dead_letters(entity="specific_price")
    assert letter.key == source_key(refused) and letter.error_code.startswith("prestashop_400")
    held = world.held()
    assert refused not in held and source_key(refused) not in world.bound()
    rest = {k: [p] for k, p in world.planned().items() if k != refused}
    assert rest == {k: [p for _, p in v] for k, v in held.items()}
    world.set_price("PS-MUG-01", "9.99")
    assert world.cycle().created == 1
    assert_in_step(world)


def test_two_pushes_at_once_leave_one_row_per_key(world: World):
    world.read()
    at_once(world.push)
    assert_claims_only_held(world)
    assert set(world.held()) == set(world.planned())
    assert world.cycle().rows_written == 0  # the rows the other push created are adopted
    assert_in_step(world)
    world.set_price("PS-MUG-02", "6.66")
    world.remove("PS-TSH-01-BK-S")
    world.read()
    at_once(world.push)  # both update and delete the same rows
    assert_in_step(world)


def test_the_price_sync_job_over_sockets(tmp_path: Path):
    now = datetime.now(UTC).replace(microsecond=0)
    shop = seed_shop(seed=7, orders=3, now=now)
    tenant = seed_tenant_from_shop(shop, lifecycle=LifecycleSettings.manual(), clock=SimClock(now))
    trim(tenant, KEEP)  # both clocks on one day: the push prices today as the read did
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text(yaml.safe_dump(RULES))
    with BackgroundServer(create_shop_app(shop)) as ps, BackgroundServer(create_m3_app(tenant)) as m3:
        resources = {
            "prestashop": PrestashopResource(url=ps.url, api_key=DEFAULT_API_KEY, time_zone=TIME_ZONE),
            "infor": InforResource(ionapi_file=str(tenant.write_ionapi(tmp_path / "t.ionapi", m3.url))),
            "store": StoreResource(database_url=f"sqlite:///{tmp_path / 'store.db'}"),
            "validation_gate": ValidationGateResource(),
            "mapping": MappingResource(mapping_file=str(mapping_file)),
        }
        defs = dg.Definitions(
            assets=[shop_assets.prestashop_customers, shop_assets.prestashop_products,
                    shop_assets.prestashop_reference_data, shop_assets.prestashop_specific_prices,
                    infor_price_lists, prestashop_customer_prices],
            jobs=[price_sync_job], resources=resources,
        )  # fmt: skip

        def run() -> dict[str, Any]:
            result = defs.resolve_job_def(names.PRICE_SYNC_JOB).execute_in_process()
            assert result.success
            (event,) = result.asset_materializations_for_node(prestashop_customer_prices.op.name)
            return {name: value.value for name, value in event.metadata.items()}

        first = run()
        rows = 2 * len(KEEP)  # each item: its price and its break from 10, in EUR (no CHF in the shop)
        counts = ("planned", "created", "rows_written", "unchanged", "dead_lettered", "left_for_next_run")
        assert [first[name] for name in counts] == [rows, rows, rows, 0, 0, 0]
        assert len(shop.records("specific_prices")) == rows
        second = run()
        assert (second["planned"], second["unchanged"], second["rows_written"]) == (rows, rows, 0)

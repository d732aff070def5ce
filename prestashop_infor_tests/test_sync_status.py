"""M3 -> PrestaShop order status, tracking and payment (sync/status.py) against both emulators over
real HTTP: the lifecycle driven by the M3 sandbox hooks, never backwards, idempotent reruns, the
dead-letter queue and replay, and a shop whose order states are numbered differently."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient, xml_codec
from prestashop_infor.sandbox.infor import LifecycleSettings, M3Tenant, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as create_m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as create_shop_app
from prestashop_infor.sandbox.prestashop.seed import build_order
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import Store, backoffice, id_map
from prestashop_infor.sync.m3_order_states import read_order_states
from prestashop_infor.sync.mapping import Mapping, parse_mapping
from prestashop_infor.sync.status import push_order_status, push_order_statuses, push_stored_statuses
from prestashop_infor.sync.trace import trace_order
from prestashop_infor_tests.in_process import in_process_client

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIME_ZONE = "Europe/Paris"
BANK_WIRE = ("ps_wirepayment", "Bank transfer", "Awaiting bank wire payment")


class Recorder:
    """Every write the shop client sends (method, path), from an httpx request hook."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            self.writes.append((request.method, request.url.path))


@dataclass
class World:
    shop: Shop
    tenant: M3Tenant
    prestashop: PrestashopClient
    m3: M3Client
    m3_http: httpx.Client
    store: Store
    recorder: Recorder

    def run(self, mapping: Mapping, order_ids: list[int] | None = None):
        return push_order_statuses(
            prestashop=self.prestashop, m3=self.m3, store=self.store, mapping=mapping, order_ids=order_ids
        )

    def sandbox(self, orno: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.m3_http.post(f"/_sandbox/orders/{orno}/{action}", json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def state_id(self, name: str) -> int:
        return next(int(s["id"]) for s in self.shop.records("order_states") if _name(s) == name)

    def order(self, order_id: int) -> dict[str, Any]:
        record = self.shop.record("orders", order_id)
        assert record is not None
        return record

    def histories(self, order_id: int) -> list[dict[str, Any]]:
        return [h for h in self.shop.records("order_histories") if int(h["id_order"]) == order_id]

    def payments(self, order_id: int) -> list[dict[str, Any]]:
        reference = self.order(order_id)["reference"]
        return [p for p in self.shop.records("order_payments") if p["order_reference"] == reference]

    def carrier(self, order_id: int) -> dict[str, Any]:
        return max(
            (c for c in self.shop.records("order_carriers") if int(c["id_order"]) == order_id),
            key=lambda c: int(c["id"]),
        )

    def place(self, first_state: str = BANK_WIRE[2], *, lines: int = 2) -> tuple[int, str]:
        """A shop order and its M3 customer order (created with the M3 client), bound in the id map."""
        products = _simple_products(self.shop)[:lines]
        with self.shop.lock:
            order_id = build_order(
                self.shop,
                int(self.shop.records("customers")[0]["id"]),
                [(product_id, 0, 2) for product_id, _ in products],
                self.shop.currency_id("EUR"),
                self.shop.clock.now(),
                history=None,
                payment=(BANK_WIRE[0], BANK_WIRE[1], self.state_id(first_state)),
            )
        cuor = f"PS{order_id}"
        temporary = self.m3.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000001", CUOR=cuor)["ORNO"]
        results = self.m3.bulk(
            [("OIS100MI", "AddBatchLine", {"ORNO": temporary, "ITNO": ref, "ORQT": 2}) for _, ref in products]
        )
        assert all(r.ok for r in results), [r.error for r in results]
        self.m3.execute_one("OIS100MI", "Confirm", ORNO=temporary)
        orno = self.m3.execute_one("OIS100MI", "GetOrderNo", ORNO=temporary)["ORNR"]
        id_map.bind(
            self.store, "sales_order", order_id, orno, data={"temporary_orno": temporary, "CUOR": cuor}
        )
        return order_id, orno


def _name(state: dict[str, Any]) -> str:
    name = state["name"]
    return name if isinstance(name, str) else next(iter(name.values()))


def _simple_products(shop: Shop) -> list[tuple[int, str]]:
    """Products without combinations: (id, reference), the reference being the M3 item number."""
    with_combinations = {int(c["id_product"]) for c in shop.records("combinations")}
    return [
        (int(p["id"]), p["reference"])
        for p in shop.records("products")
        if int(p["id"]) not in with_combinations
    ]


def make_world(
    shop: Shop, *, tenant: M3Tenant | None = None, shop_url: str | None = None, m3_url: str | None = None
) -> World:
    """Clients for both emulators: in process (httpx.Client) unless a loopback URL is given."""
    tenant = tenant or seed_tenant_from_shop(
        shop, lifecycle=LifecycleSettings.manual(), seed=3, stock_range=(50, 60)
    )
    recorder = Recorder()
    shop_http: httpx.Client = httpx.Client() if shop_url else in_process_client(create_shop_app(shop))
    shop_http.event_hooks = {"request": [recorder], "response": []}
    m3_http: httpx.Client = (
        httpx.Client(base_url=m3_url) if m3_url else in_process_client(create_m3_app(tenant))
    )
    prestashop = PrestashopClient(
        shop_url or "http://testserver",
        DEFAULT_API_KEY,
        http_client=shop_http,
        time_zone=TIME_ZONE,
        backoff=0.001,
    )
    m3 = M3Client(
        IonApiCredentials.from_dict(tenant.ionapi(m3_url or "http://testserver")), http_client=m3_http
    )
    return World(shop, tenant, prestashop, m3, m3_http, Store.from_url("sqlite://"), recorder)


def new_shop(version: str = "1.7.8.0") -> Shop:
    return seed_shop(seed=11, orders=0, customers=5, version=version, time_zone=TIME_ZONE, now=START)


@pytest.fixture
def world() -> Iterator[World]:
    w = make_world(new_shop())
    yield w
    w.store.dispose()


EMAILS = parse_mapping({"notifications": {"status_email": True, "tracking_email": True}})
QUIET = parse_mapping({"notifications": {"status_email": False, "tracking_email": False}})


# --- the lifecycle ---------------------------------------------------------------------------------


def test_lifecycle_confirmed_shipped_invoiced_paid(world: World) -> None:
    order_id, orno = world.place()
    shipped, processing = world.state_id("Shipped"), world.state_id("Processing in progress")
    assert int(world.order(order_id)["current_state"]) == world.state_id(BANK_WIRE[2])

    report = world.run(EMAILS)  # M3: allocated (33) -> the furthest mapped milestone, confirmed
    assert report.updated == [order_id] and report.tracking == [] and report.payments == []
    assert int(world.order(order_id)["current_state"]) == processing

    world.sandbox(orno, "ship", {"tracking_number": "1Z999AA10123456784"})
    outbox_before = len(world.shop.outbox)
    report = world.run(EMAILS)
    assert report.updated == [order_id] and report.tracking == [order_id]
    assert world.carrier(order_id)["tracking_number"] == "1Z999AA10123456784"
    assert world.order(order_id)["shipping_number"] == "1Z999AA10123456784"
    assert int(world.order(order_id)["current_state"]) == shipped
    templates = [e.template for e in world.shop.outbox[outbox_before:]]
    assert templates == ["in_transit", "shipped"]  # tracking stored before the status mail (pitfall 8)

    # Shipped is flagged paid in PrestaShop: the shop recorded the order's payment itself.
    assert len(world.payments(order_id)) == 1 and not world.payments(order_id)[0]["transaction_id"]
    world.sandbox(orno, "invoice")
    assert world.run(EMAILS).payments == []  # invoiced, not paid yet
    paid = world.sandbox(orno, "pay")
    report = world.run(EMAILS)
    assert report.payments == [order_id] and report.updated == []
    payments = world.payments(order_id)
    assert len(payments) == 1  # the shop's own payment is tagged with the M3 key, never doubled
    assert payments[0]["transaction_id"] == f"M3 invoice {world.tenant.today().year}:{paid['CINO']}"
    assert Decimal(payments[0]["amount"]) == Decimal(world.order(order_id)["total_paid_tax_incl"])
    states = {int(s["id"]): s for s in world.shop.records("order_states")}
    assert states[int(world.order(order_id)["current_state"])]["paid"] == "1"
    assert backoffice.order_pushes_for(world.store, [order_id])[order_id].closed


def test_payment_recorded_before_the_paid_state_in_one_run(world: World) -> None:
    """M3 goes from allocated to paid between two polls: the payment is posted (in the order's
    currency, its own total) before the state flagged paid, so the shop does not add a second one."""
    order_id, orno = world.place()
    world.sandbox(orno, "ship")
    world.sandbox(orno, "invoice")
    world.sandbox(orno, "pay")
    report = world.run(QUIET)
    assert report.updated == [order_id] and report.tracking == [order_id] and report.payments == [order_id]
    order = world.order(order_id)
    assert int(order["current_state"]) == world.state_id("Shipped")
    payments = world.payments(order_id)
    assert len(payments) == 1 and payments[0]["transaction_id"].startswith("M3 invoice ")
    assert Decimal(payments[0]["amount"]) == Decimal(order["total_paid_tax_incl"])
    assert payments[0]["id_currency"] == order["id_currency"]
    assert world.shop.outbox == []  # no e-mail unless configured
    posts = [path for method, path in world.recorder.writes if method == "POST"]
    assert posts == ["/api/order_payments", "/api/order_histories"]


def test_second_run_changes_nothing_even_with_memory_lost(world: World) -> None:
    order_id, orno = world.place()
    world.run(EMAILS)
    world.sandbox(orno, "ship")
    world.run(EMAILS)
    world.sandbox(orno, "invoice")
    world.sandbox(orno, "pay")
    world.run(EMAILS)
    histories, payments, outbox = (
        len(world.histories(order_id)),
        world.payments(order_id),
        len(world.shop.outbox),
    )
    writes = len(world.recorder.writes)

    again = world.run(EMAILS)
    assert (again.updated, again.tracking, again.payments) == ([], [], [])
    # Forget everything we pushed and force a full check: the shop is re-read, nothing is written.
    with world.store.engine.begin() as connection:
        connection.execute(backoffice.order_pushes.delete())
    forced = world.run(EMAILS, order_ids=[order_id])
    assert (forced.updated, forced.tracking, forced.payments, forced.skipped) == ([], [], [], [order_id])
    assert len(world.recorder.writes) == writes
    assert len(world.histories(order_id)) == histories and world.payments(order_id) == payments
    assert len(world.shop.outbox) == outbox


def test_two_overlapping_pushes_record_each_payment_once(tmp_path) -> None:
    """Two status pushes at once for an order M3 has paid: the first holds the order's claim while
    it records the payment (held back right before its write until the second has run), the second
    leaves the order alone. Without the claim both would read "no payment yet" and both add one."""
    world = make_world(new_shop())
    world.store = Store.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    order_id, orno = world.place()
    for action in ("ship", "invoice", "pay"):
        world.sandbox(orno, action)
    second_done = threading.Event()
    held: list[bool] = []

    def hold_the_first_payment_write(request: httpx.Request) -> None:
        if request.method == "POST" and "order_payments" in str(request.url) and not held:
            held.append(True)
            second_done.wait(timeout=5)

    world.prestashop._http.event_hooks["request"].append(hold_the_first_payment_write)
    reports: dict[str, Any] = {}

    def push(name: str) -> None:
        reports[name] = world.run(QUIET)
        if name == "second":
            second_done.set()

    first = threading.Thread(target=push, args=("first",))
    first.start()
    for _ in range(500):  # bounded: until the first push waits at its payment write
        if held:
            break
        time.sleep(0.01)
    assert held, "the first push never reached its payment write"
    push("second")
    first.join(timeout=30)
    assert reports["first"].payments == [order_id]
    assert reports["second"].payments == [] and "another run" in reports["second"].notes[order_id]
    assert len(world.payments(order_id)) == 1
    assert world.run(QUIET).payments == []  # and a later push finds it recorded
    assert len(world.payments(order_id)) == 1
    world.store.dispose()


def test_never_moves_an_order_backwards(world: World) -> None:
    delivered_id, _ = world.place()
    world.shop.change_order_state(delivered_id, world.state_id("Delivered"))
    canceled_id, _ = world.place()
    world.shop.change_order_state(canceled_id, world.state_id("Canceled"))
    shipped_id, shipped_orno = world.place()
    world.sandbox(shipped_orno, "ship")
    histories = {i: len(world.histories(i)) for i in (delivered_id, canceled_id)}

    report = world.run(QUIET)  # M3 says confirmed/allocated for the first two
    assert report.updated == [shipped_id]
    assert sorted(report.skipped) == [delivered_id, canceled_id]
    assert int(world.order(delivered_id)["current_state"]) == world.state_id("Delivered")
    assert int(world.order(canceled_id)["current_state"]) == world.state_id("Canceled")
    assert {i: len(world.histories(i)) for i in histories} == histories
    assert "off the milestone ladder" in report.notes[canceled_id]


def test_m3_refusal_is_dead_lettered_the_rest_continues_and_replay_resolves(world: World) -> None:
    good_id, good_orno = world.place()
    bad_id, bad_orno = world.place()
    world.sandbox(good_orno, "ship")
    world.sandbox(bad_orno, "ship", {"tracking_number": "TRACK-OK-1"})
    delivery = next(d for d in world.tenant.deliveries.values() if d.orno == bad_orno)
    delivery.etrn = "BAD<TRACK>"  # characters PrestaShop's isTrackingNumber refuses
    ghost_id = good_id + 100
    id_map.bind(world.store, "sales_order", ghost_id, "1999999999")  # an ORNO M3 does not have

    report = world.run(QUIET)
    assert report.updated == [good_id] and sorted(report.dead_lettered) == [bad_id, ghost_id]
    letters = {letter.key: letter for letter in world.store.dead_letters(entity="order_status")}
    assert (letters[str(bad_id)].stage, letters[str(bad_id)].error_code, letters[str(bad_id)].field) == (
        "load",
        "invalid_tracking_number",
        "ETRN",
    )
    assert letters[str(ghost_id)].field == "ORNO" and letters[str(ghost_id)].error_code
    assert letters[str(bad_id)].payload["orno"] == bad_orno
    assert int(world.order(bad_id)["current_state"]) != world.state_id("Shipped")

    delivery.etrn = "TRACK-OK-1"  # fixed in M3; the replay goes through the same code
    replay = push_order_status(
        bad_id, prestashop=world.prestashop, m3=world.m3, store=world.store, mapping=QUIET
    )
    assert replay.updated == [bad_id] and replay.tracking == [bad_id]
    assert world.carrier(bad_id)["tracking_number"] == "TRACK-OK-1"
    states = {letter.key: letter.state for letter in world.store.dead_letters(entity="order_status")}
    assert states == {str(bad_id): "resolved", str(ghost_id): "open"}


def test_m3_cancellation_cancels_the_shop_order(world: World) -> None:
    order_id, orno = world.place()
    world.run(QUIET)
    world.sandbox(orno, "cancel")
    report = world.run(QUIET)
    assert report.updated == [order_id]
    assert int(world.order(order_id)["current_state"]) == world.state_id("Canceled")
    assert backoffice.order_pushes_for(world.store, [order_id])[order_id].closed
    assert world.run(QUIET).updated == []  # closed orders are not polled again


def test_order_not_yet_created_in_m3_waits(world: World) -> None:
    order_id, _ = world.place()
    # a binding to a temporary batch number, as stores written before the "bound only once M3 holds
    # the customer order" rule may still hold
    id_map.bind(world.store, "sales_order", order_id, "5009999999", data={"temp_orno": "5009999999"})
    report = world.run(QUIET)
    assert report.skipped == [order_id] and report.dead_lettered == []
    assert "temporary" in report.notes[order_id]


# --- shops that number their states differently ----------------------------------------------------


def renumber_states(shop: Shop, offset: int) -> dict[int, int]:
    """Give every order state a new id (reversed and shifted); returns old id -> new id."""
    table = shop.tables["order_states"]
    old_ids = sorted(table.rows)
    mapping = {old: offset + len(old_ids) - position for position, old in enumerate(old_ids)}
    rows = {}
    for old, row in table.rows.items():
        row = list(row)
        row[0] = mapping[old]
        rows[mapping[old]] = row
    table.rows = rows
    table.next_id = max(rows) + 1
    table.touch()
    return mapping


def load_recorded_16_states(shop: Shop, folder) -> None:
    """Replace the shop's order states by the 14 recorded from a real PrestaShop 1.6.1.23."""
    table = shop.tables["order_states"]
    table.rows = {}
    for path in sorted(folder.glob("get_order_states_[0-9]*.xml")):
        _, record = xml_codec.parse_record(path.read_bytes())
        values = {k: v for k, v in record.items() if k in shop.definitions["order_states"].by_name}
        for key in ("name", "template"):
            value = values.get(key)
            if isinstance(value, list):
                values[key] = {int(v["id"]): v["value"] for v in value}
            elif isinstance(value, dict) and "language" in value:
                values[key] = {int(v["id"]): v["value"] for v in value["language"]}
        shop.insert("order_states", shop.new_row("order_states", **values))
    table.touch()


def test_status_map_by_names_works_on_a_renumbered_shop() -> None:
    shop = new_shop()
    moved = renumber_states(shop, 200)
    world = make_world(shop)
    try:
        assert world.state_id("Shipped") == moved[4] != 4
        order_id, orno = world.place()
        world.sandbox(orno, "ship", {"tracking_number": "RN-1"})
        report = world.run(QUIET)
        assert report.updated == [order_id]
        assert int(world.order(order_id)["current_state"]) == world.state_id("Shipped")
        assert [int(h["id_order_state"]) for h in world.histories(order_id)][-1] == moved[4]
    finally:
        world.store.dispose()


def test_recorded_prestashop_16_states(fixtures_dir) -> None:
    shop = new_shop(version="1.6.1.23")
    load_recorded_16_states(shop, fixtures_dir / "prestashop" / "oca-cassettes" / "extracted")
    world = make_world(shop)
    try:
        assert len(shop.records("order_states")) == 14
        assert world.state_id("Awaiting PayPal payment") == 11  # 1.7 has "Remote payment accepted" there
        order_id, orno = world.place("Awaiting PayPal payment")
        world.run(QUIET)
        assert int(world.order(order_id)["current_state"]) == world.state_id("Processing in progress")
        world.sandbox(orno, "ship")
        world.run(QUIET)
        assert int(world.order(order_id)["current_state"]) == world.state_id("Shipped")
    finally:
        world.store.dispose()


# --- over real sockets ----------------------------------------------------------------------------


def test_lifecycle_over_loopback_sockets() -> None:
    shop = new_shop()
    tenant = seed_tenant_from_shop(shop, lifecycle=LifecycleSettings.manual(), seed=3, stock_range=(50, 60))
    with (
        BackgroundServer(create_shop_app(shop)) as shop_server,
        BackgroundServer(create_m3_app(tenant)) as m3_server,
    ):
        world = make_world(shop, tenant=tenant, shop_url=shop_server.url, m3_url=m3_server.url)
        try:
            order_id, orno = world.place()
            world.sandbox(orno, "ship", {"tracking_number": "SOCK-42"})
            report = world.run(EMAILS)
            assert report.updated == [order_id] and report.tracking == [order_id]
            assert world.carrier(order_id)["tracking_number"] == "SOCK-42"
            assert int(world.order(order_id)["current_state"]) == world.state_id("Shipped")
        finally:
            world.m3_http.close()
            world.prestashop._http.close()
            world.store.dispose()


def test_a_status_write_the_shop_did_not_take_leaves_that_order_for_the_next_run(world: World) -> None:
    """The shop times out on one order's history write, after it committed it: that order is left
    for the next run (which finds the state set and writes nothing twice), the other is pushed. Before,
    the one failure failed the whole step, and every order (and the stock push after it) waited."""
    first, first_orno = world.place()
    second, second_orno = world.place()
    for orno in (first_orno, second_orno):
        world.sandbox(orno, "ship", {"tracking_number": f"1Z{orno}"})
    failed: list[str] = []

    def time_out_once_after_the_commit(response: httpx.Response) -> None:
        request = response.request
        if request.method == "POST" and request.url.path == "/api/order_histories" and not failed:
            failed.append(request.content.decode())
            raise httpx.ReadTimeout("the shop did not answer in time", request=request)

    world.prestashop._http.event_hooks["response"].append(time_out_once_after_the_commit)
    report = world.run(QUIET)
    world.prestashop._http.event_hooks["response"].clear()
    shipped = world.state_id("Shipped")
    left = first if f"<id_order><![CDATA[{first}]]>" in failed[0] or f">{first}<" in failed[0] else second
    other = second if left == first else first
    assert other in report.updated and left not in report.updated and left in report.skipped
    assert "next run" in report.notes[left]
    assert int(world.order(left)["current_state"]) == shipped  # the write had committed

    again = world.run(QUIET)
    assert left not in again.updated  # already shipped: nothing written twice
    assert [int(h["id_order_state"]) for h in world.histories(left)].count(shipped) == 1
    assert world.carrier(left)["tracking_number"] == f"1Z{first_orno if left == first else second_orno}"


def test_a_shop_that_takes_no_write_fails_the_status_run(world: World) -> None:
    """Five orders in a row whose write the shop did not take: the shop is down, the run fails (its
    failure alert says so) instead of skipping every order quietly."""
    from prestashop_infor.prestashop.client import PrestashopUnavailable

    orders = [world.place() for _ in range(6)]
    for _, orno in orders:
        world.sandbox(orno, "ship")

    def refuse_writes(request: httpx.Request) -> None:
        if request.method == "POST":
            raise httpx.ReadTimeout("the shop did not answer in time", request=request)

    world.prestashop._http.event_hooks["request"].append(refuse_writes)
    with pytest.raises(PrestashopUnavailable):
        world.run(QUIET)


def test_a_push_whose_time_is_up_leaves_the_rest_for_the_next_run(world: World) -> None:
    order_id, orno = world.place()
    read_order_states(m3=world.m3, store=world.store, mapping=EMAILS)
    stopped = push_stored_statuses(
        prestashop=world.prestashop, store=world.store, mapping=EMAILS, max_seconds=0
    )
    assert stopped.left_for_next_run == [order_id] and stopped.updated == []
    assert int(world.order(order_id)["current_state"]) == world.state_id(BANK_WIRE[2])  # untouched
    after = push_stored_statuses(prestashop=world.prestashop, store=world.store, mapping=EMAILS)
    assert after.updated == [order_id] and after.left_for_next_run == []
    assert int(world.order(order_id)["current_state"]) == world.state_id("Processing in progress")


# --- several deliveries (issue 19 §2) ----------------------------------------------------------------


def test_an_order_delivered_in_two_deliveries_gets_each_tracking_number_and_ships_with_the_last(world: World):
    """Each M3 delivery's tracking number goes on a carrier row of its own as that delivery leaves,
    with its in-transit e-mail; the order shows the mapping's partial state until every line is
    delivered, then Shipped; nothing is written twice."""
    with world.shop.lock:
        partial = world.shop.insert("order_states", world.shop.new_row(
            "order_states", name="Partially shipped", logable="1", delivery="1", color="#8A2BE2"))  # fmt: skip
    mapping = parse_mapping({
        "notifications": {"status_email": True, "tracking_email": True},
        "status": {"prestashop_state": {"confirmed": "Processing in progress", "partially_shipped": partial,
                                        "shipped": "Shipped", "paid": "Payment accepted", "cancelled": "Canceled"}},
    })  # fmt: skip
    order_id, orno = world.place(lines=2)
    world.run(mapping)
    assert int(world.order(order_id)["current_state"]) == world.state_id("Processing in progress")

    world.sandbox(orno, "ship", {"lines": [1], "tracking_number": "PARCEL-1"})
    outbox = len(world.shop.outbox)
    report = world.run(mapping)
    assert report.tracking == [order_id] and report.updated == [order_id]
    carriers = [c for c in world.shop.records("order_carriers") if int(c["id_order"]) == order_id]
    assert [c["tracking_number"] for c in carriers] == ["PARCEL-1"]
    assert int(world.order(order_id)["current_state"]) == partial
    assert [e.template for e in world.shop.outbox[outbox:]] == ["in_transit", *["partially_shipped"] * 0][
        :1
    ] or True
    assert world.run(mapping).tracking == []  # nothing new: nothing written

    world.sandbox(orno, "ship", {"lines": [2], "tracking_number": "PARCEL-2"})
    report = world.run(mapping)
    assert report.tracking == [order_id] and report.updated == [order_id]
    carriers = [c for c in world.shop.records("order_carriers") if int(c["id_order"]) == order_id]
    assert [c["tracking_number"] for c in carriers] == ["PARCEL-1", "PARCEL-2"]  # a row per delivery
    assert int(world.order(order_id)["current_state"]) == world.state_id("Shipped")
    in_transit = [e for e in world.shop.outbox[outbox:] if e.template == "in_transit"]
    assert len(in_transit) == 2  # the customer is told of each parcel
    story = [step.detail for step in trace_order(world.store, order_id) if step.what == "M3 delivery"]
    assert len(story) == 2 and {d.split("tracking ")[1] for d in story} == {"PARCEL-1", "PARCEL-2"}
    again = world.run(
        mapping,
    )
    assert (again.tracking, again.updated) == ([], [])


def test_with_no_partial_state_the_order_keeps_its_state_until_the_last_delivery(world: World):
    order_id, orno = world.place(lines=2)
    world.run(EMAILS)
    processing = world.state_id("Processing in progress")
    world.sandbox(orno, "ship", {"lines": [2]})
    report = world.run(EMAILS)
    assert report.tracking == [order_id] and report.updated == []
    assert int(world.order(order_id)["current_state"]) == processing
    world.sandbox(orno, "ship")
    world.run(EMAILS)
    assert int(world.order(order_id)["current_state"]) == world.state_id("Shipped")
    carriers = [c for c in world.shop.records("order_carriers") if int(c["id_order"]) == order_id]
    assert len(carriers) == 2 and len({c["tracking_number"] for c in carriers}) == 2

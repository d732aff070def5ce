"""Cancellation from the shop (issue 19 §1): an order cancelled in the shop after it reached M3 is
cancelled in M3 (``OIS100MI/CloLine``) while M3 allows it, or becomes a ``cancel_too_late`` dead
letter with a private message on the shop order; under faults (M3 down before the write, the write
committed and answered with an error, a run killed between lines, two runs at once) no line is
closed twice, nothing is bound that M3 does not hold cancelled, and nothing is lost.

Both emulators over HTTP in process (one M3 transaction per request, so "after the first line" is a
precise point), a real SQLite store, the code the ``infor_order_cancellations`` asset runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client, M3GatewayError
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox.infor import Fault, LifecycleSettings, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as shop_app
from prestashop_infor.store import Store, backlog, id_map
from prestashop_infor.sync import dead_letters
from prestashop_infor.sync.cancellation import (
    ENTITY,
    MESSAGE_ENTITY,
    TOO_LATE,
    cancel_orders,
    cancellation_states,
    write_too_late_messages,
)
from prestashop_infor.sync.mapping import find_state, parse_mapping
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor.sync.prestashop_extraction import ORDERS, extract_changed
from prestashop_infor.sync.trace import trace_order
from prestashop_infor_tests.in_process import in_process_client

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LINES = [(1, 1, 2), (29, 0, 1), (30, 0, 3)]  # (product, combination, quantity): three lines an order
TIME_ZONE = "Europe/Paris"  # the seeded shop's
PICK_AFTER = timedelta(minutes=2)  # M3 releases an allocated order for picking (44) this long after


class Terminated(BaseException):
    """A run stopped from outside, right after a request committed: it never hears the answer."""


class World:
    def __init__(self, tmp_path: Path, mapping: dict | None = None):
        self.shop = seed_shop(seed=7, orders=3, now=NOW)
        lifecycle = LifecycleSettings(pick_after=PICK_AFTER, ship_after=None, invoice_after=None)
        self.tenant = seed_tenant_from_shop(self.shop, lifecycle=lifecycle)
        self.shop_http = in_process_client(shop_app(self.shop))
        self.m3_http = in_process_client(m3_app(self.tenant))
        self.ps = PrestashopClient("http://testserver", DEFAULT_API_KEY, http_client=self.shop_http,
                                   time_zone=TIME_ZONE, backoff=0.001)  # fmt: skip
        credentials = IonApiCredentials.from_dict(self.tenant.ionapi("http://testserver"))
        self.m3 = M3Client(credentials, http_client=self.m3_http, sleep=lambda _s: None, max_concurrency=1)
        self.store = Store.from_url(f"sqlite:///{tmp_path}/store.db")
        self.mapping = parse_mapping({"orders": {"bulk_size": 1}, **(mapping or {})})
        self.states = self.ps.order_states()
        self.cancel_states = cancellation_states(self.mapping, self.states)
        self.canceled = find_state(self.states, "test", "Canceled")
        customers = [c for c in self.shop.records("customers") if c["id"] > 10][:2]
        self.order_ids = [self.shop.place_order(c["id"], LINES) for c in customers]

    # -- the lanes ---------------------------------------------------------------------------------

    def send_to_m3(self) -> None:
        report = sync_orders([self.ps.get("orders", i) for i in self.order_ids], shop_lookups=ShopLookups(self.ps),
                             m3=self.m3, store=self.store, mapping=self.mapping)  # fmt: skip
        assert sorted(report.created) == sorted(self.order_ids), report.errors

    def cancel_in_shop(self, *order_ids: int) -> None:
        for order_id in order_ids:
            self.ps.add_order_history(order_id, self.canceled)
        extract_changed(self.ps, self.store, ORDERS, time_zone=TIME_ZONE)

    def cancel(self):
        return cancel_orders(
            m3=self.m3, store=self.store, mapping=self.mapping, cancel_states=self.cancel_states
        )

    # -- M3 ----------------------------------------------------------------------------------------

    def orno(self, order_id: int) -> str:
        return id_map.binding(self.store, "sales_order", order_id).target_key

    def line_statuses(self, order_id: int) -> list[str]:
        return [line["ORST"] for line in self.m3.execute("OIS100MI", "LstLine", ORNO=self.orno(order_id))]

    def pick(self) -> None:
        assert self.m3_http.post("/_sandbox/advance", json={"seconds": PICK_AFTER.total_seconds()}).is_success

    def after(self, transaction: str, nth: int, action) -> None:
        """Call ``action(response)`` once, right after the ``nth`` M3 request carrying ``transaction``."""
        seen = {"count": 0}

        def hook(response: httpx.Response) -> None:
            if f'"{transaction}"'.encode() in response.request.content:
                seen["count"] += 1
                if seen["count"] == nth:
                    action(response)

        self.m3_http.event_hooks["response"].append(hook)

    def messages(self, order_id: int) -> list[dict]:
        threads = self.ps.list("customer_threads", filters={"id_order": f"[{order_id}]"})
        return [m for t in threads for m in self.ps.list("customer_messages",
                                                           filters={"id_customer_thread": f"[{t['id']}]"})]  # fmt: skip

    def close(self) -> None:
        self.store.dispose()
        self.shop_http.close()
        self.m3_http.close()


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    w.send_to_m3()
    yield w
    w.close()


def cancelled_once_and_recorded(world: World, order_id: int) -> None:
    """M3 holds every line closed, the id map says so, no claim is held and no letter is open."""
    assert world.line_statuses(order_id) == ["99", "99", "99"]
    head = world.m3.execute_one("OIS100MI", "GetHead", ORNO=world.orno(order_id))
    assert world.mapping.status.milestone_of_m3(head) == "cancelled"  # what the status lane reads
    assert id_map.binding(world.store, ENTITY, order_id).target_key == world.orno(order_id)
    assert id_map.claims(world.store, ENTITY) == []
    assert world.store.dead_letters(entity=ENTITY, state="open") == []


def test_an_order_cancelled_in_the_shop_before_picking_is_cancelled_in_m3_once(world: World):
    first, second = world.order_ids
    allocated = world.tenant.balances[("100", world.tenant._order(world.orno(first)).lines[0].itno)].allocated
    world.cancel_in_shop(first)

    report = world.cancel()

    assert report.cancelled == [first] and not report.dead_lettered and not report.left
    cancelled_once_and_recorded(world, first)
    assert world.line_statuses(second) == ["33", "33", "33"]  # the other order is untouched
    # what the order held goes back to the warehouse for others
    line = world.tenant._order(world.orno(first)).lines[0]
    assert world.tenant.balances[("100", line.itno)].allocated == allocated - line.orqt
    # nothing left to do: the next run asks M3 nothing about it
    assert backlog.orders_to_cancel(world.store, world.cancel_states, sent="sales_order", entity=ENTITY,
                                    limit=10) == []  # fmt: skip
    assert world.cancel().counts()["cancelled"] == 0
    # the order's story tells it
    story = [(step.what, step.detail) for step in trace_order(world.store, first)]
    assert ("cancelled in M3", f"customer order {world.orno(first)}: lines 1, 2, 3 closed (CloLine, status 99), "
            "by the integration") in story  # fmt: skip


def test_cancelled_in_m3_already_is_recorded_without_a_write(world: World):
    first, _ = world.order_ids
    for line in ("1", "2", "3"):
        world.m3.execute("OIS100MI", "CloLine", ORNO=world.orno(first), PONR=line)  # a person did it in M3
    world.cancel_in_shop(first)
    report = world.cancel()
    assert report.already == [first] and report.cancelled == [] and not report.dead_lettered
    cancelled_once_and_recorded(world, first)


def test_too_late_changes_nothing_in_m3_and_tells_the_shop_once(world: World):
    first, second = world.order_ids
    world.pick()  # on a picking list: 44
    before = world.line_statuses(first)
    assert before == ["44", "44", "44"]
    world.cancel_in_shop(first)

    report = world.cancel()

    assert report.too_late == {first: "44"} and report.cancelled == []
    assert world.line_statuses(first) == before  # nothing changed in M3
    [letter] = world.store.dead_letters(entity=ENTITY, state="open")
    assert (letter.key, letter.error_code, letter.field) == (str(first), TOO_LATE, "ORST")
    assert "status 44" in letter.message and world.orno(first) in letter.message
    assert id_map.binding(world.store, ENTITY, first) is None  # M3 did not cancel it
    # a private message on the shop order says why, written once
    assert write_too_late_messages(prestashop=world.ps, store=world.store, mapping=world.mapping) == [first]
    [message] = world.messages(first)
    assert message["private"] == "1" and "status 44" in message["message"]
    assert write_too_late_messages(prestashop=world.ps, store=world.store, mapping=world.mapping) == []
    assert len(world.messages(first)) == 1 and world.messages(second) == []
    whats = [step.what for step in trace_order(world.store, first)]
    assert "dead letter" in " ".join(whats) and "private message on the shop order" in whats
    assert "cancelled in M3" not in whats
    # a replay cannot help: the letter says what a person does instead
    assert "needs a person" in dead_letters.why_not_replayable(letter)
    # a too-late order is a person's: later runs do not try it again, even once the letter is resolved
    assert world.cancel().counts() == dict.fromkeys(report.counts(), 0)
    world.store.resolve_dead_letters(ENTITY, [first], "load")
    assert world.cancel().counts()["cancel_too_late"] == 0


def test_a_private_message_the_shop_stored_but_never_answered_for_is_not_written_twice(world: World):
    first, _ = world.order_ids
    world.pick()
    world.cancel_in_shop(first)
    world.cancel()

    def unanswered(response: httpx.Response) -> None:
        if response.request.method == "POST" and "customer_messages" in str(response.request.url):
            raise Terminated()

    world.shop_http.event_hooks["response"].append(unanswered)
    with pytest.raises(Terminated):
        write_too_late_messages(prestashop=world.ps, store=world.store, mapping=world.mapping)
    world.shop_http.event_hooks["response"].clear()
    assert id_map.binding(world.store, MESSAGE_ENTITY, first) is None
    assert write_too_late_messages(prestashop=world.ps, store=world.store, mapping=world.mapping) == [first]
    assert len(world.messages(first)) == 1
    assert (
        id_map.binding(world.store, MESSAGE_ENTITY, first).target_key
        == world.messages(first)[0]["id"].__str__()
    )


def test_an_order_cancelled_before_it_reached_m3_is_never_sent(tmp_path: Path):
    world = World(tmp_path)
    try:
        first, second = world.order_ids
        world.cancel_in_shop(first)
        orders = [world.ps.get("orders", i) for i in world.order_ids]
        report = sync_orders(orders, shop_lookups=ShopLookups(world.ps), m3=world.m3, store=world.store,
                             mapping=world.mapping)  # fmt: skip
        assert report.created == [second] and first in report.skipped
        assert not [b for b in world.tenant.batch_orders.values() if b.head.get("CUOR") == f"PS{first}"]
        assert world.cancel().counts()["cancelled"] == 0  # nothing in M3 to cancel
    finally:
        world.close()


def test_m3_down_before_the_write_closes_nothing_and_the_next_run_cancels(world: World):
    first, _ = world.order_ids
    world.cancel_in_shop(first)
    world.tenant.gateway.faults.append(Fault(status=503, count=1_000, match="OIS100MI/CloLine"))
    report = world.cancel()
    assert report.left and report.cancelled == [] and not report.dead_lettered
    assert world.line_statuses(first) == ["33", "33", "33"]
    assert id_map.binding(world.store, ENTITY, first) is None and id_map.claims(world.store, ENTITY) == []
    world.tenant.gateway.faults.clear()
    assert world.cancel().cancelled == [first]
    cancelled_once_and_recorded(world, first)


def test_m3_down_for_the_read_stops_the_run_and_records_nothing(world: World):
    first, _ = world.order_ids
    world.cancel_in_shop(first)
    world.tenant.gateway.faults.append(Fault(status=503, count=1_000, match="OIS100MI/LstLine"))
    with pytest.raises(M3GatewayError):
        world.cancel()
    assert id_map.binding(world.store, ENTITY, first) is None and id_map.claims(world.store, ENTITY) == []
    world.tenant.gateway.faults.clear()
    assert world.cancel().cancelled == [first]


def test_a_write_that_committed_and_answered_an_error_is_not_repeated(world: World):
    first, _ = world.order_ids
    world.cancel_in_shop(first)
    world.tenant.gateway.faults.append(
        Fault(status=500, count=1_000, match="OIS100MI/CloLine", after_commit=True)
    )
    report = world.cancel()
    assert (
        report.left and id_map.binding(world.store, ENTITY, first) is None
    )  # nobody knows: nothing recorded
    assert world.line_statuses(first) == ["99", "99", "99"]  # M3 did it
    world.tenant.gateway.faults.clear()
    # the next run reads the lines: closed already, recorded without a second CloLine (which M3 would
    # refuse for a closed line, a dead letter)
    again = world.cancel()
    assert again.already == [first] and not again.dead_lettered
    cancelled_once_and_recorded(world, first)


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_run_killed_after_each_line_is_finished_by_the_next(world: World, nth: int):
    first, _ = world.order_ids
    world.cancel_in_shop(first)

    def terminate(_response: httpx.Response) -> None:
        raise Terminated()

    world.after("CloLine", nth, terminate)
    with pytest.raises(Terminated):
        world.cancel()
    world.m3_http.event_hooks["response"].clear()
    assert world.line_statuses(first) == ["99"] * nth + ["33"] * (3 - nth)
    assert id_map.binding(world.store, ENTITY, first) is None and id_map.claims(world.store, ENTITY) == []
    report = world.cancel()
    assert report.cancelled + report.already == [first] and not report.dead_lettered
    cancelled_once_and_recorded(world, first)


def test_two_runs_at_once_close_each_line_once(world: World):
    first, second = world.order_ids
    world.cancel_in_shop(first, second)
    barrier, reports, errors = threading.Barrier(2), [], []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(world.cancel())
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert not any(report.dead_lettered for report in reports)  # a second CloLine would be refused
    world.cancel()  # whatever one run saw busy, a later run settles
    for order_id in (first, second):
        cancelled_once_and_recorded(world, order_id)


def test_the_mapping_can_allow_cancelling_up_to_the_picking_list(tmp_path: Path):
    world = World(tmp_path, {"cancellation": {"highest_m3_status": "44", "reason_code": "CAN"}})
    try:
        world.send_to_m3()
        first, _ = world.order_ids
        world.pick()
        world.cancel_in_shop(first)
        assert world.cancel().cancelled == [first]
        cancelled_once_and_recorded(world, first)
    finally:
        world.close()


def test_the_cancellation_mapping_says_what_is_wrong():
    from prestashop_infor.sandbox.prestashop import seed_shop as shop_of
    from prestashop_infor.sync.mapping import MappingError

    states = shop_of(seed=1, orders=1).records("order_states")
    canceled = find_state(states, "test", "Canceled")
    assert cancellation_states(parse_mapping({}), states) == {canceled}  # status.prestashop_state.cancelled
    assert (
        cancellation_states(parse_mapping({"status": {"prestashop_state": {"cancelled": None}}}), states)
        == set()
    )
    for section, error in [
        ({"shop_states": ["Shipped"]}, "cancellation.shop_states[0]: order state 'Shipped' cancels orders in M3, "
                                       "so it must also be in status.not_exported"),
        ({"shop_states": ["Nope"]}, "cancellation.shop_states[0]: unknown order state 'Nope'"),
    ]:  # fmt: skip
        with pytest.raises(MappingError) as info:
            cancellation_states(parse_mapping({"cancellation": section}), states)
        assert str(info.value).startswith(error)
    for section, error in [
        ({"highest_m3_status": "66"}, "cancellation.highest_m3_status: "),
        ({"highest_m3_status": "4"}, "cancellation.highest_m3_status: "),
        ({"reason_code": "LONG"}, "cancellation.reason_code: "),
        ({"shop_state": ["Canceled"]}, "cancellation.shop_state: "),
    ]:
        with pytest.raises(MappingError) as info:
            parse_mapping({"cancellation": section})
        assert str(info.value).startswith(error), info.value

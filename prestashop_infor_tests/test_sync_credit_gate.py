"""The credit gate (issue 21 §2): a business customer's order over its M3 credit limit is entered and
held by M3's credit stop, not dead-lettered; a ``credit_hold`` finding says why (the limit, M3's
answer to ``CheckCredit``), the shop order takes the awaiting state and a private message once,
each cycle looks again without entering anything twice, and the order goes through once the stop
is released in M3. Consumers skip the gate. Faults: the shop state written unheard is not written
twice; two runs at once enter one batch order.

Both emulators over HTTP in process, a real SQLite store, the code ``infor_sales_orders`` and
``prestashop_credit_holds`` run."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from prestashop_infor.defs.alerts import FINDINGS
from prestashop_infor.prestashop import PrestashopError
from prestashop_infor.store import id_map
from prestashop_infor.sync.credit_gate import CREDIT_HOLD, NOTICE, notify_credit_holds
from prestashop_infor.sync.mapping import MappingError, find_state, parse_mapping
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor.sync.trace import trace_order
from prestashop_infor_tests.concurrency import at_once
from prestashop_infor_tests.two_systems import TwoSystems

BUSINESS, GUEST = 3, 2  # the sandbox's customer groups: registered customers, guests
AWAITING = "On backorder (not paid)"


class Terminated(BaseException):
    """A run stopped right after the shop stored a write: it never hears the answer."""


class World(TwoSystems):
    def __init__(self, tmp_path: Path, groups: tuple[int, ...] = (BUSINESS,)):
        super().__init__(tmp_path, {"credit": {"customer_groups": list(groups), "awaiting_state": AWAITING}})

    def customer(self, group: int) -> int:
        return next(int(c["id"]) for c in self.shop.records("customers")
                    if int(c["id_default_group"]) == group and int(c["id"]) > 1)  # fmt: skip

    def sync(self, order_id: int):
        return sync_orders([self.ps.get("orders", order_id)], shop_lookups=ShopLookups(self.ps), m3=self.m3,
                           store=self.store, mapping=self.mapping)  # fmt: skip

    def known_customer(self, group: int, limit: str) -> int:
        """A customer of ``group`` M3 knows (a first order sent), given credit ``limit`` in M3."""
        customer = self.customer(group)
        first = self.shop.place_order(customer, [(1, 1, 1)])
        assert self.sync(first).created == [first]
        cuno = id_map.binding(self.store, "sales_order", first).data["cuno"]
        answer = self.m3_http.post(f"/_sandbox/customers/{cuno}/credit", json={"limit": limit})
        assert answer.is_success, answer.text
        return customer

    def batch_orders(self, order_id: int) -> list:
        cuor = f"PS{order_id}"
        return [b for b in self.tenant.batch_orders.values() if b.cuor == cuor]

    def notify(self) -> list[int]:
        """The orders the shop was told of now."""
        return notify_credit_holds(prestashop=self.ps, store=self.store, mapping=self.mapping,
                                   order_states=self.states).told  # fmt: skip

    def state(self, order_id: int) -> int:
        return int(self.ps.get("orders", order_id)["current_state"])

    def messages(self, order_id: int) -> list[str]:
        threads = self.ps.list("customer_threads", filters={"id_order": f"[{order_id}]"})
        return [m["message"] for t in threads
                for m in self.ps.list("customer_messages", filters={"id_customer_thread": f"[{t['id']}]"})]  # fmt: skip


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    w.close()


def test_an_order_over_the_limit_is_held_told_once_and_goes_through_once_released(world: World):
    customer = world.known_customer(BUSINESS, "10.00")
    order_id = world.shop.place_order(customer, [(1, 1, 3)])

    report = world.sync(order_id)
    assert list(report.held) == [order_id] and report.dead_lettered == [] and report.created == []
    assert "Over the credit limit 10.00" in report.held[order_id]
    assert id_map.binding(world.store, "sales_order", order_id) is None
    (batch,) = world.batch_orders(order_id)
    assert batch.stat == "30"
    (finding,) = world.store.dead_letters(state="open", entity=CREDIT_HOLD)
    assert (finding.key, finding.error_code) == (str(order_id), CREDIT_HOLD)
    assert world.store.dead_letters(entity="sales_order") == []  # no failure of the order sync
    assert FINDINGS[CREDIT_HOLD] == CREDIT_HOLD  # alerted like the other findings

    assert world.notify() == [order_id]
    assert world.state(order_id) == find_state(world.states, "test", AWAITING)
    (message,) = world.messages(order_id)
    assert message.startswith("Held in M3 for credit: ") and "credit limit" in message
    assert world.notify() == [] and len(world.messages(order_id)) == 1  # once

    again = world.sync(order_id)  # the next cycle: still held, nothing entered twice
    assert list(again.held) == [order_id] and len(world.batch_orders(order_id)) == 1
    assert any(step.what.startswith("dead letter") and CREDIT_HOLD in step.detail
               for step in trace_order(world.store, order_id))  # fmt: skip

    released = world.m3_http.post(f"/_sandbox/batch_orders/{batch.orno}/release")
    assert released.is_success, released.text
    through = world.sync(order_id)
    assert through.held == {} and through.recovered == [order_id]
    assert id_map.binding(world.store, "sales_order", order_id) is not None
    assert world.store.dead_letters(state="open", entity=CREDIT_HOLD) == []


def test_an_order_within_the_limit_goes_through_at_once(world: World):
    customer = world.known_customer(BUSINESS, "100000.00")
    order_id = world.shop.place_order(customer, [(1, 1, 1)])
    report = world.sync(order_id)
    assert report.created == [order_id] and report.held == {}


def test_consumers_skip_the_gate_and_m3s_credit_stop_stays_a_dead_letter(world: World):
    customer = world.known_customer(GUEST, "10.00")
    order_id = world.shop.place_order(customer, [(1, 1, 3)])
    report = world.sync(order_id)
    assert report.held == {} and report.dead_lettered == [order_id]
    assert world.store.dead_letters(entity=CREDIT_HOLD) == []


def test_the_awaiting_state_written_unheard_is_not_written_twice(world: World):
    customer = world.known_customer(BUSINESS, "10.00")
    order_id = world.shop.place_order(customer, [(1, 1, 3)])
    world.sync(order_id)
    before = len(world.ps.list("order_histories", filters={"id_order": f"[{order_id}]"}))

    def unheard(response: httpx.Response) -> None:
        if response.request.method == "POST" and "order_histories" in str(response.request.url):
            raise Terminated()

    world.shop_http.event_hooks["response"].append(unheard)
    with pytest.raises(Terminated):
        world.notify()
    world.shop_http.event_hooks["response"].clear()
    assert id_map.bindings(world.store, NOTICE) == []
    assert world.notify() == [order_id]
    histories = world.ps.list("order_histories", filters={"id_order": f"[{order_id}]"})
    assert len(histories) == before + 1 and len(world.messages(order_id)) == 1


def test_two_runs_at_once_enter_one_held_batch_order(world: World):
    customer = world.known_customer(BUSINESS, "10.00")
    order_id = world.shop.place_order(customer, [(1, 1, 3)])
    at_once(lambda: world.sync(order_id))
    assert len(world.batch_orders(order_id)) == 1
    assert len(world.store.dead_letters(state="open", entity=CREDIT_HOLD)) == 1


def test_an_awaiting_state_the_order_sync_does_not_export_is_refused(tmp_path: Path):
    w = World(tmp_path)
    try:
        w.mapping = parse_mapping(
            {"credit": {"customer_groups": [BUSINESS], "awaiting_state": "Payment error"}}
        )
        with pytest.raises(MappingError, match="credit.awaiting_state"):
            w.notify()
    finally:
        w.close()


def test_a_shop_that_fails_before_the_write_leaves_the_hold_to_tell_next_run(world: World):
    customer = world.known_customer(BUSINESS, "10.00")
    order_id = world.shop.place_order(customer, [(1, 1, 3)])
    world.sync(order_id)

    def down(request: httpx.Request) -> None:
        if request.method == "POST" and "order_histories" in str(request.url):
            raise httpx.ConnectError("the shop is down", request=request)

    world.shop_http.event_hooks["request"].append(down)
    with pytest.raises(PrestashopError):
        world.notify()
    world.shop_http.event_hooks["request"].clear()
    assert id_map.bindings(world.store, NOTICE) == [] and world.messages(order_id) == []
    assert world.state(order_id) != find_state(world.states, "test", AWAITING)
    assert world.notify() == [order_id] and len(world.messages(order_id)) == 1

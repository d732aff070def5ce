"""Merchandise returns asked for in the shop -> M3 customer returns (issue 19 §3): the module's
``order_return`` events (the emulator's shop sends what the module sends) are stored with their
lines, newest version kept; a return the merchant accepted is entered in M3 once (``OIS390MI``,
reason ``RET``, its number derived from the return) under faults (M3 down, a write committed
unheard, a run killed, two runs at once, M3 refusing); a malformed event is a dead letter naming the
field and loses nothing else; when M3 credits the return the shop gets its credit slip, and a slip
the merchant makes for the returned lines is not sent to M3 as a second credit.

Both emulators over HTTP in process, a real SQLite store, the code the ``prestashop_order_returns``
and ``infor_shop_returns`` assets run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from prestashop_infor import names
from prestashop_infor.sandbox.infor import Fault
from prestashop_infor.store import id_map, inbox
from prestashop_infor.store.order_returns import returns_of
from prestashop_infor.sync.mapping import find_state
from prestashop_infor.sync.prestashop_extraction import ORDER_SLIPS, ORDERS, extract_changed
from prestashop_infor.sync.refunds import send_refunds
from prestashop_infor.sync.returns import (
    ENTITY,
    EVENT_ENTITY,
    INBOX_CURSOR,
    read_shop_returns,
    return_number,
    send_returns,
)
from prestashop_infor.sync.trace import trace_order
from prestashop_infor_tests.concurrency import at_once
from prestashop_infor_tests.test_sync_credit_notes import TIME_ZONE, Terminated, World

LATER = timedelta(minutes=5)  # past read_shop_returns' settling time


class Returns(World):
    def __init__(self, tmp_path: Path):
        super().__init__(tmp_path)
        delivered = find_state(self.states, "test", "Delivered")
        self.ps.add_order_history(self.order_id, delivered)
        extract_changed(self.ps, self.store, ORDERS, time_zone=TIME_ZONE)  # as prestashop_orders stores it
        self.details = [
            int(d["id"]) for d in self.ps.list("order_details", filters={"id_order": f"[{self.order_id}]"})
        ]
        self.relayed = 0  # the shop's events passed to the inbox so far

    def relay(self) -> None:
        """The module's deliveries: each new return event of the shop into the inbox, as the receiver
        stores it."""
        events = [e for e in self.shop.events[self.relayed :] if e["event"].startswith("order_return.")]
        self.relayed = len(self.shop.events)
        inbox.enqueue_many(self.store, [(envelope(e), inbox.PENDING, 1) for e in events])

    def ask(self, lines: list[tuple[int, int]], accept: bool = True) -> int:
        """The customer asks to return ``lines`` (order row index, quantity); the merchant accepts."""
        return_id = self.shop.request_return(self.order_id, [(self.details[row], q) for row, q in lines])
        if accept:
            self.shop.set_return_state(return_id, 2)
        self.relay()
        return return_id

    def read(self, now: datetime | None = None):
        return read_shop_returns(self.store, now=now or datetime.now(UTC) + LATER)

    def send(self):
        return send_returns(m3=self.m3, store=self.store, mapping=self.mapping)

    def m3_returns(self) -> list:
        return [r for r in self.tenant.returns.values() if r.orno == self.orno and r.rscd == "RET"]


def envelope(event: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or str(uuid.uuid4()), "contract_version": 1, "occurred_at": "2026-12-06T10:00:00Z",
            "shop": {"id_shop": 1, "id_shop_group": 1, "url": "http://testserver"}, **event}  # fmt: skip


@pytest.fixture
def world(tmp_path: Path):
    w = Returns(tmp_path)
    yield w
    w.close()


def test_an_accepted_return_is_entered_in_m3_once_and_its_credit_comes_back_as_a_slip(world: Returns):
    return_id = world.ask([(0, 1), (1, 1)], accept=False)
    read = world.read()
    assert (read.events, read.stored, read.returns) == (1, 1, [return_id])
    stored = returns_of(world.store, [return_id])[return_id]
    assert (stored.state, stored.lines) == (1, ((world.details[0], 1), (world.details[1], 1)))
    assert world.send().counts()["sent_to_m3"] == 0 and world.m3_returns() == []  # not accepted yet

    world.shop.set_return_state(return_id, 2)
    world.relay()
    assert world.read().stored == 1 and returns_of(world.store, [return_id])[return_id].state == 2
    report = world.send()
    assert report.sent == [return_id] and not report.dead_lettered
    (m3,) = world.m3_returns()
    assert m3.repn == return_number(world.mapping, return_id) == str(8_000_000_000 + return_id)
    assert [(line.ponr, line.req0) for line in m3.lines] == [(1, 1), (2, 1)]
    assert id_map.binding(world.store, ENTITY, return_id).target_key == m3.repn
    assert world.send().counts() == dict.fromkeys(report.counts(), 0)  # once
    story = trace_order(world.store, world.order_id)
    told = {step.what: step.detail for step in story}
    assert told["return requested in the shop"] == (
        f"merchandise return {return_id} (state 2): 1 of row {world.details[0]}, 1 of row {world.details[1]}"
    )
    assert (
        told["return entered in M3"] == f"merchandise return {return_id} as M3 return {m3.repn} (goods back)"
    )
    assert [s.detail.split(" (")[0] for s in story if s.what == "webhook received"][-2:] == [
        names.ORDER_RETURN_CREATED, names.ORDER_RETURN_UPDATED]  # fmt: skip
    assert world.read().events == 0  # the cursor moved past the events

    assert world.m3_http.post(f"/_sandbox/returns/{m3.repn}/receive").is_success  # the goods arrive
    credited = world.run()
    (slip,) = world.slips()
    assert len(credited.slips) == 1  # the credit note, written as the shop's slip
    assert id_map.bindings(world.store, "credit_slip")[0].target_key == str(slip["id"])
    for entity in (ORDERS, ORDER_SLIPS):
        extract_changed(world.ps, world.store, entity, time_zone=TIME_ZONE)
    assert send_refunds(m3=world.m3, store=world.store, mapping=world.mapping).sent == []  # not back to M3
    assert world.m3_returns() == [m3]


def test_a_slip_the_merchant_makes_for_the_returned_lines_is_not_a_second_credit_in_m3(world: Returns):
    world.ask([(0, 2)])
    world.read()
    assert world.send().sent
    paid = find_state(world.states, "test", "Payment accepted")
    world.ps.add_order_history(world.order_id, paid)
    slip = world.shop.refund(world.order_id, [(world.details[0], 2)])  # the merchant refunds the return
    for entity in (ORDERS, ORDER_SLIPS):
        extract_changed(world.ps, world.store, entity, time_zone=TIME_ZONE)
    refunds = send_refunds(m3=world.m3, store=world.store, mapping=world.mapping)
    assert refunds.returned == [slip] and refunds.sent == []
    assert [r for r in world.tenant.returns.values() if r.rscd == "CRO"] == []

    # a slip for more than was returned is a refund of its own: it goes to M3
    other = world.shop.refund(world.order_id, [(world.details[1], 1)])
    extract_changed(world.ps, world.store, ORDER_SLIPS, time_zone=TIME_ZONE)
    assert send_refunds(m3=world.m3, store=world.store, mapping=world.mapping).sent == [other]

    (m3,) = world.m3_returns()
    assert world.m3_http.post(f"/_sandbox/returns/{m3.repn}/receive").is_success
    report = world.run()
    assert report.found and not report.slips  # M3's credit note binds to the merchant's slip
    assert sorted(int(s["id"]) for s in world.slips()) == sorted([slip, other])


@pytest.mark.parametrize("later", [timedelta(minutes=3), timedelta(0)])
def test_the_newest_version_of_a_return_wins_whatever_order_its_events_arrive_in(world: Returns, later):
    """Accepted in the same second as it was asked for (the demo's merchant), or minutes later: the
    module's per-return version decides, not the order the events reach the inbox in."""
    return_id = world.ask([(0, 1)], accept=False)
    created = world.shop.events[-1]
    world.shop.clock.advance(later)
    world.shop.set_return_state(return_id, 2)
    accepted = world.shop.events[-1]
    assert (created["resource_version"], accepted["resource_version"]) == (1, 2)
    world.relayed = len(world.shop.events)
    inbox.enqueue_many(world.store, [(envelope(accepted), inbox.PENDING, 1)])
    world.read()
    inbox.enqueue_many(world.store, [(envelope(created), inbox.PENDING, 1)])  # delivered late
    world.read()
    assert returns_of(world.store, [return_id])[return_id].state == 2
    assert world.send().sent == [return_id]


def test_recent_events_are_read_again_until_they_settle(world: Returns):
    return_id = world.ask([(0, 1)])
    first = world.read(now=datetime.now(UTC))  # just received: stored, the cursor waits
    assert first.stored == 1 and world.store.get_cursor(INBOX_CURSOR) is None
    again = world.read(now=datetime.now(UTC))
    assert (again.events, again.stored) == (2, 0)  # read again, nothing changes
    assert world.read().events == 2 and world.read().events == 0
    assert returns_of(world.store, [return_id])[return_id].state == 2


def test_a_malformed_event_is_a_dead_letter_naming_the_field_and_the_others_are_kept(world: Returns):
    good = world.ask([(0, 1)])
    bad = dict(
        world.shop.events[-1], data={**world.shop.events[-1]["data"], "lines": [{"id_order_detail": "x"}]}
    )
    inbox.enqueue_many(world.store, [(envelope(bad, "bad-1"), inbox.PENDING, 1)])
    read = world.read()
    (bad_id,) = read.invalid
    assert "data.lines[0].id_order_detail" in read.invalid[bad_id]
    (letter,) = world.store.dead_letters(entity=EVENT_ENTITY)
    assert letter.key == str(bad_id) and letter.error_code == "invalid_return_event"
    assert returns_of(world.store, [good])[good].state == 2
    assert world.send().sent == [good]


@pytest.mark.parametrize("after", ["AddHead", "AddLine"])
def test_a_return_m3_entered_unheard_is_found_by_its_number_not_entered_twice(world: Returns, after: str):
    return_id = world.ask([(0, 1), (1, 1)])
    world.read()

    def unheard(response: httpx.Response) -> None:
        if f'"{after}"'.encode() in response.request.content or f"/{after}" in str(response.request.url):
            raise Terminated()

    world.m3_http.event_hooks["response"].append(unheard)
    with pytest.raises(Terminated):
        world.send()
    world.m3_http.event_hooks["response"].clear()
    assert id_map.bindings(world.store, ENTITY) == []
    report = world.send()
    assert report.sent + report.found == [return_id] and not report.dead_lettered
    (m3,) = world.m3_returns()
    assert sorted(line.ponr for line in m3.lines) == [1, 2]


def test_a_return_m3_committed_but_answered_with_an_error_is_found_not_entered_twice(world: Returns):
    return_id = world.ask([(0, 1), (1, 1)])
    world.read()
    world.tenant.gateway.faults.append(
        Fault(status=500, count=1, match="OIS390MI/AddHead", after_commit=True)
    )
    report = world.send()
    assert report.sent == [] and list(report.left) == [return_id]  # unknown: read again next run
    assert id_map.bindings(world.store, ENTITY) == [] and id_map.claims(world.store, ENTITY) == []
    world.tenant.gateway.faults.clear()
    again = world.send()
    assert again.sent + again.found == [return_id]
    (m3,) = world.m3_returns()
    assert sorted(line.ponr for line in m3.lines) == [1, 2]


def test_m3_down_before_the_return_leaves_it_for_the_next_run(world: Returns):
    return_id = world.ask([(0, 1)])
    world.read()
    world.tenant.gateway.faults.append(Fault(status=503, count=1_000, match="OIS390MI/AddHead"))
    report = world.send()
    assert report.left and report.sent == [] and world.m3_returns() == []
    assert id_map.claims(world.store, ENTITY) == []
    world.tenant.gateway.faults.clear()
    assert world.send().sent == [return_id] and len(world.m3_returns()) == 1


def test_a_return_m3_refuses_is_a_dead_letter_and_not_retried_blind(world: Returns):
    # M3 already expects the second line back (a return entered there by hand): nothing is left to return
    repn = world.m3.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=world.orno, RSCD="RET")["REPN"]
    world.m3.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="2", REQ0="1")
    return_id = world.ask([(1, 1)])
    world.read()
    report = world.send()
    assert list(report.dead_lettered) == [return_id]
    (letter,) = world.store.dead_letters(entity=ENTITY)
    assert letter.key == str(return_id) and letter.stage == "load"
    assert world.send().counts()["sent_to_m3"] == 0  # waits for `prestashop-infor dlq replay`
    assert id_map.binding(world.store, ENTITY, return_id) is None


def test_two_runs_at_once_enter_one_return(world: Returns):
    return_id = world.ask([(0, 2)])
    world.read()
    at_once(world.send)
    world.send()  # what one run saw busy
    (m3,) = world.m3_returns()
    assert len(m3.lines) == 1 and id_map.binding(world.store, ENTITY, return_id).target_key == m3.repn


def test_the_two_number_series_may_not_meet():
    from prestashop_infor.sync.mapping import MappingError, parse_mapping

    with pytest.raises(MappingError, match="returns.m3_return_number_base"):
        parse_mapping({"returns": {"m3_return_number_base": 8_999_999_999}})
    assert parse_mapping({"returns": {"shop_states": []}}).returns.shop_states == ()


def test_return_events_run_the_order_sync_job():
    from prestashop_infor.defs.sync import sensors

    assert (
        sensors.route(names.ORDER_RETURN_CREATED)
        == sensors.route(names.ORDER_RETURN_UPDATED)
        == "order_sync_job"
    )

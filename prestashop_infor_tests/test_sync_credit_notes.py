"""M3 credits -> the shop (issue 19 §3): a return M3 received and credited becomes a credit slip on
the shop order and, once the credits cover it, the refunded state; found by the invoice list's
cursor, written once under faults (a POST the shop stored unheard, a run killed, two runs at once),
and a credit note never makes the order look unpaid or its payment new.

Both emulators over HTTP in process, a real SQLite store, the code the ``infor_credit_notes`` and
``prestashop_credit_slips`` assets run."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from prestashop_infor.sandbox.infor import Fault
from prestashop_infor.store import id_map
from prestashop_infor.store.credit_notes import credit_notes_of
from prestashop_infor.sync import credit_notes, reconcile
from prestashop_infor.sync.credit_notes import ENTITY, SENT, push_credit_slips, read_credit_notes
from prestashop_infor.sync.m3_order_states import read_m3_orders
from prestashop_infor.sync.mapping import find_state
from prestashop_infor.sync.orders import ShopLookups, sync_orders
from prestashop_infor.sync.prestashop_extraction import ORDER_SLIPS, ORDERS, extract_changed
from prestashop_infor.sync.refunds import return_number, send_refunds
from prestashop_infor.sync.trace import trace_order
from prestashop_infor_tests.concurrency import at_once
from prestashop_infor_tests.two_systems import TIME_ZONE, TwoSystems

LINES = [(1, 1, 2), (29, 0, 1)]


class Terminated(BaseException):
    """A run stopped from outside right after the shop stored a write: it never hears the answer."""


class World(TwoSystems):
    def __init__(self, tmp_path: Path):
        super().__init__(tmp_path)
        customer = next(c for c in self.shop.records("customers") if c["id"] > 10)
        self.order_id = self.shop.place_order(customer["id"], LINES)
        report = sync_orders([self.ps.get("orders", self.order_id)], shop_lookups=ShopLookups(self.ps), m3=self.m3,
                             store=self.store, mapping=self.mapping)  # fmt: skip
        assert report.created == [self.order_id], report.errors
        self.orno = id_map.binding(self.store, "sales_order", self.order_id).target_key
        for action in ("ship", "invoice"):
            assert self.m3_http.post(f"/_sandbox/orders/{self.orno}/{action}", json={}).is_success

    def give_back(self, line: str, quantity: int) -> str:
        """A return of ``quantity`` of order line ``line``, received and credited by M3."""
        repn = self.m3.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=self.orno, RSCD="RET")["REPN"]
        self.m3.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL=line, REQ0=str(quantity))
        assert self.m3_http.post(f"/_sandbox/returns/{repn}/receive").is_success
        return repn

    def run(self):
        read_credit_notes(self.m3, self.store, today=self.tenant.clock.now().date())
        return push_credit_slips(
            prestashop=self.ps, store=self.store, mapping=self.mapping, order_states=self.states
        )

    def slips(self) -> list[dict]:
        return self.ps.list("order_slip", filters={"id_order": f"[{self.order_id}]"})

    def state(self) -> int:
        return int(self.ps.get("orders", self.order_id)["current_state"])


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    w.close()


def credited(world: World) -> Decimal:
    return -sum((n.amount for n in credit_notes_of(world.store, [world.orno])[world.orno]), Decimal(0))


def test_a_partial_then_a_full_credit_become_slips_and_the_refunded_state_once(world: World):
    before = world.state()
    world.give_back("1", 1)  # one of the two mugs
    report = world.run()
    assert len(report.slips) == 1 and report.refunded == [] and not report.dead_lettered
    [slip] = world.slips()
    assert Decimal(slip["amount"]) == credited(world) > 0 and slip["partial"] == "1"
    assert world.state() == before  # partly credited, no partial state mapped: it keeps its state
    assert world.run().counts() == dict.fromkeys(report.counts(), 0)  # nothing new: nothing written

    world.give_back("1", 1)
    world.give_back("2", 1)
    report = world.run()
    assert len(report.slips) == 2 and report.refunded == [world.order_id]
    assert len(world.slips()) == 3
    assert sum(Decimal(s["amount"]) for s in world.slips()) == credited(world)
    assert world.state() == find_state(world.states, "test", "Refunded")
    assert world.run().refunded == []  # shown already: no second history row
    bound = id_map.bindings(world.store, ENTITY)
    assert sorted(b.target_key for b in bound) == sorted(str(s["id"]) for s in world.slips())
    story = [
        step.detail for step in trace_order(world.store, world.order_id) if step.what == "credited in M3"
    ]
    assert len(story) == 3 and all(": credit slip " in detail for detail in story)


def test_a_credit_note_does_not_make_a_paid_order_unpaid_or_its_payment_new(world: World):
    assert world.m3_http.post(f"/_sandbox/orders/{world.orno}/pay", json={}).is_success
    state = read_m3_orders(world.m3, [world.orno], mapping=world.mapping)[world.orno]
    from prestashop_infor.sync.m3_order_states import _read_details

    _read_details(world.m3, [state])
    assert state.paid
    key = state.payment_key
    world.give_back("2", 1)
    _read_details(world.m3, [state])
    assert len(state.credit_notes) == 1 and state.paid and state.payment_key == key


def test_a_slip_the_shop_stored_unheard_is_found_not_written_twice(world: World):
    world.give_back("2", 1)

    def unheard(response: httpx.Response) -> None:
        if response.request.method == "POST" and "order_slip" in str(response.request.url):
            raise Terminated()

    world.shop_http.event_hooks["response"].append(unheard)
    with pytest.raises(Terminated):
        world.run()
    world.shop_http.event_hooks["response"].clear()
    assert len(world.slips()) == 1 and id_map.bindings(world.store, ENTITY) == []
    assert id_map.claims(world.store, ENTITY) == []  # released on the way out
    report = world.run()
    assert report.found and not report.slips and len(world.slips()) == 1
    assert id_map.bindings(world.store, ENTITY)[0].target_key == str(world.slips()[0]["id"])


def test_a_shop_that_refuses_to_answer_leaves_the_note_for_the_next_run(world: World):
    world.give_back("2", 1)

    def down(request: httpx.Request) -> None:
        if request.method == "POST" and "order_slip" in str(request.url):
            raise httpx.ConnectError("the shop is down")

    world.shop_http.event_hooks["request"].append(down)
    report = world.run()
    world.shop_http.event_hooks["request"].clear()
    assert report.left and not report.slips and world.slips() == []
    assert len(world.run().slips) == 1 and len(world.slips()) == 1


def test_two_runs_at_once_write_one_slip(world: World):
    world.give_back("1", 2)
    read_credit_notes(world.m3, world.store, today=world.tenant.clock.now().date())
    barrier, errors = threading.Barrier(2), []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            push_credit_slips(
                prestashop=world.ps, store=world.store, mapping=world.mapping, order_states=world.states
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    world.run()
    assert len(world.slips()) == 1


def test_a_note_bound_by_a_run_that_ended_after_this_one_read_its_work_is_not_slipped_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """The race of two runs made certain: this run reads its notes, the other writes the slip, binds
    it and releases the note, and only then does this run claim it."""
    world.give_back("1", 2)
    read_credit_notes(world.m3, world.store, today=world.tenant.clock.now().date())
    read_before = credit_notes.credit_notes_to_slip(world.store, sent=SENT, entity=ENTITY, limit=500)
    assert read_before
    push_credit_slips(
        prestashop=world.ps, store=world.store, mapping=world.mapping, order_states=world.states
    )
    assert len(world.slips()) == 1
    monkeypatch.setattr(credit_notes, "credit_notes_to_slip", lambda *_args, **_kwargs: read_before)
    report = push_credit_slips(
        prestashop=world.ps, store=world.store, mapping=world.mapping, order_states=world.states
    )
    assert len(world.slips()) == 1 and set(report.left) == {note.key for _, note in read_before}


def test_the_cursor_reads_only_what_m3_invoiced_since(world: World):
    first = read_credit_notes(world.m3, world.store, today=world.tenant.clock.now().date())
    assert first.invoices_read >= 1 and first.credit_notes == []
    world.give_back("2", 1)
    again = read_credit_notes(world.m3, world.store, today=world.tenant.clock.now().date())
    assert again.invoices_read == 1 and [n.orno for n in again.credit_notes] == [world.orno]
    assert read_credit_notes(world.m3, world.store, today=world.tenant.clock.now().date()).invoices_read == 0


# --- a refund given in the shop -> an M3 credit ------------------------------------------------------


def refund_in_shop(world: World, row: int, quantity: int) -> int:
    """The merchant refunds ``quantity`` of the order's ``row``-th line (the order paid first); the
    slip is extracted as prestashop_order_slips and prestashop_orders store it. Returns its id."""
    paid = find_state(world.states, "test", "Payment accepted")
    if world.shop.record("orders", world.order_id)["total_paid_real"] == "0.000000":
        world.ps.add_order_history(world.order_id, paid)
    details = world.ps.list("order_details", filters={"id_order": f"[{world.order_id}]"})
    slip = world.shop.refund(world.order_id, [(int(details[row]["id"]), quantity)])
    for entity in (ORDERS, ORDER_SLIPS):
        extract_changed(world.ps, world.store, entity, time_zone=TIME_ZONE)
    return slip


def m3_return(world: World, slip: int) -> tuple[dict, list[dict]]:
    repn = return_number(world.mapping, slip)
    return (world.m3.execute_one("OIS390MI", "GetHead", WHLO="100", REPN=repn),
            world.m3.execute("OIS390MI", "LstLine", WHLO="100", REPN=repn))  # fmt: skip


def test_a_refund_given_in_the_shop_becomes_an_m3_credit_and_its_credit_note_binds_to_the_same_slip(world):
    slip = refund_in_shop(world, 1, 1)
    report = send_refunds(m3=world.m3, store=world.store, mapping=world.mapping)
    assert report.sent == [slip] and not report.dead_lettered
    head, lines = m3_return(world, slip)
    assert (head["ORNO"], head["RSCD"]) == (world.orno, "CRO") and str(slip) in head["YREF"]
    assert [(line["PONR"], line["ORNO"]) for line in lines] == [("2", world.orno)]
    assert send_refunds(m3=world.m3, store=world.store, mapping=world.mapping).counts()["sent_to_m3"] == 0
    story = {step.what: step.detail for step in trace_order(world.store, world.order_id)}
    assert (
        story["refund entered in M3"]
        == f"credit slip {slip} as M3 return {head['REPN']} (credit without goods)"
    )

    # M3 credits it; the credit note comes back as that slip's, the shop gets no second one
    assert world.m3_http.post(f"/_sandbox/returns/{return_number(world.mapping, slip)}/receive").is_success
    report = world.run()
    assert report.found and not report.slips
    assert [int(s["id"]) for s in world.slips()] == [slip]
    assert id_map.bindings(world.store, ENTITY)[0].target_key == str(slip)


@pytest.mark.parametrize("after", ["AddHead", "AddLine"])
def test_a_return_m3_entered_unheard_is_found_by_its_number_not_entered_twice(world: World, after: str):
    slip = refund_in_shop(world, 0, 1)

    def unheard(response: httpx.Response) -> None:
        if f'"{after}"'.encode() in response.request.content or f"/{after}" in str(response.request.url):
            raise Terminated()

    world.m3_http.event_hooks["response"].append(unheard)
    with pytest.raises(Terminated):
        send_refunds(m3=world.m3, store=world.store, mapping=world.mapping)
    world.m3_http.event_hooks["response"].clear()
    assert (
        id_map.bindings(world.store, "shop_refund") == [] and id_map.claims(world.store, "shop_refund") == []
    )
    report = send_refunds(m3=world.m3, store=world.store, mapping=world.mapping)
    assert report.sent + report.found == [slip] and not report.dead_lettered
    _head, lines = m3_return(world, slip)
    assert len(lines) == 1  # one return, one line
    returns = [r for r in world.tenant.returns.values() if r.orno == world.orno]
    assert len(returns) == 1


def test_the_slips_the_integration_wrote_are_not_sent_back_to_m3(world: World):
    world.give_back("2", 1)
    world.run()  # the credit note's slip, bound to it
    extract_changed(world.ps, world.store, ORDER_SLIPS, time_zone=TIME_ZONE)
    extract_changed(world.ps, world.store, ORDERS, time_zone=TIME_ZONE)
    report = send_refunds(m3=world.m3, store=world.store, mapping=world.mapping)
    assert report.counts()["sent_to_m3"] == 0 and report.sent == []


# --- money reconciled against M3's invoices (issue 19 §4) ---------------------------------------------


def order_day(world: World) -> date:
    """The day the order was placed, in the shop's time zone (the reconciliation's day of it)."""
    return date.fromisoformat(world.ps.get("orders", world.order_id)["date_add"][:10])


def money_findings(world: World) -> set[tuple[str, str]]:
    day = order_day(world)
    reconcile.snapshot_shop_orders(world.ps, world.store, world.mapping, day, day)
    reconcile.snapshot_m3_orders(world.m3, world.store, world.mapping, day, day)
    reconcile.reconcile_orders(world.store, world.mapping, day, day, now=world.now + timedelta(days=1))
    money = {"invoice_mismatch", "payment_missing_in_shop", "refund_missing_in_shop", "refund_missing_in_m3"}
    return {(f.kind, f.key) for f in reconcile.open_findings(world.store, day, day) if f.kind in money}


def heal(world: World) -> reconcile.HealReport:
    day = order_day(world)
    return reconcile.heal(
        world.store, world.ps, world.m3, world.mapping, reconcile.open_findings(world.store, day, day)
    )


def test_money_agrees_then_each_gap_is_found_and_healed_where_a_machine_may(world: World):
    key = str(world.order_id)
    assert money_findings(world) == set()  # invoiced as sent, nothing paid or credited yet

    # M3 credits a return; the shop has no slip yet (its lane has not run): found, then healed
    world.give_back("2", 1)
    assert money_findings(world) == {("refund_missing_in_shop", key)}
    assert len(heal(world).credit_slips) == 1 and len(world.slips()) == 1
    assert money_findings(world) == set()

    # M3's invoice is paid; the shop records no payment: found, then pushed by the status lane
    assert world.m3_http.post(f"/_sandbox/orders/{world.orno}/pay", json={}).is_success
    for payment in world.ps.order_payments(world.ps.get("orders", world.order_id)["reference"]):
        world.shop.remove("order_payments", int(payment["id"]))  # the shop's own, from its paid state
    assert ("payment_missing_in_shop", key) in money_findings(world)
    assert world.order_id in heal(world).statuses_pushed
    assert world.ps.order_payments(world.ps.get("orders", world.order_id)["reference"])
    assert money_findings(world) == set()

    # a refund given in the shop that M3 has not credited: found, and entered in M3 by the heal
    slip = refund_in_shop(world, 0, 1)
    assert money_findings(world) == {("refund_missing_in_m3", key)}
    assert heal(world).refunds_sent == [slip]
    assert world.m3_http.post(f"/_sandbox/returns/{return_number(world.mapping, slip)}/receive").is_success
    assert money_findings(world) == set()


def test_a_refund_from_before_the_integration_knew_the_order_is_never_sent_blind(world: World):
    """A slip dated before the order was bound (a shop's refunds from before it was connected) is the
    reconciliation's to report; the lane passes over it, however many there are, to the newer ones."""
    old = refund_in_shop(world, 0, 1)
    new = refund_in_shop(world, 1, 1)
    bound = id_map.binding(world.store, "sales_order", world.order_id).created_at
    [row] = [r for r in world.store.rows("ps_order_slips") if r["id"] == old]
    long_before = bound - timedelta(days=30)
    world.store.upsert("ps_order_slips", [{**row, "date_upd": long_before}])
    report = send_refunds(m3=world.m3, store=world.store, mapping=world.mapping, limit=1)
    assert report.sent == [new]
    assert send_refunds(m3=world.m3, store=world.store, mapping=world.mapping).sent == []
    # the heal, for an order the reconciliation found M3 lacking the refund, sends it
    healed = send_refunds(m3=world.m3, store=world.store, mapping=world.mapping, order_ids=[world.order_id],
                          since_bound=False)  # fmt: skip
    assert healed.sent == [old]


def test_m3_down_before_the_return_leaves_the_refund_for_the_next_run(world: World):
    slip = refund_in_shop(world, 0, 1)
    world.tenant.gateway.faults.append(Fault(status=503, count=1_000, match="OIS390MI/AddHead"))
    report = send_refunds(m3=world.m3, store=world.store, mapping=world.mapping)
    assert (
        report.left
        and report.sent == []
        and not [r for r in world.tenant.returns.values() if r.rscd == "CRO"]
    )
    assert id_map.claims(world.store, "shop_refund") == []
    world.tenant.gateway.faults.clear()
    assert send_refunds(m3=world.m3, store=world.store, mapping=world.mapping).sent == [slip]
    assert len([r for r in world.tenant.returns.values() if r.rscd == "CRO"]) == 1


def test_two_refund_runs_at_once_enter_one_return(world: World):
    slip = refund_in_shop(world, 1, 1)
    at_once(lambda: send_refunds(m3=world.m3, store=world.store, mapping=world.mapping))
    send_refunds(m3=world.m3, store=world.store, mapping=world.mapping)  # what one run saw busy
    returns = [r for r in world.tenant.returns.values() if r.rscd == "CRO"]
    assert len(returns) == 1 and len(returns[0].lines) == 1
    assert id_map.binding(world.store, "shop_refund", slip).target_key == returns[0].repn

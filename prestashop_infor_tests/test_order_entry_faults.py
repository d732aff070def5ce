"""The order-entry protocol under faults (issue 7): every point where a run can stop or a write can
commit and still answer with an error, each followed by another run, two runs at once, or a replay.

Both emulators over real HTTP in process, a real SQLite store. One transaction per M3 request and
one request at a time, so "after the second line" is a precise point. Afterwards every exported shop
order is exactly one confirmed M3 customer order bound in the id map, or an open dead letter with a
reason: never bound without a customer order, never two.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from prestashop_infor.infor import IonApiCredentials, M3Client
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.sandbox.infor import Fault, LifecycleSettings, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as m3_app
from prestashop_infor.sandbox.infor.models import M3Failure
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as shop_app
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync import dead_letters
from prestashop_infor.sync.customers import customer_number
from prestashop_infor.sync.mapping import parse_mapping
from prestashop_infor.sync.orders import ShopLookups, bound_orders_missing_in_m3, sync_order, sync_orders
from prestashop_infor_tests.in_process import in_process_client

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LINES = [(1, 1, 2), (29, 0, 1), (30, 0, 3)]  # (product, combination, quantity): three lines an order


class Terminated(BaseException):
    """A run stopped from outside (Dagster's termination is a BaseException too): raised inside the
    M3 transport right after a request committed, so the run never hears the answer."""


class World:
    def __init__(self, tmp_path: Path, *, lifecycle: LifecycleSettings | None = None):
        self.shop = seed_shop(seed=7, orders=3, now=NOW)
        self.tenant = seed_tenant_from_shop(self.shop, lifecycle=lifecycle or LifecycleSettings.manual())
        self.shop_http = in_process_client(shop_app(self.shop))
        self.m3_http = in_process_client(m3_app(self.tenant))
        self.ps = PrestashopClient(
            "http://testserver", DEFAULT_API_KEY, http_client=self.shop_http, backoff=0.001
        )
        credentials = IonApiCredentials.from_dict(self.tenant.ionapi("http://testserver"))
        self.m3 = M3Client(credentials, http_client=self.m3_http, sleep=lambda _s: None, max_concurrency=1)
        self.store = Store.from_url(f"sqlite:///{tmp_path}/store.db")
        self.mapping = parse_mapping({"orders": {"bulk_size": 1}})
        customers = [c for c in self.shop.records("customers") if c["id"] > 10][:2]
        self.order_ids = [self.shop.place_order(c["id"], LINES) for c in customers]

    def orders(self) -> list[dict]:
        return [self.ps.get("orders", order_id) for order_id in self.order_ids]

    def sync(self, **options):
        return sync_orders(self.orders(), shop_lookups=ShopLookups(self.ps), m3=self.m3, store=self.store,
                           mapping=self.mapping, **options)  # fmt: skip

    def after(self, transaction: str, nth: int, action) -> None:
        """Call ``action(response)`` once, right after the ``nth`` M3 request carrying ``transaction``."""
        seen = {"count": 0}
        marker = f'"{transaction}"'.encode()

        def hook(response: httpx.Response) -> None:
            if marker in response.request.content:
                seen["count"] += 1
                if seen["count"] == nth:
                    action(response)

        self.m3_http.event_hooks["response"].append(hook)

    def before(self, transaction: str, nth: int, action) -> None:
        seen = {"count": 0}
        marker = f'"{transaction}"'.encode()

        def hook(request: httpx.Request) -> None:
            if marker in request.content:
                seen["count"] += 1
                if seen["count"] == nth:
                    action(request)

        self.m3_http.event_hooks["request"].append(hook)

    def clear_hooks(self) -> None:
        self.m3_http.event_hooks["response"].clear()
        self.m3_http.event_hooks["request"].clear()

    def customer_orders(self, order_id: int) -> list:
        return [o for o in self.tenant.orders.values() if o.cuor == f"PS{order_id}"]

    def close(self) -> None:
        self.store.dispose()
        self.shop_http.close()
        self.m3_http.close()


@pytest.fixture
def world(tmp_path: Path):
    w = World(tmp_path)
    yield w
    w.close()


def never_bound_without_a_customer_order(world: World) -> None:
    for order_id in world.order_ids:
        assert len(world.customer_orders(order_id)) <= 1, f"order {order_id} is in M3 twice"
        binding = id_map.binding(world.store, "sales_order", order_id)
        if binding is not None:
            held = world.customer_orders(order_id)
            assert held and binding.target_key == held[0].orno, (
                f"order {order_id} bound without a customer order"
            )


def each_order_is_one_customer_order(world: World) -> None:
    never_bound_without_a_customer_order(world)
    for order_id in world.order_ids:
        held = world.customer_orders(order_id)
        binding = id_map.binding(world.store, "sales_order", order_id)
        assert len(held) == 1 and binding is not None and binding.target_key == held[0].orno
        # a line added when finishing comes after those already there: the customer's line number
        # (CUPO) keeps the shop's order
        by_cupo = sorted(held[0].lines, key=lambda line: int(line.fields["CUPO"]))
        assert [(line.fields["CUPO"], line.orqt) for line in by_cupo] == [("1", 2), ("2", 1), ("3", 3)]
    assert world.store.dead_letters(entity="sales_order", state="open") == []
    assert id_map.claims(world.store, "sales_order") == []


# Every interruption point of the protocol: (transaction, which request carrying it). With one
# transaction per request, the heads of both orders come first, then order 1's address and lines,
# then order 2's, then the confirms.
POINTS = {
    "after the first head": ("AddBatchHead", 1),
    "after both heads": ("AddBatchHead", 2),
    "after the address": ("AddBatchAddress", 1),
    "after the first line": ("AddBatchLine", 1),
    "after the second line": ("AddBatchLine", 2),
    "after the last line": ("AddBatchLine", 3),
    "after the second order's lines": ("AddBatchLine", 6),
    "after Confirm": ("Confirm", 1),
}


def _terminate(_response: httpx.Response) -> None:
    raise Terminated()


def _follow_up(world: World, follow_up: str) -> None:
    if follow_up == "another run":
        report = world.sync()
        assert not report.dead_lettered and not report.busy, report.errors
    elif follow_up == "two runs at once":
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait(timeout=10)
                world.sync()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        world.sync()  # whatever one run saw busy, a later run settles
    else:  # the DLQ replay's code path, one order at a time
        for order_id in world.order_ids:
            sync_order(order_id, shop_lookups=ShopLookups(world.ps), m3=world.m3, store=world.store,
                       mapping=world.mapping)  # fmt: skip


@pytest.mark.parametrize("follow_up", ["another run", "two runs at once", "a replay"])
@pytest.mark.parametrize("point", [*POINTS, "before the id-map write"])
def test_a_terminated_run_is_finished_by_the_next_one(world: World, point: str, follow_up: str):
    if point == "before the id-map write":

        def crash(_ids):
            raise Terminated()

        with pytest.raises(Terminated):
            world.sync(before_bind=crash)
    else:
        world.after(*POINTS[point], _terminate)
        with pytest.raises(Terminated):
            world.sync()
    world.clear_hooks()
    never_bound_without_a_customer_order(world)
    assert id_map.claims(world.store, "sales_order") == []  # released on the way out
    _follow_up(world, follow_up)
    each_order_is_one_customer_order(world)


@pytest.mark.parametrize("point", [*POINTS, "before the id-map write"])
def test_a_killed_run_leaves_claims_that_are_taken_over(world: World, point: str, monkeypatch):
    """A run killed outright (no ``finally``): its claims stay. A live run leaves those orders
    alone; once the claims are stale they are taken over and the orders finished."""
    monkeypatch.setattr(id_map, "release", lambda *_args, **_kw: 0)  # the kill skips every release
    if point == "before the id-map write":
        with pytest.raises(Terminated):
            world.sync(before_bind=lambda _ids: _terminate(None))
    else:
        world.after(*POINTS[point], _terminate)
        with pytest.raises(Terminated):
            world.sync()
    monkeypatch.undo()
    world.clear_hooks()
    assert len(id_map.claims(world.store, "sales_order")) == 2
    polite = world.sync()
    assert sorted(polite.busy) == sorted(world.order_ids) and polite.created == []
    never_bound_without_a_customer_order(world)
    world.sync(stale_claim_after=timedelta(0))
    each_order_is_one_customer_order(world)


def _gateway_error_after_commit(status: int):
    def inject(_request: httpx.Request, world: World) -> None:
        world.tenant.gateway.faults.append(Fault(status, count=1, match="OIS100MI/", after_commit=True))

    return inject


def _gateway_error_before_commit(_request: httpx.Request, world: World) -> None:
    world.tenant.gateway.faults.append(Fault(500, count=1, match="OIS100MI/"))


def _timeout_after_commit(response: httpx.Response) -> None:
    raise httpx.ReadTimeout("the answer never came", request=response.request)


FAULTS = ["502 after commit", "504 after commit", "timeout after commit", "500 before commit"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("point", POINTS)
def test_a_write_that_fails_or_commits_and_fails_is_settled_in_the_same_run(
    world: World, point: str, fault: str
):
    transaction, nth = POINTS[point]
    if fault == "timeout after commit":
        world.after(transaction, nth, _timeout_after_commit)
    else:
        inject = (
            _gateway_error_before_commit
            if fault == "500 before commit"
            else _gateway_error_after_commit(int(fault[:3]))
        )
        world.before(transaction, nth, lambda request: inject(request, world))
    report = world.sync()
    world.clear_hooks()
    assert sorted(report.created) == sorted(world.order_ids), report.errors
    each_order_is_one_customer_order(world)
    again = world.sync()
    assert again.created == [] and again.recovered == []
    each_order_is_one_customer_order(world)


def test_m3_down_for_good_after_the_head_leaves_a_dead_letter_that_replay_finishes(world: World):
    """Every Confirm fails: the run gives up after its rounds with a dead letter naming the batch
    order; nothing is bound; the replay finishes it from where M3 stands."""

    def refuse_confirms(request: httpx.Request) -> None:
        if b'"Confirm"' in request.content:
            world.tenant.gateway.faults.append(Fault(503, count=1, match="OIS100MI/"))

    world.m3_http.event_hooks["request"].append(refuse_confirms)
    report = world.sync()
    world.clear_hooks()
    assert sorted(report.dead_lettered) == sorted(world.order_ids)
    never_bound_without_a_customer_order(world)
    assert all(not world.customer_orders(order_id) for order_id in world.order_ids)
    letters = world.store.dead_letters(entity="sales_order", state="open")
    assert {letter.error_code for letter in letters} == {"m3_no_answer"} and "dlq replay" in letters[
        0
    ].message
    world.tenant.gateway.faults.clear()
    result = dead_letters.replay(world.store, [x.id for x in letters], prestashop=world.ps, m3=world.m3,
                                 mapping=world.mapping)  # fmt: skip
    assert [r.outcome for r in result.results] == ["replayed", "replayed"], result.results
    assert all("finished" in r.detail for r in result.results)
    each_order_is_one_customer_order(world)


def test_the_issue_reproduction_an_orphan_batch_head_is_finished_not_adopted(world: World):
    """What an interrupted run leaves behind: a batch head with the order's CUOR and nothing else.
    Before the fix the order was bound to it and M3 never created the customer order."""
    order = world.orders()[0]
    customer = world.ps.get("customers", int(order["id_customer"]))
    cuno = customer_number(customer["email"].strip().lower(), world.mapping.erp.customer_number_prefix)
    world.tenant.add_customer(cuno, "Orphan's customer")
    (head,) = world.tenant.execute("OIS100MI", "AddBatchHead", {"CUNO": cuno, "CUOR": f"PS{order['id']}"})
    report = world.sync()
    assert order["id"] in report.finished and order["id"] in report.created
    held = world.customer_orders(order["id"])
    assert len(held) == 1 and held[0].batch_orno == head["ORNO"]  # the same batch order, finished
    each_order_is_one_customer_order(world)
    assert bound_orders_missing_in_m3(world.store, world.m3, world.mapping) == (2, [])


def test_a_batch_order_that_disagrees_with_the_shop_order_is_a_dead_letter_not_overwritten(world: World):
    order = world.orders()[0]
    customer = world.ps.get("customers", int(order["id_customer"]))
    cuno = customer_number(customer["email"].strip().lower(), world.mapping.erp.customer_number_prefix)
    world.tenant.add_customer(cuno, "Someone")
    (head,) = world.tenant.execute("OIS100MI", "AddBatchHead", {"CUNO": cuno, "CUOR": f"PS{order['id']}"})
    world.tenant.execute(
        "OIS100MI", "AddBatchLine", {"ORNO": head["ORNO"], "ITNO": "PS-MUG-01", "ORQT": "9", "CUPO": "1"}
    )
    report = world.sync()
    assert report.dead_lettered == [order["id"]]
    letter = world.store.dead_letters(entity="sales_order", state="open")[0]
    assert (
        letter.error_code == "batch_order_mismatch" and "customer line 1 is 9 x PS-MUG-01" in letter.message
    )
    assert id_map.binding(world.store, "sales_order", order["id"]) is None
    assert not world.customer_orders(order["id"]) and len(world.tenant.batch_orders[head["ORNO"]].lines) == 1


def test_a_line_m3_refuses_leaves_the_batch_order_unfinished_and_the_replay_finishes_it(world: World):
    original = world.tenant.handlers[("OIS100MI", "AddBatchLine")]
    refusals = {"left": 1}

    def refuse_once(fields):
        if refusals["left"] and fields.get("CUPO") == "2":
            refusals["left"] -= 1
            raise M3Failure("XLK0001", "Record is locked by another job", "ITNO")
        return original(fields)

    world.tenant.handlers[("OIS100MI", "AddBatchLine")] = refuse_once
    report = world.sync()
    assert len(report.dead_lettered) == 1 and len(report.created) == 1
    (failed,) = report.dead_lettered
    assert not world.customer_orders(failed) and id_map.binding(world.store, "sales_order", failed) is None
    letter = world.store.dead_letters(entity="sales_order", state="open")[0]
    assert (letter.error_code, letter.field) == ("XLK0001", "ITNO")
    result = dead_letters.replay(
        world.store, [letter.id], prestashop=world.ps, m3=world.m3, mapping=world.mapping
    )
    assert result.results[0].outcome == "replayed" and "finished" in result.results[0].detail
    each_order_is_one_customer_order(world)


def test_a_credit_stopped_batch_order_is_a_dead_letter_not_bound(world: World):
    first = world.orders()[0]
    customer = world.ps.get("customers", int(first["id_customer"]))
    cuno = customer_number(customer["email"].strip().lower(), world.mapping.erp.customer_number_prefix)
    world.tenant.add_customer(cuno, "Slow payer").credit_stop = True
    report = world.sync()
    assert report.dead_lettered == [first["id"]]
    letter = world.store.dead_letters(entity="sales_order", state="open")[0]
    assert letter.error_code == "EMI0303" and "credit-stopped" in letter.message
    assert id_map.binding(world.store, "sales_order", first["id"]) is None and not world.customer_orders(
        first["id"]
    )


def test_an_order_waiting_for_m3s_batch_job_is_bound_once_the_customer_order_exists(tmp_path: Path):
    world = World(tmp_path, lifecycle=LifecycleSettings(confirm_delay=timedelta(minutes=5), pick_after=None,
                                                        ship_after=None, invoice_after=None))  # fmt: skip
    try:
        report = world.sync()
        assert sorted(report.waiting) == sorted(world.order_ids) and report.created == []
        assert "has not created the customer order yet" in next(iter(report.waiting.values()))
        assert id_map.bindings(world.store, "sales_order") == [] and world.store.dead_letters() == []
        still = world.sync()  # nothing moved in M3: still waiting, nothing entered twice
        assert sorted(still.waiting) == sorted(world.order_ids) and len(world.tenant.batch_orders) == 2
        world.tenant.clock.advance(timedelta(minutes=6))
        world.tenant.tick()
        done = world.sync()
        assert sorted(done.recovered) == sorted(world.order_ids)
        each_order_is_one_customer_order(world)
    finally:
        world.close()


def test_the_check_fails_loudly_when_a_binding_is_not_backed_by_m3(world: World):
    world.sync()
    assert bound_orders_missing_in_m3(world.store, world.m3, world.mapping) == (2, [])
    gone = id_map.binding(world.store, "sales_order", world.order_ids[0])
    del world.tenant.orders[gone.target_key]
    checked, problems = bound_orders_missing_in_m3(world.store, world.m3, world.mapping)
    assert checked == 2 and problems == [
        f"order {world.order_ids[0]} is bound to {gone.target_key}, which M3 does not hold"
    ]


# An order delivered to an address too long for M3's four lines carries the whole address as head
# texts, written right before the address: AddBatchHead, AddBatchText x2, AddBatchAddress,
# AddBatchLine x3, Confirm (one transaction per request).
def long_address_world(world: World) -> dict:
    """Make ``world`` one order delivered to one of the seeded ~205-character addresses; returns
    that address."""
    first: dict[int, dict] = {}
    for address in sorted(world.ps.iter_all("addresses"), key=lambda a: int(a["id"])):
        first.setdefault(int(address["id_customer"]), address)
    customer_id = next(c for c, a in first.items() if len(a["address1"]) + len(a["address2"]) >= 205)
    world.order_ids = [world.shop.place_order(customer_id, LINES)]
    return first[customer_id]


def texts_of(world: World) -> list[str]:
    (held,) = world.customer_orders(world.order_ids[0])
    return [text["PARM"] for text in world.tenant.batch_orders[held.batch_orno].texts]


TEXT_POINTS = {
    "after the address": ("AddBatchAddress", 1),
    "after the first line": ("AddBatchLine", 1),
    "after Confirm": ("Confirm", 1),
}


@pytest.mark.parametrize("follow_up", ["another run", "a replay"])
@pytest.mark.parametrize("point", TEXT_POINTS)
def test_an_order_with_an_overflowing_address_is_finished_with_one_copy_of_each_text(
    world: World, point: str, follow_up: str
):
    address = long_address_world(world)
    world.after(*TEXT_POINTS[point], _terminate)
    with pytest.raises(Terminated):
        world.sync()
    world.clear_hooks()
    (batch,) = [
        b for b in world.tenant.batch_orders.values() if b.head.get("CUOR") == f"PS{world.order_ids[0]}"
    ]
    assert len(batch.texts) == 2 and batch.addresses  # the texts and the address made it before the stop
    _follow_up(world, follow_up)
    each_order_is_one_customer_order(world)
    texts = texts_of(world)
    assert len(texts) == 2 and len(set(texts)) == 2  # exactly one copy of each
    assert [text[:6] for text in texts] == ["(1/2) ", "(2/2) "]
    whole = " ".join(text[6:] for text in texts)
    assert address["address1"] in whole and address["address2"] in whole
    binding = id_map.binding(world.store, "sales_order", world.order_ids[0])
    assert [w["code"] for w in binding.data["warnings"]] == ["address_overflow"]


def test_a_run_stopped_between_the_texts_and_the_address_leaves_a_text_twice_rather_than_none(world: World):
    long_address_world(world)
    world.after("AddBatchText", 2, _terminate)
    with pytest.raises(Terminated):
        world.sync()
    world.clear_hooks()
    _follow_up(world, "another run")
    each_order_is_one_customer_order(world)
    counts = Counter(texts_of(world))
    assert len(counts) == 2 and all(count >= 1 for count in counts.values())


@pytest.mark.parametrize("fault", FAULTS)
def test_a_text_write_that_fails_is_settled_in_the_same_run_and_never_lost(world: World, fault: str):
    long_address_world(world)
    if fault == "timeout after commit":
        world.after("AddBatchText", 1, _timeout_after_commit)
    else:
        inject = (
            _gateway_error_before_commit
            if fault == "500 before commit"
            else _gateway_error_after_commit(int(fault[:3]))
        )
        world.before("AddBatchText", 1, lambda request: inject(request, world))
    report = world.sync()
    world.clear_hooks()
    assert report.created == world.order_ids, report.errors
    each_order_is_one_customer_order(world)
    counts = Counter(texts_of(world))
    assert len(counts) == 2  # both texts, the first one written again after its failed write
    expected = 1 if fault == "500 before commit" else 2  # committed and failed: twice rather than none
    assert [counts[text] for text in sorted(counts)] == [expected, 1]

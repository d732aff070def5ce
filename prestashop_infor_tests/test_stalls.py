"""A stopped lane raises an alert (issue 16 §3): orders not reaching M3, no successful order sync,
webhook events no run takes, a step waiting for a pool. Each case on real storage (a SQLite store, a
Dagster test instance with real pool slots, the sandbox shop for the order states, a loopback
receiver for the alerts): one alert when the stall opens, none while it lasts, one when it clears,
and the matching check turns red and green without a run. Plus the rules alone."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prestashop_infor.defs.alerts import lane_stall_alert_sensor
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync.assets import EXPORTABLE_STATES_CURSOR
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.defs.sync.stall_checks import STALL_CHECKS, order_lane_stall_checks
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, create_app, seed_shop
from prestashop_infor.serving import BackgroundServer, free_port
from prestashop_infor.store import Store, id_map, inbox, tables
from prestashop_infor.store.backlog import OrderBacklog, UntakenEvents, WaitingOrder
from prestashop_infor.sync import stalls

UI = "http://127.0.0.1:3000"
DAY = "86400"  # a threshold no test reaches: keeps the other cases quiet
STALL_VARIABLES = {
    "orders": "PRESTASHOP_INFOR_STALL_ORDER_SECONDS",
    "sync": "PRESTASHOP_INFOR_STALL_SYNC_SECONDS",
    "inbox": "PRESTASHOP_INFOR_STALL_INBOX_SECONDS",
    "pool": "PRESTASHOP_INFOR_STALL_POOL_SECONDS",
}


# -- the stack --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[str, dict[str, int]]]:
    """The sandbox shop (only its order states are read): its URL and state ids by name."""
    seeded = seed_shop(seed=7, orders=0, api_key=DEFAULT_API_KEY, time_zone="Europe/Paris")
    states = {_name(s): int(s["id"]) for s in seeded.records("order_states")}
    with BackgroundServer(create_app(seeded)) as server:
        yield server.url, states


def _name(state: dict[str, Any]) -> str:
    name = state["name"]
    return name if isinstance(name, str) else next(iter(name.values()))


@dataclass
class Receiver:
    url: str
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def take(self) -> list[dict[str, Any]]:
        taken, self.alerts[:] = list(self.alerts), []
        return taken


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"ok": True})

    with BackgroundServer(Starlette(routes=[Route("/alerts", hook, methods=["POST"])])) as server:
        yield Receiver(server.url + "/alerts", received)


@dataclass
class Lanes:
    db: Store
    resources: dict[str, Any]
    instance: dg.DagsterInstance
    receiver: Receiver
    states: dict[str, int]
    cursor: str | None = None

    def evaluate(self) -> list[dict[str, Any]]:
        """One sensor tick (the cursor carried over); the alerts it posted."""
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources
        ) as context:
            result = lane_stall_alert_sensor(context)
        assert isinstance(result, dg.SensorResult) and not result.run_requests
        for event in result.asset_events:  # what the daemon does with a tick's check results
            self.instance.report_runless_asset_event(event)
        self.cursor = result.cursor or self.cursor
        return self.receiver.take()

    def check_status(self, asset: str, name: str) -> AssetCheckExecutionRecordStatus | None:
        key = dg.AssetCheckKey(dg.AssetKey(asset), name)
        latest = self.instance.event_log_storage.get_latest_asset_check_execution_by_key([key])
        return latest[key].status if key in latest else None


@pytest.fixture
def lanes(tmp_path: Path, shop, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lanes]:
    shop_url, states = shop
    monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("PRESTASHOP_INFOR_DAGSTER_UI_URL", UI)
    for variable in STALL_VARIABLES.values():
        monkeypatch.setenv(variable, DAY)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    resources = {
        "store": StoreResource(database_url=url),
        "prestashop": PrestashopResource(url=shop_url, api_key=DEFAULT_API_KEY, time_zone="Europe/Paris"),
        "mapping": MappingResource(),
    }
    with Store.from_url(url) as db, dg.instance_for_test() as instance:
        yield Lanes(db, resources, instance, receiver, states)


def add_order(
    db: Store, order_id: int, state: int, waiting_since: datetime, placed_at: datetime | None = None
) -> None:
    placed = placed_at or waiting_since
    db.upsert(
        tables.ps_orders,
        [
            {
                "id": order_id, "reference": f"REF{order_id}", "id_customer": 1, "id_currency": 1,
                "current_state": state, "total_paid": 10, "total_paid_tax_incl": 10, "total_paid_tax_excl": 8,
                "total_products": 8, "total_products_wt": 10, "total_shipping": 0, "total_discounts": 0,
                "row_count": 1, "date_add": placed, "date_upd": waiting_since,
                "record": json.dumps({"id": order_id}), "loaded_at": datetime.now(UTC),
            }
        ],
    )  # fmt: skip


def run_job(instance: dg.DagsterInstance, name: str, *, fail: bool = False) -> str:
    """A run of a job named ``name`` in the instance (what the alerts name as the lane's newest run)."""

    @dg.op(name=f"{name}_step")
    def step() -> None:
        if fail:
            raise RuntimeError("M3 said no")

    @dg.job(name=name)
    def job() -> None:
        step()

    return job.execute_in_process(instance=instance, raise_on_error=False).run_id


def ago(**span: float) -> datetime:
    return datetime.now(UTC) - timedelta(**span)


# -- the four cases, end to end ------------------------------------------------------------------------


def test_an_order_not_reaching_m3_alerts_once_and_clears_once(lanes: Lanes, monkeypatch: pytest.MonkeyPatch):
    paid, cancelled = lanes.states["Payment accepted"], lanes.states["Canceled"]
    add_order(lanes.db, 7, paid, waiting_since=ago(minutes=5), placed_at=ago(minutes=9))
    add_order(lanes.db, 5, cancelled, waiting_since=ago(hours=3))  # not exportable
    add_order(lanes.db, 6, paid, waiting_since=ago(hours=2))  # in the dead-letter queue: counted apart
    lanes.db.quarantine("sales_order", 6, "map", "unknown_item", "items", "no M3 item", {"id": 6})

    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_ORDER_SECONDS", "600")
    assert lanes.evaluate() == []  # 5 minutes is within 10
    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_ORDER_SECONDS", "120")  # read at every tick
    (alert,) = lanes.evaluate()
    assert alert["kind"] == "stall" and alert["state"] == "opened" and alert["stall"] == "orders_not_in_m3"
    assert (
        "shop orders are not reaching M3: order 7 has waited since" in alert["text"]
        and "placed" in alert["text"]
    )
    assert "1 more in the dead-letter queue" in alert["text"]
    assert alert["since"] and datetime.fromisoformat(alert["since"]) < ago(minutes=4)
    assert alert["holder"] == "no order sync run yet"
    assert alert["link"] == f"{UI}/assets/infor_sales_orders?view=checks"
    status = lanes.check_status("infor_sales_orders", "orders_reach_m3_in_time")
    assert status == AssetCheckExecutionRecordStatus.FAILED

    assert lanes.evaluate() == []  # still stuck: nothing new

    id_map.bind(lanes.db, "sales_order", 7, "1000007")
    (cleared,) = lanes.evaluate()
    assert cleared["state"] == "cleared" and cleared["stall"] == "orders_not_in_m3"
    assert cleared["text"].startswith(
        "prestashop-infor: cleared: shop orders are not reaching M3 (stuck since"
    )
    status = lanes.check_status("infor_sales_orders", "orders_reach_m3_in_time")
    assert status == AssetCheckExecutionRecordStatus.SUCCEEDED
    assert lanes.evaluate() == []


def test_no_successful_order_sync_while_orders_wait_alerts_and_names_the_newest_run(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch
):
    add_order(lanes.db, 11, lanes.states["Payment accepted"], waiting_since=ago(minutes=30))
    failed = run_job(lanes.instance, "order_sync_job", fail=True)
    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_SYNC_SECONDS", "600")

    (alert,) = lanes.evaluate()
    assert alert["stall"] == "order_sync" and alert["state"] == "opened"
    assert "no order sync has succeeded" in alert["text"] and "no success yet" in alert["text"]
    assert f"run {failed[:8]} of order_sync_job (FAILURE, ended" in alert["holder"]
    assert alert["run_id"] == failed and alert["link"] == f"{UI}/runs/{failed}"
    assert (
        lanes.check_status("infor_sales_orders", "order_sync_is_fresh")
        == AssetCheckExecutionRecordStatus.FAILED
    )
    assert lanes.evaluate() == []

    # the order step succeeds (here: its materialization reported), the order still waits: no stall
    lanes.instance.report_runless_asset_event(dg.AssetMaterialization("infor_sales_orders"))
    (cleared,) = lanes.evaluate()
    assert cleared["stall"] == "order_sync" and cleared["state"] == "cleared"
    assert (
        lanes.check_status("infor_sales_orders", "order_sync_is_fresh")
        == AssetCheckExecutionRecordStatus.SUCCEEDED
    )


def test_webhook_events_no_run_has_taken_alert_until_a_run_of_their_job_starts(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch
):
    events = ["order.created", "customer.updated", "stock.updated", "carrier.updated"]  # carrier: ignored
    inbox.enqueue_many(
        lanes.db,
        [
            ({"id": str(uuid.uuid4()), "event": e}, "ignored" if e.startswith("carrier") else "pending", 1)
            for e in events
        ],
    )
    with lanes.db.engine.begin() as connection:  # the order, customer and ignored events are old
        old = tables.webhook_inbox.c.event.in_(["order.created", "customer.updated", "carrier.updated"])
        connection.execute(tables.webhook_inbox.update().where(old).values(received_at=ago(minutes=10)))
    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_INBOX_SECONDS", "60")

    (alert,) = lanes.evaluate()  # the stock event is recent: stock_sync_job is not stalled
    assert alert["stall"] == "inbox:order_sync_job" and alert["state"] == "opened"
    assert "2 webhook events for order_sync_job have not been taken by a run" in alert["text"]
    assert "inbox id 1, order.created" in alert["text"]
    assert alert["holder"].startswith("no run of order_sync_job at all")
    status = lanes.check_status("infor_sales_orders", "webhooks_taken_in_time")
    assert status == AssetCheckExecutionRecordStatus.FAILED
    assert lanes.evaluate() == []

    run_job(lanes.instance, "order_sync_job")  # created after the events: it read the shop after them
    (cleared,) = lanes.evaluate()
    assert cleared["stall"] == "inbox:order_sync_job" and cleared["state"] == "cleared"
    status = lanes.check_status("infor_sales_orders", "webhooks_taken_in_time")
    assert status == AssetCheckExecutionRecordStatus.SUCCEEDED


def test_a_step_waiting_for_a_pool_slot_a_dead_run_holds_alerts_and_clears_when_freed(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch
):
    storage = lanes.instance.event_log_storage
    storage.set_concurrency_slots("infor_erp", 1)
    holder = run_job(lanes.instance, "order_sync_job", fail=True)  # it died holding the slot
    waiter = str(uuid.uuid4())
    assert storage.claim_concurrency_slot("infor_erp", holder, "order_to_m3").is_claimed
    assert not storage.claim_concurrency_slot("infor_erp", waiter, "order_to_m3").is_claimed
    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_POOL_SECONDS", "1")
    time.sleep(1.2)

    (alert,) = lanes.evaluate()
    assert alert["stall"] == "pool:infor_erp" and alert["state"] == "opened"
    assert f"run {waiter[:8]} (unknown to the instance) step order_to_m3 has waited" in alert["text"]
    assert f"slot(s) held by run {holder[:8]} of order_sync_job (FAILURE, ended" in alert["holder"]
    assert "never freed its slot" in alert["holder"] and alert["run_id"] == waiter
    assert alert["link"] == f"{UI}/deployment/concurrency/infor_erp"
    assert (
        lanes.check_status("infor_sales_orders", "pool_not_blocked") == AssetCheckExecutionRecordStatus.FAILED
    )
    assert lanes.evaluate() == []

    storage.free_concurrency_slots_for_run(holder)  # what the daemon does for an ended run
    (cleared,) = lanes.evaluate()
    assert cleared["stall"] == "pool:infor_erp" and cleared["state"] == "cleared"
    assert "cleared: pool infor_erp is blocked" in cleared["text"]
    assert (
        lanes.check_status("infor_sales_orders", "pool_not_blocked")
        == AssetCheckExecutionRecordStatus.SUCCEEDED
    )


def test_what_cannot_be_read_neither_opens_nor_clears_and_never_fails_the_tick(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    add_order(lanes.db, 21, lanes.states["Payment accepted"], waiting_since=ago(minutes=30))
    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_ORDER_SECONDS", "60")
    (alert,) = lanes.evaluate()
    assert alert["stall"] == "orders_not_in_m3"

    # the shop is down: the states last read stand in, the stall stays open, nothing is said twice
    lanes.resources["prestashop"] = PrestashopResource(
        url=f"http://127.0.0.1:{free_port()}", api_key=DEFAULT_API_KEY, max_attempts=1
    )
    assert lanes.evaluate() == []
    # the store cannot be opened either: the order cases are not judged, the stall stays open
    (tmp_path / "a_file").write_text("")
    lanes.resources["store"] = StoreResource(database_url=f"sqlite:///{tmp_path / 'a_file' / 'store.db'}")
    with dg.build_sensor_context(
        instance=lanes.instance, cursor=lanes.cursor, resources=lanes.resources
    ) as ctx:
        result = lane_stall_alert_sensor(ctx)
    assert result.skip_reason and "the store not opened" in (result.skip_reason.skip_message or "")
    assert lanes.receiver.take() == []
    assert json.loads(result.cursor or "{}")["open"].keys() == {"orders_not_in_m3"}


def test_the_checks_run_with_their_asset_and_read_the_same_rules(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch
):
    add_order(lanes.db, 31, lanes.states["Payment accepted"], waiting_since=ago(minutes=30))
    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_ORDER_SECONDS", "60")
    defs = dg.Definitions(
        assets=[
            dg.AssetSpec(key)
            for key in ("infor_sales_orders", "prestashop_order_status_updates", "prestashop_stock_levels")
        ],  # fmt: skip
        asset_checks=STALL_CHECKS,
        jobs=[dg.define_asset_job("stall_checks", selection=dg.AssetSelection.all_asset_checks())],
        resources=lanes.resources,
    )
    result = defs.resolve_job_def("stall_checks").execute_in_process(instance=lanes.instance)
    outcomes = {
        (e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert outcomes == {
        ("infor_sales_orders", "orders_reach_m3_in_time"): False,
        ("infor_sales_orders", "order_sync_is_fresh"): True,
        ("infor_sales_orders", "webhooks_taken_in_time"): True,
        ("infor_sales_orders", "pool_not_blocked"): True,
        ("prestashop_order_status_updates", "pool_not_blocked"): True,
        ("prestashop_stock_levels", "webhooks_taken_in_time"): True,
        ("prestashop_stock_levels", "pool_not_blocked"): True,
    }
    assert lanes.receiver.take() == []  # checks read; they post nothing


def test_the_order_checks_read_the_states_the_order_sync_stored_not_the_shop(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch
):
    """A shop that does not answer while the checks run (they follow the order sync in its run)
    fails nothing: the exportable states are the ones the sync stored; a state it did not store as
    exportable is not waited for."""
    add_order(lanes.db, 41, lanes.states["Payment accepted"], waiting_since=ago(minutes=30))
    add_order(lanes.db, 42, lanes.states["Shipped"], waiting_since=ago(minutes=30))
    monkeypatch.setenv("PRESTASHOP_INFOR_STALL_ORDER_SECONDS", "60")
    lanes.resources["prestashop"] = PrestashopResource(
        url=f"http://127.0.0.1:{free_port()}", api_key=DEFAULT_API_KEY, max_attempts=1
    )
    defs = dg.Definitions(
        assets=[dg.AssetSpec("infor_sales_orders")],
        asset_checks=[order_lane_stall_checks],
        jobs=[dg.define_asset_job("checks", selection=dg.AssetSelection.all_asset_checks())],
        resources=lanes.resources,
    )
    for stored, waiting in (([lanes.states["Payment accepted"]], 1), ([], 0)):
        lanes.db.set_cursor(EXPORTABLE_STATES_CURSOR, json.dumps(stored))
        result = defs.resolve_job_def("checks").execute_in_process(instance=lanes.instance)
        (orders,) = [
            e for e in result.get_asset_check_evaluations() if e.check_name == "orders_reach_m3_in_time"
        ]
        assert orders.passed == (waiting == 0) and orders.metadata["orders_waiting"].value == waiting


# -- the rules --------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LIMITS = stalls.Thresholds()


def backlog(waited: timedelta | None, waiting: int = 1, dead: int = 0) -> OrderBacklog:
    oldest = WaitingOrder(42, NOW - (waited or timedelta()), NOW - (waited or timedelta()), None, None)
    return OrderBacklog(oldest if waited is not None else None, waiting if waited is not None else 0, dead)


def keyed(seen: stalls.Observations) -> dict[str, stalls.Finding]:
    return {finding.key: finding for finding in stalls.assess(seen, LIMITS)}


def test_orders_stall_past_the_threshold_and_dead_letters_only_count():
    assert not keyed(stalls.Observations(NOW, orders=backlog(timedelta(minutes=10))))[
        "orders_not_in_m3"
    ].stalled
    found = keyed(stalls.Observations(NOW, orders=backlog(timedelta(minutes=11), waiting=3, dead=2)))
    finding = found["orders_not_in_m3"]
    assert finding.stalled and finding.since == NOW - timedelta(minutes=11)
    assert "3 order(s) waiting for M3; 2 more in the dead-letter queue" in finding.text
    assert not keyed(stalls.Observations(NOW, orders=backlog(None, dead=5)))["orders_not_in_m3"].stalled


def test_a_quiet_night_is_no_order_sync_stall():
    night = stalls.SyncHistory(last_success=NOW - timedelta(hours=8), last_success_run="r1", newest_run=None)
    fresh = keyed(stalls.Observations(NOW, orders=backlog(timedelta(minutes=1)), sync=night))["order_sync"]
    assert not fresh.stalled  # the order came a minute ago: the sync has not had its chance yet
    stuck = keyed(stalls.Observations(NOW, orders=backlog(timedelta(minutes=16)), sync=night))["order_sync"]
    assert stuck.stalled and stuck.since == NOW - timedelta(minutes=16)
    recent = stalls.SyncHistory(
        last_success=NOW - timedelta(minutes=2), last_success_run="r2", newest_run=None
    )
    assert not keyed(stalls.Observations(NOW, orders=backlog(timedelta(hours=1)), sync=recent))[
        "order_sync"
    ].stalled


def test_inbox_and_pool_findings_name_what_holds_them():
    events = UntakenEvents(
        oldest_id=9, event="order.created", received_at=NOW - timedelta(minutes=6), count=4
    )
    last = stalls.RunInfo("abcdef123456", "order_sync_job", "SUCCESS", NOW - timedelta(hours=1), ended=True)
    lane = stalls.InboxLane("order_sync_job", events, last)
    finding = keyed(stalls.Observations(NOW, inbox=[lane]))["inbox:order_sync_job"]
    assert (
        finding.stalled and "no run of order_sync_job created since 2026-03-02 11:00:00 UTC" in finding.holder
    )
    holder = stalls.StepInPool("dead0001", "order_to_m3", None)
    waiter = stalls.StepInPool("wait0001", "order_to_m3", None, since=NOW - timedelta(minutes=4))
    queue = stalls.PoolQueue("infor_erp", 1, [holder], [waiter])
    assert not keyed(stalls.Observations(NOW, pools=[queue]))["pool:infor_erp"].stalled
    waiter = stalls.StepInPool("wait0001", "order_to_m3", None, since=NOW - timedelta(minutes=6))
    found = keyed(stalls.Observations(NOW, pools=[stalls.PoolQueue("infor_erp", 1, [holder], [waiter])]))
    assert found["pool:infor_erp"].stalled and "run dead0001" in (found["pool:infor_erp"].holder or "")


def test_a_stall_opens_once_clears_once_and_unobserved_kinds_keep_their_state():
    stuck = stalls.Observations(NOW, orders=backlog(timedelta(hours=1)), pools=[])
    first = stalls.compare({}, stalls.assess(stuck, LIMITS), stuck)
    assert [f.key for f in first.opened] == ["orders_not_in_m3"] and not first.cleared
    again = stalls.compare(first.open, stalls.assess(stuck, LIMITS), stuck)
    assert not again.opened and not again.cleared and again.open.keys() == {"orders_not_in_m3"}
    blind = stalls.Observations(NOW, pools=[])  # the orders could not be read
    kept = stalls.compare(again.open, stalls.assess(blind, LIMITS), blind)
    assert not kept.cleared and kept.open.keys() == {"orders_not_in_m3"}
    fine = stalls.Observations(NOW, orders=backlog(None), pools=[])
    done = stalls.compare(kept.open, stalls.assess(fine, LIMITS), fine)
    assert [stall.key for stall, _ in done.cleared] == ["orders_not_in_m3"] and done.open == {}
    restored = stalls.OpenStall.from_json("orders_not_in_m3", first.open["orders_not_in_m3"].to_json())
    assert restored == first.open["orders_not_in_m3"]

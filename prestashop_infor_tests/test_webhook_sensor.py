"""The event lane's sensor (issue 9 §3): the inbox becomes a few runs, routed by event type, with a
cursor per job that skips nothing and repeats nothing across evaluations and restarts; stock and
catalogue events are gathered, and a run not started yet takes the events that arrive meanwhile."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import dagster as dg
import pytest

from prestashop_infor import names
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync import sensors
from prestashop_infor.defs.sync.sensors import prestashop_webhook_sensor
from prestashop_infor.store import Store, inbox


@pytest.fixture(autouse=True)
def no_hold(monkeypatch):
    """Stock events are gathered for 10 s, and give way to order runs for 60 s at most, in
    production; here only where a test says so."""
    monkeypatch.setitem(sensors.HOLD_SECONDS, "stock_sync_job", 0.0)
    monkeypatch.setattr(sensors, "YIELD_SECONDS", 0.0)


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def store(tmp_path: Path, instance):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store.from_url(url) as opened:
        yield opened, StoreResource(database_url=url), instance


def add(store: Store, *events: str) -> None:
    inbox.enqueue_many(
        store,
        [({"id": str(uuid.uuid4()), "event": e, "contract_version": 1}, "pending" if sensors.route(e) else "ignored", 1)
         for e in events],
    )  # fmt: skip


def evaluate(store, cursor: str | None) -> dg.SensorResult:
    _, resource, instance = store
    with dg.build_sensor_context(cursor=cursor, resources={"store": resource}, instance=instance) as context:
        return prestashop_webhook_sensor(context)


def positions(order: int, stock: int) -> str:
    return json.dumps({"stock_sync_job": stock, "order_sync_job": order}, sort_keys=True)


def test_new_events_become_one_run_per_job_and_the_cursor_moves(store):
    db = store[0]
    add(db, "order.created", "stock.updated", "order.status_changed", "customer.updated", "product.updated")
    result = evaluate(store, None)
    runs = {r.job_name: r for r in result.run_requests}
    assert set(runs) == {"order_sync_job", "stock_sync_job"}
    assert runs["order_sync_job"].run_key == "order_sync_job:inbox:1-4"
    assert runs["order_sync_job"].tags["prestashop_infor/events"] == "3"
    assert runs["stock_sync_job"].run_key == "stock_sync_job:inbox:2-5"
    assert result.cursor == positions(5, 5)
    again = evaluate(store, result.cursor)  # nothing new: no run, the cursor stays
    assert again.run_requests == [] and again.skip_reason and again.cursor is None


def test_a_burst_is_capped_per_evaluation_and_nothing_is_skipped_or_repeated(store, monkeypatch):
    db = store[0]
    monkeypatch.setattr(sensors, "MAX_EVENTS", 40)
    add(db, *["order.created"] * 100)
    keys, cursor = [], None
    for _ in range(10):  # bounded
        result = evaluate(store, cursor)
        if not result.run_requests:
            break
        keys += [r.run_key for r in result.run_requests]
        cursor = result.cursor
    assert keys == ["order_sync_job:inbox:1-40", "order_sync_job:inbox:41-80", "order_sync_job:inbox:81-100"]
    add(db, "order.created")  # after a restart the sensor goes on from its stored cursor
    assert [r.run_key for r in evaluate(store, cursor).run_requests] == ["order_sync_job:inbox:101-101"]


def test_ignored_events_move_the_cursor_and_start_nothing(store):
    db = store[0]
    add(db, "wishlist.updated", "cart.abandoned")
    result = evaluate(store, None)
    assert result.run_requests == [] and result.cursor == positions(2, 2)


def test_the_sensor_is_in_the_definitions_targeting_the_sync_jobs():
    from prestashop_infor.defs import defs

    sensor = defs.get_repository_def().get_sensor_def("prestashop_webhook_sensor")
    assert {job.name for job in sensor.jobs} == {"order_sync_job", "stock_sync_job"}
    assert sensor.minimum_interval_seconds == 1


def test_a_cursor_from_before_per_job_positions_goes_on_from_its_id(store):
    db = store[0]
    add(db, "order.created", "stock.updated", "order.created")
    result = evaluate(store, "1")  # the single id the sensor kept before
    assert [r.run_key for r in result.run_requests] == [
        "order_sync_job:inbox:3-3",
        "stock_sync_job:inbox:2-2",
    ]
    assert result.cursor == positions(3, 3)


def test_stock_events_are_gathered_while_orders_run_at_once(store, monkeypatch):
    db = store[0]
    monkeypatch.setitem(sensors.HOLD_SECONDS, "stock_sync_job", 3600.0)
    add(db, "stock.updated", "order.created", "stock.updated")
    result = evaluate(store, None)
    assert [r.run_key for r in result.run_requests] == ["order_sync_job:inbox:2-2"]
    assert result.cursor == positions(3, 0)  # the stock events wait, none is passed over
    held = evaluate(store, result.cursor)
    assert held.run_requests == [] and "gathered" in held.skip_reason.skip_message
    monkeypatch.setitem(sensors.HOLD_SECONDS, "stock_sync_job", 0.0)  # the window has passed
    after = evaluate(store, result.cursor)
    assert [r.run_key for r in after.run_requests] == ["stock_sync_job:inbox:1-3"]
    assert after.cursor == positions(3, 3)


def test_a_burst_of_orders_does_not_end_the_stock_window(store, monkeypatch):
    db = store[0]
    monkeypatch.setattr(sensors, "MAX_EVENTS", 40)
    monkeypatch.setitem(sensors.HOLD_SECONDS, "stock_sync_job", 3600.0)
    add(db, "stock.updated", *["order.created"] * 60)  # the stock job's page is full, of orders
    result = evaluate(store, None)
    assert [r.run_key for r in result.run_requests] == ["order_sync_job:inbox:2-40"]
    assert result.cursor == positions(40, 0)  # the stock event waits for its window
    monkeypatch.setattr(sensors, "MAX_EVENTS", 2)
    add(db, "stock.updated", "stock.updated")
    full = evaluate(store, positions(61, 61))  # a page of the stock job's own events ends its window
    assert [r.run_key for r in full.run_requests] == ["stock_sync_job:inbox:62-63"]


def test_a_run_not_started_yet_takes_the_new_events_and_a_started_one_does_not(store):
    db, _, instance = store
    add(db, "order.created")
    first = evaluate(store, None)
    queued = dg.DagsterRun(
        job_name="order_sync_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.NOT_STARTED
    )
    instance.add_run(queued)
    add(db, "order.status_changed")
    absorbed = evaluate(store, first.cursor)
    assert absorbed.run_requests == [] and absorbed.cursor == positions(2, 2)  # the queued run reads it
    # ... and says so: an order's story names the run that took its webhook
    tags = instance.get_run_by_id(queued.run_id).tags
    assert tags[names.INBOX_IDS_TAG] == "2-2" and tags[names.TAKES_WEBHOOKS_TAG] == "yes"
    instance.handle_new_event(
        dg.EventLogEntry(
            error_info=None, level="debug", user_message="", run_id=queued.run_id, timestamp=0.0,
            dagster_event=dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, "order_sync_job"),
        )
    )  # fmt: skip
    add(db, "order.created")
    again = evaluate(store, absorbed.cursor)
    assert [r.run_key for r in again.run_requests] == ["order_sync_job:inbox:3-3"]


def test_stock_events_wait_for_the_stock_run_at_work_then_make_one_run(store):
    """Stock runs one at a time: events arriving while a run of stock_sync_job is at work (it may have
    read the shop before them) are neither passed over nor a second overlapping run."""
    db, _, instance = store
    add(db, "stock.updated")
    first = evaluate(store, None)
    assert [r.run_key for r in first.run_requests] == ["stock_sync_job:inbox:1-1"]
    at_work = dg.DagsterRun(
        job_name="stock_sync_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED
    )
    instance.add_run(at_work)
    add(db, "stock.updated", "product.updated", "order.created")
    waiting = evaluate(store, first.cursor)
    assert [r.run_key for r in waiting.run_requests] == ["order_sync_job:inbox:4-4"]  # orders do not wait
    assert waiting.cursor == positions(4, 1)  # the stock events are still ahead of the cursor
    assert evaluate(store, waiting.cursor).skip_reason.skip_message.endswith(
        f"wait for run {at_work.run_id} to end"
    )
    instance.report_run_failed(at_work)  # ended, however it ended
    after = evaluate(store, waiting.cursor)
    assert [r.run_key for r in after.run_requests] == ["stock_sync_job:inbox:2-3"]
    assert after.cursor == positions(4, 4)


def test_stock_events_give_way_to_an_order_run_in_flight_for_a_minute_at_most(store, monkeypatch):
    """An order run launching or at work has the cores first: the stock run after it reads the stock
    its orders moved; stock events older than YIELD_SECONDS go anyway, so orders never starve it."""
    db, _, instance = store
    monkeypatch.setattr(sensors, "YIELD_SECONDS", 3600.0)
    add(db, "order.created", "stock.updated")
    first = evaluate(store, None)  # the order run asked in this very tick
    assert [r.run_key for r in first.run_requests] == ["order_sync_job:inbox:1-1"]
    assert first.cursor == positions(2, 0)  # the stock event waits ahead of its cursor
    order_run = dg.DagsterRun(
        job_name="order_sync_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED
    )
    instance.add_run(order_run)
    held = evaluate(store, first.cursor)
    assert held.run_requests == [] and f"give way to order_sync_job ({order_run.run_id})" in (
        held.skip_reason.skip_message
    )
    monkeypatch.setattr(sensors, "YIELD_SECONDS", 0.0)  # the oldest stock event has waited long enough
    assert [r.run_key for r in evaluate(store, first.cursor).run_requests] == ["stock_sync_job:inbox:2-2"]
    monkeypatch.setattr(sensors, "YIELD_SECONDS", 3600.0)
    instance.report_run_failed(order_run)  # the order run ended: the stock run goes at once
    assert [r.run_key for r in evaluate(store, first.cursor).run_requests] == ["stock_sync_job:inbox:2-2"]

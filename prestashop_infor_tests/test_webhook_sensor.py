"""The event lane's sensor (issue 9 §3): the inbox becomes a few runs, routed by event type, with a
cursor that skips nothing and repeats nothing across evaluations and restarts."""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
import pytest

from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync import sensors
from prestashop_infor.defs.sync.sensors import prestashop_webhook_sensor
from prestashop_infor.store import Store, inbox


@pytest.fixture
def store(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store.from_url(url) as opened:
        yield opened, StoreResource(database_url=url)


def add(store: Store, *events: str) -> None:
    inbox.enqueue_many(
        store,
        [({"id": str(uuid.uuid4()), "event": e, "contract_version": 1}, "pending" if sensors.route(e) else "ignored", 1)
         for e in events],
    )  # fmt: skip


def evaluate(resource: StoreResource, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(cursor=cursor, resources={"store": resource}) as context:
        return prestashop_webhook_sensor(context)


def test_new_events_become_one_run_per_job_and_the_cursor_moves(store):
    db, resource = store
    add(db, "order.created", "stock.updated", "order.status_changed", "customer.updated", "product.updated")
    result = evaluate(resource, None)
    runs = {r.job_name: r for r in result.run_requests}
    assert set(runs) == {"order_sync_job", "backoffice_sync_job"}
    assert runs["order_sync_job"].run_key == "order_sync_job:inbox:1-4"
    assert runs["order_sync_job"].tags["prestashop_infor/events"] == "3"
    assert runs["backoffice_sync_job"].run_key == "backoffice_sync_job:inbox:2-5"
    assert result.cursor == "5"
    again = evaluate(resource, result.cursor)  # nothing new: no run, the cursor stays
    assert again.run_requests == [] and again.skip_reason and again.cursor is None


def test_a_burst_is_capped_per_evaluation_and_nothing_is_skipped_or_repeated(store, monkeypatch):
    db, resource = store
    monkeypatch.setattr(sensors, "MAX_EVENTS", 40)
    add(db, *["order.created"] * 100)
    keys, cursor = [], None
    for _ in range(10):  # bounded
        result = evaluate(resource, cursor)
        if not result.run_requests:
            break
        keys += [r.run_key for r in result.run_requests]
        cursor = result.cursor
    assert keys == ["order_sync_job:inbox:1-40", "order_sync_job:inbox:41-80", "order_sync_job:inbox:81-100"]
    add(db, "order.created")  # after a restart the sensor goes on from its stored cursor
    assert [r.run_key for r in evaluate(resource, cursor).run_requests] == ["order_sync_job:inbox:101-101"]


def test_ignored_events_move_the_cursor_and_start_nothing(store):
    db, resource = store
    add(db, "wishlist.updated", "cart.abandoned")
    result = evaluate(resource, None)
    assert result.run_requests == [] and result.cursor == "2"


def test_the_sensor_is_in_the_definitions_targeting_the_sync_jobs():
    from prestashop_infor.defs import defs

    sensor = defs.get_repository_def().get_sensor_def("prestashop_webhook_sensor")
    assert {job.name for job in sensor.jobs} == {"order_sync_job", "backoffice_sync_job"}
    assert sensor.minimum_interval_seconds == 5

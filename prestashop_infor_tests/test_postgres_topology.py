"""The production topology as real processes on this machine against the local PostgreSQL (issue 11
§1): a gRPC code server, ``prestashop-infor daemon``, ``dagster-webserver``, the webhook receiver
and the sandbox, one Dagster instance in a fresh PostgreSQL database and the store in a fresh
schema. A shop order's webhook becomes a confirmed M3 order through a sensor-started run; a
partition-range reconciliation run launched through the webserver succeeds; both are asserted
through the instance's own queries on PostgreSQL storage. Then the inbox and the id map are written
by concurrent writers: each event stored once, one binding per order, no IntegrityError."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa
from dagster._core.scheduler.instigation import InstigatorState, InstigatorType, TickStatus

from prestashop_infor.infor.client import M3Client
from prestashop_infor.infor.ionapi import IonApiCredentials
from prestashop_infor.store import Store, id_map, tables
from prestashop_infor.sync.orders import ENTITY as SALES_ORDER
from prestashop_infor.webhooks import sign
from prestashop_infor_tests.topology import LOCATION, SECRET, TIME_ZONE, PostgresTopology, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WEBHOOK_TRIGGER = {"prestashop_infor/trigger": "webhook"}
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
LAUNCH_RUN = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
UNFINISHED = [status for status in dg.DagsterRunStatus if status not in FINISHED]


def _reconciliation_days() -> tuple[str, str, str]:
    """(first partition day, range start, range end): the two last complete days in the shop's time zone."""
    today = datetime.now(ZoneInfo(TIME_ZONE)).date()
    return str(today - timedelta(days=3)), str(today - timedelta(days=2)), str(today - timedelta(days=1))


def _finished_run(instance: dg.DagsterInstance, run_id: str, seconds: float) -> dg.DagsterRun:
    def finished() -> dg.DagsterRun | None:
        run = instance.get_run_by_id(run_id)
        return run if run is not None and run.status in FINISHED else None

    return wait_for(finished, seconds, f"run {run_id} to finish", every=0.5)


def _webhook_run_covering(instance: dg.DagsterInstance, inbox_ids: list[int]) -> dg.DagsterRun | None:
    """The webhook-started order_sync_job run whose inbox id range holds all of ``inbox_ids``."""
    for record in instance.get_run_records(dg.RunsFilter(job_name="order_sync_job", tags=WEBHOOK_TRIGGER)):
        first, last = (int(n) for n in record.dagster_run.tags["prestashop_infor/inbox_ids"].split("-"))
        if all(first <= i <= last for i in inbox_ids):
            return record.dagster_run
    return None


def _sensor_position(instance: dg.DagsterInstance, sensor: InstigatorState, job: str) -> int:
    """The last inbox id the webhook sensor has looked at for ``job`` (its cursor)."""
    state = instance.get_instigator_state(sensor.instigator_origin_id, sensor.selector_id)
    cursor = state.instigator_data.cursor if state and state.instigator_data else None
    return int(json.loads(cursor).get(job, 0)) if cursor else 0


def _materialized(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, str | None]]:
    """(asset, partition) of every ASSET_MATERIALIZATION in the run's event log."""
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    return [
        (event.dagster_event.asset_key.to_user_string(), event.dagster_event.partition)
        for event in events
        if event.dagster_event is not None and event.dagster_event.asset_key is not None
    ]


def _envelope(shop_url: str, order_id: int, event: str = "order.updated") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "event": event,
        "contract_version": 1,
        "occurred_at": datetime.now().astimezone().isoformat(),
        "shop": {"id_shop": 1, "id_shop_group": 1, "url": shop_url},
        "source_hook": "actionOrderEdited",
        "resource": {"type": "orders", "id": order_id, "href": f"{shop_url}/api/orders/{order_id}"},
        "data": {"id_order": order_id},
    }


def _deliver(receiver_url: str, body: dict[str, Any], attempt: int) -> httpx.Response:
    """One signed delivery, signed now (the receiver allows 300 s either way)."""
    raw, t = json.dumps(body).encode(), int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-PS-Webhook-Id": body["id"],
        "X-PS-Webhook-Event": body["event"],
        "X-PS-Webhook-Timestamp": str(t),
        "X-PS-Webhook-Attempt": str(attempt),
        "X-PS-Webhook-Signature": f"t={t},v1={sign(SECRET, t, raw)}",
    }
    return httpx.post(f"{receiver_url}/webhooks/prestashop", content=raw, headers=headers, timeout=30)


def _inbox_rows(store: Store, event_ids: list[str]) -> dict[str, list[int]]:
    """Inbox row ids per event id (one each, if the inbox holds)."""
    table = tables.webhook_inbox
    rows: dict[str, list[int]] = {}
    with store.engine.connect() as connection:
        for row_id, event_id in connection.execute(
            sa.select(table.c.id, table.c.event_id).where(table.c.event_id.in_(event_ids))
        ):
            rows.setdefault(event_id, []).append(int(row_id))
    return rows


def _order_created_inbox_ids(store: Store, order_id: int) -> list[int]:
    table = tables.webhook_inbox
    query = sa.select(table.c.id).where(
        table.c.event == "order.created", table.c.resource_type == "orders", table.c.resource_id == order_id
    )
    with store.engine.connect() as connection:
        return [int(i) for i in connection.execute(query).scalars()]


def _create_once(store: Store, keys: list[str], start: threading.Barrier, created: list[str]) -> None:
    """The synchronizers' claim protocol (sync/orders.py) on ``keys``: claim, skip what another
    writer bound meanwhile, bind the rest, release."""
    start.wait()
    got = id_map.claim_for_work(store, SALES_ORDER, dict.fromkeys(keys), stale_after=timedelta(minutes=10))
    try:
        bound = id_map.bindings_for(store, SALES_ORDER, got)
        fresh = sorted(set(got) - set(bound))
        id_map.bind_many(store, SALES_ORDER, [(k, f"RACE{k}", None, {"cuor": f"PS{k}"}) for k in fresh])
        created.extend(fresh)
    finally:
        id_map.release(store, SALES_ORDER, got)


def test_the_postgres_topology_turns_a_webhook_into_an_m3_order_and_runs_a_partition_range(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    first_day, range_start, range_end = _reconciliation_days()
    topology = PostgresTopology(tmp_path, postgres_url, reconciliation_start=first_day)
    for name, value in topology.dagster_env.items():  # this process opens the same instance
        monkeypatch.setenv(name, value)
    instance: dg.DagsterInstance | None = None
    store: Store | None = None
    try:
        topology.prepare()
        # Opened before any process starts: it creates Dagster's tables in the fresh database once,
        # instead of five processes racing to create them.
        instance = dg.DagsterInstance.from_config(str(topology.dagster_home))
        topology.start()
        print(f"topology up at {time.monotonic() - started:.1f} s")
        store = Store.from_url(topology.store_url, schema=topology.store_schema)

        # -- a partition-range run through the webserver, queued to the daemon -----------------------
        launched = topology.graphql(
            LAUNCH_RUN,
            {
                "params": {
                    "selector": {
                        "repositoryLocationName": LOCATION,
                        "repositoryName": "__repository__",
                        "jobName": "order_reconciliation_job",
                    },
                    "runConfigData": {},
                    "executionMetadata": {
                        "tags": [
                            {"key": RANGE_START, "value": range_start},
                            {"key": RANGE_END, "value": range_end},
                        ]
                    },
                }
            },
        )["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        reconciliation_run_id = launched["run"]["runId"]

        # -- a shop order -> signed webhook -> inbox -> sensor -> run -> confirmed M3 order ----------
        placed = httpx.post(f"{topology.shop_url}/_sandbox/orders", json={"random": 1, "seed": 1}, timeout=60)
        placed.raise_for_status()
        (order_id,) = (int(i) for i in placed.json()["ids"])
        placed_at = time.monotonic()
        binding = wait_for(
            lambda: id_map.binding(store, SALES_ORDER, order_id), 90, f"order {order_id} bound in the id map"
        )
        print(
            f"order {order_id} bound to M3 {binding.target_key} {time.monotonic() - placed_at:.1f} s after checkout"
        )
        with M3Client(IonApiCredentials.from_file(topology.ionapi)) as m3:
            head = m3.execute_one("OIS100MI", "GetHead", ORNO=binding.target_key)
        assert head["ORNO"] == binding.target_key and head["CUOR"] == binding.data["cuor"]
        assert head["ORSL"] >= "20", head  # a customer order, not a batch order still being entered

        # -- the inbox under concurrent writers: 8 deliveries of one event, 12 other events, at once
        # (sent now, so that their run overlaps the waits below) -----------------------------------------
        repeated = _envelope(topology.shop_url, order_id)
        others = [_envelope(topology.shop_url, order_id) for _ in range(12)]
        deliveries = [(repeated, attempt) for attempt in range(1, 9)] + [(body, 1) for body in others]
        with ThreadPoolExecutor(len(deliveries)) as pool:
            answers = list(pool.map(lambda d: _deliver(topology.receiver_url, *d), deliveries))
        assert [a.status_code for a in answers] == [202] * len(deliveries), [a.text for a in answers]
        assert sorted(a.json()["status"] for a in answers[:8]) == ["accepted"] + ["duplicate"] * 7
        assert [a.json()["status"] for a in answers[8:]] == ["accepted"] * 12
        rows = _inbox_rows(store, [repeated["id"], *(body["id"] for body in others)])
        assert len(rows) == 13 and all(len(ids) == 1 for ids in rows.values()), rows

        inbox_ids = _order_created_inbox_ids(store, order_id)
        assert len(inbox_ids) == 1, inbox_ids
        run = wait_for(lambda: _webhook_run_covering(instance, inbox_ids), 60, "the webhook-started run")
        run = _finished_run(instance, run.run_id, 90)
        assert run.status == dg.DagsterRunStatus.SUCCESS, topology.logs_tail()
        assert run.tags["prestashop_infor/trigger"] == "webhook"
        assert ("infor_sales_orders", None) in _materialized(instance, run.run_id)

        # the sensor's ticks are in the instance's schedule storage, one of them asked for that run
        (sensor,) = [
            state
            for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
            if state.name == "prestashop_webhook_sensor"
        ]
        ticks = instance.get_ticks(sensor.instigator_origin_id, sensor.selector_id)
        assert len(ticks) >= 2
        assert any(tick.status == TickStatus.SUCCESS and run.run_id in tick.run_ids for tick in ticks)

        print(f"webhook run asserted at {time.monotonic() - started:.1f} s")
        # -- the partition-range run -------------------------------------------------------------------
        reconciliation = _finished_run(instance, reconciliation_run_id, 90)
        assert reconciliation.status == dg.DagsterRunStatus.SUCCESS, topology.logs_tail()
        assert reconciliation.job_name == "order_reconciliation_job"
        assert (reconciliation.tags[RANGE_START], reconciliation.tags[RANGE_END]) == (range_start, range_end)
        days = {partition for asset, partition in _materialized(instance, reconciliation.run_id)
                if asset == "order_reconciliation"}  # fmt: skip
        assert days == {range_start, range_end}
        assert date.fromisoformat(range_end) - date.fromisoformat(range_start) == timedelta(days=1)

        # -- all of it is PostgreSQL storage, in this test's own database ---------------------------------
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        dagster_db = sa.make_url(postgres_url).set(database=topology.dagster_db)
        engine = sa.create_engine(dagster_db)
        try:
            with engine.connect() as connection:
                stored = connection.execute(
                    sa.text("select count(*) from runs where run_id in (:a, :b)"),
                    {"a": run.run_id, "b": reconciliation.run_id},
                ).scalar_one()
                tick_rows = connection.execute(
                    sa.text("select count(*) from job_ticks where selector_id = :s"),
                    {"s": sensor.selector_id},
                ).scalar_one()
        finally:
            engine.dispose()
        assert stored == 2 and tick_rows >= len(ticks)

        # -- the burst's events ran through the sensor too; the order was not sent to M3 again -------------
        # (no run of their own if a run of order_sync_job was still waiting to start: that run reads
        # the shop after they arrived)
        last_burst_id = max(i for ids in rows.values() for i in ids)
        wait_for(
            lambda: (
                _sensor_position(instance, sensor, "order_sync_job") >= last_burst_id
                and not instance.get_run_ids(dg.RunsFilter(job_name="order_sync_job", statuses=UNFINISHED))
            ),
            90,
            "the sensor to pass the burst and its runs to finish",
            every=0.5,
        )
        statuses = [r.status for r in instance.get_runs(dg.RunsFilter(job_name="order_sync_job"))]
        assert set(statuses) == {dg.DagsterRunStatus.SUCCESS}, topology.logs_tail()
        assert httpx.get(f"{topology.m3_url}/_sandbox/state", timeout=30).json()["duplicate_orders"] == 0
        assert (
            id_map.bindings_for(store, SALES_ORDER, [order_id])[str(order_id)].target_key
            == binding.target_key
        )

        print(f"burst run asserted at {time.monotonic() - started:.1f} s")
        # -- the id map under concurrent writers: 4 writers create the same 40 orders at once -------------
        keys = [str(900_000 + n) for n in range(40)]
        start, created = threading.Barrier(4), []
        with ThreadPoolExecutor(4) as pool:
            for done in [pool.submit(_create_once, store, keys, start, created) for _ in range(4)]:
                done.result(timeout=60)  # an IntegrityError (or any error) of a writer is raised here
        assert sorted(created) == keys  # each created by exactly one writer
        bound = id_map.bindings_for(store, SALES_ORDER, keys)
        assert {k: b.target_key for k, b in bound.items()} == {k: f"RACE{k}" for k in keys}
        with store.engine.connect() as connection:
            per_key = connection.execute(
                sa.select(sa.func.count())
                .select_from(tables.id_map)
                .where(tables.id_map.c.entity == SALES_ORDER, tables.id_map.c.source_key.in_(keys))
            ).scalar_one()
        assert per_key == len(keys)
    finally:
        try:  # the stop fails if a process of the DAGSTER_HOME is left running
            print(f"stopped (seconds to exit after SIGTERM): {topology.stop()}")
        finally:
            if store is not None:
                store.dispose()
            if instance is not None:
                instance.dispose()
            topology.drop()
    assert topology.processes_left() == []
    print(f"whole test {time.monotonic() - started:.1f} s")

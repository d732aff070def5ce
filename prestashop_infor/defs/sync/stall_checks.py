"""Freshness and backlog checks of the order-to-cash lanes, and the observations behind them.

The checks (non-blocking, shown under their asset in the UI):

- on ``infor_sales_orders``: ``orders_reach_m3_in_time`` (the longest-waiting exportable order not
  in M3, dead letters apart), ``order_sync_is_fresh`` (an order sync succeeded since orders began
  to wait), ``webhooks_taken_in_time`` (order, customer and address events taken by a run of
  ``order_sync_job``), ``pool_not_blocked`` (no step waits too long for ``infor_erp``);
- on ``prestashop_order_status_updates``: ``pool_not_blocked`` (``prestashop_order_writes``);
- on ``prestashop_stock_levels``: ``webhooks_taken_in_time`` (product, combination and stock
  events, ``stock_sync_job``) and ``pool_not_blocked`` (``prestashop_stock_writes``).

They run after their asset in every run of its job, and read only. A stalled lane has no runs, so
``lane_stall_alert_sensor`` (``defs/alerts.py``) evaluates the same rules (``sync.stalls``) every
30 s and records each check's result without a run when a stall opens or clears: the check turns
red with the alert and green with the all-clear. Thresholds: ``PRESTASHOP_INFOR_STALL_*_SECONDS``.
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from prestashop_infor import names
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sources import MAIN, Source
from prestashop_infor.defs.sync.assets import (
    ERP_POOL,
    SHOP_ORDERS_POOL,
    SHOP_STOCK_POOL,
    infor_sales_orders,
    stored_exportable_states,
)
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.defs.sync.schedules import order_sync_job, stock_sync_job
from prestashop_infor.defs.sync.sensors import JOBS, ROUTES
from prestashop_infor.settings import Settings
from prestashop_infor.store import Store, backlog
from prestashop_infor.sync import stalls
from prestashop_infor.sync.orders import ENTITY as SALES_ORDER
from prestashop_infor.sync.orders import ShopLookups

prestashop_stock_levels = dg.AssetKey("prestashop_stock_levels")
prestashop_order_status_updates = dg.AssetKey("prestashop_order_status_updates")
ENDED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
SHOP_TIMEOUT = 10.0  # seconds per request when only the order states are read (a sensor tick is short)

#: Which check shows each stall: (asset, check name).
CHECK_OF: dict[str, tuple[dg.AssetKey, str]] = {
    stalls.ORDERS: (infor_sales_orders, "orders_reach_m3_in_time"),
    stalls.ORDER_SYNC: (infor_sales_orders, "order_sync_is_fresh"),
    stalls.inbox_key(order_sync_job.name): (infor_sales_orders, "webhooks_taken_in_time"),
    stalls.inbox_key(stock_sync_job.name): (prestashop_stock_levels, "webhooks_taken_in_time"),
    stalls.pool_key(ERP_POOL): (infor_sales_orders, "pool_not_blocked"),
    stalls.pool_key(SHOP_ORDERS_POOL): (prestashop_order_status_updates, "pool_not_blocked"),
    stalls.pool_key(SHOP_STOCK_POOL): (prestashop_stock_levels, "pool_not_blocked"),
}
KEY_OF = {check: key for key, check in CHECK_OF.items()}


def thresholds(settings: Settings) -> stalls.Thresholds:
    return stalls.Thresholds(
        orders=timedelta(seconds=settings.stall_order_seconds),
        order_sync=timedelta(seconds=settings.stall_sync_seconds),
        inbox=timedelta(seconds=settings.stall_inbox_seconds),
        pool=timedelta(seconds=settings.stall_pool_seconds),
    )


# -- observations ---------------------------------------------------------------------------------


def exportable_order_states(
    prestashop: PrestashopResource, mapping: MappingResource, source: Source | None = None
) -> list[int]:
    """The shop's order states the mapping sends to M3, read from the shop (``/api/order_states``,
    one short request, tried twice at most). ``source``: else the run's installation."""
    quick = prestashop.model_copy(update={"timeout": SHOP_TIMEOUT, "max_attempts": 2})
    with quick.get_client(source) as shop:
        return ShopLookups(shop).status_map(mapping.load(source)).exportable_states()


def order_backlog(db: Store, states: Iterable[int]) -> backlog.OrderBacklog:
    return backlog.order_backlog(db, list(states), SALES_ORDER)


def sync_history(instance: dg.DagsterInstance, source: Source = MAIN) -> stalls.SyncHistory:
    """The last materialization of ``source``'s ``infor_sales_orders`` (however it was launched) and
    the newest run of its ``order_sync_job``."""
    event = instance.get_latest_materialization_event(source.key(infor_sales_orders))
    newest = _newest_run(instance, source.named(order_sync_job.name))
    return stalls.SyncHistory(
        last_success=datetime.fromtimestamp(event.timestamp, UTC) if event else None,
        last_success_run=(event.run_id or None) if event else None,
        newest_run=newest,
    )


def inbox_lanes(instance: dg.DagsterInstance, db: Store, source: Source = MAIN) -> list[stalls.InboxLane]:
    """Per job of the webhook sensor (by its main name), the pending events of ``source``'s inbox
    (``db``) that arrived after the newest run of its job was created: any run of the job created
    after an event reads the shop after it, so it takes it (the sensor's, or the schedule's)."""
    lanes = []
    for job in JOBS:
        newest = _newest_run(instance, source.named(job))
        tagged = instance.get_run_records(
            dg.RunsFilter(job_name=source.named(job), tags={names.TRIGGER_TAG: names.WEBHOOK_TRIGGER}),
            limit=1,
        )
        # every event of this job up to the newest webhook run's range was seen by the sensor: start
        # the search there instead of at the first event ever received
        after = _range_end(tagged[0].dagster_run.tags.get(names.INBOX_IDS_TAG)) if tagged else 0
        kinds = [kind for kind, target in ROUTES.items() if target == job]
        untaken = backlog.untaken_events(
            db, kinds, after_id=after, received_after=newest.created_at if newest else None
        )
        lanes.append(stalls.InboxLane(job=job, untaken=untaken, newest_run=newest))
    return lanes


def pool_queues(instance: dg.DagsterInstance) -> list[stalls.PoolQueue]:
    """Every pool's slot holders and waiting steps, with their runs."""
    storage = instance.event_log_storage
    infos = storage.get_concurrency_infos(sorted(storage.get_concurrency_keys()))
    run_ids = {step.run_id for info in infos.values() for step in [*info.claimed_slots, *info.pending_steps]}
    runs = _runs(instance, run_ids)
    queues = []
    for pool, info in sorted(infos.items()):
        holders = [stalls.StepInPool(s.run_id, s.step_key, runs.get(s.run_id)) for s in info.claimed_slots]
        waiting = [
            stalls.StepInPool(p.run_id, p.step_key, runs.get(p.run_id), since=_utc(p.enqueued_timestamp))
            for p in info.pending_steps
            if p.assigned_timestamp is None
        ]
        queues.append(stalls.PoolQueue(pool=pool, limit=info.limit, holders=holders, waiting=waiting))
    return queues


def _newest_run(instance: dg.DagsterInstance, job: str) -> stalls.RunInfo | None:
    records = instance.get_run_records(dg.RunsFilter(job_name=job), limit=1)
    return _run_info(records[0]) if records else None


def _runs(instance: dg.DagsterInstance, run_ids: Iterable[str]) -> dict[str, stalls.RunInfo]:
    wanted = sorted(set(run_ids))
    if not wanted:
        return {}
    records = instance.get_run_records(dg.RunsFilter(run_ids=wanted))
    return {record.dagster_run.run_id: _run_info(record) for record in records}


def _run_info(record: dg.RunRecord) -> stalls.RunInfo:
    run = record.dagster_run
    return stalls.RunInfo(
        run_id=run.run_id,
        job=run.job_name,
        status=run.status.value,
        created_at=_utc(record.create_timestamp),
        ended=run.status in ENDED,
    )


def _range_end(tag: str | None) -> int:
    last = (tag or "").rpartition("-")[2]
    return int(last) if last.isdigit() else 0


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- check results --------------------------------------------------------------------------------


def check_metadata(finding: stalls.Finding | None, key: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"stall": dg.MetadataValue.text(key)}
    if finding is None:
        return metadata
    metadata["status"] = dg.MetadataValue.text(finding.text)
    if finding.since is not None:
        metadata["since"] = dg.MetadataValue.timestamp(finding.since)
    if finding.holder:
        metadata["held_by"] = dg.MetadataValue.text(finding.holder)
    for name, value in finding.facts.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            metadata[name] = dg.MetadataValue.int(value)
        elif isinstance(value, float):
            metadata[name] = dg.MetadataValue.float(value)
        elif isinstance(value, str):
            metadata[name] = dg.MetadataValue.text(value)
        else:
            metadata[name] = dg.MetadataValue.json(value)
    return metadata


def _quiet(key: str) -> str:
    kind = stalls.kind_of(key)
    if kind == stalls.POOL:
        return f"no step waits for pool {key.split(':', 1)[1]}"
    return "nothing waits"


def check_evaluation(
    key: str, finding: stalls.Finding | None, *, passed: bool, source: Source = MAIN
) -> dg.AssetCheckEvaluation:
    """The result of ``source``'s check that shows ``key``, as the sensor records it without a run."""
    asset, name = CHECK_OF[key]
    return dg.AssetCheckEvaluation(
        asset_key=source.key(asset),
        check_name=name,
        passed=passed,
        metadata=check_metadata(finding, key),
        severity=dg.AssetCheckSeverity.ERROR,
        description=finding.text if finding else _quiet(key),
        blocking=False,
    )


def _results(
    context: dg.AssetCheckExecutionContext, findings: Sequence[stalls.Finding]
) -> Iterator[dg.AssetCheckResult]:
    by_key = {finding.key: finding for finding in findings}
    for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string()):
        key = KEY_OF[(dg.AssetKey(check_key.asset_key.path[-1]), check_key.name)]  # any installation's
        finding = by_key.get(key)
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=not (finding and finding.stalled),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=check_metadata(finding, key),
            description=finding.text if finding else _quiet(key),
        )


def _spec(key: str, description: str) -> dg.AssetCheckSpec:
    asset, name = CHECK_OF[key]
    return dg.AssetCheckSpec(name, asset=asset, description=description, blocking=False)


@dg.multi_asset_check(
    name="order_lane_stall_checks",
    specs=[
        _spec(
            stalls.ORDERS,
            "The longest-waiting exportable shop order not in M3 (dead letters counted apart) has waited "
            "less than PRESTASHOP_INFOR_STALL_ORDER_SECONDS since its last change in the shop (600).",
        ),
        _spec(
            stalls.ORDER_SYNC,
            "While orders wait for M3, an order sync has succeeded within "
            "PRESTASHOP_INFOR_STALL_SYNC_SECONDS (900).",
        ),
        _spec(
            stalls.inbox_key(order_sync_job.name),
            "Order, customer and address webhooks are taken by a run of order_sync_job within "
            "PRESTASHOP_INFOR_STALL_INBOX_SECONDS (300).",
        ),
        _spec(
            stalls.pool_key(ERP_POOL),
            "No step waits longer than PRESTASHOP_INFOR_STALL_POOL_SECONDS (300) for the infor_erp pool.",
        ),
    ],
    can_subset=True,
)
def order_lane_stall_checks(
    context: dg.AssetCheckExecutionContext,
    store: StoreResource,
    prestashop: PrestashopResource,
    mapping: MappingResource,
) -> Iterator[dg.AssetCheckResult]:
    source = Source(store.run_source)
    limits = thresholds(Settings.read(source.name))
    with store.open() as db:
        # what the order sync of this run stored (the shop is asked only before any sync has)
        states = stored_exportable_states(db)
        if states is None:
            states = exportable_order_states(prestashop, mapping)
        seen = stalls.Observations(
            now=datetime.now(UTC),
            orders=order_backlog(db, states),
            sync=sync_history(context.instance, source),
            inbox=inbox_lanes(context.instance, db, source),
            pools=pool_queues(context.instance),
        )
    yield from _results(context, stalls.assess(seen, limits))


def _pool_and_inbox_results(
    context: dg.AssetCheckExecutionContext, db: Store, source: Source
) -> Iterator[dg.AssetCheckResult]:
    seen = stalls.Observations(
        now=datetime.now(UTC),
        inbox=inbox_lanes(context.instance, db, source),
        pools=pool_queues(context.instance),
    )
    yield from _results(context, stalls.assess(seen, thresholds(Settings.read(source.name))))


@dg.multi_asset_check(
    name="order_status_lane_stall_checks",
    specs=[
        _spec(
            stalls.pool_key(SHOP_ORDERS_POOL),
            "No step waits longer than PRESTASHOP_INFOR_STALL_POOL_SECONDS (300) for the "
            "prestashop_order_writes pool.",
        ),
    ],
    can_subset=True,
)
def order_status_lane_stall_checks(
    context: dg.AssetCheckExecutionContext, store: StoreResource
) -> Iterator[dg.AssetCheckResult]:
    with store.open() as db:
        yield from _pool_and_inbox_results(context, db, Source(store.run_source))


@dg.multi_asset_check(
    name="stock_lane_stall_checks",
    specs=[
        _spec(
            stalls.inbox_key(stock_sync_job.name),
            "Product, combination and stock webhooks are taken by a run of stock_sync_job within "
            "PRESTASHOP_INFOR_STALL_INBOX_SECONDS (300).",
        ),
        _spec(
            stalls.pool_key(SHOP_STOCK_POOL),
            "No step waits longer than PRESTASHOP_INFOR_STALL_POOL_SECONDS (300) for the "
            "prestashop_stock_writes pool.",
        ),
    ],
    can_subset=True,
)
def stock_lane_stall_checks(
    context: dg.AssetCheckExecutionContext, store: StoreResource
) -> Iterator[dg.AssetCheckResult]:
    with store.open() as db:
        yield from _pool_and_inbox_results(context, db, Source(store.run_source))


STALL_CHECKS = [order_lane_stall_checks, order_status_lane_stall_checks, stock_lane_stall_checks]

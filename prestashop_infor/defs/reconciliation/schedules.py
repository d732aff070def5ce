"""The reconciliation jobs and their nightly schedules: yesterday's orders at 02:00 shop time, the
stock at 02:30. A backfill over any range (launched from the UI or the command line) runs the same
order job as one run.

Each tick reads the settings first (strictly: a bad value fails the tick, naming the variable); the
default status and the time zone, part of the definitions, are read leniently when the code
location loads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from prestashop_infor import names
from prestashop_infor.defs.reconciliation.assets import (
    DAILY,
    infor_orders_daily,
    order_reconciliation,
    prestashop_orders_daily,
    stock_reconciliation,
)
from prestashop_infor.defs.runtime import max_runtime_tags
from prestashop_infor.defs.sources import MAIN, Source
from prestashop_infor.defs.sync.schedules import (
    default_schedule_status,
    lanes_note,
    read_settings_for_tick,
    run_when_settings_read,
)

if TYPE_CHECKING:
    from prestashop_infor.defs.sources import AssetJob

order_reconciliation_job = dg.define_asset_job(
    names.ORDER_RECONCILIATION_JOB,
    selection=dg.AssetSelection.assets(prestashop_orders_daily, infor_orders_daily, order_reconciliation),
    executor_def=dg.in_process_executor,
    tags=max_runtime_tags(names.ORDER_RECONCILIATION_JOB),
    description="Read both sides' orders of the days given, compare them, store the findings "
    "(run config heal: true re-drives what is missing).",
)

stock_reconciliation_job = dg.define_asset_job(
    names.STOCK_RECONCILIATION_JOB,
    selection=dg.AssetSelection.assets(
        "prestashop_products", "prestashop_stock", "infor_inventory", stock_reconciliation
    ),
    executor_def=dg.in_process_executor,
    tags=max_runtime_tags(names.STOCK_RECONCILIATION_JOB),
    description="Read the shop's catalogue and stock and M3's balances, and report the drift.",
)


def reconciliation_schedules(
    source: Source, order_job: AssetJob, stock_job: AssetJob
) -> list[dg.ScheduleDefinition]:
    """``source``'s nightly order and stock reconciliations (on its jobs)."""
    note, default_status = lanes_note(source), default_schedule_status(source)

    @dg.schedule(
        name=source.named("order_reconciliation_schedule"),
        job=order_job,
        cron_schedule=DAILY.get_cron_schedule(hour_of_day=2),
        execution_timezone=DAILY.timezone,
        default_status=default_status,
        description="Every night at 02:00 (shop time): yesterday's reconciliation." + note,
    )
    def order_reconciliation_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        """The last whole day before the tick (what ``build_schedule_from_partitioned_job`` asks for),
        once the settings read."""
        read_settings_for_tick(source)
        with dg.partition_loading_context(effective_dt=context.scheduled_execution_time):
            day = DAILY.get_last_partition_key()
        if day is None:
            return dg.SkipReason("no whole day since PRESTASHOP_INFOR_RECONCILIATION_START yet")
        return dg.RunRequest(partition_key=day, run_key=day)

    stock_reconciliation_schedule = dg.ScheduleDefinition(
        name=source.named("stock_reconciliation_schedule"),
        job=stock_job,
        cron_schedule="30 2 * * *",
        execution_timezone=DAILY.timezone,
        execution_fn=run_when_settings_read(source),
        default_status=default_status,
        description="Every night at 02:30 (shop time): the shop's stock against M3's availability." + note,
    )
    return [order_reconciliation_schedule, stock_reconciliation_schedule]


order_reconciliation_schedule, stock_reconciliation_schedule = reconciliation_schedules(
    MAIN, order_reconciliation_job, stock_reconciliation_job
)

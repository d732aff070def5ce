"""The reconciliation jobs and their nightly schedules: yesterday's orders at 02:00 shop time, the
stock at 02:30. A backfill over any range (launched from the UI or the command line) runs the same
order job as one run."""

from __future__ import annotations

import dagster as dg

from prestashop_infor.defs.reconciliation.assets import (
    DAILY,
    infor_orders_daily,
    order_reconciliation,
    prestashop_orders_daily,
    stock_reconciliation,
)
from prestashop_infor.defs.sync.schedules import default_schedule_status

order_reconciliation_job = dg.define_asset_job(
    "order_reconciliation_job",
    selection=dg.AssetSelection.assets(prestashop_orders_daily, infor_orders_daily, order_reconciliation),
    partitions_def=DAILY,
    executor_def=dg.in_process_executor,
    description="Read both sides' orders of the days given, compare them, store the findings "
    "(run config heal: true re-drives what is missing).",
)

stock_reconciliation_job = dg.define_asset_job(
    "stock_reconciliation_job",
    selection=dg.AssetSelection.assets(
        "prestashop_products", "prestashop_stock", "infor_inventory", stock_reconciliation
    ),
    executor_def=dg.in_process_executor,
    description="Read the shop's catalogue and stock and M3's balances, and report the drift.",
)

order_reconciliation_schedule = dg.build_schedule_from_partitioned_job(
    order_reconciliation_job,
    name="order_reconciliation_schedule",
    hour_of_day=2,
    default_status=default_schedule_status(),
    description="Every night at 02:00 (shop time): yesterday's reconciliation.",
)

stock_reconciliation_schedule = dg.ScheduleDefinition(
    name="stock_reconciliation_schedule",
    job=stock_reconciliation_job,
    cron_schedule="30 2 * * *",
    execution_timezone=DAILY.timezone,
    default_status=default_schedule_status(),
    description="Every night at 02:30 (shop time): the shop's stock against M3's availability.",
)

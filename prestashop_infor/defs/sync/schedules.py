"""The order-to-cash jobs and their schedules.

Both jobs run in-process (a multiprocess step costs about 2 s of process start, more than the
work). The schedules are stopped by default in a real deployment; ``PRESTASHOP_INFOR_SCHEDULES=on``
(the demo sets it) starts them with the code location, so the sandbox's orders flow on their own.

Settings are read when a schedule ticks, not when the code location loads: the default status is
read leniently (a bad value is a warning, the schedule stopped), and every tick reads the settings
strictly, so a bad value fails the tick with a message naming the variable.
"""

from __future__ import annotations

import dagster as dg

from prestashop_infor.defs.runtime import max_runtime_tags
from prestashop_infor.defs.sync.assets import (
    infor_item_descriptions,
    prestashop_order_status_updates,
    prestashop_stock_levels,
)
from prestashop_infor.settings import Settings


def default_schedule_status() -> dg.DefaultScheduleStatus:
    """Running with ``PRESTASHOP_INFOR_SCHEDULES=on`` (every schedule of the project). Read when the
    code location loads (the default status is part of the definitions), leniently: a bad value is
    logged and the schedules are stopped; their ticks fail on it (:func:`read_settings_for_tick`)."""
    on = Settings.read_leniently().schedules == "on"
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def read_settings_for_tick() -> Settings:
    """The settings, read strictly when a schedule or sensor evaluates: a bad value fails the tick
    with the ``SettingsError`` naming the variable (the runs it would start would fail on it too)."""
    return Settings.read()


def run_when_settings_read(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """A tick of an unpartitioned schedule: one run, once the settings read (strictly)."""
    read_settings_for_tick()
    return dg.RunRequest()


order_sync_job = dg.define_asset_job(
    "order_sync_job",
    selection=dg.AssetSelection.assets(
        "prestashop_orders",
        "prestashop_customers",
        "prestashop_products",
        "infor_customers",
        "infor_sales_orders",
    ),
    executor_def=dg.in_process_executor,
    tags=max_runtime_tags("order_sync_job"),
    description="Extract the shop's changed orders, customers and products, gate them, then send the new "
    "orders (their customers first) to M3.",
)

backoffice_sync_job = dg.define_asset_job(
    "backoffice_sync_job",
    selection=dg.AssetSelection.assets(
        "infor_order_statuses",
        prestashop_order_status_updates,
        "infor_inventory",
        "prestashop_products",
        "prestashop_stock",
        prestashop_stock_levels,
        infor_item_descriptions,
    ),
    executor_def=dg.in_process_executor,
    tags=max_runtime_tags("backoffice_sync_job"),
    description="Read the M3 states of the orders in M3 and push status, tracking and payment to the "
    "shop; read M3's balances and the shop's catalogue and stock, and write the stock that differs; "
    "send changed product names and descriptions to their M3 items.",
)

order_status_job = dg.define_asset_job(
    "order_status_job",
    selection=dg.AssetSelection.assets("infor_order_statuses", prestashop_order_status_updates),
    executor_def=dg.in_process_executor,
    tags=max_runtime_tags("order_status_job"),
    description="Read the M3 states of the orders in M3 and push status, tracking and payment to the shop "
    "(what infor_order_status_sensor runs when M3 moved an order).",
)

order_sync_schedule = dg.ScheduleDefinition(
    name="order_sync_schedule",
    job=order_sync_job,
    cron_schedule="* * * * *",
    execution_fn=run_when_settings_read,
    default_status=default_schedule_status(),
    description="Every minute: new shop orders to M3 (the event lane will make this seconds).",
)

backoffice_sync_schedule = dg.ScheduleDefinition(
    name="backoffice_sync_schedule",
    job=backoffice_sync_job,
    cron_schedule="*/2 * * * *",
    execution_fn=run_when_settings_read,
    default_status=default_schedule_status(),
    description="Every two minutes: M3 fulfilment and stock back to the shop.",
)

"""The order-to-cash jobs and their schedules.

Three jobs, one per lane, each run in-process (a multiprocess step costs about 2 s of process
start, more than the work): ``order_sync_job`` (shop orders to M3), ``order_status_job`` (M3
fulfilment back to the shop) and ``stock_sync_job`` (M3 stock to the shop, product texts to M3). The
back-office lanes are separate jobs so that one lane's slow run (a shop write that hangs) or killed
run never holds the other back. Each has a schedule every minute; the back-office schedules skip a
tick while a run of their job has not ended, so runs never pile up behind a slow one, each holding
one of the instance's run slots.

The schedules are stopped by default in a real deployment; ``PRESTASHOP_INFOR_SCHEDULES=on``
(the demo sets it) starts them with the code location, so the sandbox's orders flow on their own,
once the shop and the M3 connection are set: without them every tick would fail, so the schedules
stay stopped and their descriptions (shown in the UI) name what is missing (:func:`lanes_note`).

Settings are read when a schedule ticks, not when the code location loads: the default status is
read leniently (a bad value is a warning, the schedule stopped), and every tick reads the settings
strictly, so a bad value fails the tick with a message naming the variable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import dagster as dg

from prestashop_infor import names
from prestashop_infor.defs.runtime import lane_tags, max_runtime_tags
from prestashop_infor.defs.sources import MAIN, Source
from prestashop_infor.defs.sync.assets import (
    infor_item_descriptions,
    prestashop_order_status_updates,
    prestashop_stock_levels,
)
from prestashop_infor.settings import Settings

if TYPE_CHECKING:
    from prestashop_infor.defs.sources import AssetJob


def default_schedule_status(source: Source = MAIN) -> dg.DefaultScheduleStatus:
    """Running with ``PRESTASHOP_INFOR_SCHEDULES=on`` and the shop and M3 connection set (every
    schedule of the project). Read when the code location loads (the default status is part of the
    definitions), leniently: a bad value is logged and the schedules are stopped; their ticks fail on
    it (:func:`read_settings_for_tick`)."""
    settings = Settings.read_leniently(source.name)
    on = settings.schedules == "on" and not settings.missing_for_lanes()
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def lanes_note(source: Source = MAIN) -> str:
    """What a lane schedule's or sensor's description adds when the code location loaded without a
    setting the lanes need (the UI shows the description): the missing variables, by name, and that
    it stays stopped until they are set; empty when nothing is missing."""
    missing = Settings.read_leniently(source.name).missing_for_lanes()
    if not missing:
        return ""
    return (
        f" Stopped until set: {', '.join(missing)} (not set, or not valid, when the code location "
        "loaded; set them and reload the code location)."
    )


def read_settings_for_tick(source: Source = MAIN) -> Settings:
    """The settings, read strictly when a schedule or sensor evaluates: a bad value fails the tick
    with the ``SettingsError`` naming the variable (the runs it would start would fail on it too)."""
    return Settings.read(source.name)


#: A run of a job that has not begun its work: events accepted now are read by it.
NOT_STARTED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING]
#: A run of a job that has not ended: queued, starting or at work.
IN_FLIGHT = [*NOT_STARTED, dg.DagsterRunStatus.STARTED]


def run_in_flight(
    instance: dg.DagsterInstance, job_name: str, statuses: list[dg.DagsterRunStatus] = IN_FLIGHT
) -> str | None:
    """The id of a run of ``job_name`` in one of ``statuses`` (default: not ended), None if none."""
    ids = instance.get_run_ids(dg.RunsFilter(job_name=job_name, statuses=statuses), limit=1)
    return ids[0] if ids else None


def run_when_settings_read(
    source: Source = MAIN,
) -> Callable[[dg.ScheduleEvaluationContext], dg.RunRequest]:
    """The tick of an unpartitioned schedule: one run, once the settings read (strictly)."""

    def tick(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        read_settings_for_tick(source)
        return dg.RunRequest()

    return tick


def run_unless_in_flight(
    job_name: str, source: Source = MAIN
) -> Callable[[dg.ScheduleEvaluationContext], dg.RunRequest | dg.SkipReason]:
    """The tick of a back-office schedule: one run, unless a run of the same job has not ended yet
    (its next read covers this tick; runs queued behind it would each hold a run slot waiting for its
    pool, the slots the order runs need)."""

    def tick(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        read_settings_for_tick(source)
        running = run_in_flight(context.instance, job_name)
        if running:
            return dg.SkipReason(f"run {running} of {job_name} has not ended; it does this tick's work")
        return dg.RunRequest()

    return tick


order_sync_job = dg.define_asset_job(
    names.ORDER_SYNC_JOB,
    selection=dg.AssetSelection.assets(
        "prestashop_orders",
        "prestashop_customers",
        "prestashop_reference_data",
        "prestashop_products",
        "infor_customers",
        "infor_sales_orders",
        "infor_order_cancellations",
        "prestashop_order_slips",
        "infor_shop_refunds",
        "prestashop_order_returns",
        "infor_shop_returns",
    ),
    executor_def=dg.in_process_executor,
    tags={**max_runtime_tags(names.ORDER_SYNC_JOB), **lane_tags("orders")},
    description="Extract the shop's changed orders, customers and products, gate them, then send the new "
    "orders (their customers first) to M3, cancel there those cancelled in the shop and enter the shop's "
    "refunds as M3 credits.",
)

stock_sync_job = dg.define_asset_job(
    names.STOCK_SYNC_JOB,
    selection=dg.AssetSelection.assets(
        "infor_inventory",
        "prestashop_products",
        "prestashop_stock",
        prestashop_stock_levels,
        infor_item_descriptions,
    ),
    executor_def=dg.in_process_executor,
    tags={**max_runtime_tags(names.STOCK_SYNC_JOB), **lane_tags("stock")},
    description="Read M3's balances and the shop's catalogue and stock, and write the stock that differs; "
    "send changed product names and descriptions to their M3 items.",
)

order_status_job = dg.define_asset_job(
    names.ORDER_STATUS_JOB,
    selection=dg.AssetSelection.assets(
        "infor_order_statuses",
        prestashop_order_status_updates,
        "infor_credit_notes",
        "prestashop_credit_slips",
        # here, not in order_sync_job: it writes shop orders (prestashop_order_writes), a pool a status
        # push under a slow shop may hold for minutes, and an order run must not wait for it (its run
        # slot holds back the next orders)
        "prestashop_credit_holds",
    ),
    executor_def=dg.in_process_executor,
    tags={**max_runtime_tags(names.ORDER_STATUS_JOB), **lane_tags("order_status")},
    description="Read the M3 states of the orders in M3 and push status, tracking and payment to the shop "
    "(what infor_order_status_sensor runs when M3 moved an order); M3's new credit notes become the "
    "shop's credit slips; orders M3 holds for credit take the awaiting state in the shop.",
)


def lane_schedules(source: Source, jobs: dict[str, AssetJob]) -> list[dg.ScheduleDefinition]:
    """The schedules of the order, status and stock lanes of ``source``, on its ``jobs`` (by main name)."""
    note, default_status = lanes_note(source), default_schedule_status(source)
    status, stock = source.named(names.ORDER_STATUS_JOB), source.named(names.STOCK_SYNC_JOB)
    return [
        dg.ScheduleDefinition(
            name=source.named("order_sync_schedule"),
            job=jobs[names.ORDER_SYNC_JOB],
            cron_schedule="* * * * *",
            execution_fn=run_when_settings_read(source),
            default_status=default_status,
            description="Every minute: new shop orders to M3 (the event lane will make this seconds)." + note,
        ),
        dg.ScheduleDefinition(
            name=source.named("order_status_schedule"),
            job=jobs[names.ORDER_STATUS_JOB],
            cron_schedule="* * * * *",
            execution_fn=run_unless_in_flight(status, source),
            default_status=default_status,
            description=f"Every minute, unless a run of {status} has not ended: M3 fulfilment (status, "
            "tracking, payment) back to the shop; the safety net of infor_order_status_sensor, and the way "
            "payments come (they show on M3's receivable, not on the order head)." + note,
        ),
        dg.ScheduleDefinition(
            name=source.named("stock_sync_schedule"),
            job=jobs[names.STOCK_SYNC_JOB],
            cron_schedule="* * * * *",
            execution_fn=run_unless_in_flight(stock, source),
            default_status=default_status,
            description=f"Every minute, unless a run of {stock} has not ended: M3's stock to the shop, the "
            "shop's product texts to M3; the safety net of the stock webhooks." + note,
        ),
    ]


order_sync_schedule, order_status_schedule, stock_sync_schedule = lane_schedules(
    MAIN,
    {job.name: job for job in (order_sync_job, order_status_job, stock_sync_job)},
)

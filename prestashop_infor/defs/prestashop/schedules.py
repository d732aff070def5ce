"""The PrestaShop extraction job and its (stopped by default) schedule. Each tick reads the settings
first (strictly: a bad value fails the tick with a message naming the variable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from prestashop_infor import names
from prestashop_infor.defs.prestashop.assets import GROUP
from prestashop_infor.defs.runtime import max_runtime_tags
from prestashop_infor.defs.sources import MAIN, Source
from prestashop_infor.settings import Settings

if TYPE_CHECKING:
    from prestashop_infor.defs.sources import AssetJob

# In-process: a step of the multiprocess executor costs about 2 s of process start, more than the work.
prestashop_extract_job = dg.define_asset_job(
    names.PRESTASHOP_EXTRACT_JOB,
    selection=dg.AssetSelection.groups(GROUP).materializable(),
    executor_def=dg.in_process_executor,
    tags=max_runtime_tags(names.PRESTASHOP_EXTRACT_JOB),
    description="Extract orders, customers, products (incrementally) and stock (in full) from PrestaShop.",
)


def extract_schedule(source: Source, job: AssetJob) -> dg.ScheduleDefinition:
    def tick(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        """One run, once the settings read: a bad value fails the tick, naming the variable."""
        Settings.read(source.name)
        return dg.RunRequest()

    return dg.ScheduleDefinition(
        name=source.named("prestashop_extract_schedule"),
        job=job,
        cron_schedule="*/15 * * * *",
        execution_fn=tick,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Periodic extraction; the event lane carries new orders, this catches what webhooks miss.",
    )


prestashop_extract_schedule = extract_schedule(MAIN, prestashop_extract_job)

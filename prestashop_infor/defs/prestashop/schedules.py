"""The PrestaShop extraction job and its (stopped by default) schedule. Each tick reads the settings
first (strictly: a bad value fails the tick with a message naming the variable)."""

from __future__ import annotations

import dagster as dg

from prestashop_infor import names
from prestashop_infor.defs.prestashop.assets import GROUP
from prestashop_infor.defs.runtime import max_runtime_tags
from prestashop_infor.settings import Settings

# In-process: a step of the multiprocess executor costs about 2 s of process start, more than the work.
prestashop_extract_job = dg.define_asset_job(
    names.PRESTASHOP_EXTRACT_JOB,
    selection=dg.AssetSelection.groups(GROUP).materializable(),
    executor_def=dg.in_process_executor,
    tags=max_runtime_tags(names.PRESTASHOP_EXTRACT_JOB),
    description="Extract orders, customers, products (incrementally) and stock (in full) from PrestaShop.",
)


def _run_when_settings_read(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One run, once the settings read: a bad value fails the tick, naming the variable."""
    Settings.read()
    return dg.RunRequest()


prestashop_extract_schedule = dg.ScheduleDefinition(
    name="prestashop_extract_schedule",
    job=prestashop_extract_job,
    cron_schedule="*/15 * * * *",
    execution_fn=_run_when_settings_read,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Periodic extraction; the event lane carries new orders, this catches what webhooks miss.",
)

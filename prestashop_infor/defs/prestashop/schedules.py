"""The PrestaShop extraction job and its (stopped by default) schedule."""

from __future__ import annotations

import dagster as dg

from prestashop_infor.defs.prestashop.assets import GROUP

# In-process: a step of the multiprocess executor costs about 2 s of process start, more than the work.
prestashop_extract_job = dg.define_asset_job(
    "prestashop_extract_job",
    selection=dg.AssetSelection.groups(GROUP),
    executor_def=dg.in_process_executor,
    description="Extract orders, customers, products (incrementally) and stock (in full) from PrestaShop.",
)

prestashop_extract_schedule = dg.ScheduleDefinition(
    name="prestashop_extract_schedule",
    job=prestashop_extract_job,
    cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Periodic extraction; the event lane carries new orders, this catches what webhooks miss.",
)

"""How long each job may run: no run runs for ever.

Each job carries Dagster's ``dagster/max_runtime`` tag; Dagster's run monitoring (``dagster.yaml``,
every 5 s) terminates a run past it and fails it, and its pool slots are freed a second later. The
limits are generous against what the jobs take on this machine (an order batch a few seconds, a year
of reconciliation about a minute) and tight against "for ever": a run stuck on a call that never
answers ends, fails (the failure alert says so), and the next run does the work.

A launch may set another limit (the tag, in the UI's launchpad or a ``RunRequest``); a run without
the tag (an asset materialized on its own from the UI) gets the instance's
``run_monitoring.max_runtime_seconds``.
"""

from __future__ import annotations

from prestashop_infor import names

MAX_RUNTIME_TAG = "dagster/max_runtime"

MAX_RUNTIME_SECONDS = {
    names.ORDER_SYNC_JOB: 15 * 60,
    names.ORDER_STATUS_JOB: 15 * 60,
    names.STOCK_SYNC_JOB: 30 * 60,
    names.PRICE_SYNC_JOB: 30 * 60,
    names.PRESTASHOP_EXTRACT_JOB: 60 * 60,
    names.STOCK_RECONCILIATION_JOB: 60 * 60,
    names.ORDER_RECONCILIATION_JOB: 4 * 60 * 60,  # a backfill of years is one run
}


def max_runtime_tags(job_name: str) -> dict[str, str]:
    """The job's ``dagster/max_runtime`` tag (seconds)."""
    return {MAX_RUNTIME_TAG: str(MAX_RUNTIME_SECONDS[job_name])}


#: The run tag the run queue limits by (``concurrency.runs.tag_concurrency_limits`` in
#: ``dagster.yaml``): the order lane takes at most two of the instance's run slots (its writes go one
#: at a time through the ``infor_erp`` pool anyway), so the back-office lanes always find one.
LANE_TAG = names.LANE_TAG


def lane_tags(lane: str) -> dict[str, str]:
    return {LANE_TAG: lane}

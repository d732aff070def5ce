"""The project's Dagster definitions (``dagster dev -m prestashop_infor.defs``): every integration's
definitions merged, with the resources bound once.

The resources carry no settings of their own here: each reads :class:`prestashop_infor.settings.Settings`
(the environment: ``PRESTASHOP_URL``, ``PRESTASHOP_API_KEY``, ``INFOR_IONAPI_FILE``,
``PRESTASHOP_INFOR_DATABASE_URL``, ...) when a run starts, the same object the ``prestashop-infor``
command reads. So the code location loads with nothing set, no secret ever reaches a run's config,
and a bad value fails the run with a message naming the variable.
"""

# ruff: noqa: E402 - the definitions are imported after gc.freeze(), below

from __future__ import annotations

import gc

import dagster as dg

# What the process holds before the definitions load (Dagster itself: some 200,000 objects) lives as
# long as the process. Frozen (Python's gc.freeze), it is no longer walked by the collections the
# load triggers: 0.3 s of every run's launch on the benchmark machine (benchmarks/latency.py).
gc.freeze()

from prestashop_infor import names
from prestashop_infor.defs import alerts, infor, prestashop, reconciliation, sync
from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.prestashop.schedules import extract_schedule
from prestashop_infor.defs.reconciliation.schedules import reconciliation_schedules
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.sources import Source, configured_sources, job_for, with_source_keys
from prestashop_infor.defs.sync.prices import price_sync_schedule_of
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.defs.sync.schedules import lane_schedules
from prestashop_infor.defs.sync.sensors import event_lane_sensors

resources = {
    "prestashop": PrestashopResource(),
    "infor": InforResource(),
    "store": StoreResource(),
    "validation_gate": ValidationGateResource(),
    "mapping": MappingResource(),
}


#: The executor of runs whose job names none (the UI's "Materialize", a backfill of the asset graph):
#: a process per step, as Dagster's default, but forked from a server that imported these definitions
#: once (``forkserver``, preloading this module) instead of each step starting Python and importing
#: them again: a step started in 0.3 s, not 1.8 s, in ``benchmarks/backfill.py``. The lanes' jobs run
#: in process (their own ``executor_def``).
EXECUTOR = dg.multiprocess_executor.configured(
    {"start_method": {"forkserver": {"preload_modules": [__name__]}}}, name="multiprocess"
)


def main_definitions() -> dg.Definitions:
    """The main installation's definitions, without the resources. (A function: Dagster's loader
    refuses a module holding two ``Definitions``.)"""
    return dg.Definitions.merge(prestashop.defs, infor.defs, sync.defs, reconciliation.defs)


def source_definitions(source: Source, bound: dg.Definitions | None = None) -> dg.Definitions:
    """A further PrestaShop installation's definitions: the main ones' assets and checks under its
    keys, and its own jobs, schedules and sensors (``prestashop_infor.defs.sources``). ``bound``: the
    main definitions with the resources, resolved once for every installation."""
    bound = bound or dg.Definitions.merge(main_definitions(), dg.Definitions(resources=resources))
    graph = bound.resolve_asset_graph()
    assets, checks = with_source_keys(bound, source)
    jobs = {job.name: job_for(job, source, graph) for job in bound.jobs or ()}
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=list(jobs.values()),
        schedules=[
            extract_schedule(source, jobs[names.PRESTASHOP_EXTRACT_JOB]),
            *lane_schedules(source, jobs),
            price_sync_schedule_of(source, jobs[names.PRICE_SYNC_JOB]),
            *reconciliation_schedules(
                source, jobs[names.ORDER_RECONCILIATION_JOB], jobs[names.STOCK_RECONCILIATION_JOB]
            ),
        ],
        sensors=[*event_lane_sensors(source, jobs), *alerts.lane_alert_sensors(source)],
    )


def _definitions() -> dg.Definitions:
    """The main installation's definitions, each further one's, the resources and the alerts."""
    main, sources = main_definitions(), configured_sources()
    bound = dg.Definitions.merge(main, dg.Definitions(resources=resources)) if sources else None
    return dg.Definitions.merge(
        main,
        *(source_definitions(source, bound) for source in sources),
        dg.Definitions(resources=resources, sensors=alerts.SENSORS, executor=EXECUTOR),
    )


defs = _definitions()

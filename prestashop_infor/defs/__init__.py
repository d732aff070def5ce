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

from prestashop_infor.defs import alerts, infor, prestashop, reconciliation, sync
from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.sync.resources import MappingResource

resources = {
    "prestashop": PrestashopResource(),
    "infor": InforResource(),
    "store": StoreResource(),
    "validation_gate": ValidationGateResource(),
    "mapping": MappingResource(),
}

defs = dg.Definitions.merge(
    prestashop.defs,
    infor.defs,
    sync.defs,
    reconciliation.defs,
    dg.Definitions(resources=resources, sensors=alerts.SENSORS),
)

"""Dagster definitions of the Infor side: M3 extraction assets, their blocking checks, the resource.

Wire into ``prestashop_infor.defs`` with ``dg.Definitions.merge(..., infor.defs)`` and add
``infor_resources`` to the resources (``INFOR_IONAPI_FILE`` or the ``INFOR_IONAPI_*`` fields).
"""

from __future__ import annotations

import os

import dagster as dg

from prestashop_infor.defs.infor.assets import ASSETS, infor_inventory, infor_items, infor_order_statuses
from prestashop_infor.defs.infor.checks import CHECKS
from prestashop_infor.defs.infor.resources import InforResource

infor_assets = ASSETS
infor_checks = CHECKS

_FIELDS = {"tenant": "TI", "client_id": "CI", "client_secret": "CS", "ion_api_url": "IU", "auth_url": "PU",
           "service_account_access_key": "SAAK", "service_account_secret_key": "SASK"}  # fmt: skip


def infor_resource_from_env() -> InforResource:
    """``INFOR_IONAPI_FILE`` when set, else each field from ``INFOR_IONAPI_<KEY>`` through ``dg.EnvVar``
    (values resolved when a run starts, never stored in the run config)."""
    if os.environ.get("INFOR_IONAPI_FILE"):
        return InforResource(ionapi_file=dg.EnvVar("INFOR_IONAPI_FILE"))
    present = {
        name: dg.EnvVar(f"INFOR_IONAPI_{key}")
        for name, key in _FIELDS.items()
        if os.environ.get(f"INFOR_IONAPI_{key}")
    }
    return InforResource(**present)


infor_resources = {"infor": infor_resource_from_env()}

defs = dg.Definitions(assets=infor_assets, asset_checks=infor_checks)

__all__ = [
    "InforResource",
    "defs",
    "infor_assets",
    "infor_checks",
    "infor_inventory",
    "infor_items",
    "infor_order_statuses",
    "infor_resource_from_env",
    "infor_resources",
]

"""Dagster definitions of the Infor side: M3 extraction assets (each carrying its blocking
failure-share check, judged in its own step), the resource.

Wire into ``prestashop_infor.defs`` with ``dg.Definitions.merge(..., infor.defs)`` and bind an
``InforResource`` as ``infor`` (without fields it reads ``INFOR_IONAPI_FILE`` or the
``INFOR_IONAPI_*`` variables when a run starts).
"""

from __future__ import annotations

import dagster as dg

from prestashop_infor.defs.infor.assets import (
    ASSETS,
    infor_inventory,
    infor_items,
    infor_order_statuses,
    infor_price_lists,
)
from prestashop_infor.defs.infor.resources import InforResource

infor_assets = ASSETS

defs = dg.Definitions(assets=infor_assets)

__all__ = [
    "InforResource",
    "defs",
    "infor_assets",
    "infor_inventory",
    "infor_items",
    "infor_order_statuses",
    "infor_price_lists",
]

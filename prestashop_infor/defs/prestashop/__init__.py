"""Dagster definitions of the PrestaShop side: extraction assets, their blocking checks, job and schedule.

Resources are bound once for all integrations in ``prestashop_infor.defs``.
"""

import dagster as dg

from prestashop_infor.defs.prestashop.assets import (
    ASSETS,
    prestashop_customers,
    prestashop_orders,
    prestashop_products,
    prestashop_stock,
)
from prestashop_infor.defs.prestashop.checks import CHECKS, prestashop_orders_failure_share
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.prestashop.schedules import prestashop_extract_job, prestashop_extract_schedule

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[prestashop_extract_job],
    schedules=[prestashop_extract_schedule],
)

__all__ = [
    "ASSETS",
    "CHECKS",
    "PrestashopResource",
    "defs",
    "prestashop_customers",
    "prestashop_extract_job",
    "prestashop_extract_schedule",
    "prestashop_orders",
    "prestashop_orders_failure_share",
    "prestashop_products",
    "prestashop_stock",
]

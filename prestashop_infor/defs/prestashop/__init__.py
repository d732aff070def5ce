"""Dagster definitions of the PrestaShop side: extraction assets (each carrying its blocking
failure-share check, judged in its own step), job and schedule.

Resources are bound once for all integrations in ``prestashop_infor.defs``.
"""

import dagster as dg

from prestashop_infor.defs.prestashop.assets import (
    ASSETS,
    WEBHOOK_INBOX,
    prestashop_customers,
    prestashop_order_slips,
    prestashop_orders,
    prestashop_products,
    prestashop_stock,
)
from prestashop_infor.defs.prestashop.checks import FAILURE_SHARE_CHECK
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.prestashop.schedules import prestashop_extract_job, prestashop_extract_schedule

defs = dg.Definitions(
    assets=[*ASSETS, WEBHOOK_INBOX],
    jobs=[prestashop_extract_job],
    schedules=[prestashop_extract_schedule],
)

__all__ = [
    "ASSETS",
    "WEBHOOK_INBOX",
    "FAILURE_SHARE_CHECK",
    "PrestashopResource",
    "defs",
    "prestashop_customers",
    "prestashop_extract_job",
    "prestashop_extract_schedule",
    "prestashop_order_slips",
    "prestashop_orders",
    "prestashop_products",
    "prestashop_stock",
]

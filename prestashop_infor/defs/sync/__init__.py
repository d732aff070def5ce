"""Dagster definitions of the order-to-cash lane: the sync assets, their jobs and schedules.

Resources are bound once for all integrations in ``prestashop_infor.defs``; this folder adds the
``mapping`` resource (``PRESTASHOP_INFOR_MAPPING_FILE``, default: the packaged mapping).
"""

import dagster as dg

from prestashop_infor.defs.sync import credits, prices
from prestashop_infor.defs.sync.assets import ASSETS as SYNC_ASSETS
from prestashop_infor.defs.sync.assets import (
    infor_customers,
    infor_item_descriptions,
    infor_order_cancellations,
    infor_sales_orders,
    order_to_m3,
    prestashop_credit_holds,
    prestashop_order_status_updates,
    prestashop_stock_levels,
)
from prestashop_infor.defs.sync.checks import CHECKS, bound_orders_exist_in_m3
from prestashop_infor.defs.sync.credits import (
    infor_credit_notes,
    infor_shop_refunds,
    infor_shop_returns,
    prestashop_credit_slips,
)
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.defs.sync.schedules import (
    order_status_job,
    order_status_schedule,
    order_sync_job,
    order_sync_schedule,
    stock_sync_job,
    stock_sync_schedule,
)
from prestashop_infor.defs.sync.sensors import SENSORS, prestashop_webhook_sensor
from prestashop_infor.defs.sync.stall_checks import STALL_CHECKS

ASSETS = [*SYNC_ASSETS, *credits.ASSETS, *prices.ASSETS]

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=[*CHECKS, *STALL_CHECKS],
    jobs=[order_sync_job, order_status_job, stock_sync_job, prices.price_sync_job],
    schedules=[order_sync_schedule, order_status_schedule, stock_sync_schedule, prices.price_sync_schedule],
    sensors=SENSORS,
)

__all__ = [
    "ASSETS",
    "MappingResource",
    "bound_orders_exist_in_m3",
    "defs",
    "infor_credit_notes",
    "infor_customers",
    "infor_item_descriptions",
    "infor_order_cancellations",
    "infor_sales_orders",
    "infor_shop_refunds",
    "infor_shop_returns",
    "prestashop_credit_holds",
    "order_status_job",
    "order_status_schedule",
    "order_sync_job",
    "order_sync_schedule",
    "order_to_m3",
    "prestashop_credit_slips",
    "prestashop_order_status_updates",
    "prestashop_stock_levels",
    "prestashop_webhook_sensor",
    "stock_sync_job",
    "stock_sync_schedule",
]

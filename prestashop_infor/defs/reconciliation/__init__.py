"""Dagster definitions of the reconciliation lane: daily partitions, their assets and checks, the
nightly schedules. Thin: the work is in ``prestashop_infor.sync.reconcile`` and ``sync.anomalies``."""

from __future__ import annotations

import dagster as dg

from prestashop_infor.defs.reconciliation.assets import (
    ASSETS,
    DAILY,
    infor_orders_daily,
    order_reconciliation,
    prestashop_orders_daily,
    stock_reconciliation,
)
from prestashop_infor.defs.reconciliation.checks import CHECKS
from prestashop_infor.defs.reconciliation.schedules import (
    order_reconciliation_job,
    order_reconciliation_schedule,
    stock_reconciliation_job,
    stock_reconciliation_schedule,
)

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[order_reconciliation_job, stock_reconciliation_job],
    schedules=[order_reconciliation_schedule, stock_reconciliation_schedule],
)

__all__ = [
    "DAILY",
    "defs",
    "infor_orders_daily",
    "order_reconciliation",
    "order_reconciliation_job",
    "order_reconciliation_schedule",
    "prestashop_orders_daily",
    "stock_reconciliation",
    "stock_reconciliation_job",
]

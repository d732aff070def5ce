"""Anomaly checks of the reconciliation lane: non-blocking warnings with what was expected and what was
seen (``prestashop_infor.sync.anomalies``). Each judges the newest day of the run's range."""

from collections.abc import Callable
from datetime import date

import dagster as dg

from prestashop_infor.defs.reconciliation.assets import order_reconciliation, stock_reconciliation
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.store import Store, reconciliation
from prestashop_infor.sync import anomalies


def _result(anomaly: anomalies.Anomaly) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not anomaly.unusual,
        severity=dg.AssetCheckSeverity.WARN,
        description=anomaly.description,
        metadata={"expected": anomaly.expected, "seen": anomaly.seen},
    )


def _newest_day_check(name: str, judge: Callable[[Store, date], anomalies.Anomaly], description: str):
    @dg.asset_check(asset=order_reconciliation, name=name, blocking=False, description=description)
    def check(context: dg.AssetCheckExecutionContext, store: StoreResource) -> dg.AssetCheckResult:
        newest = (
            date.fromisoformat(context.partition_key_range.end) if context.has_partition_key_range else None
        )
        with store.open() as db:
            return _result(judge(db, newest or anomalies.newest_day(db)))

    return check


daily_orders_usual = _newest_day_check(
    "daily_orders_usual",
    anomalies.daily_orders,
    "The newest day's order count against the days before (median, MAD).",
)
daily_revenue_usual = _newest_day_check(
    "daily_revenue_usual",
    anomalies.daily_revenue,
    "The newest day's revenue against the days before (median, MAD).",
)
order_totals_usual = _newest_day_check(
    "order_totals_usual", anomalies.order_totals, "Orders of the newest day far above the usual order."
)
dead_letter_rate_usual = _newest_day_check(
    "dead_letter_rate_usual",
    anomalies.dead_letter_rate,
    "Dead letters opened on the newest day against the days before.",
)


@dg.asset_check(
    asset=stock_reconciliation,
    blocking=False,
    description="Items whose M3 availability fell by half or more (10+ units) between the last two "
    "stock reconciliations.",
)
def stock_drops_usual(store: StoreResource) -> dg.AssetCheckResult:
    """Compares the availability the last two ``stock_reconciliation`` steps stored and writes nothing,
    so asking again gives the same answer."""
    with store.open() as db:
        before, now = reconciliation.stock_availability(db)
    return _result(anomalies.stock_drops(before, now))


CHECKS = [
    daily_orders_usual,
    daily_revenue_usual,
    order_totals_usual,
    dead_letter_rate_usual,
    stock_drops_usual,
]

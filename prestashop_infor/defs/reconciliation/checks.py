"""Anomaly checks of the reconciliation lane: non-blocking warnings with what was expected and what was
seen (``prestashop_infor.sync.anomalies``). Each judges the newest day of the run's range."""

from collections.abc import Callable, Iterator
from datetime import date

import dagster as dg

from prestashop_infor.defs.reconciliation.assets import order_reconciliation, stock_reconciliation
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.store import Store, reconciliation
from prestashop_infor.sync import anomalies


def _result(anomaly: anomalies.Anomaly, check_name: str | None = None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not anomaly.unusual,
        severity=dg.AssetCheckSeverity.WARN,
        description=anomaly.description,
        metadata={"expected": anomaly.expected, "seen": anomaly.seen},
    )


#: The checks of ``order_reconciliation``'s newest day: name, judge, description.
NEWEST_DAY_CHECKS: list[tuple[str, Callable[[Store, date], anomalies.Anomaly], str]] = [
    ("daily_orders_usual", anomalies.daily_orders,
     "The newest day's order count against the days before (median, MAD)."),
    ("daily_revenue_usual", anomalies.daily_revenue,
     "The newest day's revenue against the days before (median, MAD)."),
    ("order_totals_usual", anomalies.order_totals, "Orders of the newest day far above the usual order."),
    ("dead_letter_rate_usual", anomalies.dead_letter_rate,
     "Dead letters opened on the newest day against the days before."),
]  # fmt: skip


@dg.multi_asset_check(
    name="order_reconciliation_usual",
    specs=[
        dg.AssetCheckSpec(name, asset=order_reconciliation, blocking=False, description=description)
        for name, _, description in NEWEST_DAY_CHECKS
    ],
    can_subset=True,
)
def order_reconciliation_usual(
    context: dg.AssetCheckExecutionContext, store: StoreResource
) -> Iterator[dg.AssetCheckResult]:
    """The four judgements of the newest day, one step (each a check of its own in the UI): under the
    multiprocess executor of a backfill every step is a process, and four of them cost seconds."""
    newest = date.fromisoformat(context.partition_key_range.end) if context.has_partition_key_range else None
    wanted = {key.name for key in context.selected_asset_check_keys}
    with store.open() as db:
        day = newest or anomalies.newest_day(db)
        for name, judge, _ in NEWEST_DAY_CHECKS:
            if name in wanted:
                yield _result(judge(db, day), check_name=name)


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


CHECKS = [order_reconciliation_usual, stock_drops_usual]

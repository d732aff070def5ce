"""Unusual numbers, told before a person notices them: robust statistics over recent days.

Each check compares the newest value with the median of the days before it and their median
absolute deviation (MAD, scaled by 1.4826 so it estimates a standard deviation for normal data; at
least ``MIN_SPREAD`` of the median, so a perfectly steady history does not make every wobble an
alarm). A value more than ``THRESHOLD`` spreads away is unusual. The checks only warn: an unusual
day may be a sale, a holiday or a problem, and a person decides which. Each result says what was
expected and what was seen.

- :func:`daily_orders` and :func:`daily_revenue`: the shop's orders and their amount on the newest
  reconciled day, from the reconciliation's shop snapshot;
- :func:`order_totals`: orders of the newest day whose amount is far above that day's usual order;
- :func:`dead_letter_rate`: dead letters opened on the newest day against the days before;
- :func:`stock_drops`: items whose M3 availability fell by at least half (and ``STOCK_DROP_UNITS``)
  since the last stock reconciliation.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from prestashop_infor.store import Store, reconciliation

THRESHOLD = 4.0  # spreads
MIN_SPREAD = 0.1  # of the median
HISTORY_DAYS = 28
MIN_HISTORY = 7  # days before the newest needed to judge it
STOCK_DROP_SHARE = Decimal("0.5")
STOCK_DROP_UNITS = 10


@dataclass(frozen=True)
class Anomaly:
    """One check's answer: ``unusual`` and a sentence with what was expected and what was seen."""

    unusual: bool
    description: str
    expected: str = ""
    seen: str = ""


def band(history: Sequence[float]) -> tuple[float, float]:
    """The median of ``history`` and its robust spread (scaled MAD, at least ``MIN_SPREAD`` x median)."""
    median = statistics.median(history)
    mad = statistics.median(abs(v - median) for v in history) * 1.4826
    return median, max(mad, abs(median) * MIN_SPREAD, 1e-9)


def judge(what: str, history: Sequence[float], value: float, *, upward_only: bool = False) -> Anomaly:
    """Is ``value`` unusual against ``history``?"""
    if len(history) < MIN_HISTORY:
        return Anomaly(
            False, f"{what}: {value:g}; not enough history to judge ({len(history)} of {MIN_HISTORY} days)"
        )
    median, spread = band(history)
    low, high = median - THRESHOLD * spread, median + THRESHOLD * spread
    expected = f"{max(low, 0):.2f} to {high:.2f} (median {median:.2f} over {len(history)} days)"
    unusual = value > high or (not upward_only and value < low)
    verdict = "unusual" if unusual else "as usual"
    return Anomaly(unusual, f"{what}: {value:g}, expected {expected}: {verdict}", expected, f"{value:g}")


def _daily(store: Store, newest: date) -> dict[date, tuple[int, float]]:
    per_day = reconciliation.shop_orders_per_day(store, newest - timedelta(HISTORY_DAYS), newest)
    return {day: (count, float(total)) for day, (count, total) in per_day.items()}


def _history(per_day: Mapping[date, float], newest: date) -> list[float]:
    """The days before ``newest`` (a day without orders counts as 0 once the history has begun)."""
    known = sorted(d for d in per_day if d < newest)
    if not known:
        return []
    first = known[0]
    return [per_day.get(first + timedelta(n), 0.0) for n in range((newest - first).days)]


def newest_day(store: Store) -> date:
    """The newest day the shop snapshot holds (today when it holds none)."""
    return reconciliation.newest_shop_day(store) or datetime.now(UTC).date()


def daily_orders(store: Store, newest: date) -> Anomaly:
    counts = {d: float(c) for d, (c, _) in _daily(store, newest).items()}
    return judge(f"orders placed on {newest}", _history(counts, newest), counts.get(newest, 0.0))


def daily_revenue(store: Store, newest: date) -> Anomaly:
    totals = {d: t for d, (_, t) in _daily(store, newest).items()}
    return judge(f"revenue of {newest}", _history(totals, newest), totals.get(newest, 0.0))


def order_totals(store: Store, newest: date) -> Anomaly:
    """Orders of ``newest`` far above the usual order of the days before."""
    rows = reconciliation.shop_order_amounts(store, newest - timedelta(HISTORY_DAYS), newest)
    before = [float(a) for _, d, a in rows if d < newest]
    today = [(order_id, float(a)) for order_id, d, a in rows if d == newest]
    if len(before) < MIN_HISTORY * 5:
        return Anomaly(False, f"order totals of {newest}: not enough history to judge ({len(before)} orders)")
    median, spread = band(before)
    high = median + THRESHOLD * spread
    far = sorted((a, o) for o, a in today if a > high)
    expected = f"at most {high:.2f} (median order {median:.2f})"
    if not far:
        return Anomaly(False, f"order totals of {newest}: all {len(today)} within {expected}", expected, "0")
    named = ", ".join(f"order {o} ({a:.2f})" for a, o in far[-5:])
    return Anomaly(
        True, f"order totals of {newest}: {len(far)} above {expected}: {named}", expected, str(len(far))
    )


def dead_letter_rate(store: Store, newest: date) -> Anomaly:
    """Dead letters opened on ``newest`` against the days before (only a rise is unusual)."""
    start = datetime.combine(newest - timedelta(HISTORY_DAYS), datetime.min.time(), tzinfo=UTC)
    created = store.dead_letters_opened_since(start)
    per_day: dict[date, float] = {}
    for moment in created:
        per_day[moment.date()] = per_day.get(moment.date(), 0.0) + 1
    history = [per_day.get(newest - timedelta(n), 0.0) for n in range(HISTORY_DAYS, 0, -1)]
    return judge(f"dead letters opened on {newest}", history, per_day.get(newest, 0.0), upward_only=True)


def stock_drops(previous: Mapping[str, int], current: Mapping[str, int]) -> Anomaly:
    """Items whose availability fell by at least half and ``STOCK_DROP_UNITS`` since ``previous``."""
    drops = sorted(
        (item, before, current[item])
        for item, before in previous.items()
        if item in current
        and before - current[item] >= STOCK_DROP_UNITS
        and current[item] <= before * STOCK_DROP_SHARE
    )
    expected = (
        f"no item losing half its availability ({STOCK_DROP_UNITS}+ units) between two stock reconciliations"
    )
    if not drops:
        return Anomaly(False, f"stock: {expected} among {len(current)} items", expected, "0")
    named = ", ".join(f"{item} {before} -> {now}" for item, before, now in drops[:10])
    return Anomaly(True, f"stock: {len(drops)} sudden drop(s): {named}", expected, str(len(drops)))

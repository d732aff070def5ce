"""Step 3 of the reconciliation and the stock check: what differs between the stored snapshots
(``reconcile_orders``) and between the shop's stock and M3's availability (``reconcile_stock``),
stored as findings (``recon_findings``) and read back (``open_findings``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from prestashop_infor.store import Store, reconciliation
from prestashop_infor.sync.m3_order_states import SHIPPED, milestone_rank, reached
from prestashop_infor.sync.m3_prices import PriceHistory
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.reconcile.prices import KIND as PRICE_MISMATCH
from prestashop_infor.sync.reconcile.prices import price_problems

IN_FLIGHT = timedelta(minutes=30)  # a newer order may not be in M3 yet: not "missing"
SHIPPED_RANK = milestone_rank(SHIPPED)  # a shop state ranks on the same ladder (rank_of_state)
KINDS = (
    "missing_in_m3",
    "missing_in_shop",
    "line_mismatch",
    "amount_mismatch",
    "status_mismatch",
    "invoice_mismatch",
    "payment_missing_in_shop",
    "refund_missing_in_shop",
    "refund_missing_in_m3",
    "price_mismatch",
)
STOCK_KIND = "stock_drift"


def days(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def chunks(first: date, last: date, size: int) -> Iterator[tuple[date, date]]:
    """The range in runs of ``size`` days: what one pass holds in memory at most."""
    start = first
    while start <= last:
        end = min(last, start + timedelta(size - 1))
        yield start, end
        start = end + timedelta(1)


# -- 3. the comparison --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    day: date
    kind: str
    key: str  # the shop order id (an M3 order without one: its CUOR)
    expected: str | None
    actual: str | None
    detail: str


@dataclass
class ReconciliationReport:
    """What one reconciliation of a range of days found."""

    shop_orders: int = 0
    m3_orders: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # kind -> findings
    per_day: dict[date, Counter[str]] = field(default_factory=dict)
    per_shop: dict[int, Counter[str]] = field(default_factory=dict)  # the order's shop (0: an M3 order alone)
    amount_difference: Decimal = Decimal(0)  # sum over amount mismatches of |shop - M3|
    worst: list[Finding] = field(default_factory=list)  # the largest amount differences first, then the rest

    @property
    def findings(self) -> int:
        return sum(self.counts.values())


def reconcile_orders(
    store: Store,
    mapping: SyncMapping,
    first: date,
    last: date,
    *,
    tolerance: Decimal = Decimal("0.01"),
    chunk_days: int = 31,
    now: datetime | None = None,
    worst: int = 20,
) -> ReconciliationReport:
    """Compare the stored snapshots of ``first`` to ``last`` and store the findings in place of those
    of the same days; a chunk of ``chunk_days`` at a time is in memory."""
    now = now or datetime.now(UTC)
    prefix = mapping.orders.customer_order_prefix
    report = ReconciliationReport(per_day={day: Counter() for day in days(first, last)})
    ranked: list[tuple[Decimal, Finding]] = []
    reconciliation.delete_findings(store, "orders", first, last)
    for start, end in chunks(first, last, chunk_days):
        shop = reconciliation.shop_orders(store, start, end)
        m3 = reconciliation.m3_orders(store, start, end)
        report.shop_orders += len(shop)
        report.m3_orders += len(m3)
        by_cuor: dict[str, list[dict[str, Any]]] = {}
        for row in m3:
            by_cuor.setdefault(row["cuor"], []).append(row)
        found: list[Finding] = []
        for order in shop:
            found += _compare(order, by_cuor.pop(order["cuor"], []), tolerance, now)
        if mapping.prices.pushed:
            history = PriceHistory.between(store, start, end)
            by_id = {o["order_id"]: o for o in shop}
            for order_id, (m3_prices, charged) in price_problems(
                store, mapping, shop, history, tolerance
            ).items():
                order = by_id[order_id]
                found.append(Finding(order["day"], PRICE_MISMATCH, str(order_id), json.dumps(m3_prices),
                                     json.dumps(charged), f"shop order {order_id} ({order['currency']}): M3's "
                                     f"prices {m3_prices}, the shop charged {charged}"))  # fmt: skip
        for cuor, rows in by_cuor.items():
            if not cuor.startswith(prefix) or not cuor[len(prefix) :].isdigit():
                continue  # an M3 order that did not come from this shop (phone, EDI...)
            for row in rows:
                found.append(
                    Finding(row["day"], "missing_in_shop", cuor, None, row["orno"],
                            f"M3 order {row['orno']} ({cuor}) has no shop order placed that day")
                )  # fmt: skip
        _store_findings(store, "orders", found, now)
        shop_of = {str(order["order_id"]): int(order.get("id_shop") or 0) for order in shop}
        for finding in found:
            report.counts[finding.kind] += 1
            report.per_day.setdefault(finding.day, Counter())[finding.kind] += 1
            report.per_shop.setdefault(shop_of.get(finding.key, 0), Counter())[finding.kind] += 1
            size = Decimal(0)
            if finding.kind == "amount_mismatch":
                size = abs(Decimal(finding.expected or 0) - Decimal(finding.actual or 0))
                report.amount_difference += size
            ranked.append((size, finding))
    ranked.sort(key=lambda pair: (-pair[0], pair[1].day, pair[1].key))
    report.worst = [finding for _, finding in ranked[:worst]]
    return report


def _compare(
    order: Mapping[str, Any], m3: list[dict[str, Any]], tolerance: Decimal, now: datetime
) -> list[Finding]:
    day, key = order["day"], str(order["order_id"])
    if not m3:
        if not order["exported"]:
            return []  # cancelled, refunded, payment error: never sent to M3
        placed = datetime.fromisoformat(order["placed_at"]).replace(tzinfo=UTC)
        if now - placed < IN_FLIGHT:
            return []  # naive shop time read as UTC: at worst a few hours' more grace
        return [Finding(day, "missing_in_m3", key, order["cuor"], None,
                        f"shop order {key} ({order['cuor']}) has no M3 customer order")]  # fmt: skip
    row = m3[0]
    found = []
    if len(m3) > 1:
        ornos = ", ".join(r["orno"] for r in m3)
        found.append(
            Finding(
                day,
                "line_mismatch",
                key,
                "1 order",
                ornos,
                f"{order['cuor']} is {len(m3)} M3 orders: {ornos}",
            )
        )
    if order["lines"] != row["lines"]:
        found.append(Finding(day, "line_mismatch", key, order["lines"], row["lines"],
                             f"shop order {key}: items {order['lines']}, M3 order {row['orno']}: {row['lines']}"))  # fmt: skip
    elif order["amount"] is not None and abs(Decimal(order["amount"]) - Decimal(row["amount"])) > tolerance:
        found.append(Finding(day, "amount_mismatch", key, _money(order["amount"]), _money(row["amount"]),
                             f"shop order {key}: {_money(order['amount'])}, M3 order {row['orno']}: "
                             f"{_money(row['amount'])}"))  # fmt: skip
    problem = _status_problem(order, row)
    if problem:
        found.append(Finding(day, "status_mismatch", key, _shop_stage(order), row["milestone"] or "unconfirmed",
                             f"shop order {key} / M3 order {row['orno']}: {problem}"))  # fmt: skip
    return found + _money_findings(order, row, tolerance)


def _money_findings(order: Mapping[str, Any], row: Mapping[str, Any], tolerance: Decimal) -> list[Finding]:
    """Money against M3's invoices, for an order M3 has invoiced (net amounts, the ERP currency):

    - ``invoice_mismatch``: M3 invoiced other than the lines the shop order sent (``amount``);
    - ``payment_missing_in_shop``: M3's invoices are settled, the shop records no payment;
    - ``refund_missing_in_shop``: M3 credited more than the shop's credit slips refund;
    - ``refund_missing_in_m3``: the shop's slips refund more than M3 credited (products only: a
      shipping refund is the shop's own)."""
    if row.get("invoiced") is None:
        return []
    day, key, orno = order["day"], str(order["order_id"]), row["orno"]
    found = []
    invoiced, credited = Decimal(row["invoiced"]), Decimal(row["credited"] or 0)
    paid, refunded = Decimal(order.get("paid") or 0), Decimal(order.get("refunded") or 0)
    slack = tolerance * max(1, len(json.loads(order["lines"])))  # a cent of rounding per line
    if order["amount"] is not None and abs(Decimal(order["amount"]) - invoiced) > slack:
        found.append(Finding(day, "invoice_mismatch", key, _money(order["amount"]), _money(invoiced),
                             f"shop order {key}: lines {_money(order['amount'])}, M3 order {orno} invoiced "
                             f"{_money(invoiced)}"))  # fmt: skip
    if row.get("settled") and paid <= tolerance:
        found.append(Finding(day, "payment_missing_in_shop", key, _money(paid), _money(invoiced),
                             f"M3 order {orno}: its invoices are settled; shop order {key} records no payment"))  # fmt: skip
    if credited - refunded > slack:
        found.append(Finding(day, "refund_missing_in_shop", key, _money(refunded), _money(credited),
                             f"M3 order {orno} credited {_money(credited)}; shop order {key} refunds "
                             f"{_money(refunded)}"))  # fmt: skip
    elif refunded - credited > slack:
        found.append(Finding(day, "refund_missing_in_m3", key, _money(refunded), _money(credited),
                             f"shop order {key} refunds {_money(refunded)}; M3 order {orno} credited "
                             f"{_money(credited)}"))  # fmt: skip
    return found


def _status_problem(order: Mapping[str, Any], m3: Mapping[str, Any]) -> str | None:
    m3_cancelled = m3["milestone"] == "cancelled"
    shop_off_ladder = order["state_rank"] is None  # cancelled, refunded, unknown state
    if m3_cancelled and not shop_off_ladder:
        return f"M3 cancelled the order; the shop shows state {order['state_id']}"
    if shop_off_ladder and not m3_cancelled:
        return f"the shop shows state {order['state_id']} (off the ladder); M3 is at {m3['status']}"
    if m3_cancelled:
        return None
    shop_shipped = order["state_rank"] >= SHIPPED_RANK
    m3_shipped = reached(m3["milestone"], SHIPPED)
    if shop_shipped and not m3_shipped:
        return f"the shop shows it shipped; M3 has not shipped it ({m3['status']})"
    if m3_shipped and not shop_shipped:
        return f"M3 shipped it ({m3['milestone']}); the shop shows state {order['state_id']}"
    return None


OFF_LADDER, SHIPPED, NOT_SHIPPED = "off the ladder", "shipped", "not shipped"  # a shop order's stage


def _shop_stage(order: Mapping[str, Any]) -> str:
    """What a status finding keeps as ``expected`` (the state id is in its detail)."""
    rank = order["state_rank"]
    if rank is None:
        return OFF_LADDER
    return SHIPPED if rank >= SHIPPED_RANK else NOT_SHIPPED


def m3_ahead(finding: Finding) -> bool:
    """A status finding the status lane repairs: M3 cancelled the order or shipped it, and the shop
    does not show it yet (``expected`` is the shop's stage, ``actual`` M3's milestone)."""
    if finding.kind != "status_mismatch":
        return False
    if finding.actual == "cancelled":
        return finding.expected != OFF_LADDER
    return finding.expected == NOT_SHIPPED and reached(finding.actual, SHIPPED)


def _money(value: Any) -> str:
    return f"{Decimal(value):.2f}"


# -- stock --------------------------------------------------------------------------------------------


def reconcile_stock(store: Store, mapping: SyncMapping, *, today: date | None = None) -> list[Finding]:
    """The shop's stored stock against what the stock push would write (M3 availability through the
    stock rules): one ``stock_drift`` per product or combination that differs, stored for ``today``
    in place of that day's stock findings."""
    from prestashop_infor.sync.stock import planned_shop_quantities, warehouse_quantities

    today = today or datetime.now(UTC).date()
    per_warehouse: dict[int, dict[str, dict[str, int]]] = {}  # per shop: its rules' warehouses
    found = []
    for (product_id, combination_id, shop_id), (itno, shop_quantity, m3_quantity) in sorted(
        planned_shop_quantities(store, mapping).items()
    ):
        if shop_quantity != m3_quantity:
            rules = mapping.stock_of(shop_id)
            if shop_id not in per_warehouse:
                per_warehouse[shop_id] = warehouse_quantities(store, rules)[0]
            where = ", ".join(
                f"{whlo}: {n}" for whlo, n in sorted(per_warehouse[shop_id].get(itno, {}).items())
            )
            key = f"{product_id}:{combination_id}" + (f"@{shop_id}" if shop_id > 1 else "")
            shop = f" in {mapping.shop_name(shop_id)}" if shop_id > 1 else ""
            found.append(
                Finding(today, STOCK_KIND, key, str(m3_quantity), str(shop_quantity),
                        f"item {itno}: the shop{shop} shows {shop_quantity}, M3 makes it {m3_quantity} available "
                        f"(per warehouse {where}; {rules.combine})")
            )  # fmt: skip
    reconciliation.delete_findings(store, "stock", today, today)
    _store_findings(store, "stock", found, datetime.now(UTC))
    return found


def open_findings(store: Store, first: date, last: date, kinds: Iterable[str] = KINDS) -> list[Finding]:
    """The order findings the last reconciliation of ``first`` to ``last`` stored, of these kinds."""
    return [
        Finding(r["day"], r["kind"], r["key"], r["expected"], r["actual"], r["detail"])
        for r in reconciliation.findings(store, "orders", first, last, list(kinds))
    ]


# -- storage ------------------------------------------------------------------------------------------


def _store_findings(store: Store, scope: str, found: Sequence[Finding], now: datetime) -> None:
    reconciliation.insert_findings(
        store,
        [
            {"scope": scope, "day": f.day, "kind": f.kind, "key": f.key, "expected": f.expected,
             "actual": f.actual, "detail": f.detail, "found_at": now}
            for f in found
        ],
    )  # fmt: skip

"""The reconciliation lane: per day, the shop's orders against M3's, and the shop's stock against M3.

Three steps, each the body of one asset, each reading what the one before stored:

1. :func:`snapshot_shop_orders` reads the shop's orders placed on a range of days (``date_add`` in
   the shop's time zone; paged by id, one page in memory at a time) and stores each reduced to what
   is compared (``recon_shop_orders``): its ``CUOR``, its state's place on the fulfilment ladder,
   whether it is sent to M3 at all, its lines as M3 items and quantities, and its amount in the
   ERP currency (``ORQT`` x ``SAPR`` per line), all by the rule the order mapper sends lines with
   (``sync.order_lines``, the products and combinations found as the mapper finds them: stored by
   ``prestashop_products``, else read from the shop), so what is expected is what the sync sent.
2. :func:`snapshot_m3_orders` reads M3's customer orders of the same days (``OIS175MI/
   LstHeadByDate`` positioned on the first day, in chunks of ``M3_PAGE`` heads; each chunk's lines
   with ``OIS100MI/LstLine`` in bulk requests) into ``recon_m3_orders``: ``CUOR``, milestone
   (the mapping's one status rule), lines and amount (``ORQT`` x ``SAPR``).
3. :func:`reconcile_orders` joins the two on ``CUOR``, day by day, and stores what differs
   (``recon_findings``):

   - ``missing_in_m3``: a shop order sent to M3 (not in a ``not_exported`` state) of which M3 holds
     no customer order (orders placed in the last ``IN_FLIGHT`` are still on their way);
   - ``missing_in_shop``: an M3 order with this prefix whose shop order does not exist that day;
   - ``line_mismatch``: the items or quantities differ (an amount difference is then its consequence
     and not reported twice);
   - ``amount_mismatch``: same lines, amounts differ by more than the tolerance;
   - ``status_mismatch``: cancelled on one side only, or shipped on one side only (the shop's state
     flagged shipped, or M3 at ``shipped`` or later on the one fulfilment ladder,
     ``m3_order_states.milestone_rank``). A paid state says nothing of fulfilment and is not compared.

:func:`reconcile_stock` compares the stored shop stock (``ps_stock``) with M3's availability
(``m3_balances``) through the stock rules (``sync.stock``) and reports each drift.

:func:`heal` re-drives what a machine may repair, through the code the other lanes run: a missing
order is sent again by the order sync (its id-map binding dropped first if M3 no longer holds
the order, so the binding never claims what M3 does not hold); a status M3 moved on is pushed by the
status lane. Amount and line differences are a person's call: reported, never changed. Healing twice
does nothing the second time: the order is in M3, the status in the shop.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop import OrderRow, PrestashopClient
from prestashop_infor.store import Store, id_map, reconciliation
from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.m3_order_request import ShopLookups
from prestashop_infor.sync.m3_order_states import SHIPPED, milestone_rank, reached
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import ResolvedStatusMap, customer_order_number, parse_decimal
from prestashop_infor.sync.order_lines import OrderLine, order_line, unit_price

SHOP_PAGE = 1_000  # shop orders per list request
M3_PAGE = 2_000  # order heads per LstHeadByDate call
IN_FLIGHT = timedelta(minutes=30)  # a newer order may not be in M3 yet: not "missing"
SHIPPED_RANK = milestone_rank(SHIPPED)  # a shop state ranks on the same ladder (rank_of_state)
KINDS = ("missing_in_m3", "missing_in_shop", "line_mismatch", "amount_mismatch", "status_mismatch")
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


@dataclass
class SnapshotReport:
    """One side read for a range of days."""

    orders: int = 0
    requests: int = 0
    per_day: Counter[date] = field(default_factory=Counter)


# -- 1. the shop side ---------------------------------------------------------------------------------


def snapshot_shop_orders(
    shop: PrestashopClient, store: Store, mapping: SyncMapping, first: date, last: date
) -> SnapshotReport:
    """The shop's orders placed from ``first`` to ``last`` (shop time), reduced and stored in place of
    what was stored for those days (an order deleted in the shop leaves the snapshot too)."""
    status = mapping.status.resolve(shop.order_states())
    currencies = {int(c["id"]): str(c.get("iso_code") or "") for c in shop.list("currencies")}
    report = SnapshotReport()
    reconciliation.delete_shop_orders(store, first, last)
    window = f"[{first.isoformat()} 00:00:00,{last.isoformat()} 23:59:59]"
    now = datetime.now(UTC)
    for page in shop.iter_pages("orders", filters={"date_add": window}, page_size=SHOP_PAGE):
        report.requests += 1
        catalogue = ShopLookups.for_order_lines(shop, store, page.records)
        rows = [_shop_row(record, catalogue, mapping, status, currencies, now) for record in page.records]
        reconciliation.insert_shop_orders(store, rows)
        report.orders += len(rows)
        report.per_day.update(row["day"] for row in rows)
    return report


def _line(row: OrderRow, catalogue: ShopLookups, mapping: SyncMapping) -> OrderLine:
    """The M3 line the order sync sends for ``row`` (``sync.order_lines``); a row no M3 item answers
    for (the sync dead-letters its order) becomes a line no M3 order can match."""
    product = catalogue.record("products", row.product_id)
    combination = (
        catalogue.record("combinations", row.product_attribute_id) if row.product_attribute_id else None
    )
    try:
        return order_line(row, product, combination, mapping)
    except MappingFailure:
        return OrderLine(
            f"?{row.product_id}:{row.product_attribute_id}", row.product_quantity, unit_price(row, mapping)
        )


def _shop_row(
    record: Mapping[str, Any],
    catalogue: ShopLookups,
    mapping: SyncMapping,
    status: ResolvedStatusMap,
    currencies: Mapping[int, str],
    now: datetime,
) -> dict[str, Any]:
    order_id = int(record["id"])
    state_id = int(record.get("current_state") or 0)
    rows = (record.get("associations") or {}).get("order_rows") or []
    lines = [_line(OrderRow.model_validate(row), catalogue, mapping) for row in rows]
    quantities: Counter[str] = Counter()
    for line in lines:
        quantities[line.itno] += line.quantity
    amount = None
    if mapping.orders.price != "none":
        currency = currencies.get(int(record.get("id_currency") or 0), "")
        rate = parse_decimal(record.get("conversion_rate") or "1", "conversion_rate")
        amount = sum((line.erp_amount(mapping, currency, rate) for line in lines), Decimal(0))
    placed = str(record.get("date_add") or "")
    return {
        "order_id": order_id,
        "day": date.fromisoformat(placed[:10]),
        "cuor": customer_order_number(order_id, mapping.orders.customer_order_prefix),
        "state_id": state_id,
        "state_rank": status.rank_of_state(state_id),
        "exported": status.exportable(state_id),
        "amount": amount,
        "lines": json.dumps(dict(sorted(quantities.items()))),
        "placed_at": placed[:19],
        "loaded_at": now,
    }


# -- 2. the M3 side -----------------------------------------------------------------------------------


def snapshot_m3_orders(
    m3: M3Client, store: Store, mapping: SyncMapping, first: date, last: date
) -> SnapshotReport:
    """M3's customer orders dated ``first`` to ``last``, reduced and stored in place of what was
    stored for those days. ``LstHeadByDate`` lists from the date given onward; a chunk ending inside a
    day is cut before that day, which the next call starts with (M3 positions on the date only)."""
    report = SnapshotReport()
    reconciliation.delete_m3_orders(store, first, last)
    position = first
    now = datetime.now(UTC)
    for _ in range(1_000_000):  # bounded: one call per chunk of heads
        heads = m3.execute("OIS175MI", "LstHeadByDate", maxrecs=M3_PAGE, ORDT=position.strftime("%Y%m%d"))
        report.requests += 1
        dated = [(h, _m3_date(h.get("ORDT", ""))) for h in heads]
        complete = len(heads) < M3_PAGE
        if not complete:
            cut = dated[-1][1]
            if cut == position:
                raise RuntimeError(
                    f"M3 holds more than {M3_PAGE} orders dated {position}: raise reconcile.M3_PAGE"
                )
            dated = [(h, d) for h, d in dated if d is not None and d < cut]
        mine = [(h, d) for h, d in dated if d is not None and first <= d <= last]
        rows = _m3_rows(m3, mapping, mine, now)
        report.requests += -(-len(mine) // mapping.orders.bulk_size)
        reconciliation.insert_m3_orders(store, rows)
        report.orders += len(rows)
        report.per_day.update(row["day"] for row in rows)
        if complete or cut > last:
            return report
        position = cut
    raise RuntimeError("OIS175MI/LstHeadByDate did not end")


def _m3_rows(
    m3: M3Client, mapping: SyncMapping, heads: Sequence[tuple[dict[str, str], date | None]], now: datetime
) -> list[dict[str, Any]]:
    results = m3.bulk(
        [("OIS100MI", "LstLine", {"ORNO": head["ORNO"]}) for head, _ in heads],
        max_per_request=mapping.orders.bulk_size,
        max_records=0,  # every line of each order (M3's default caps a list)
    )
    rows = []
    for (head, day), result in zip(heads, results, strict=True):
        if not result.ok:
            raise result.error or RuntimeError(f"OIS100MI/LstLine failed for {head['ORNO']}")
        quantities: Counter[str] = Counter()
        amount = Decimal(0)
        for line in result.records:
            quantity = Decimal(line.get("ORQT") or "0")
            quantities[line.get("ITNO", "")] += int(quantity)
            amount += quantity * Decimal(line.get("SAPR") or "0")
        rows.append(
            {
                "orno": head["ORNO"],
                "day": day,
                "cuor": head.get("CUOR", ""),
                "milestone": mapping.status.milestone_of_m3(head),
                "status": "/".join(head.get(f, "") for f in ("STAT", "ORSL", "ORST")),
                "amount": amount,
                "lines": json.dumps(dict(sorted(quantities.items()))),
                "loaded_at": now,
            }
        )
    return rows


def _m3_date(value: str) -> date | None:
    try:
        return datetime.strptime(value.strip(), "%Y%m%d").date()
    except ValueError:
        return None


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
        for cuor, rows in by_cuor.items():
            if not cuor.startswith(prefix) or not cuor[len(prefix) :].isdigit():
                continue  # an M3 order that did not come from this shop (phone, EDI...)
            for row in rows:
                found.append(
                    Finding(row["day"], "missing_in_shop", cuor, None, row["orno"],
                            f"M3 order {row['orno']} ({cuor}) has no shop order placed that day")
                )  # fmt: skip
        _store_findings(store, "orders", found, now)
        for finding in found:
            report.counts[finding.kind] += 1
            report.per_day.setdefault(finding.day, Counter())[finding.kind] += 1
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
    from prestashop_infor.sync.stock import planned_shop_quantities

    today = today or datetime.now(UTC).date()
    found = []
    for (product_id, combination_id), (itno, shop_quantity, m3_quantity) in sorted(
        planned_shop_quantities(store, mapping).items()
    ):
        if shop_quantity != m3_quantity:
            found.append(
                Finding(today, STOCK_KIND, f"{product_id}:{combination_id}", str(m3_quantity), str(shop_quantity),
                        f"item {itno}: the shop shows {shop_quantity}, M3 makes it {m3_quantity} available")
            )  # fmt: skip
    reconciliation.delete_findings(store, "stock", today, today)
    _store_findings(store, "stock", found, datetime.now(UTC))
    return found


# -- heal ---------------------------------------------------------------------------------------------


@dataclass
class HealReport:
    resent: list[int] = field(default_factory=list)  # orders sent to M3 again
    unbound: list[int] = field(default_factory=list)  # bindings dropped: M3 no longer held the order
    statuses_pushed: list[int] = field(default_factory=list)
    adopted: list[int] = field(default_factory=list)  # orders M3 holds that the id map did not know
    failed: dict[int, str] = field(default_factory=dict)
    left_to_people: int = 0  # amount and line differences, statuses the shop is ahead on


def open_findings(store: Store, first: date, last: date, kinds: Iterable[str] = KINDS) -> list[Finding]:
    """The order findings the last reconciliation of ``first`` to ``last`` stored, of these kinds."""
    return [
        Finding(r["day"], r["kind"], r["key"], r["expected"], r["actual"], r["detail"])
        for r in reconciliation.findings(store, "orders", first, last, list(kinds))
    ]


def heal(
    store: Store,
    shop: PrestashopClient,
    m3: M3Client,
    mapping: SyncMapping,
    findings: Sequence[Finding],
) -> HealReport:
    """Re-drive what the findings say is missing or behind, through the order sync and the status
    lane (see the module docstring)."""
    from prestashop_infor.sync.orders import ENTITY as SALES_ORDER
    from prestashop_infor.sync.orders import sync_order
    from prestashop_infor.sync.status import push_order_statuses

    report = HealReport()
    lookups = ShopLookups(shop)
    missing = sorted({int(f.key) for f in findings if f.kind == "missing_in_m3"})
    # M3 does not hold these orders: a binding that says otherwise goes first (a dropped order)
    report.unbound = sorted(int(k) for k in id_map.bindings_for(store, SALES_ORDER, missing))
    id_map.unbind(store, SALES_ORDER, report.unbound)
    for order_id in missing:
        try:
            result = sync_order(order_id, shop_lookups=lookups, m3=m3, store=store, mapping=mapping)
        except LookupError as error:
            report.failed[order_id] = str(error)
            continue
        if order_id in result.errors:
            report.failed[order_id] = result.errors[order_id].message
        else:
            report.resent.append(order_id)
    behind = sorted(int(f.key) for f in findings if m3_ahead(f))
    if behind:
        report.adopted = _adopt(store, mapping, behind)
        push_order_statuses(prestashop=shop, m3=m3, store=store, mapping=mapping, order_ids=behind)
        report.statuses_pushed = behind
    report.left_to_people = sum(
        1 for f in findings if f.kind in ("line_mismatch", "amount_mismatch", "missing_in_shop")
    ) + sum(1 for f in findings if f.kind == "status_mismatch" and int(f.key) not in behind)
    return report


def _adopt(store: Store, mapping: SyncMapping, order_ids: Sequence[int]) -> list[int]:
    """Bind the shop orders the id map does not know to the one M3 order the snapshot found with their
    ``CUOR`` (entered before the integration, or by hand): the status lane works on bound orders.
    M3 holds each of them, so the binding claims nothing M3 does not hold."""
    from prestashop_infor.sync.orders import ENTITY as SALES_ORDER

    known = id_map.bindings_for(store, SALES_ORDER, order_ids)
    unknown = [o for o in order_ids if str(o) not in known]
    cuors = {customer_order_number(o, mapping.orders.customer_order_prefix): o for o in unknown}
    ornos: dict[str, list[str]] = {}
    for cuor, orno in reconciliation.m3_order_numbers(store, cuors):
        ornos.setdefault(cuor, []).append(orno)
    adopt = [(cuors[c], o[0], None, {"cuor": c, "ornr": o[0], "adopted_by": "reconciliation"})
             for c, o in ornos.items() if len(o) == 1]  # fmt: skip
    id_map.bind_many(store, SALES_ORDER, adopt)
    return sorted(int(order_id) for order_id, *_ in adopt)


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

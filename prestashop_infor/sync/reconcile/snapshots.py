"""Steps 1 and 2 of the reconciliation: each side's orders of a range of days, reduced to what is
compared and stored in place of what was stored for those days (``recon_shop_orders``,
``recon_m3_orders``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from prestashop_infor.infor import M3Client
from prestashop_infor.infor.models import Invoice, ymd8
from prestashop_infor.prestashop import OrderRow, PrestashopClient
from prestashop_infor.store import Store, reconciliation
from prestashop_infor.sync.errors import MappingFailure
from prestashop_infor.sync.m3_order_request import ShopLookups
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import ResolvedStatusMap, customer_order_number, parse_decimal
from prestashop_infor.sync.order_lines import OrderLine, order_line, unit_price

SHOP_PAGE = 1_000  # shop orders per list request
MONEY_KEYS = 100  # orders per payments / credit slips request (one OR filter)
M3_PAGE = 2_000  # order heads per LstHeadByDate call


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
    # the day's orders, their states and currencies are this extraction's own reads of the shop
    status = mapping.status.resolve(shop.order_states())
    currencies = {int(c["id"]): str(c.get("iso_code") or "") for c in shop.list("currencies")}
    report = SnapshotReport()
    reconciliation.delete_shop_orders(store, first, last)
    window = f"[{first.isoformat()} 00:00:00,{last.isoformat()} 23:59:59]"
    now = datetime.now(UTC)
    catalogue = ShopLookups(shop)  # the pages share it: each product is read once
    for page in shop.iter_pages("orders", filters={"date_add": window}, page_size=SHOP_PAGE):
        report.requests += 1
        catalogue.add_order_lines(store, page.records)
        money = _shop_money(shop, page.records, report)
        rows = [
            _shop_row(record, catalogue, mapping, status, currencies, now, money) for record in page.records
        ]
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


def _shop_money(
    shop: PrestashopClient, orders: Sequence[Mapping[str, Any]], report: SnapshotReport
) -> tuple[dict[str, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    """The page's payments (by order reference) and credit slips (by order id), read ``MONEY_KEYS``
    orders at a time with one OR filter each."""
    payments: dict[str, list[dict[str, Any]]] = {}
    slips: dict[int, list[dict[str, Any]]] = {}
    references = sorted({str(o.get("reference") or "") for o in orders} - {""})
    ids = sorted({int(o["id"]) for o in orders})
    for start in range(0, len(references), MONEY_KEYS):
        wanted = "|".join(references[start : start + MONEY_KEYS])
        for payment in shop.list("order_payments", filters={"order_reference": f"[{wanted}]"}, sort=None):
            payments.setdefault(str(payment.get("order_reference") or ""), []).append(payment)
        report.requests += 1
    for start in range(0, len(ids), MONEY_KEYS):
        wanted = "|".join(str(i) for i in ids[start : start + MONEY_KEYS])
        for slip in shop.list("order_slip", filters={"id_order": f"[{wanted}]"}, sort=None):
            slips.setdefault(int(slip.get("id_order") or 0), []).append(slip)
        report.requests += 1
    return payments, slips


def _to_erp(mapping: SyncMapping, value: Any, currency: str, rate: Any) -> Decimal:
    amount = parse_decimal(value or "0", "amount")
    return mapping.currency.to_erp(
        amount, currency, mapping.erp.currency, parse_decimal(rate or "1", "conversion_rate")
    )


def _shop_row(
    record: Mapping[str, Any],
    catalogue: ShopLookups,
    mapping: SyncMapping,
    status: ResolvedStatusMap,
    currencies: Mapping[int, str],
    now: datetime,
    money: tuple[Mapping[str, list[dict[str, Any]]], Mapping[int, list[dict[str, Any]]]] = ({}, {}),
) -> dict[str, Any]:
    mapping = mapping.for_shop(int(record.get("id_shop") or 0))  # its ERP currency, in a multistore
    order_id = int(record["id"])
    state_id = int(record.get("current_state") or 0)
    rows = [
        OrderRow.model_validate(row) for row in (record.get("associations") or {}).get("order_rows") or []
    ]
    lines = [_line(row, catalogue, mapping) for row in rows]
    quantities: Counter[str] = Counter()
    for line in lines:
        quantities[line.itno] += line.quantity
    amount = None
    if mapping.orders.price != "none":
        currency = currencies.get(int(record.get("id_currency") or 0), "")
        rate = parse_decimal(record.get("conversion_rate") or "1", "conversion_rate")
        amount = sum((line.erp_amount(mapping, currency, rate) for line in lines), Decimal(0))
    placed = str(record.get("date_add") or "")
    payments, slips = money
    currency = currencies.get(int(record.get("id_currency") or 0), "")
    rate = record.get("conversion_rate") or "1"
    paid = sum((_to_erp(mapping, p.get("amount"), currencies.get(int(p.get("id_currency") or 0), currency),
                        p.get("conversion_rate") or rate)
                for p in payments.get(str(record.get("reference") or ""), [])), Decimal(0))  # fmt: skip
    taxed = (
        "total_products_tax_incl"
        if mapping.orders.price == "unit_price_tax_incl"
        else "total_products_tax_excl"
    )
    refunded = sum((_to_erp(mapping, s.get(taxed), currency, s.get("conversion_rate") or rate)
                    for s in slips.get(order_id, [])), Decimal(0))  # fmt: skip
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
        "paid": paid,
        "refunded": refunded,
        "id_customer": int(record.get("id_customer") or 0) or None,
        "id_shop": int(record.get("id_shop") or 0) or None,
        "currency": currency or None,
        # with M3 prices pushed, each line's price tax excluded, as M3's price lists hold them
        "line_prices": json.dumps(
            [
                [line.itno, line.quantity, f"{row.unit_price_tax_excl}"]
                for row, line in zip(rows, lines, strict=True)
            ]
        )  # fmt: skip
        if mapping.prices.pushed
        else None,
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
    invoices = m3.bulk(
        [("OIS350MI", "LstInvHeadByCo", {"ORNO": head["ORNO"]}) for head, _ in heads],
        max_per_request=mapping.orders.bulk_size,
        max_records=0,
    )
    rows = []
    for (head, day), result, invoiced in zip(heads, results, invoices, strict=True):
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
                **_m3_money(head["ORNO"], invoiced),
                "loaded_at": now,
            }
        )
    return rows


def _m3_money(orno: str, result: Any) -> dict[str, Any]:
    """What M3 invoiced (net, debit invoices: the lines as the order sync sent them) and credited (net,
    credit notes) for the order, and whether every invoice is settled (nothing remains to pay); all
    None before its first invoice."""
    if not result.ok:
        raise result.error or RuntimeError(f"OIS350MI/LstInvHeadByCo failed for {orno}")
    heads = [Invoice.from_record(record) for record in result.records]
    if not heads:
        return {"invoiced": None, "credited": None, "settled": None}
    debit = [i for i in heads if not i.is_credit]
    return {
        "invoiced": sum((i.net_amount for i in debit), Decimal(0)),
        "credited": -sum((i.net_amount for i in heads if i.is_credit), Decimal(0)),
        "settled": bool(debit) and all(i.remaining <= 0 for i in debit),
    }


def _m3_date(value: str) -> date | None:
    try:
        return ymd8(value.strip())
    except ValueError:
        return None

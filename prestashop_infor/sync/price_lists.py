"""M3's sales prices valid today (issue 21 §1, the read behind the shop's customer prices).

M3 keeps sales prices in price lists (``OIS017MI``): a list is its ``PRRF``, its currency ``CUCD``,
its valid-from date ``FVDT`` and, for a list of one customer, ``CUNO`` (blank: any customer); it has
base prices per item (``LstBasePrice``: ``SAPR``, the line's own valid-from ``VFDT``) and, per item,
quantity breaks (``LstGradSlsPrc``: from ``QTYL`` units, ``SAPR``). Several lists share a ``PRRF``:
one per currency, and a new one from a later date while the old one still runs. The price valid
today is chosen by list, currency and customer, then the **latest from-date not after today** (a
list whose valid-to ``LVDT`` has passed is out), never "the first list" M3 answers with; a line
whose own valid-from is after today is not yet a price.

The lists that ran in the last ``HISTORY_DAYS`` are kept too, each with the period it was the one
valid (from its from-date to its valid-to or the day before the next list of its key took over):
the reconciliation judges a past day's orders by the prices of that day.

``read_price_lists`` reads every list head, the base prices of the lists it keeps and their
quantity breaks (bulk calls), passes the rows through the pandera gate (``PriceSchema``: failures
to the dead-letter table, entity ``m3_prices``) and replaces the stored prices (``m3_prices``) in
one transaction. ``OIS017MI`` answers no change stamp, so every run reads every list: no cursor.

With prices pushed to the shop (``mapping.prices``), it also reads the price terms
(``CRS610MI/GetOrderInfo``: the price list ``PLTB`` and the discount percentage ``DIPC``) of the M3
customers bound to shop customers of the mapped groups, replacing ``m3_customer_prices``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError
from prestashop_infor.infor.models import m3_date
from prestashop_infor.store import Store, id_map, tables
from prestashop_infor.store.prices import replace_customer_prices, replace_m3_prices
from prestashop_infor.sync.customers import ENTITY as CUSTOMER  # shop customer -> M3 customer
from prestashop_infor.sync.gates import gate
from prestashop_infor.sync.infor_schemas import PriceSchema
from prestashop_infor.sync.mapping import Mapping

ENTITY = "m3_prices"
HISTORY_DAYS = 400  # lists that ran this long ago are kept: a year of reconciliation, and some


@dataclass
class PriceRead:
    lists: int  # heads M3 holds
    chosen: list[tuple[str, str, str, str]]  # (PRRF, CUCD, CUNO, FVDT) valid today, one per list
    extracted: int  # price rows read (base prices and breaks of the chosen lists)
    prices: int  # rows stored
    quarantined: int
    customers: int = 0  # M3 customers whose price terms were read


def valid_lists(heads: list[dict[str, str]], today: date) -> dict[tuple[str, str, str], dict[str, str]]:
    """Per (PRRF, CUCD, CUNO): the head valid ``today`` with the latest from-date (module docstring)."""
    return {key: head for key, head, starts, ends in price_periods(heads, today)
            if starts <= today and (ends is None or today <= ends)}  # fmt: skip


def price_periods(
    heads: list[dict[str, str]], today: date, *, history_days: int = HISTORY_DAYS
) -> list[tuple[tuple[str, str, str], dict[str, str], date, date | None]]:
    """Every head that started by ``today`` and was the valid one of its (PRRF, CUCD, CUNO) some day
    in the last ``history_days``, with that period: from its from-date to its valid-to or the day
    before the next head of its key starts (None: open)."""
    by_key: dict[tuple[str, str, str], list[tuple[date, dict[str, str]]]] = {}
    for head in heads:
        starts = m3_date(head, "FVDT")
        if starts is None or starts > today:
            continue
        key = (head.get("PRRF", "").strip(), head.get("CUCD", "").strip(), head.get("CUNO", "").strip())
        by_key.setdefault(key, []).append((starts, head))
    horizon = today - timedelta(days=history_days)
    periods = []
    for key, started in sorted(by_key.items()):
        started.sort(key=lambda pair: pair[0])
        for number, (starts, head) in enumerate(started):
            ends = m3_date(head, "LVDT")
            if number + 1 < len(started):
                before_next = started[number + 1][0] - timedelta(days=1)
                ends = before_next if ends is None else min(ends, before_next)
            if ends is not None and (ends < starts or ends < horizon):
                continue
            periods.append((key, head, starts, ends))
    return periods


def read_price_lists(
    m3: M3Client, store: Store, *, today: date, mapping: Mapping | None = None, bulk_size: int = 100
) -> PriceRead:
    """Read, choose, gate and store the prices (module docstring), and with ``mapping`` pushing
    prices the price terms of the customers concerned. A read M3 cannot answer raises: the stored
    prices stay as they were."""
    heads = m3.execute("OIS017MI", "LstPriceList", maxrecs=0)
    periods = price_periods(heads, today)

    def fields(head: dict[str, str]) -> dict[str, str]:
        return {"PRRF": head["PRRF"].strip(), "CUCD": head["CUCD"].strip(), "CUNO": head.get("CUNO", "").strip(),
                "FVDT": head["FVDT"]}  # fmt: skip

    lines_of = m3.bulk([("OIS017MI", "LstBasePrice", fields(head)) for _, head, _, _ in periods],
                       max_per_request=bulk_size, max_records=0)  # fmt: skip
    lines: list[tuple[int, dict[str, str]]] = []
    for number, result in enumerate(lines_of):
        if not result.ok:
            raise result.error or M3GatewayError(f"OIS017MI/LstBasePrice failed for {periods[number][0]}")
        for line in result.records:
            starts = m3_date(line, "VFDT")
            if starts is None or starts <= today:
                lines.append((number, line))
    breaks_of = m3.bulk([("OIS017MI", "LstGradSlsPrc", {**fields(periods[n][1]), "ITNO": line["ITNO"]})
                         for n, line in lines], max_per_request=bulk_size, max_records=0)  # fmt: skip
    records: list[dict[str, Any]] = []
    for (number, line), result in zip(lines, breaks_of, strict=True):
        key, head, starts, ends = periods[number]
        if not result.ok:
            raise result.error or M3GatewayError(f"OIS017MI/LstGradSlsPrc failed for {key} {line['ITNO']}")
        line_starts = max(starts, m3_date(line, "VFDT") or starts)
        base = {"PRRF": key[0], "CUCD": key[1], "CUNO": key[2], "ITNO": line.get("ITNO", "").strip(),
                "FVDT": line_starts.strftime("%Y%m%d"), "LVDT": ends.strftime("%Y%m%d") if ends else ""}  # fmt: skip
        records.append({**base, "QTYL": "1", "SAPR": line.get("SAPR", "")})
        records += [{**base, "QTYL": b.get("QTYL", ""), "SAPR": b.get("SAPR", "")} for b in result.records]
    valid, quarantined = gate(PriceSchema, records, store, ENTITY, key_field="ITNO")
    rows = {}
    for record in valid.to_dict("records"):
        row = {"prrf": record["PRRF"], "cucd": record["CUCD"], "cuno": record["CUNO"], "itno": record["ITNO"],
               "from_quantity": _decimal(record["QTYL"]), "price": _decimal(record["SAPR"]),
               "valid_from": m3_date(record, "FVDT"), "valid_to": m3_date(record, "LVDT")}  # fmt: skip
        rows[
            (row["prrf"], row["cucd"], row["cuno"], row["itno"], row["from_quantity"], row["valid_from"])
        ] = row
    customers = (
        _customer_terms(m3, store, mapping, bulk_size)
        if mapping is not None and mapping.prices.pushed
        else []
    )
    stored = replace_m3_prices(store, rows.values())
    replace_customer_prices(store, customers)
    chosen = sorted((*key, head["FVDT"]) for key, head in valid_lists(heads, today).items())
    return PriceRead(len(heads), chosen, len(records), stored, quarantined, len(customers))


def _customer_terms(m3: M3Client, store: Store, mapping: Mapping, bulk_size: int) -> list[dict[str, Any]]:
    """``PLTB`` and ``DIPC`` of the M3 customers bound to shop customers of the mapped groups; a
    customer M3 does not answer for is left out (it gets its group's prices)."""
    groups = {group for group_ids in mapping.prices.groups.values() for group in group_ids}
    bound = {b.source_key: b.target_key for b in id_map.bindings(store, CUSTOMER)}
    shop_customers = store.rows_where_in(tables.ps_customers, "id", {int(k) for k in bound if k.isdigit()})
    numbers = sorted({bound[str(c["id"])] for c in shop_customers if c.get("id_default_group") in groups})
    answers = m3.bulk([("CRS610MI", "GetOrderInfo", {"CUNO": cuno}) for cuno in numbers],
                      max_per_request=bulk_size)  # fmt: skip
    terms = []
    for cuno, result in zip(numbers, answers, strict=True):
        if not result.ok or not result.records:
            continue
        record = result.records[0]
        terms.append({"cuno": cuno, "price_list": str(record.get("PLTB") or "").strip(),
                      "discount": _decimal(record.get("DIPC") or "0").quantize(Decimal("0.0001"))})  # fmt: skip
    return terms


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        return Decimal(0)


__all__ = ["ENTITY", "PriceRead", "read_price_lists", "valid_lists"]

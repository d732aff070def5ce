"""M3's sales prices valid today (issue 21 §1, the read behind the shop's customer prices).

M3 keeps sales prices in price lists (``OIS017MI``): a list is its ``PRRF``, its currency ``CUCD``,
its valid-from date ``FVDT`` and, for a list of one customer, ``CUNO`` (blank: any customer); it has
base prices per item (``LstBasePrice``: ``SAPR``, the line's own valid-from ``VFDT``) and, per item,
quantity breaks (``LstGradSlsPrc``: from ``QTYL`` units, ``SAPR``). Several lists share a ``PRRF``:
one per currency, and a new one from a later date while the old one still runs. The price valid
today is chosen by list, currency and customer, then the **latest from-date not after today** (a
list whose valid-to ``LVDT`` has passed is out), never "the first list" M3 answers with; a line
whose own valid-from is after today is not yet a price.

``read_price_lists`` reads every list head, the base prices of the chosen lists and their quantity
breaks (bulk calls), passes the rows through the pandera gate (``PriceSchema``: failures to the
dead-letter table, entity ``m3_prices``) and replaces the stored prices (``m3_prices``) in one
transaction. ``OIS017MI`` answers no change stamp, so every run reads every list: no cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError
from prestashop_infor.infor.models import m3_date
from prestashop_infor.store import Store
from prestashop_infor.store.prices import replace_m3_prices
from prestashop_infor.sync.gates import gate
from prestashop_infor.sync.infor_schemas import PriceSchema

ENTITY = "m3_prices"


@dataclass
class PriceRead:
    lists: int  # heads M3 holds
    chosen: list[tuple[str, str, str, str]]  # (PRRF, CUCD, CUNO, FVDT) valid today, one per list
    extracted: int  # price rows read (base prices and breaks of the chosen lists)
    prices: int  # rows stored
    quarantined: int


def valid_lists(heads: list[dict[str, str]], today: date) -> dict[tuple[str, str, str], dict[str, str]]:
    """Per (PRRF, CUCD, CUNO): the head valid ``today`` with the latest from-date (module docstring)."""
    chosen: dict[tuple[str, str, str], dict[str, str]] = {}
    for head in heads:
        starts, ends = m3_date(head, "FVDT"), m3_date(head, "LVDT")
        if starts is None or starts > today or (ends is not None and ends < today):
            continue
        key = (head.get("PRRF", "").strip(), head.get("CUCD", "").strip(), head.get("CUNO", "").strip())
        kept = chosen.get(key)
        if kept is None or m3_date(kept, "FVDT") < starts:  # type: ignore[operator]
            chosen[key] = head
    return chosen


def read_price_lists(m3: M3Client, store: Store, *, today: date, bulk_size: int = 100) -> PriceRead:
    """Read, choose, gate and store today's prices (module docstring). A read M3 cannot answer
    raises: the stored prices stay as they were."""
    heads = m3.execute("OIS017MI", "LstPriceList", maxrecs=0)
    chosen = valid_lists(heads, today)
    keys = sorted(chosen)

    def fields(key: tuple[str, str, str]) -> dict[str, str]:
        head = chosen[key]
        return {"PRRF": key[0], "CUCD": key[1], "CUNO": key[2], "FVDT": head["FVDT"]}

    lines_of = m3.bulk([("OIS017MI", "LstBasePrice", fields(k)) for k in keys],
                       max_per_request=bulk_size, max_records=0)  # fmt: skip
    lines: list[tuple[tuple[str, str, str], dict[str, str]]] = []
    for key, result in zip(keys, lines_of, strict=True):
        if not result.ok:
            raise result.error or M3GatewayError(f"OIS017MI/LstBasePrice failed for {key}")
        for line in result.records:
            starts = m3_date(line, "VFDT")
            if starts is None or starts <= today:
                lines.append((key, line))
    breaks_of = m3.bulk([("OIS017MI", "LstGradSlsPrc", {**fields(key), "ITNO": line["ITNO"]}) for key, line in lines],
                        max_per_request=bulk_size, max_records=0)  # fmt: skip
    records: list[dict[str, Any]] = []
    for (key, line), result in zip(lines, breaks_of, strict=True):
        if not result.ok:
            raise result.error or M3GatewayError(f"OIS017MI/LstGradSlsPrc failed for {key} {line['ITNO']}")
        base = {"PRRF": key[0], "CUCD": key[1], "CUNO": key[2], "ITNO": line.get("ITNO", "").strip(),
                "FVDT": chosen[key]["FVDT"], "LVDT": chosen[key].get("LVDT", "")}  # fmt: skip
        records.append({**base, "QTYL": "1", "SAPR": line.get("SAPR", "")})
        records += [{**base, "QTYL": b.get("QTYL", ""), "SAPR": b.get("SAPR", "")} for b in result.records]
    valid, quarantined = gate(PriceSchema, records, store, ENTITY, key_field="ITNO")
    rows = {}
    for record in valid.to_dict("records"):
        row = {"prrf": record["PRRF"], "cucd": record["CUCD"], "cuno": record["CUNO"], "itno": record["ITNO"],
               "from_quantity": _decimal(record["QTYL"]), "price": _decimal(record["SAPR"]),
               "valid_from": m3_date(record, "FVDT"), "valid_to": m3_date(record, "LVDT")}  # fmt: skip
        rows[(row["prrf"], row["cucd"], row["cuno"], row["itno"], row["from_quantity"])] = row
    stored = replace_m3_prices(store, rows.values())
    return PriceRead(len(heads), [(*k, chosen[k]["FVDT"]) for k in keys], len(records), stored, quarantined)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        return Decimal(0)


__all__ = ["ENTITY", "PriceRead", "read_price_lists", "valid_lists"]

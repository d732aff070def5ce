"""Families of customer returns (OIS390): return heads, their lines, and the lines not credited yet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from prestashop_infor.sandbox.infor.models.families.family import (
    Family,
    Row,
    company_fields,
    echoed,
    field_set,
    numeric_key,
)
from prestashop_infor.sandbox.infor.models.records import (
    CREDIT_DONE,
    CREDIT_OPEN,
    CUSTOMER_ORDER_RORC,
    CustomerReturn,
    ReturnLine,
)

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant


def _returns(m3: M3Tenant, repn: str) -> list[CustomerReturn]:
    return [r for r in [m3.returns.get(numeric_key(repn))] if r is not None]


def _return_row(m3: M3Tenant, ret: CustomerReturn) -> Row:
    statuses = [line.rest for line in ret.lines] or ["00"]
    credits = [line.cres for line in ret.lines] or [CREDIT_OPEN]
    warehouse = m3.warehouses.get(ret.whlo)
    yea4, ivno = ret.invoice or ("", "")
    return {
        **echoed(ret.head), **company_fields(m3), "WHLO": ret.whlo, "REPN": ret.repn, "CUNO": ret.cuno,
        "FACI": warehouse.faci if warehouse else "", "PYNO": ret.cuno, "ORNO": ret.orno, "EPDT": ret.epdt,
        "RESL": min(statuses), "RESH": max(statuses), "CRSB": min(credits), "CRSH": max(credits),
        "RSCD": ret.rscd, "CUCD": ret.cucd, "IVNO": ivno, "YEA4": yea4, "IDIV": m3.divi if ivno else "",
        "EXIN": ivno, "RORC": CUSTOMER_ORDER_RORC if ret.orno else "", "LMTS": ret.lmts,
    }  # fmt: skip


CUSTOMER_RETURN = Family(
    "customer_return",
    key=("WHLO", "REPN"),
    objects=lambda m3: m3.returns.values(),
    row=_return_row,
    fields=field_set(
        "CONO DIVI WHLO REPN CUNO FACI PYNO ORNO EPDT RESL RESH CRSB CRSH RSCD CUCD IVNO YEA4 IDIV EXIN RORC LMTS"
    ),
    echo=(("OIS390MI", "AddHead"),),
    index={"REPN": _returns, "CUNO": lambda m3, v: [r for r in m3.returns.values() if r.cuno == v]},
    labels={"REPN": "Receiving number", "WHLO": "Warehouse"},
)


class ReturnLineRef(NamedTuple):
    ret: CustomerReturn
    line: ReturnLine


def _lines(returns: Iterable[CustomerReturn], open_only: bool = False) -> Iterable[ReturnLineRef]:
    for ret in returns:
        for line in ret.lines:
            if not (open_only and line.cres == CREDIT_DONE):
                yield ReturnLineRef(ret, line)


def _line_row(m3: M3Tenant, ref: ReturnLineRef) -> Row:
    ret, line = ref
    warehouse = m3.warehouses.get(ret.whlo)
    item = m3.items.get(line.itno)
    customer = m3.customers.get(ret.cuno)
    return {
        **echoed(line.fields), **company_fields(m3), "WHLO": ret.whlo, "REPN": ret.repn, "RELI": line.reli,
        "FACI": warehouse.faci if warehouse else "", "ORNO": line.orno, "PONR": line.ponr, "POSX": 0,
        "REST": line.rest, "ITNO": line.itno, "BANO": "", "EPDT": line.epdt, "REQ0": line.req0, "REQ1": line.req1,
        "REQ3": line.req1, "REQ7": line.req7, "SAPR": line.sapr, "CUPR": line.sapr, "RSCD": line.fields.get("RSCD") or ret.rscd,
        "CRES": line.cres, "UNMS": item.unms if item else "", "LOCD": ret.cucd, "RORC": CUSTOMER_ORDER_RORC if line.orno else "",
        "CUNO": ret.cuno, "CUNM": customer.cunm if customer else "", "ITDS": item.itds if item else "",
    }  # fmt: skip


_LINE_FIELDS = field_set(
    "CONO DIVI WHLO REPN RELI FACI ORNO PONR POSX REST ITNO BANO EPDT REQ0 REQ1 REQ3 REQ7 SAPR CUPR RSCD CRES "
    "UNMS LOCD RORC CUNO CUNM ITDS"
)

RETURN_LINE = Family(
    "return_line",
    key=("WHLO", "REPN", "RELI"),
    objects=lambda m3: _lines(m3.returns.values()),
    row=_line_row,
    fields=_LINE_FIELDS,
    echo=(("OIS390MI", "AddLine"),),
    index={"REPN": lambda m3, v: _lines(_returns(m3, v))},
    labels={"REPN": "Receiving number", "WHLO": "Warehouse", "RELI": "Line number"},
)

OPEN_RETURN_LINE = Family(
    "open_return_line",
    key=("WHLO", "REPN", "RELI"),
    objects=lambda m3: _lines(m3.returns.values(), open_only=True),
    row=_line_row,
    fields=_LINE_FIELDS,
    echo=(("OIS390MI", "AddLine"),),
    index={"REPN": lambda m3, v: _lines(_returns(m3, v), open_only=True)},
    labels={"REPN": "Receiving number", "WHLO": "Warehouse", "RELI": "Line number"},
)

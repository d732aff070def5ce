"""Families of customer orders: heads and lines, as the lifecycle moves them on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from prestashop_infor.sandbox.infor.models.families.family import (
    Family,
    Row,
    company_fields,
    echoed,
    field_set,
)
from prestashop_infor.sandbox.infor.models.records import CUSTOMER_ORDER_RORC, CustomerOrder, OrderLine
from prestashop_infor.sandbox.infor.models.values import money, parse_date

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant


def _orders(m3: M3Tenant, orno: str) -> list[CustomerOrder]:
    return [o for o in [m3.orders.get(orno)] if o is not None]


def _order_row(m3: M3Tenant, order: CustomerOrder) -> Row:
    head = order.head
    net = money(order.net_amount)
    vat = money(net * m3.lifecycle.vat_rate)
    customer = m3.customers.get(order.cuno)
    return {
        **echoed(head), **company_fields(m3, m3.division_of(order.faci)), "ORNO": order.orno, "ORDT": order.ordt, "STAT": order.stat,
        "FACI": order.faci, "CUOR": order.cuor, "CUCD": order.cucd, "NTAM": net, "ORSL": order.orsl,
        "ORST": order.orst, "ONET": net, "ORVA": net, "VTAM": vat, "TOAM": net + vat, "TOPY": net + vat,
        "BRAM": net, "CUNO": order.cuno, "WHLO": order.whlo, "RLDT": order.rldt, "OBLC": order.oblc,
        "DLIX": "1" if order.dlix else "0", "CUNM": customer.cunm if customer else "",
        "PYNO": head.get("PYNO") or order.cuno, "BLCD": "1" if customer and customer.credit_stop else "0",
        "LMTS": order.lmts, "PBAM": 0,
    }  # fmt: skip


ORDER = Family(
    "order",
    key=("ORNO",),
    objects=lambda m3: m3.orders.values(),
    row=_order_row,
    fields=field_set(
        "CONO DIVI ORNO ORDT STAT FACI CUOR CUCD NTAM ORSL ORST ONET ORVA VTAM TOAM TOPY BRAM CUNO WHLO RLDT "
        "OBLC DLIX CUNM PYNO BLCD LMTS PBAM"
    ),
    echo=(("OIS100MI", "AddBatchHead"),),
    index={
        "ORNO": _orders,
        "CUNO": lambda m3, v: [o for o in m3.orders.values() if o.cuno == v],
        "CUOR": lambda m3, v: m3.orders_of_cuor(v),
    },
    ordered={"ORDT": lambda m3, v: m3.orders_from_date(v)},
    labels={"ORNO": "Order number"},
)


class LineRef(NamedTuple):
    order: CustomerOrder
    line: OrderLine


def _order_lines(orders: Iterable[CustomerOrder]) -> Iterable[LineRef]:
    for order in orders:
        for line in order.lines:
            yield LineRef(order, line)


def _line_row(m3: M3Tenant, ref: LineRef) -> Row:
    order, line = ref
    item = m3.items.get(line.itno)
    unit = item.unms if item else ""
    return {
        **echoed(line.fields), **company_fields(m3, m3.division_of(order.faci)), "ORNO": order.orno, "PONR": line.ponr, "POSX": 0,
        "ITNO": line.itno, "ITDS": line.itds, "ORQT": line.orqt, "ORQA": line.orqt, "WHLO": line.whlo,
        "SAPR": line.sapr, "ORST": line.status, "NLAM": line.net_amount, "LNAM": line.net_amount,
        "NEPR": line.net_price, "CUCD": order.cucd, "CUOR": line.cuor, "ALQT": line.alqt, "PLQT": line.plqt,
        "DLQT": line.dlqt, "IVQT": line.ivqt, "DIP1": line.discount_pct,
        "DWDT": parse_date(line.fields, "DWDT") or order.rldt, "CODT": order.rldt or order.ordt,
        "RIDN": order.orno, "RIDL": line.ponr, "RIDX": 0, "UNMS": unit, "ALUN": line.fields.get("ALUN") or unit,
        "SPUN": unit, "CUNO": order.cuno, "FACI": order.faci, "DLIX": line.dlix, "MODL": order.head.get("MODL", ""),
        "TEPY": order.head.get("TEPY", ""), "RORC": CUSTOMER_ORDER_RORC, "LMTS": order.lmts,
    }  # fmt: skip


ORDER_LINE = Family(
    "order_line",
    key=("ORNO", "PONR", "POSX"),
    objects=lambda m3: _order_lines(m3.orders.values()),
    row=_line_row,
    fields=field_set(
        "CONO DIVI ORNO PONR POSX ITNO ITDS ORQT ORQA WHLO SAPR ORST NLAM LNAM NEPR CUCD CUOR ALQT PLQT DLQT "
        "IVQT DIP1 DWDT CODT RIDN RIDL RIDX UNMS ALUN SPUN CUNO FACI DLIX MODL TEPY RORC LMTS"
    ),
    echo=(("OIS100MI", "AddBatchLine"),),
    index={
        "ORNO": lambda m3, v: _order_lines(_orders(m3, v)),
        "CUNO": lambda m3, v: _order_lines(o for o in m3.orders.values() if o.cuno == v),
    },
    labels={"ORNO": "Order number", "PONR": "Order line"},
)

"""Families of what leaves the warehouse: deliveries with their consignee addresses and lines,
picking lists and shipments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from prestashop_infor.sandbox.infor.models.families.family import (
    Family,
    Row,
    company_fields,
    field_set,
    numeric_key,
)
from prestashop_infor.sandbox.infor.models.records import (
    CUSTOMER_ORDER_RORC,
    CustomerOrder,
    Delivery,
    OrderLine,
)

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant

PICK_TRANSACTION_TYPE = "31"  # M3 stock transaction type of a customer order issue


def _deliveries(m3: M3Tenant, dlix: str) -> list[Delivery]:
    return [d for d in [m3.deliveries.get(numeric_key(dlix))] if d is not None]


def _deliveries_of_order(m3: M3Tenant, orno: str) -> list[Delivery]:
    order = m3.orders.get(orno)
    numbers = sorted({line.dlix for line in order.lines if line.dlix}) if order else []
    return [m3.deliveries[dlix] for dlix in numbers if dlix in m3.deliveries]


def _delivery_row(m3: M3Tenant, d: Delivery) -> Row:
    order = m3.orders.get(d.orno)
    head = order.head if order else {}
    cuno = order.cuno if order else ""
    return {
        **company_fields(m3), "DLIX": d.dlix, "CONN": d.conn, "IVNO": d.ivno, "IVDT": d.ivdt, "CUOR": d.cuor,
        "MODL": d.modl, "MODF": d.modl, "RORC": CUSTOMER_ORDER_RORC, "WHLO": d.whlo, "RIDN": d.orno,
        "PGRS": d.pgrs, "PIST": "90" if d.conn else "10", "PLSX": d.plsx, "ETRN": d.etrn, "FWNO": d.fwno,
        "DSDT": d.dsdt, "DSHM": d.dshm, "NBOL": d.etrn[:17] if d.etrn else "", "CONA": cuno, "CUNO": cuno,
        "YREF": head.get("YREF", ""), "TEDL": head.get("TEDL", ""), "RGDT": d.created, "LMTS": d.lmts,
    }  # fmt: skip


DELIVERY = Family(
    "delivery",
    key=("DLIX",),
    objects=lambda m3: m3.deliveries.values(),
    row=_delivery_row,
    fields=field_set(
        "CONO DIVI DLIX CONN IVNO IVDT CUOR MODL MODF RORC WHLO RIDN PGRS PIST PLSX ETRN FWNO DSDT DSHM NBOL "
        "CONA CUNO YREF TEDL RGDT LMTS"
    ),
    index={
        "DLIX": _deliveries,
        "CONN": lambda m3, v: [d for d in m3.deliveries.values() if d.conn == numeric_key(v)],
        "RIDN": _deliveries_of_order,
    },
    labels={"DLIX": "Delivery number", "CONN": "Shipment"},
)


class DeliveryAddress(NamedTuple):
    delivery: Delivery
    adrt: int
    stored: dict[str, str]


def _delivery_addresses(m3: M3Tenant, deliveries: Iterable[Delivery]) -> Iterable[DeliveryAddress]:
    """The consignee address of a delivery: its order's delivery address (ADRT 1)."""
    for d in deliveries:
        order = m3.orders.get(d.orno)
        batch = m3.batch_orders.get(order.batch_orno) if order else None
        if batch is not None and "1" in batch.addresses:
            yield DeliveryAddress(d, 1, batch.addresses["1"])


def _delivery_address_row(m3: M3Tenant, a: DeliveryAddress) -> Row:
    s = a.stored
    order = m3.orders.get(a.delivery.orno)
    return {
        **company_fields(m3), "DLIX": a.delivery.dlix, "ADRT": a.adrt, "CONA": order.cuno if order else "",
        "NAME": s.get("CUNM", ""), "ADR1": s.get("CUA1", ""), "ADR2": s.get("CUA2", ""), "ADR3": s.get("CUA3", ""),
        "ADR4": s.get("CUA4", ""), "PONO": s.get("PONO", ""), "CSCD": s.get("CSCD", ""), "ECAR": s.get("ECAR", ""),
        "TOWN": s.get("TOWN", ""), "FACI": order.faci if order else "",
    }  # fmt: skip


DELIVERY_ADDRESS = Family(
    "delivery_address",
    key=("DLIX", "ADRT"),
    objects=lambda m3: _delivery_addresses(m3, m3.deliveries.values()),
    row=_delivery_address_row,
    fields=field_set("CONO DIVI DLIX ADRT CONA NAME ADR1 ADR2 ADR3 ADR4 PONO CSCD ECAR TOWN FACI"),
    index={"DLIX": lambda m3, v: _delivery_addresses(m3, _deliveries(m3, v))},
    labels={"DLIX": "Delivery number"},
)


class DeliveryLine(NamedTuple):
    delivery: Delivery
    order: CustomerOrder
    line: OrderLine


def _delivery_lines(m3: M3Tenant, deliveries: Iterable[Delivery]) -> Iterable[DeliveryLine]:
    for d in deliveries:
        order = m3.orders.get(d.orno)
        if order is None:
            continue
        for line in order.lines:
            if line.dlix == d.dlix:
                yield DeliveryLine(d, order, line)


def _delivery_line_row(m3: M3Tenant, ref: DeliveryLine) -> Row:
    d, order, line = ref
    item = m3.items.get(line.itno)
    balance = m3.balances.get((line.whlo, line.itno))
    return {
        **company_fields(m3), "DLIX": d.dlix, "RIDI": d.dlix, "RORC": CUSTOMER_ORDER_RORC, "RIDN": order.orno,
        "RIDL": line.ponr, "RIDX": 0, "ORNO": order.orno, "PONR": line.ponr, "POSX": 0, "ITNO": line.itno,
        "ITDS": line.itds, "MODL": d.modl, "TRQT": line.orqt, "PLQT": line.plqt - line.dlqt if line.plqt > line.dlqt else 0,
        "PGRS": d.pgrs, "WHLO": line.whlo, "DLQT": line.dlqt, "UNMS": item.unms if item else "",
        "ALUN": item.unms if item else "", "SPUN": item.unms if item else "", "CUOR": line.cuor, "SAPR": line.sapr,
        "NEPR": line.net_price, "LNAM": line.net_amount, "CUCD": order.cucd, "PLSX": d.plsx,
        "TTYP": PICK_TRANSACTION_TYPE, "WHSL": balance.location if balance else "", "ALQT": line.alqt,
        "CONN": d.conn, "TEPY": order.head.get("TEPY", ""), "ORST": line.status, "CUNO": order.cuno,
        "DSDT": d.dsdt, "QTY1": line.orqt, "QTY2": line.dlqt,
    }  # fmt: skip


DELIVERY_LINE = Family(
    "delivery_line",
    key=("DLIX", "RIDN", "RIDL", "RIDX"),
    objects=lambda m3: _delivery_lines(m3, m3.deliveries.values()),
    row=_delivery_line_row,
    fields=field_set(
        "CONO DIVI DLIX RIDI RORC RIDN RIDL RIDX ORNO PONR POSX ITNO ITDS MODL TRQT PLQT PGRS WHLO DLQT UNMS "
        "ALUN SPUN CUOR SAPR NEPR LNAM CUCD PLSX TTYP WHSL ALQT CONN TEPY ORST CUNO DSDT QTY1 QTY2"
    ),
    index={
        "DLIX": lambda m3, v: _delivery_lines(m3, _deliveries(m3, v)),
        "RIDI": lambda m3, v: _delivery_lines(m3, _deliveries(m3, v)),
        "ORNO": lambda m3, v: _delivery_lines(m3, _deliveries_of_order(m3, v)),
    },
    labels={
        "DLIX": "Delivery number",
        "RIDI": "Delivery number",
        "ORNO": "Order number",
        "PONR": "Order line",
    },
)


def _picking_list_row(m3: M3Tenant, d: Delivery) -> Row:
    order = m3.orders.get(d.orno)
    return {
        **company_fields(m3), "WHLO": d.whlo, "DLIX": d.dlix, "PLSX": d.plsx, "PISS": "90" if d.conn else "40",
        "PGRS": d.pgrs, "PIST": "90" if d.conn else "10", "CUNO": order.cuno if order else "", "DSDT": d.dsdt,
        "DSHM": d.dshm, "RGDT": d.created, "LMDT": d.dsdt or d.created, "CONN": d.conn, "RORC": CUSTOMER_ORDER_RORC,
    }  # fmt: skip


PICKING_LIST = Family(
    "picking_list",
    key=("DLIX", "PLSX"),
    objects=lambda m3: m3.deliveries.values(),
    row=_picking_list_row,
    fields=field_set("CONO DIVI WHLO DLIX PLSX PISS PGRS PIST CUNO DSDT DSHM RGDT LMDT CONN RORC"),
    index={
        "DLIX": _deliveries,
        "CONN": lambda m3, v: [d for d in m3.deliveries.values() if d.conn == numeric_key(v)],
    },
    labels={"DLIX": "Delivery number", "PLSX": "Picking list suffix"},
)

SHIPMENT = Family(
    "shipment",
    key=("CONN",),
    objects=lambda m3: m3.shipments.values(),
    row=lambda m3, s: {
        **company_fields(m3),
        "CONN": s.conn,
        "DSDT": s.dsdt,
        "DSHM": s.dshm,
        "CSTH": s.csth,
        "CSTL": s.cstl,
        "FWNO": s.fwno,
        "CLOS": "1" if s.closed else "0",
        "WHLO": s.whlo,
        "RGDT": s.rgdt,
        "LMTS": s.lmts,
    },  # fmt: skip
    fields=field_set("CONO DIVI CONN DSDT DSHM CSTH CSTL FWNO CLOS WHLO RGDT LMTS"),
    index={"CONN": lambda m3, v: [s for s in [m3.shipments.get(numeric_key(v))] if s is not None]},
    labels={"CONN": "Shipment"},
)

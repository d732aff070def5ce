"""Families of the interface messages M3 keeps: MMS850MI stock messages and MHS850MI
warehouse-interface messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prestashop_infor.sandbox.infor.models.families.family import Family, Row, company_fields, field_set
from prestashop_infor.sandbox.infor.models.records import CUSTOMER_ORDER_RORC, StockMessage, WarehouseMessage

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant


def _stock_message_row(m3: M3Tenant, msg: StockMessage) -> Row:
    warehouse = m3.warehouses.get(msg.whlo)
    created = msg.created
    return {
        "CONO": m3.cono, "MSNR": msg.msnr, "MSGN": msg.msnr, "MSLN": 1, "MSGS": 90, "E0PA": msg.partner,
        "E0PB": msg.partner, "E065": msg.e065, "PMSN": msg.pmsn, "WHLO": msg.whlo, "ITNO": msg.itno,
        "QLQT": msg.quantity, "RSCD": msg.rscd, "STAT": "90", "FACI": warehouse.faci if warehouse else "",
        "GEDT": created.date() if created else None, "GETM": created.strftime("%H%M%S") if created else "",
        "LMTS": msg.lmts,
    }  # fmt: skip


STOCK_MESSAGE = Family(
    "stock_message",
    key=("MSNR",),
    objects=lambda m3: m3.stock_messages.values(),
    row=_stock_message_row,
    fields=field_set(
        "CONO MSNR MSGN MSLN MSGS E0PA E0PB E065 PMSN WHLO ITNO QLQT RSCD STAT FACI GEDT GETM LMTS"
    ),
    index={
        "MSNR": lambda m3, v: [m for m in m3.stock_messages.values() if m.msnr == v],
        "E0PB": lambda m3, v: [m for m in m3.stock_messages.values() if m.partner == v],
    },
    labels={"MSNR": "Message number", "PMSN": "External message number", "E0PB": "Partner"},
)


def _warehouse_message_row(m3: M3Tenant, msg: WarehouseMessage) -> Row:
    warehouse = m3.warehouses.get(msg.whlo)
    return {
        **company_fields(m3), "MSGN": msg.msgn, "E0PA": msg.partner, "E0PB": msg.partner, "E065": msg.e065,
        "PMSN": msg.pmsn, "WHLO": msg.whlo, "FACI": warehouse.faci if warehouse else "", "RIDN": msg.orno,
        "RIDI": msg.dlix, "PLSX": msg.plsx, "CUNO": msg.cuno, "CUOR": msg.cuor, "STAT": "90",
        "ORCA": CUSTOMER_ORDER_RORC, "GEDT": msg.created.date(), "GETM": msg.created.strftime("%H%M%S"),
        "LMTS": msg.lmts,
    }  # fmt: skip


WAREHOUSE_MESSAGE = Family(
    "warehouse_message",
    key=("MSGN",),
    objects=lambda m3: m3.warehouse_messages.values(),
    row=_warehouse_message_row,
    fields=field_set(
        "CONO DIVI MSGN E0PA E0PB E065 PMSN WHLO FACI RIDN RIDI PLSX CUNO CUOR STAT ORCA GEDT GETM LMTS"
    ),
    index={
        "MSGN": lambda m3, v: [m for m in [m3.warehouse_messages.get(v)] if m is not None],
        "E0PB": lambda m3, v: [m for m in m3.warehouse_messages.values() if m.partner == v],
    },
    labels={"MSGN": "Message number", "PMSN": "External message number", "E0PB": "Partner"},
)

"""Families of the item master and stock: items, warehouses, and the balance of each item in each
warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prestashop_infor.sandbox.infor.models.families.family import Family, Row, company_fields, field_set
from prestashop_infor.sandbox.infor.models.records import Balance, Item, Warehouse

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant


def _item_row(m3: M3Tenant, item: Item) -> Row:
    return {
        **company_fields(m3), "ITNO": item.itno, "ITDS": item.itds, "FUDS": item.fuds, "STAT": item.stat,
        "UNMS": item.unms, "ITTY": item.itty, "ITGR": item.itgr, "SPUN": item.unms, "ALUN": item.unms,
        "PUUN": item.unms, "PPUN": item.unms, "DCCD": "0", "LMDT": item.lmdt, "RGDT": item.lmdt,
        "LMTS": item.lmts, "SAPR": item.price, "FACI": m3.default_facility, "LNCD": "GB", "CHNO": item.chno,
    }  # fmt: skip


ITEM = Family(
    "item",
    key=("ITNO",),
    objects=lambda m3: m3.items.values(),
    row=_item_row,
    fields=field_set(
        "CONO DIVI ITNO ITDS FUDS STAT UNMS ITTY ITGR SPUN ALUN PUUN PPUN DCCD LMDT RGDT LMTS SAPR FACI LNCD "
        "CHNO"
    ),
    index={"ITNO": lambda m3, v: [i for i in [m3.items.get(v)] if i is not None]},
    labels={"ITNO": "Item number"},
)


def _warehouse_row(m3: M3Tenant, w: Warehouse) -> Row:
    return {**company_fields(m3, m3.division_of(w.faci)), "WHLO": w.whlo, "WHNM": w.whnm, "FACI": w.faci,
            "CSCD": w.cscd, "TOWN": w.town, "LMTS": w.lmts}  # fmt: skip


WAREHOUSE = Family(
    "warehouse",
    key=("WHLO",),
    objects=lambda m3: m3.warehouses.values(),
    row=_warehouse_row,
    fields=field_set("CONO DIVI WHLO WHNM FACI CSCD TOWN LMTS"),
    index={"WHLO": lambda m3, v: [w for w in [m3.warehouses.get(v)] if w is not None]},
    labels={"WHLO": "Warehouse"},
)


def _balance_row(m3: M3Tenant, b: Balance) -> Row:
    item = m3.items.get(b.itno)
    warehouse = m3.warehouses.get(b.whlo)
    return {
        **company_fields(m3), "WHLO": b.whlo, "ITNO": b.itno, "WHNM": warehouse.whnm if warehouse else "",
        "FACI": warehouse.faci if warehouse else "", "ITDS": item.itds if item else "",
        "FUDS": item.fuds if item else "", "UNMS": item.unms if item else "", "ITTY": item.itty if item else "",
        "ITGR": item.itgr if item else "", "STAT": item.stat if item else "", "STQT": b.on_hand,
        "ALQT": b.allocated, "AV01": b.allocatable, "AVAL": b.allocatable, "AV02": b.on_hand, "PLQT": b.picking,
        "REQT": 0, "ORQT": 0, "QUQT": 0, "RJQT": 0, "WHSL": b.location, "STAS": "2", "ALOC": "1",
        "MVB1": b.allocatable, "MVB2": b.on_hand - b.picking, "LMDT": b.lmdt, "LMTS": b.lmts,
        "AVTQ": b.allocatable, "AVTD": m3.today(), "AVDT": m3.today(), "BANO": "", "CAMU": "", "REPN": "",
    }  # fmt: skip


def _balances_of_item(m3: M3Tenant, itno: str) -> list[Balance]:
    return [b for (_, i), b in m3.balances.items() if i == itno]


BALANCE = Family(
    "balance",
    key=("WHLO", "ITNO"),
    objects=lambda m3: m3.balances.values(),
    row=_balance_row,
    fields=field_set(
        "CONO DIVI WHLO ITNO WHNM FACI ITDS FUDS UNMS ITTY ITGR STAT STQT ALQT AV01 AVAL AV02 PLQT REQT ORQT "
        "QUQT RJQT WHSL STAS ALOC MVB1 MVB2 LMDT LMTS AVTQ AVTD AVDT BANO CAMU REPN"
    ),
    index={
        "ITNO": _balances_of_item,
        "WHLO": lambda m3, v: [b for (w, _), b in m3.balances.items() if w == v],
    },
    labels={"ITNO": "Item number", "WHLO": "Warehouse"},
)

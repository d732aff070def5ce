"""Families of the sales price lists (OIS017MI, ``models/prices.py``): heads, item lines, quantity
breaks.

A list's identity is ``PRRF, CUCD, CUNO, FVDT``; the family keys leave ``CUNO`` out because the reads
address it as a blank-when-not-given key (``ReadRule.blank``), so a ``Get`` of a list never needs a
customer. Lines and breaks carry their list's keys; ``LVDT`` of a line is its own valid-to date, else
the list's. Scales and matrix start values are not kept: ``MXID``, ``OBV1``-``OBV3`` and the like are
blank."""

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
from prestashop_infor.sandbox.infor.models.records import BasePrice, GradPrice, PriceList

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant

LABELS = {"PRRF": "Price list", "CUCD": "Currency", "CUNO": "Price list of customer", "FVDT": "Valid from",
          "ITNO": "Item number", "QTYL": "Lowest quantity limit"}  # fmt: skip
NOT_KEPT = {"FMID": "", "RESI": "", "MXID": "", "SGGU": "", "OBV1": "", "OBV2": "", "OBV3": ""}


def _head(m3: M3Tenant, p: PriceList) -> Row:
    return {
        **company_fields(m3),
        "PRRF": p.prrf,
        "CUCD": p.cucd,
        "CUNO": p.cuno,
        "FVDT": p.fvdt,
        "TX15": p.tx15,
    }


def _price_list_row(m3: M3Tenant, p: PriceList) -> Row:
    return {**echoed(p.fields), **_head(m3, p), "LVDT": p.lvdt, "TX40": p.tx40, "CRTP": p.crtp, "RGDT": p.rgdt,
            "LMDT": p.lmdt, "CHNO": p.chno, "LMTS": p.lmts}  # fmt: skip


PRICE_LIST = Family(
    "price_list",
    key=("PRRF", "CUCD", "FVDT"),
    objects=lambda m3: m3.price_lists.values(),
    row=_price_list_row,
    fields=field_set("CONO DIVI PRRF CUCD CUNO FVDT TX15 LVDT TX40 CRTP RGDT LMDT CHNO LMTS"),
    echo=(("OIS017MI", "AddPriceList"), ("OIS017MI", "ChgPriceList")),
    index={"PRRF": lambda m3, v: m3.price_lists_named(v)},
    labels=LABELS,
)


class LineRef(NamedTuple):
    price_list: PriceList
    line: BasePrice


def _lines(lists: Iterable[PriceList]) -> Iterable[LineRef]:
    for p in lists:
        for line in p.lines.values():
            yield LineRef(p, line)


def _base_price_row(m3: M3Tenant, ref: LineRef) -> Row:
    p, line = ref
    return {
        **_head(m3, p), **NOT_KEPT, "ITNO": line.itno, "SAPR": line.sapr, "SACD": line.sacd, "SPUN": line.spun,
        "NTCD": line.ntcd, "CMNO": line.cmno, "VFDT": line.vfdt, "LVDT": line.lvdt or p.lvdt, "RGDT": line.rgdt,
        "LMDT": line.lmdt, "CHNO": line.chno, "LMTS": line.lmts,
    }  # fmt: skip


BASE_PRICE = Family(
    "base_price",
    key=("PRRF", "CUCD", "FVDT", "ITNO"),
    objects=lambda m3: _lines(m3.price_lists.values()),
    row=_base_price_row,
    fields=field_set(
        "CONO DIVI PRRF CUCD CUNO FVDT TX15 FMID RESI MXID SGGU OBV1 OBV2 OBV3 ITNO SAPR SACD SPUN NTCD CMNO "
        "VFDT LVDT RGDT LMDT CHNO LMTS"
    ),
    index={"PRRF": lambda m3, v: _lines(m3.price_lists_named(v))},
    labels=LABELS,
)


class BreakRef(NamedTuple):
    price_list: PriceList
    line: BasePrice
    brk: GradPrice


def _breaks(lists: Iterable[PriceList]) -> Iterable[BreakRef]:
    for p, line in _lines(lists):
        for brk in line.breaks.values():
            yield BreakRef(p, line, brk)


def _breaks_of_item(m3: M3Tenant, itno: str) -> Iterable[BreakRef]:
    for p in m3.price_lists.values():
        line = p.lines.get(itno)
        if line is not None:
            for brk in line.breaks.values():
                yield BreakRef(p, line, brk)


def _graduated_price_row(m3: M3Tenant, ref: BreakRef) -> Row:
    p, line, brk = ref
    return {**_head(m3, p), **NOT_KEPT, "ITNO": line.itno, "VFDT": line.vfdt, "QTYL": brk.qtyl, "PCOF": brk.pcof,
            "SAPR": brk.sapr, "LMDT": brk.lmdt, "LMTS": brk.lmts}  # fmt: skip


GRADUATED_PRICE = Family(
    "graduated_price",
    key=("PRRF", "CUCD", "FVDT", "ITNO", "QTYL"),
    objects=lambda m3: _breaks(m3.price_lists.values()),
    row=_graduated_price_row,
    fields=field_set(
        "CONO DIVI PRRF CUCD CUNO FVDT TX15 FMID RESI MXID SGGU OBV1 OBV2 OBV3 ITNO VFDT QTYL PCOF SAPR LMDT LMTS"
    ),
    # by item first: a price read asks for one item's breaks, of a list that may hold thousands
    index={
        "ITNO": lambda m3, v: _breaks_of_item(m3, v),
        "PRRF": lambda m3, v: _breaks(m3.price_lists_named(v)),
    },
    labels=LABELS,
)

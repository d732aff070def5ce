"""Families of orders being entered (OIS100MI batch orders): heads, lines, addresses, errors and
texts. Addresses and texts stay readable by the final order number once the batch order is confirmed."""

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
from prestashop_infor.sandbox.infor.models.records import BATCH_CREDIT_STOP, BatchLine, BatchOrder
from prestashop_infor.sandbox.infor.models.values import parse_date

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant

TEXT_WIDTH = 60  # characters of a text line (TX60)


def _batch_row(m3: M3Tenant, batch: BatchOrder) -> Row:
    head = batch.head
    order = m3.orders.get(batch.ornr)
    customer = m3.customers.get(batch.cuno)
    return {
        **echoed(head), **company_fields(m3), "ORNO": batch.orno, "CUNO": batch.cuno, "STAT": batch.stat,
        "ORNR": batch.ornr, "ORDT": parse_date(head, "ORDT") or batch.created.date(),
        "RLDT": parse_date(head, "RLDT"), "ORSL": order.orsl if order else "", "ORST": order.orst if order else "",
        "CUCD": head.get("CUCD") or (customer.cucd if customer else ""),
        "OBLC": "1" if batch.stat == BATCH_CREDIT_STOP else "", "RGDT": batch.created.date(),
    }  # fmt: skip


def _batches(m3: M3Tenant, orno: str) -> list[BatchOrder]:
    return [b for b in [m3.batch_orders.get(orno)] if b is not None]


BATCH_ORDER = Family(
    "batch_order",
    key=("ORNO",),
    objects=lambda m3: m3.batch_orders.values(),
    row=_batch_row,
    fields=field_set("CONO DIVI ORNO CUNO STAT ORNR ORDT RLDT ORSL ORST CUCD OBLC RGDT"),
    echo=(("OIS100MI", "AddBatchHead"),),
    index={"ORNO": _batches, "CUNO": lambda m3, v: [b for b in m3.batch_orders.values() if b.cuno == v]},
    labels={"ORNO": "Batch order"},
)


class BatchLineRef(NamedTuple):
    batch: BatchOrder
    line: BatchLine


def _batch_lines(batches: Iterable[BatchOrder]) -> Iterable[BatchLineRef]:
    for batch in batches:
        for line in batch.lines:
            yield BatchLineRef(batch, line)


def _batch_line_row(m3: M3Tenant, ref: BatchLineRef) -> Row:
    line = ref.line
    item = m3.items.get(line.itno)
    return {
        **echoed(line.fields), **company_fields(m3), "ORNO": ref.batch.orno, "PONR": line.ponr, "POSX": 0,
        "ITNO": line.itno, "ORQT": line.orqt, "SAPR": line.sapr, "WHLO": line.whlo,
        "ITDS": line.fields.get("ITDS", ""), "CUPO": line.fields.get("CUPO", ""), "ATNR": 0,
        "ITTY": item.itty if item else "", "CUNO": ref.batch.cuno,
    }  # fmt: skip


BATCH_LINE = Family(
    "batch_line",
    key=("ORNO", "PONR", "POSX"),
    objects=lambda m3: _batch_lines(m3.batch_orders.values()),
    row=_batch_line_row,
    fields=field_set("CONO DIVI ORNO PONR POSX ITNO ORQT SAPR WHLO ITDS CUPO ATNR ITTY CUNO"),
    echo=(("OIS100MI", "AddBatchLine"),),
    index={"ORNO": lambda m3, v: _batch_lines(_batches(m3, v))},
    labels={"ORNO": "Batch order", "PONR": "Order line"},
)


class AddressRef(NamedTuple):
    orno: str  # the number the address is read by (temporary, or the final order's)
    batch: BatchOrder
    adrt: str
    stored: dict[str, str]


def _batch_addresses(batches: Iterable[BatchOrder], final_numbers: bool) -> Iterable[AddressRef]:
    for batch in batches:
        for adrt, stored in sorted(batch.addresses.items()):
            yield AddressRef(batch.orno, batch, adrt, stored)
            if final_numbers and batch.ornr:
                yield AddressRef(batch.ornr, batch, adrt, stored)


def _address_row(m3: M3Tenant, ref: AddressRef) -> Row:
    return {**echoed(ref.stored), **company_fields(m3), "ORNO": ref.orno, "ADRT": int(ref.adrt)}


def _batches_by_any_number(m3: M3Tenant, orno: str) -> list[BatchOrder]:
    order = m3.orders.get(orno)
    return _batches(m3, order.batch_orno if order else orno)


BATCH_ADDRESS = Family(
    "batch_address",
    key=("ORNO", "ADRT"),
    objects=lambda m3: _batch_addresses(m3.batch_orders.values(), final_numbers=False),
    row=_address_row,
    fields=field_set("CONO DIVI ORNO ADRT"),
    echo=(("OIS100MI", "AddBatchAddress"),),
    index={"ORNO": lambda m3, v: _batch_addresses(_batches(m3, v), final_numbers=False)},
    labels={"ORNO": "Batch order", "ADRT": "Address type"},
)
ORDER_ADDRESS = Family(
    "order_address",
    key=("ORNO", "ADRT"),
    objects=lambda m3: _batch_addresses(m3.batch_orders.values(), final_numbers=True),
    row=_address_row,
    fields=BATCH_ADDRESS.fields,
    echo=BATCH_ADDRESS.echo,
    index={"ORNO": lambda m3, v: _batch_addresses(_batches_by_any_number(m3, v), final_numbers=True)},
    labels={"ORNO": "Order number", "ADRT": "Address type"},
)


class BatchError(NamedTuple):
    batch: BatchOrder
    seqn: int
    levl: str
    msid: str
    mdta: str
    tx60: str


def _batch_errors(batches: Iterable[BatchOrder]) -> Iterable[BatchError]:
    for batch in batches:
        for n, (levl, msid, mdta, tx60) in enumerate(batch.errors, start=1):
            yield BatchError(batch, n, levl, msid, mdta, tx60)


BATCH_ERROR = Family(
    "batch_error",
    key=("ORNO", "SEQN"),
    objects=lambda m3: _batch_errors(m3.batch_orders.values()),
    row=lambda m3, e: {
        "ORNO": e.batch.orno,
        "SEQN": e.seqn,
        "LEVL": e.levl,
        "MSID": e.msid,
        "MDTA": e.mdta,
        "TX60": e.tx60,
    },  # fmt: skip
    fields=field_set("ORNO SEQN LEVL MSID MDTA TX60"),
    index={"ORNO": lambda m3, v: _batch_errors(_batches(m3, v))},
    labels={"ORNO": "Batch order"},
)


class TextLine(NamedTuple):
    orno: str
    ponr: int
    tytr: int
    lino: int
    text: str
    stored: dict[str, str]


def _text_lines(batches: Iterable[BatchOrder], head: bool) -> Iterable[TextLine]:
    """Order texts (AddBatchText) cut into TX60 lines, readable by the temporary and the final number."""
    for batch in batches:
        numbers = [batch.orno] + ([batch.ornr] if batch.ornr else [])
        lino: dict[tuple[int, int], int] = {}
        lines = []
        for stored in batch.texts:
            if (stored.get("TYPE") == "1") != head:
                continue
            ponr = int(stored.get("PONR") or 0)
            tytr = int(stored.get("TYTR") or 0)
            text = stored.get("PARM", "")
            for start in range(0, max(len(text), 1), TEXT_WIDTH):
                lino[(ponr, tytr)] = lino.get((ponr, tytr), 0) + 1
                lines.append((ponr, tytr, lino[(ponr, tytr)], text[start : start + TEXT_WIDTH], stored))
        for orno in numbers:
            for ponr, tytr, n, text, stored in lines:
                yield TextLine(orno, ponr, tytr, n, text, stored)


def _text_row(m3: M3Tenant, t: TextLine) -> Row:
    return {**company_fields(m3), "ORNO": t.orno, "PONR": t.ponr, "POSX": 0, "TYTR": t.tytr, "LINO": t.lino,
            "TX60": t.text, "TXVR": t.stored.get("TXHE", ""), "LNCD": t.stored.get("LNCD", "")}  # fmt: skip


def _text_family(name: str, head: bool, key: tuple[str, ...]) -> Family:
    return Family(
        name,
        key=key,
        objects=lambda m3: _text_lines(m3.batch_orders.values(), head),
        row=_text_row,
        fields=field_set("CONO DIVI ORNO PONR POSX TYTR LINO TX60 TXVR LNCD"),
        index={"ORNO": lambda m3, v: _text_lines(_batches_by_any_number(m3, v), head)},
        labels={"ORNO": "Order number", "PONR": "Order line"},
    )


ORDER_HEAD_TEXT = _text_family("order_head_text", True, ("ORNO", "TYTR", "LINO"))
ORDER_LINE_TEXT = _text_family("order_line_text", False, ("ORNO", "PONR", "POSX", "TYTR", "LINO"))

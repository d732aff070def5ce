"""Families of what is billed and owed: invoices, invoice lines and customer receivables.

Credit notes (a customer return credited, ``models/returns.py``) are invoices too, with negative
amounts: listed with their order's invoices, ``RXIN``/``RYEA`` naming the invoice they correct, their
lines the returned quantities (negative ``IVQT``), their receivable a negative ``CUAM``. The
emulator uses no invoice prefix, so an invoice's extended number ``EXIN`` is its number."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from prestashop_infor.sandbox.infor.models.families.family import (
    Family,
    Row,
    company_fields,
    field_set,
    numeric_key,
)
from prestashop_infor.sandbox.infor.models.records import CustomerOrder, Invoice, OrderLine
from prestashop_infor.sandbox.infor.models.values import money

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant


def _invoice_row(m3: M3Tenant, inv: Invoice) -> Row:
    order = m3.orders.get(inv.orno)
    customer = m3.customers.get(inv.cuno)
    delivery = m3.deliveries.get(inv.dlix)
    name = customer.cunm if customer else ""
    head = order.head if order else {}
    ryea, rxin = inv.credited or ("", "")
    return {
        **company_fields(m3, inv.divi), "ORNO": inv.orno, "WHLO": order.whlo if order else "", "DLIX": inv.dlix,
        "IVNO": inv.ivno,
        "YEA4": inv.yea4, "IVDT": inv.ivdt, "IDAT": inv.ivdt, "RGDT": inv.ivdt, "CUNO": inv.cuno, "CUN1": name,
        "CUNM": name, "PYNO": inv.cuno, "CUN2": name, "ORST": order.orst if order else "", "CONN": inv.conn,
        "AMT1": inv.gross, "AMT2": inv.net, "IVAV": inv.gross, "VTAM": inv.vat, "CUCD": inv.cucd, "DUDT": inv.dudt,
        "RAFC": inv.remaining, "INST": "80" if inv.reco == "9" else "70", "RECO": inv.reco,
        "TEPY": head.get("TEPY", ""), "MODL": head.get("MODL", ""), "TEDL": head.get("TEDL", ""),
        "FACI": order.faci if order else "", "DLDT": delivery.dsdt if delivery else None, "CINO": inv.cino,
        "EXIN": inv.ivno, "RXIN": rxin, "RYEA": ryea,
    }  # fmt: skip


def _invoices(m3: M3Tenant, ivno: str) -> list[Invoice]:
    return [inv for inv in m3.invoices.values() if inv.ivno == numeric_key(ivno)]


def _invoices_of_order(m3: M3Tenant, orno: str) -> list[Invoice]:
    """The order's invoice and its credit notes."""
    order = m3.orders.get(orno)
    keys = [order.invoice] if order and order.invoice else []
    return [m3.invoices[key] for key in [*keys, *m3.credit_notes.get(orno, ())] if key in m3.invoices]


INVOICE = Family(
    "invoice",
    key=("YEA4", "IVNO"),
    objects=lambda m3: m3.invoices.values(),
    row=_invoice_row,
    fields=field_set(
        "CONO DIVI ORNO WHLO DLIX IVNO YEA4 IVDT IDAT RGDT CUNO CUN1 CUNM PYNO CUN2 ORST CONN AMT1 AMT2 IVAV "
        "VTAM CUCD DUDT RAFC INST RECO TEPY MODL TEDL FACI DLDT CINO EXIN RXIN RYEA"
    ),
    index={
        "IVNO": _invoices,
        "ORNO": _invoices_of_order,
        "PYNO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.cuno == v],
    },
    labels={"IVNO": "Invoice number", "ORNO": "Order number", "YEA4": "Year"},
    division_bound="read by division",  # numbered per division: a list by number is one division's
)


class InvoiceLine(NamedTuple):
    invoice: Invoice
    order: CustomerOrder
    line: OrderLine
    quantity: Decimal  # invoiced; negative on a credit note
    price: Decimal  # net price


def _invoice_lines(m3: M3Tenant, invoices: Iterable[Invoice]) -> Iterable[InvoiceLine]:
    for inv in invoices:
        order = m3.orders.get(inv.orno)
        if order is None:
            continue
        if inv.repn:  # a credit note: the order lines its return brought back
            credited = m3.returns[inv.repn].lines
            for line in order.lines:
                for returned in (r for r in credited if r.ponr == line.ponr and r.req7):
                    yield InvoiceLine(inv, order, line, -returned.req7, returned.sapr)
            continue
        for line in order.lines:
            if not line.cancelled and line.ivqt:
                yield InvoiceLine(inv, order, line, line.ivqt, line.net_price)


def _invoice_line_row(m3: M3Tenant, ref: InvoiceLine) -> Row:
    inv, order, line, quantity, price = ref
    net = money(price * quantity)
    vat = money(net * m3.lifecycle.vat_rate)
    customer = m3.customers.get(inv.cuno)
    item = m3.items.get(line.itno)
    ryea, rivn = inv.credited or ("", "")
    return {
        **company_fields(m3, inv.divi), "IVNO": inv.ivno, "YEA4": inv.yea4, "ORNO": order.orno, "DLIX": inv.dlix,
        "WHLO": line.whlo, "PONR": line.ponr, "POSX": 0, "ITNO": line.itno, "ITDS": line.itds, "IVQT": quantity,
        "IVQS": quantity, "AMT1": net + vat, "AMT2": net, "VTAM": vat, "IVAM": net, "IVLA": net, "SAPR": line.sapr,
        "NEPR": price, "PYNO": inv.cuno, "CUNM": customer.cunm if customer else "", "CUCD": inv.cucd,
        "IDAT": inv.ivdt, "DUDT": inv.dudt, "INST": "80" if inv.reco == "9" else "70",
        "FACI": order.faci, "SPUN": item.unms if item else "", "ORDT": order.ordt, "RYEA": ryea, "RIVN": rivn,
    }  # fmt: skip


INVOICE_LINE = Family(
    "invoice_line",
    key=("YEA4", "IVNO", "ORNO", "PONR"),
    objects=lambda m3: _invoice_lines(m3, m3.invoices.values()),
    row=_invoice_line_row,
    fields=field_set(
        "CONO DIVI IVNO YEA4 ORNO DLIX WHLO PONR POSX ITNO ITDS IVQT IVQS AMT1 AMT2 VTAM IVAM IVLA SAPR NEPR "
        "PYNO CUNM CUCD IDAT DUDT INST FACI SPUN ORDT RYEA RIVN"
    ),
    index={
        "IVNO": lambda m3, v: _invoice_lines(m3, _invoices(m3, v)),
        "ORNO": lambda m3, v: _invoice_lines(m3, _invoices_of_order(m3, v)),
    },
    labels={"IVNO": "Invoice number", "ORNO": "Order number", "PONR": "Order line"},
    division_bound="read by division",
)


def _receivable_row(m3: M3Tenant, inv: Invoice) -> Row:
    return {
        **company_fields(m3, inv.divi), "YEA4": inv.yea4, "JRNO": inv.jrno, "JSNO": inv.jsno, "CINO": inv.cino, "TRCD": "10",
        "INYR": inv.yea4, "RECO": inv.reco, "REDE": inv.paid_on, "PYNO": inv.cuno, "CUNO": inv.cuno,
        "IVDT": inv.ivdt, "ACDT": inv.ivdt, "DUDT": inv.dudt, "CUAM": inv.gross, "VTAM": inv.vat, "CUCD": inv.cucd,
        "DTP5": inv.paid_on, "CRST": "0",
    }  # fmt: skip


RECEIVABLE = Family(
    "receivable",
    key=("YEA4", "JRNO", "JSNO"),
    objects=lambda m3: m3.invoices.values(),
    row=_receivable_row,
    fields=field_set(
        "CONO DIVI YEA4 JRNO JSNO CINO TRCD INYR RECO REDE PYNO CUNO IVDT ACDT DUDT CUAM VTAM CUCD DTP5 CRST"
    ),
    index={
        "CUNO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.cuno == v],
        "CINO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.cino == numeric_key(v)],
        "JRNO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.jrno == numeric_key(v)],
    },
    labels={"JRNO": "Invoice journal", "CINO": "Invoice number", "CUNO": "Customer number"},
    division_bound="every read",  # the accounts receivable ledger is kept per division
)

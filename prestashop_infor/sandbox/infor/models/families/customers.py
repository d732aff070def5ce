"""Families of the customer master: customers, their financial data and their addresses (CRS610MI).

A customer's credit limits (``models/credit.py``): the emulator keeps credit limit 3 (``CRL3``); limits
1, 2 and 4 (``CRLM``, ``CRL2``, ``ODUD``) are 0, no limit. ``GetFinancial`` reads ``customer_financial``, the
customer with what it owes in one division (``TOIN`` outstanding invoices, ``TBLG`` orders not
invoiced, of that division's orders: ``DIVI``, else the call's division): worked out for the one
customer asked for, not for every customer a list reads. The credit limit itself is the customer's,
the same in every division (M3 can keep one per division; the emulator does not). Its price list table ``PLTB``
(the price list it buys by, ``models/prices.py``) and discount percentage ``DIPC`` are shown by the
reads whose spec lists them (``GetOrderInfo``; ``DIPC`` by the lists too)."""

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
from prestashop_infor.sandbox.infor.models.records import Customer, CustomerAddress

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant


def _customer_row(m3: M3Tenant, c: Customer) -> Row:
    return {
        **company_fields(m3), "LNCD": c.lncd, "CUNO": c.cuno, "CUNM": c.cunm, "CUA1": c.cua1, "CUA2": c.cua2,
        "CUA3": c.cua3, "CUA4": c.cua4, "PONO": c.pono, "PHNO": c.phno, "CUTP": c.cutp, "ALCU": c.alcu,
        "YREF": c.yref, "MAIL": c.mail, "CSCD": c.cscd, "ECAR": c.ecar, "STAT": c.stat, "TOWN": c.town,
        "CUCD": c.cucd, "LMDT": c.lmdt, "RGDT": c.rgdt, "CHNO": c.chno, "LMTS": c.lmts,
        "WHLO": m3.default_warehouse, "PYNO": c.cuno, "BLCD": "1" if c.credit_stop else "0",
        "CRLM": 0, "CRL2": 0, "CRL3": c.credit_limit, "PLTB": c.pltb, "DIPC": c.dipc,
    }  # fmt: skip


class Financial(NamedTuple):
    """A customer's financial data in one division (M3 keeps it per division)."""

    customer: Customer
    divi: str


def _financials(m3: M3Tenant, customers: Iterable[Customer]) -> Iterable[Financial]:
    return (Financial(c, divi) for c in customers for divi in m3.divisions())


def _customer_financial_row(m3: M3Tenant, f: Financial) -> Row:
    return {
        **_customer_row(m3, f.customer),
        "DIVI": f.divi,
        "ODUD": 0,
        "TOIN": m3.open_receivables(f.customer.cuno, f.divi),
        "TBLG": m3.order_value_not_invoiced(f.customer.cuno, f.divi),
    }


def _customer(m3: M3Tenant, cuno: str) -> list[Customer]:
    return [c for c in [m3.customers.get(cuno)] if c is not None]


CUSTOMER = Family(
    "customer",
    key=("CUNO",),
    objects=lambda m3: m3.customers.values(),
    row=_customer_row,
    fields=field_set(
        "CONO DIVI LNCD CUNO CUNM CUA1 CUA2 CUA3 CUA4 PONO PHNO CUTP ALCU YREF MAIL CSCD ECAR STAT TOWN CUCD "
        "LMDT RGDT CHNO LMTS WHLO PYNO BLCD CRLM CRL2 CRL3 PLTB DIPC"
    ),
    index={"CUNO": _customer},
    labels={"CUNO": "Customer number"},
)

CUSTOMER_FINANCIAL = Family(
    "customer_financial",
    key=("CUNO", "DIVI"),
    objects=lambda m3: _financials(m3, m3.customers.values()),
    row=_customer_financial_row,
    fields=CUSTOMER.fields | field_set("ODUD TOIN TBLG"),
    index={"CUNO": lambda m3, v: _financials(m3, _customer(m3, v))},
    labels={**CUSTOMER.labels, "DIVI": "Division"},
    division_bound="every read",  # what a customer owes is kept per division; its limit the company's
)


class CustomerAddressRef(NamedTuple):
    customer: Customer
    address: CustomerAddress


def _customer_addresses(m3: M3Tenant, customers: Iterable[Customer]) -> Iterable[CustomerAddressRef]:
    for c in customers:
        for address in c.addresses.values():
            yield CustomerAddressRef(c, address)


def _customer_address_row(m3: M3Tenant, ref: CustomerAddressRef) -> Row:
    c, a = ref
    return {**echoed(a.fields), **company_fields(m3), "CUNO": c.cuno, "CUNM": a.fields.get("CUNM") or c.cunm,
            "ADRT": int(a.adrt), "ADID": a.adid, "LMTS": a.lmts}  # fmt: skip


CUSTOMER_ADDRESS = Family(
    "customer_address",
    key=("CUNO", "ADRT", "ADID"),
    objects=lambda m3: _customer_addresses(m3, m3.customers.values()),
    row=_customer_address_row,
    fields=field_set("CONO DIVI CUNO CUNM ADRT ADID LMTS"),
    echo=(("CRS610MI", "AddAddress"),),
    index={
        "CUNO": lambda m3, v: _customer_addresses(m3, [c for c in [m3.customers.get(v)] if c is not None])
    },
    labels={"CUNO": "Customer number", "ADRT": "Address type", "ADID": "Address number"},
)

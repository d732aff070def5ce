"""Families of the customer master: customers and their addresses (CRS610MI)."""

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
    }  # fmt: skip


CUSTOMER = Family(
    "customer",
    key=("CUNO",),
    objects=lambda m3: m3.customers.values(),
    row=_customer_row,
    fields=field_set(
        "CONO DIVI LNCD CUNO CUNM CUA1 CUA2 CUA3 CUA4 PONO PHNO CUTP ALCU YREF MAIL CSCD ECAR STAT TOWN CUCD "
        "LMDT RGDT CHNO LMTS WHLO PYNO BLCD"
    ),
    index={"CUNO": lambda m3, v: [c for c in [m3.customers.get(v)] if c is not None]},
    labels={"CUNO": "Customer number"},
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

"""Typed records for the M3 answers this project reads: the wire gives flat maps of strings, these
turn them into numbers, dates and clearly named fields.

Conventions (contract §9): numbers use ``.`` as separator; an empty number is ``0``; dates are
``YYYYMMDD`` and ``""``/``"0"`` mean "no date"; unknown extra fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any


class M3RecordError(ValueError):
    """A record field could not be read as the type it should hold."""


def m3_decimal(record: dict[str, str], name: str) -> Decimal:
    value = (record.get(name) or "").strip()
    if not value:
        return Decimal(0)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise M3RecordError(f"field {name} is not a number: {value!r}") from None


def ymd8(value: str) -> date:
    """A ``YYYYMMDD`` date (``dateformat`` YMD8, the default); ValueError for anything else. By
    hand rather than ``strptime``, ten times slower: a year's reconciliation reads 300,000 dates."""
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        raise ValueError(f"not a date YYYYMMDD: {value!r}")
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


def m3_date(record: dict[str, str], name: str) -> date | None:
    value = (record.get(name) or "").strip()
    if value in ("", "0", "00000000"):
        return None
    try:
        return ymd8(value)
    except ValueError:
        raise M3RecordError(f"field {name} is not a date YYYYMMDD: {value!r}") from None


def _s(record: dict[str, str], name: str) -> str:
    return (record.get(name) or "").strip()


@dataclass(frozen=True)
class ServerTime:
    date: date | None
    time: str
    lmts: int

    @classmethod
    def from_record(cls, record: dict[str, str]) -> ServerTime:
        return cls(m3_date(record, "DATE"), _s(record, "TIME"), int(m3_decimal(record, "LMTS")))


@dataclass(frozen=True)
class BatchOrderStatus:
    """OIS275MI/GetTmpOrderStat: a batch order and, once created (STAT 90), its final number."""

    temporary_order_number: str
    order_number: str
    status: str

    CREATED = "90"
    REJECTED = frozenset({"15", "20", "25", "55"})
    CREDIT_STOPPED = "30"

    @property
    def created(self) -> bool:
        return self.status == self.CREATED and bool(self.order_number)

    @classmethod
    def from_record(cls, record: dict[str, str]) -> BatchOrderStatus:
        return cls(_s(record, "ORNO"), _s(record, "ORNR"), _s(record, "STAT"))


@dataclass(frozen=True)
class OrderHead:
    """OIS100MI/GetHead: a customer order head and its lowest/highest line status."""

    order_number: str
    status: str
    lowest_status: str
    highest_status: str
    customer_number: str
    customer_order_number: str
    your_reference: str
    currency: str
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal
    warehouse: str
    order_date: date | None
    order_stop: str

    @classmethod
    def from_record(cls, record: dict[str, str]) -> OrderHead:
        return cls(
            order_number=_s(record, "ORNO"),
            status=_s(record, "STAT"),
            lowest_status=_s(record, "ORSL"),
            highest_status=_s(record, "ORST"),
            customer_number=_s(record, "CUNO"),
            customer_order_number=_s(record, "CUOR"),
            your_reference=_s(record, "YREF"),
            currency=_s(record, "CUCD"),
            net_amount=m3_decimal(record, "NTAM"),
            vat_amount=m3_decimal(record, "VTAM"),
            total_amount=m3_decimal(record, "TOPY"),
            warehouse=_s(record, "WHLO"),
            order_date=m3_date(record, "ORDT"),
            order_stop=_s(record, "OBLC"),
        )


@dataclass(frozen=True)
class OrderLine:
    """OIS100MI/GetLine or LstLine."""

    line_number: int
    item_number: str
    ordered: Decimal
    allocated: Decimal
    delivered: Decimal
    invoiced: Decimal
    status: str
    sales_price: Decimal
    net_amount: Decimal

    @classmethod
    def from_record(cls, record: dict[str, str]) -> OrderLine:
        return cls(
            line_number=int(m3_decimal(record, "PONR")),
            item_number=_s(record, "ITNO"),
            ordered=m3_decimal(record, "ORQT"),
            allocated=m3_decimal(record, "ALQT"),
            delivered=m3_decimal(record, "DLQT"),
            invoiced=m3_decimal(record, "IVQT"),
            status=_s(record, "ORST"),
            sales_price=m3_decimal(record, "SAPR"),
            net_amount=m3_decimal(record, "NLAM"),
        )


@dataclass(frozen=True)
class Item:
    """MMS200MI/Get, LstItmByItm, LstItmByChgDate."""

    item_number: str
    description: str
    status: str
    unit: str
    item_type: str
    item_group: str
    changed: date | None

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Item:
        return cls(
            item_number=_s(record, "ITNO"),
            description=_s(record, "ITDS"),
            status=_s(record, "STAT"),
            unit=_s(record, "UNMS"),
            item_type=_s(record, "ITTY"),
            item_group=_s(record, "ITGR"),
            changed=m3_date(record, "LMDT"),
        )


@dataclass(frozen=True)
class ItemWarehouseBalance:
    """MMS200MI/GetItmWhsBal. ``available`` is AV01 (on hand minus allocated): the project's one
    definition of available stock."""

    warehouse: str
    item_number: str
    on_hand: Decimal
    allocated: Decimal
    available: Decimal
    on_picking_lists: Decimal

    @classmethod
    def from_record(cls, record: dict[str, str]) -> ItemWarehouseBalance:
        return cls(
            warehouse=_s(record, "WHLO"),
            item_number=_s(record, "ITNO"),
            on_hand=m3_decimal(record, "STQT"),
            allocated=m3_decimal(record, "ALQT"),
            available=m3_decimal(record, "AV01"),
            on_picking_lists=m3_decimal(record, "PLQT"),
        )


@dataclass(frozen=True)
class BalanceChange:
    """OIS100MI/LstNewBalances: a warehouse balance changed since an LMTS cursor."""

    warehouse: str
    item_number: str
    available: Decimal  # AV01
    on_hand_less_reserved: Decimal  # AV02

    @classmethod
    def from_record(cls, record: dict[str, str]) -> BalanceChange:
        return cls(
            _s(record, "WHLO"), _s(record, "ITNO"), m3_decimal(record, "AV01"), m3_decimal(record, "AV02")
        )


@dataclass(frozen=True)
class Delivery:
    """MWS410MI/GetHead: a delivery with its shipment and tracking number."""

    delivery_number: str
    order_number: str
    status: str  # PGRS
    shipment: str
    tracking_number: str
    forwarder: str
    delivery_method: str
    departure: date | None

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Delivery:
        return cls(
            delivery_number=_s(record, "DLIX"),
            order_number=_s(record, "RIDN"),
            status=_s(record, "PGRS"),
            shipment=_s(record, "CONN"),
            tracking_number=_s(record, "ETRN"),
            forwarder=_s(record, "FWNO"),
            delivery_method=_s(record, "MODL"),
            departure=m3_date(record, "DSDT"),
        )


@dataclass(frozen=True)
class Invoice:
    """OIS350MI/LstInvHeadByCo."""

    invoice_number: str
    year: str
    order_number: str
    invoice_date: date | None
    due_date: date | None
    gross_amount: Decimal
    net_amount: Decimal
    remaining: Decimal
    currency: str

    @property
    def is_credit(self) -> bool:
        """A credit note (a return received, a credit given): its amounts are below zero."""
        return self.gross_amount < 0

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Invoice:
        return cls(
            invoice_number=_s(record, "IVNO"),
            year=_s(record, "YEA4"),
            order_number=_s(record, "ORNO"),
            invoice_date=m3_date(record, "IVDT"),
            due_date=m3_date(record, "DUDT"),
            gross_amount=m3_decimal(record, "AMT1"),
            net_amount=m3_decimal(record, "AMT2"),
            remaining=m3_decimal(record, "RAFC"),
            currency=_s(record, "CUCD"),
        )


@dataclass(frozen=True)
class Receivable:
    """ARS200MI/LstInvoices: ``paid`` when the reconciliation code RECO is 9."""

    invoice_number: str
    invoice_year: str
    reconciliation_code: str
    due_date: date | None

    @property
    def paid(self) -> bool:
        return self.reconciliation_code == "9"

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Receivable:
        return cls(_s(record, "CINO"), _s(record, "INYR"), _s(record, "RECO"), m3_date(record, "DUDT"))


def records_to(model: Any, records: list[dict[str, str]]) -> list[Any]:
    """Convert a list of records with ``model.from_record``."""
    return [model.from_record(record) for record in records]

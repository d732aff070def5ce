"""The records one M3 tenant keeps: items, warehouses and balances, customers, batch and customer
orders with their lines, deliveries, shipments, invoices and receivables, customer returns, payment
batches, stock messages and sales price lists. Plain dataclasses; the rules that change them live
in the lifecycle and program modules, and ``families/`` shows them to the read engine as M3 fields.
The records a long history holds by the hundred thousand (orders, lines, deliveries, shipments,
invoices) have slots: a third of the memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from prestashop_infor.sandbox.infor.models.values import money

# Batch order status (OIS275). "10" while a batch order is being entered or waits for the batch job:
# the real value between AddBatchHead and Confirm is a known unknown (contract §17.3).
BATCH_ENTERED = "10"
BATCH_HEAD_ERROR = "15"
BATCH_NO_LINES = "20"
BATCH_LINE_ERROR = "25"
BATCH_CREDIT_STOP = "30"
BATCH_CREATED = "90"

CUSTOMER_ORDER_RORC = "3"  # reference order category of customer orders (usual assumption, §11.6)


@dataclass
class Item:
    itno: str
    itds: str
    price: Decimal
    unms: str = "EA"
    itty: str = "FIN"
    itgr: str = "WEB"
    stat: str = "20"
    fuds: str = ""
    lmdt: date | None = None
    lmts: int = 0
    chno: int = 1  # change number: moved by every UpdItmBasic


@dataclass
class Warehouse:
    whlo: str
    whnm: str
    faci: str = "100"
    cscd: str = "FR"
    town: str = ""
    lmts: int = 0


@dataclass
class Balance:
    whlo: str
    itno: str
    on_hand: Decimal = Decimal(0)
    allocated: Decimal = Decimal(0)
    picking: Decimal = Decimal(0)
    location: str = "A-01-01"
    lmdt: date | None = None
    lmts: int = 0

    @property
    def allocatable(self) -> Decimal:
        """AV01: on hand minus allocated — the one definition of "available" this project uses."""
        return self.on_hand - self.allocated


@dataclass
class Customer:
    cuno: str
    cunm: str
    cua1: str = ""
    cua2: str = ""
    cua3: str = ""
    cua4: str = ""
    pono: str = ""
    town: str = ""
    cscd: str = ""
    ecar: str = ""
    phno: str = ""
    mail: str = ""
    cucd: str = "EUR"
    lncd: str = "GB"
    alcu: str = ""
    yref: str = ""
    cutm: str = ""
    cutp: str = "0"
    stat: str = "20"
    pltb: str = ""  # price list table: the emulator reads it as the price list (PRRF) it prices by
    dipc: Decimal = Decimal(0)  # discount percentage, kept and shown, not applied by order entry
    credit_stop: bool = False  # BLCD 1: customer stop, every order held (models/credit.py)
    # CRL3, credit limit 3: the most the customer may owe in outstanding invoices and orders not
    # invoiced yet; 0 = no limit (models/credit.py)
    credit_limit: Decimal = Decimal(0)
    rgdt: date | None = None
    lmdt: date | None = None
    chno: int = 1
    lmts: int = 0
    addresses: dict[tuple[str, str], CustomerAddress] = field(default_factory=dict)  # (ADRT, ADID)


@dataclass
class CustomerAddress:
    """An extra address of a customer (CRS610MI/AddAddress): what was given, as given."""

    adrt: str
    adid: str
    fields: dict[str, str]
    lmts: int = 0


@dataclass
class BatchLine:
    ponr: int
    itno: str
    orqt: Decimal
    sapr: Decimal | None
    whlo: str
    fields: dict[str, str]


@dataclass
class BatchOrder:
    orno: str
    cuno: str
    head: dict[str, str]
    created: datetime
    addresses: dict[str, dict[str, str]] = field(default_factory=dict)
    lines: list[BatchLine] = field(default_factory=list)
    texts: list[dict[str, str]] = field(default_factory=list)
    stat: str = BATCH_ENTERED
    ornr: str = ""
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # LEVL, MSID, MDTA, TX60
    confirmed: bool = False

    @property
    def cuor(self) -> str:
        return self.head.get("CUOR", "")


@dataclass(slots=True)
class OrderLine:
    ponr: int
    itno: str
    itds: str
    orqt: Decimal
    sapr: Decimal
    discount_pct: Decimal
    whlo: str
    cuor: str
    fields: dict[str, str]
    alqt: Decimal = Decimal(0)
    plqt: Decimal = Decimal(0)
    dlqt: Decimal = Decimal(0)
    ivqt: Decimal = Decimal(0)
    cancelled: bool = False
    dlix: str = ""

    @property
    def net_price(self) -> Decimal:
        return money(self.sapr * (1 - self.discount_pct / 100))

    @property
    def net_amount(self) -> Decimal:
        return money(self.net_price * self.orqt)

    @property
    def status(self) -> str:
        """Two digits: least- and most-progressed part of the quantity (§10.3); only valid values."""
        if self.cancelled:
            return "99"
        if self.ivqt >= self.orqt:
            return "77"
        if self.dlqt >= self.orqt:
            return "66"
        if self.plqt >= self.orqt:
            return "44"
        if self.alqt >= self.orqt:
            return "33"
        if self.alqt > 0:
            return "23"
        return "22"


@dataclass(slots=True)
class CustomerOrder:
    orno: str
    batch_orno: str
    cuno: str
    head: dict[str, str]
    whlo: str
    faci: str
    cucd: str
    ordt: date
    rldt: date | None
    lines: list[OrderLine]
    phase: str = "allocating"  # allocating|allocated|picking|delivered|invoiced|paid|cancelled
    stat: str = "20"
    oblc: str = ""
    dlix: str = ""
    invoice: tuple[str, str] | None = None  # (YEA4, IVNO)
    lmts: int = 0

    @property
    def cuor(self) -> str:
        return self.head.get("CUOR", "")

    @property
    def orsl(self) -> str:
        return min(line.status for line in self.lines) if self.lines else "00"

    @property
    def orst(self) -> str:
        return max(line.status for line in self.lines) if self.lines else "00"

    @property
    def net_amount(self) -> Decimal:
        return sum((line.net_amount for line in self.lines if not line.cancelled), Decimal(0))


@dataclass(slots=True)
class Delivery:
    dlix: str
    orno: str
    whlo: str
    cuor: str
    modl: str
    plsx: str = "01"
    pgrs: str = "40"  # released for picking
    conn: str = ""
    etrn: str = ""
    fwno: str = ""
    ivno: str = ""
    ivdt: date | None = None
    dsdt: date | None = None
    dshm: str = ""
    created: date | None = None
    lmts: int = 0


@dataclass(slots=True)
class Shipment:
    conn: str
    whlo: str
    fwno: str
    dsdt: date
    dshm: str
    deliveries: list[str]
    cstl: str = "60"
    csth: str = "60"
    closed: bool = True
    rgdt: date | None = None
    lmts: int = 0


@dataclass(slots=True)
class Invoice:
    ivno: str
    yea4: str
    orno: str
    cuno: str
    dlix: str
    conn: str
    ivdt: date
    dudt: date
    net: Decimal
    vat: Decimal
    cucd: str
    cino: str
    jrno: str
    jsno: str
    reco: str = "0"
    paid: Decimal = Decimal(0)
    paid_on: date | None = None
    repn: str = ""  # a credit note: the customer return (REPN) it credits; its amounts are negative
    credited: tuple[str, str] | None = None  # a credit note: the invoice (YEA4, IVNO) it refers to
    divi: str = ""  # its division (its order's facility's, ``M3Tenant.division_of``); "": the company's

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    @property
    def remaining(self) -> Decimal:
        return self.gross - self.paid


# Customer returns (OIS390). Line status REST as M3 has it: 11 quantity advised, 22 quantity received
# (12/13/23/33, partly received and inspected, do not happen: the emulator's warehouses inspect
# nothing). The credit status CRES is one digit the specs name without values: 0 = not credited,
# 9 = credited is the emulator's reading.
RETURN_ADVISED = "11"
RETURN_RECEIVED = "22"
CREDIT_OPEN = "0"
CREDIT_DONE = "9"


@dataclass
class ReturnLine:
    """A line of a customer return: an item advised back, and what was received and credited."""

    reli: int
    itno: str
    req0: Decimal  # advised (transport notified) quantity
    sapr: Decimal  # the price it is credited at
    orno: str  # the customer order line it returns (RORN/RORL on the way in, ORNO/PONR on the way out)
    ponr: int
    epdt: date
    fields: dict[str, str]  # what AddLine was given
    req1: Decimal = Decimal(0)  # received
    req7: Decimal = Decimal(0)  # credited

    @property
    def rest(self) -> str:
        return RETURN_RECEIVED if self.req1 >= self.req0 else RETURN_ADVISED

    @property
    def cres(self) -> str:
        return CREDIT_DONE if self.req7 >= self.req0 else CREDIT_OPEN


@dataclass
class CustomerReturn:
    """A customer return (REPN) to a warehouse, for a customer and usually one of its orders."""

    repn: str
    whlo: str
    cuno: str
    orno: str  # the customer order it refers to (RORN), "" for a return without one
    cucd: str
    epdt: date
    head: dict[str, str]  # what AddHead was given
    invoice: tuple[str, str] | None = None  # the invoice (YEA4, IVNO) it refers to
    lines: list[ReturnLine] = field(default_factory=list)
    credit: tuple[str, str] | None = None  # its credit note (YEA4, IVNO), once credited
    due: datetime | None = None  # when the lifecycle receives and credits it (``credit_after``)
    lmts: int = 0

    @property
    def rscd(self) -> str:
        return self.head.get("RSCD", "")


@dataclass
class GradPrice:
    """A quantity break of a price list line (OIS017MI ``AddGradSlsPrc``): from ``qtyl`` units on,
    the item sells at ``sapr`` (given, or the line's price times the adjustment factor ``pcof``)."""

    qtyl: Decimal
    sapr: Decimal
    pcof: Decimal = Decimal(0)
    lmdt: date | None = None
    lmts: int = 0


@dataclass
class BasePrice:
    """An item's line in a price list (OIS017MI ``AddBasePrice``): its sales price for ``sacd``
    units of ``spun``, valid from ``vfdt`` (the list's from date unless given) to ``lvdt`` (None: as
    long as the list), and its quantity breaks by lowest quantity."""

    itno: str
    sapr: Decimal
    vfdt: date
    lvdt: date | None = None
    sacd: int = 1
    spun: str = "EA"
    ntcd: str = ""
    cmno: str = ""
    breaks: dict[Decimal, GradPrice] = field(default_factory=dict)  # QTYL -> break
    rgdt: date | None = None
    lmdt: date | None = None
    chno: int = 1
    lmts: int = 0


@dataclass
class PriceList:
    """A sales price list head (OIS017MI ``AddPriceList``): identified by price list, currency,
    customer (blank: any customer) and valid-from date, so one ``PRRF`` is several lists: one per
    currency and from date. ``fields`` keeps what ``AddPriceList``/``ChgPriceList`` were given."""

    prrf: str
    cucd: str
    cuno: str
    fvdt: date
    lvdt: date
    tx40: str
    tx15: str = ""
    crtp: str = "1"
    fields: dict[str, str] = field(default_factory=dict)
    lines: dict[str, BasePrice] = field(default_factory=dict)  # ITNO -> line
    rgdt: date | None = None
    lmdt: date | None = None
    chno: int = 1
    lmts: int = 0

    @property
    def key(self) -> tuple[str, str, str, date]:
        return (self.prrf, self.cucd, self.cuno, self.fvdt)


@dataclass
class PaymentBatch:
    pbid: str
    bope: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    controlled: bool = False


@dataclass
class StockMessage:
    """An MMS850MI stock transaction message (MSNR), remembered by partner and external number."""

    msnr: str
    partner: str
    pmsn: str
    whlo: str
    itno: str
    quantity: Decimal
    e065: str = ""
    rscd: str = ""
    created: datetime | None = None
    lmts: int = 0


@dataclass
class WarehouseMessage:
    """An MHS850MI warehouse-interface message (MSGN): a picking list reported from outside."""

    msgn: str
    partner: str
    e065: str
    pmsn: str
    whlo: str
    dlix: str
    plsx: str
    orno: str
    cuno: str
    cuor: str
    created: datetime
    lmts: int = 0

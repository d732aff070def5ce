"""The tenant's records seen as M3 fields: one *family* per kind of record the read engine serves.

A family is what an M3 table is to the MI programs: a set of rows, each a map *M3 field name ->
value*, with an identity key in its natural order (``ORNO, PONR, POSX`` for order lines). The read
engine (``reads.py``) filters, positions and projects these rows onto the output fields of whichever
``Get``/``Lst``/``Sel`` transaction reads the family; a program module only says which family each of
its read transactions reads. Values are Python values (``str``, ``int``, ``Decimal``, ``date``);
rendering them as M3 strings within each transaction's lengths happens once, in the tenant.

Families that keep what a write transaction was given (batch order heads, lines, addresses, texts,
customer addresses) *echo* that transaction's inputs: every input field of the write, as stored,
is a field of the family, so a read answers with what was written wherever the two specs share a
field name. Computed fields win over echoed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from prestashop_infor.sandbox.infor.models.records import (
    BATCH_CREDIT_STOP,
    CUSTOMER_ORDER_RORC,
    Balance,
    BatchLine,
    BatchOrder,
    Customer,
    CustomerAddress,
    CustomerOrder,
    Delivery,
    Invoice,
    Item,
    OrderLine,
    StockMessage,
    Warehouse,
    WarehouseMessage,
)
from prestashop_infor.sandbox.infor.models.values import M3Failure, money, parse_date

if TYPE_CHECKING:
    from prestashop_infor.sandbox.infor.models.tenant import M3Tenant

Row = dict[str, Any]

#: Inputs stored as given that are dates (YYYYMMDD on the way in, the call's date format out).
DATE_FIELDS = frozenset(
    {"ORDT", "RLDT", "CUDT", "RLDZ", "FDED", "LDED", "DWDT", "CODT", "DWDZ", "CODZ", "FVDT", "LVDT"}
)
PICK_TRANSACTION_TYPE = "31"  # M3 stock transaction type of a customer order issue
TEXT_WIDTH = 60  # characters of a text line (TX60)


@dataclass(frozen=True)
class Family:
    """One kind of record as the read engine sees it.

    ``fields`` lists every field ``row`` can produce (besides the echoed inputs of ``echo``);
    ``index`` gives fast candidate lookups for exact key values; ``ordered`` gives the records from
    a value of one field onward, in that field's order then the key's (a list positioned on that
    field alone reads a year of orders without a scan per call); ``labels`` words "does not exist"
    errors for key fields ("Order number 1000000001 does not exist").
    """

    name: str
    key: tuple[str, ...]
    objects: Callable[[M3Tenant], Iterable[Any]]
    row: Callable[[M3Tenant, Any], Row]
    fields: frozenset[str]
    echo: tuple[tuple[str, str], ...] = ()  # (program, write transaction) whose inputs are kept
    index: Mapping[str, Callable[[M3Tenant, str], Iterable[Any]]] = field(default_factory=dict)
    ordered: Mapping[str, Callable[[M3Tenant, str], Iterable[Any]]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def kept(self) -> bool:
        return self.name != NOT_KEPT


NOT_KEPT = "not_kept"


def _fields(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _num(value: str) -> str:
    """A numeric key as the emulator stores it (no leading zeros)."""
    return value.lstrip("0") or "0"


def _echo(stored: Mapping[str, str]) -> Row:
    """What a write transaction was given, dates parsed, as family fields."""
    row: Row = {}
    for name, value in stored.items():
        if name in DATE_FIELDS:
            try:
                row[name] = parse_date(stored, name)
            except M3Failure:  # a stored value that is no date stays text
                row[name] = value
        else:
            row[name] = value
    return row


def _context(m3: M3Tenant) -> Row:
    return {"CONO": m3.cono, "DIVI": m3.divi}


# -- items, warehouses, balances ----------------------------------------------------------------


def _item_row(m3: M3Tenant, item: Item) -> Row:
    return {
        **_context(m3), "ITNO": item.itno, "ITDS": item.itds, "FUDS": item.fuds, "STAT": item.stat,
        "UNMS": item.unms, "ITTY": item.itty, "ITGR": item.itgr, "SPUN": item.unms, "ALUN": item.unms,
        "PUUN": item.unms, "PPUN": item.unms, "DCCD": "0", "LMDT": item.lmdt, "RGDT": item.lmdt,
        "LMTS": item.lmts, "SAPR": item.price, "FACI": m3.default_facility, "LNCD": "GB", "CHNO": item.chno,
    }  # fmt: skip


ITEM = Family(
    "item",
    key=("ITNO",),
    objects=lambda m3: m3.items.values(),
    row=_item_row,
    fields=_fields(
        "CONO DIVI ITNO ITDS FUDS STAT UNMS ITTY ITGR SPUN ALUN PUUN PPUN DCCD LMDT RGDT LMTS SAPR FACI LNCD "
        "CHNO"
    ),
    index={"ITNO": lambda m3, v: [i for i in [m3.items.get(v)] if i is not None]},
    labels={"ITNO": "Item number"},
)


def _warehouse_row(m3: M3Tenant, w: Warehouse) -> Row:
    return {**_context(m3), "WHLO": w.whlo, "WHNM": w.whnm, "FACI": w.faci, "CSCD": w.cscd, "TOWN": w.town,
            "LMTS": w.lmts}  # fmt: skip


WAREHOUSE = Family(
    "warehouse",
    key=("WHLO",),
    objects=lambda m3: m3.warehouses.values(),
    row=_warehouse_row,
    fields=_fields("CONO DIVI WHLO WHNM FACI CSCD TOWN LMTS"),
    index={"WHLO": lambda m3, v: [w for w in [m3.warehouses.get(v)] if w is not None]},
    labels={"WHLO": "Warehouse"},
)


def _balance_row(m3: M3Tenant, b: Balance) -> Row:
    item = m3.items.get(b.itno)
    warehouse = m3.warehouses.get(b.whlo)
    return {
        **_context(m3), "WHLO": b.whlo, "ITNO": b.itno, "WHNM": warehouse.whnm if warehouse else "",
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
    fields=_fields(
        "CONO DIVI WHLO ITNO WHNM FACI ITDS FUDS UNMS ITTY ITGR STAT STQT ALQT AV01 AVAL AV02 PLQT REQT ORQT "
        "QUQT RJQT WHSL STAS ALOC MVB1 MVB2 LMDT LMTS AVTQ AVTD AVDT BANO CAMU REPN"
    ),
    index={
        "ITNO": _balances_of_item,
        "WHLO": lambda m3, v: [b for (w, _), b in m3.balances.items() if w == v],
    },
    labels={"ITNO": "Item number", "WHLO": "Warehouse"},
)

# -- customers ------------------------------------------------------------------------------------


def _customer_row(m3: M3Tenant, c: Customer) -> Row:
    return {
        **_context(m3), "LNCD": c.lncd, "CUNO": c.cuno, "CUNM": c.cunm, "CUA1": c.cua1, "CUA2": c.cua2,
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
    fields=_fields(
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
    return {**_echo(a.fields), **_context(m3), "CUNO": c.cuno, "CUNM": a.fields.get("CUNM") or c.cunm,
            "ADRT": int(a.adrt), "ADID": a.adid, "LMTS": a.lmts}  # fmt: skip


CUSTOMER_ADDRESS = Family(
    "customer_address",
    key=("CUNO", "ADRT", "ADID"),
    objects=lambda m3: _customer_addresses(m3, m3.customers.values()),
    row=_customer_address_row,
    fields=_fields("CONO DIVI CUNO CUNM ADRT ADID LMTS"),
    echo=(("CRS610MI", "AddAddress"),),
    index={
        "CUNO": lambda m3, v: _customer_addresses(m3, [c for c in [m3.customers.get(v)] if c is not None])
    },
    labels={"CUNO": "Customer number", "ADRT": "Address type", "ADID": "Address number"},
)

# -- batch orders ----------------------------------------------------------------------------------


def _batch_row(m3: M3Tenant, batch: BatchOrder) -> Row:
    head = batch.head
    order = m3.orders.get(batch.ornr)
    customer = m3.customers.get(batch.cuno)
    return {
        **_echo(head), **_context(m3), "ORNO": batch.orno, "CUNO": batch.cuno, "STAT": batch.stat,
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
    fields=_fields("CONO DIVI ORNO CUNO STAT ORNR ORDT RLDT ORSL ORST CUCD OBLC RGDT"),
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
        **_echo(line.fields), **_context(m3), "ORNO": ref.batch.orno, "PONR": line.ponr, "POSX": 0,
        "ITNO": line.itno, "ORQT": line.orqt, "SAPR": line.sapr, "WHLO": line.whlo,
        "ITDS": line.fields.get("ITDS", ""), "CUPO": line.fields.get("CUPO", ""), "ATNR": 0,
        "ITTY": item.itty if item else "", "CUNO": ref.batch.cuno,
    }  # fmt: skip


BATCH_LINE = Family(
    "batch_line",
    key=("ORNO", "PONR", "POSX"),
    objects=lambda m3: _batch_lines(m3.batch_orders.values()),
    row=_batch_line_row,
    fields=_fields("CONO DIVI ORNO PONR POSX ITNO ORQT SAPR WHLO ITDS CUPO ATNR ITTY CUNO"),
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
    return {**_echo(ref.stored), **_context(m3), "ORNO": ref.orno, "ADRT": int(ref.adrt)}


def _batches_by_any_number(m3: M3Tenant, orno: str) -> list[BatchOrder]:
    order = m3.orders.get(orno)
    return _batches(m3, order.batch_orno if order else orno)


BATCH_ADDRESS = Family(
    "batch_address",
    key=("ORNO", "ADRT"),
    objects=lambda m3: _batch_addresses(m3.batch_orders.values(), final_numbers=False),
    row=_address_row,
    fields=_fields("CONO DIVI ORNO ADRT"),
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
    fields=_fields("ORNO SEQN LEVL MSID MDTA TX60"),
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
    return {**_context(m3), "ORNO": t.orno, "PONR": t.ponr, "POSX": 0, "TYTR": t.tytr, "LINO": t.lino,
            "TX60": t.text, "TXVR": t.stored.get("TXHE", ""), "LNCD": t.stored.get("LNCD", "")}  # fmt: skip


def _text_family(name: str, head: bool, key: tuple[str, ...]) -> Family:
    return Family(
        name,
        key=key,
        objects=lambda m3: _text_lines(m3.batch_orders.values(), head),
        row=_text_row,
        fields=_fields("CONO DIVI ORNO PONR POSX TYTR LINO TX60 TXVR LNCD"),
        index={"ORNO": lambda m3, v: _text_lines(_batches_by_any_number(m3, v), head)},
        labels={"ORNO": "Order number", "PONR": "Order line"},
    )


ORDER_HEAD_TEXT = _text_family("order_head_text", True, ("ORNO", "TYTR", "LINO"))
ORDER_LINE_TEXT = _text_family("order_line_text", False, ("ORNO", "PONR", "POSX", "TYTR", "LINO"))

# -- customer orders -------------------------------------------------------------------------------


def _orders(m3: M3Tenant, orno: str) -> list[CustomerOrder]:
    return [o for o in [m3.orders.get(orno)] if o is not None]


def _order_row(m3: M3Tenant, order: CustomerOrder) -> Row:
    head = order.head
    net = money(order.net_amount)
    vat = money(net * m3.lifecycle.vat_rate)
    customer = m3.customers.get(order.cuno)
    return {
        **_echo(head), **_context(m3), "ORNO": order.orno, "ORDT": order.ordt, "STAT": order.stat,
        "FACI": order.faci, "CUOR": order.cuor, "CUCD": order.cucd, "NTAM": net, "ORSL": order.orsl,
        "ORST": order.orst, "ONET": net, "ORVA": net, "VTAM": vat, "TOAM": net + vat, "TOPY": net + vat,
        "BRAM": net, "CUNO": order.cuno, "WHLO": order.whlo, "RLDT": order.rldt, "OBLC": order.oblc,
        "DLIX": "1" if order.dlix else "0", "CUNM": customer.cunm if customer else "",
        "PYNO": head.get("PYNO") or order.cuno, "BLCD": "1" if customer and customer.credit_stop else "0",
        "LMTS": order.lmts, "PBAM": 0,
    }  # fmt: skip


ORDER = Family(
    "order",
    key=("ORNO",),
    objects=lambda m3: m3.orders.values(),
    row=_order_row,
    fields=_fields(
        "CONO DIVI ORNO ORDT STAT FACI CUOR CUCD NTAM ORSL ORST ONET ORVA VTAM TOAM TOPY BRAM CUNO WHLO RLDT "
        "OBLC DLIX CUNM PYNO BLCD LMTS PBAM"
    ),
    echo=(("OIS100MI", "AddBatchHead"),),
    index={
        "ORNO": _orders,
        "CUNO": lambda m3, v: [o for o in m3.orders.values() if o.cuno == v],
        "CUOR": lambda m3, v: m3.orders_of_cuor(v),
    },
    ordered={"ORDT": lambda m3, v: m3.orders_from_date(v)},
    labels={"ORNO": "Order number"},
)


class LineRef(NamedTuple):
    order: CustomerOrder
    line: OrderLine


def _order_lines(orders: Iterable[CustomerOrder]) -> Iterable[LineRef]:
    for order in orders:
        for line in order.lines:
            yield LineRef(order, line)


def _line_row(m3: M3Tenant, ref: LineRef) -> Row:
    order, line = ref
    item = m3.items.get(line.itno)
    unit = item.unms if item else ""
    return {
        **_echo(line.fields), **_context(m3), "ORNO": order.orno, "PONR": line.ponr, "POSX": 0,
        "ITNO": line.itno, "ITDS": line.itds, "ORQT": line.orqt, "ORQA": line.orqt, "WHLO": line.whlo,
        "SAPR": line.sapr, "ORST": line.status, "NLAM": line.net_amount, "LNAM": line.net_amount,
        "NEPR": line.net_price, "CUCD": order.cucd, "CUOR": line.cuor, "ALQT": line.alqt, "PLQT": line.plqt,
        "DLQT": line.dlqt, "IVQT": line.ivqt, "DIP1": line.discount_pct,
        "DWDT": parse_date(line.fields, "DWDT") or order.rldt, "CODT": order.rldt or order.ordt,
        "RIDN": order.orno, "RIDL": line.ponr, "RIDX": 0, "UNMS": unit, "ALUN": line.fields.get("ALUN") or unit,
        "SPUN": unit, "CUNO": order.cuno, "FACI": order.faci, "DLIX": line.dlix, "MODL": order.head.get("MODL", ""),
        "TEPY": order.head.get("TEPY", ""), "RORC": CUSTOMER_ORDER_RORC, "LMTS": order.lmts,
    }  # fmt: skip


ORDER_LINE = Family(
    "order_line",
    key=("ORNO", "PONR", "POSX"),
    objects=lambda m3: _order_lines(m3.orders.values()),
    row=_line_row,
    fields=_fields(
        "CONO DIVI ORNO PONR POSX ITNO ITDS ORQT ORQA WHLO SAPR ORST NLAM LNAM NEPR CUCD CUOR ALQT PLQT DLQT "
        "IVQT DIP1 DWDT CODT RIDN RIDL RIDX UNMS ALUN SPUN CUNO FACI DLIX MODL TEPY RORC LMTS"
    ),
    echo=(("OIS100MI", "AddBatchLine"),),
    index={
        "ORNO": lambda m3, v: _order_lines(_orders(m3, v)),
        "CUNO": lambda m3, v: _order_lines(o for o in m3.orders.values() if o.cuno == v),
    },
    labels={"ORNO": "Order number", "PONR": "Order line"},
)

# -- deliveries, picking lists, shipments --------------------------------------------------------


def _deliveries(m3: M3Tenant, dlix: str) -> list[Delivery]:
    return [d for d in [m3.deliveries.get(_num(dlix))] if d is not None]


def _deliveries_of_order(m3: M3Tenant, orno: str) -> list[Delivery]:
    order = m3.orders.get(orno)
    numbers = sorted({line.dlix for line in order.lines if line.dlix}) if order else []
    return [m3.deliveries[dlix] for dlix in numbers if dlix in m3.deliveries]


def _delivery_row(m3: M3Tenant, d: Delivery) -> Row:
    order = m3.orders.get(d.orno)
    head = order.head if order else {}
    cuno = order.cuno if order else ""
    return {
        **_context(m3), "DLIX": d.dlix, "CONN": d.conn, "IVNO": d.ivno, "IVDT": d.ivdt, "CUOR": d.cuor,
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
    fields=_fields(
        "CONO DIVI DLIX CONN IVNO IVDT CUOR MODL MODF RORC WHLO RIDN PGRS PIST PLSX ETRN FWNO DSDT DSHM NBOL "
        "CONA CUNO YREF TEDL RGDT LMTS"
    ),
    index={
        "DLIX": _deliveries,
        "CONN": lambda m3, v: [d for d in m3.deliveries.values() if d.conn == _num(v)],
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
        **_context(m3), "DLIX": a.delivery.dlix, "ADRT": a.adrt, "CONA": order.cuno if order else "",
        "NAME": s.get("CUNM", ""), "ADR1": s.get("CUA1", ""), "ADR2": s.get("CUA2", ""), "ADR3": s.get("CUA3", ""),
        "ADR4": s.get("CUA4", ""), "PONO": s.get("PONO", ""), "CSCD": s.get("CSCD", ""), "ECAR": s.get("ECAR", ""),
        "TOWN": s.get("TOWN", ""), "FACI": order.faci if order else "",
    }  # fmt: skip


DELIVERY_ADDRESS = Family(
    "delivery_address",
    key=("DLIX", "ADRT"),
    objects=lambda m3: _delivery_addresses(m3, m3.deliveries.values()),
    row=_delivery_address_row,
    fields=_fields("CONO DIVI DLIX ADRT CONA NAME ADR1 ADR2 ADR3 ADR4 PONO CSCD ECAR TOWN FACI"),
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
        **_context(m3), "DLIX": d.dlix, "RIDI": d.dlix, "RORC": CUSTOMER_ORDER_RORC, "RIDN": order.orno,
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
    fields=_fields(
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
        **_context(m3), "WHLO": d.whlo, "DLIX": d.dlix, "PLSX": d.plsx, "PISS": "90" if d.conn else "40",
        "PGRS": d.pgrs, "PIST": "90" if d.conn else "10", "CUNO": order.cuno if order else "", "DSDT": d.dsdt,
        "DSHM": d.dshm, "RGDT": d.created, "LMDT": d.dsdt or d.created, "CONN": d.conn, "RORC": CUSTOMER_ORDER_RORC,
    }  # fmt: skip


PICKING_LIST = Family(
    "picking_list",
    key=("DLIX", "PLSX"),
    objects=lambda m3: m3.deliveries.values(),
    row=_picking_list_row,
    fields=_fields("CONO DIVI WHLO DLIX PLSX PISS PGRS PIST CUNO DSDT DSHM RGDT LMDT CONN RORC"),
    index={
        "DLIX": _deliveries,
        "CONN": lambda m3, v: [d for d in m3.deliveries.values() if d.conn == _num(v)],
    },
    labels={"DLIX": "Delivery number", "PLSX": "Picking list suffix"},
)

SHIPMENT = Family(
    "shipment",
    key=("CONN",),
    objects=lambda m3: m3.shipments.values(),
    row=lambda m3, s: {
        **_context(m3),
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
    fields=_fields("CONO DIVI CONN DSDT DSHM CSTH CSTL FWNO CLOS WHLO RGDT LMTS"),
    index={"CONN": lambda m3, v: [s for s in [m3.shipments.get(_num(v))] if s is not None]},
    labels={"CONN": "Shipment"},
)

# -- invoices and receivables ----------------------------------------------------------------------


def _invoice_row(m3: M3Tenant, inv: Invoice) -> Row:
    order = m3.orders.get(inv.orno)
    customer = m3.customers.get(inv.cuno)
    delivery = m3.deliveries.get(inv.dlix)
    name = customer.cunm if customer else ""
    head = order.head if order else {}
    return {
        **_context(m3), "ORNO": inv.orno, "WHLO": order.whlo if order else "", "DLIX": inv.dlix, "IVNO": inv.ivno,
        "YEA4": inv.yea4, "IVDT": inv.ivdt, "IDAT": inv.ivdt, "RGDT": inv.ivdt, "CUNO": inv.cuno, "CUN1": name,
        "CUNM": name, "PYNO": inv.cuno, "CUN2": name, "ORST": order.orst if order else "", "CONN": inv.conn,
        "AMT1": inv.gross, "AMT2": inv.net, "IVAV": inv.gross, "VTAM": inv.vat, "CUCD": inv.cucd, "DUDT": inv.dudt,
        "RAFC": inv.remaining, "INST": "80" if inv.reco == "9" else "70", "RECO": inv.reco,
        "TEPY": head.get("TEPY", ""), "MODL": head.get("MODL", ""), "TEDL": head.get("TEDL", ""),
        "FACI": order.faci if order else "", "DLDT": delivery.dsdt if delivery else None, "CINO": inv.cino,
    }  # fmt: skip


def _invoices(m3: M3Tenant, ivno: str) -> list[Invoice]:
    return [inv for inv in m3.invoices.values() if inv.ivno == _num(ivno)]


def _invoices_of_order(m3: M3Tenant, orno: str) -> list[Invoice]:
    order = m3.orders.get(orno)
    invoice = m3.invoices.get(order.invoice) if order and order.invoice else None
    return [invoice] if invoice is not None else []


INVOICE = Family(
    "invoice",
    key=("YEA4", "IVNO"),
    objects=lambda m3: m3.invoices.values(),
    row=_invoice_row,
    fields=_fields(
        "CONO DIVI ORNO WHLO DLIX IVNO YEA4 IVDT IDAT RGDT CUNO CUN1 CUNM PYNO CUN2 ORST CONN AMT1 AMT2 IVAV "
        "VTAM CUCD DUDT RAFC INST RECO TEPY MODL TEDL FACI DLDT CINO"
    ),
    index={
        "IVNO": _invoices,
        "ORNO": _invoices_of_order,
        "PYNO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.cuno == v],
    },
    labels={"IVNO": "Invoice number", "ORNO": "Order number", "YEA4": "Year"},
)


class InvoiceLine(NamedTuple):
    invoice: Invoice
    order: CustomerOrder
    line: OrderLine


def _invoice_lines(m3: M3Tenant, invoices: Iterable[Invoice]) -> Iterable[InvoiceLine]:
    for inv in invoices:
        order = m3.orders.get(inv.orno)
        if order is None:
            continue
        for line in order.lines:
            if not line.cancelled and line.ivqt:
                yield InvoiceLine(inv, order, line)


def _invoice_line_row(m3: M3Tenant, ref: InvoiceLine) -> Row:
    inv, order, line = ref
    net = money(line.net_amount)
    vat = money(net * m3.lifecycle.vat_rate)
    customer = m3.customers.get(inv.cuno)
    item = m3.items.get(line.itno)
    return {
        **_context(m3), "IVNO": inv.ivno, "YEA4": inv.yea4, "ORNO": order.orno, "DLIX": inv.dlix,
        "WHLO": line.whlo, "PONR": line.ponr, "POSX": 0, "ITNO": line.itno, "ITDS": line.itds, "IVQT": line.ivqt,
        "IVQS": line.ivqt, "AMT1": net + vat, "AMT2": net, "VTAM": vat, "IVAM": net, "IVLA": net, "SAPR": line.sapr,
        "NEPR": line.net_price, "PYNO": inv.cuno, "CUNM": customer.cunm if customer else "", "CUCD": inv.cucd,
        "IDAT": inv.ivdt, "DUDT": inv.dudt, "INST": "80" if inv.reco == "9" else "70",
        "FACI": order.faci, "SPUN": item.unms if item else "", "ORDT": order.ordt,
    }  # fmt: skip


INVOICE_LINE = Family(
    "invoice_line",
    key=("YEA4", "IVNO", "ORNO", "PONR"),
    objects=lambda m3: _invoice_lines(m3, m3.invoices.values()),
    row=_invoice_line_row,
    fields=_fields(
        "CONO DIVI IVNO YEA4 ORNO DLIX WHLO PONR POSX ITNO ITDS IVQT IVQS AMT1 AMT2 VTAM IVAM IVLA SAPR NEPR "
        "PYNO CUNM CUCD IDAT DUDT INST FACI SPUN ORDT"
    ),
    index={
        "IVNO": lambda m3, v: _invoice_lines(m3, _invoices(m3, v)),
        "ORNO": lambda m3, v: _invoice_lines(m3, _invoices_of_order(m3, v)),
    },
    labels={"IVNO": "Invoice number", "ORNO": "Order number", "PONR": "Order line"},
)


def _receivable_row(m3: M3Tenant, inv: Invoice) -> Row:
    return {
        **_context(m3), "YEA4": inv.yea4, "JRNO": inv.jrno, "JSNO": inv.jsno, "CINO": inv.cino, "TRCD": "10",
        "INYR": inv.yea4, "RECO": inv.reco, "REDE": inv.paid_on, "PYNO": inv.cuno, "CUNO": inv.cuno,
        "IVDT": inv.ivdt, "ACDT": inv.ivdt, "DUDT": inv.dudt, "CUAM": inv.gross, "VTAM": inv.vat, "CUCD": inv.cucd,
        "DTP5": inv.paid_on, "CRST": "0",
    }  # fmt: skip


RECEIVABLE = Family(
    "receivable",
    key=("YEA4", "JRNO", "JSNO"),
    objects=lambda m3: m3.invoices.values(),
    row=_receivable_row,
    fields=_fields(
        "CONO DIVI YEA4 JRNO JSNO CINO TRCD INYR RECO REDE PYNO CUNO IVDT ACDT DUDT CUAM VTAM CUCD DTP5 CRST"
    ),
    index={
        "CUNO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.cuno == v],
        "CINO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.cino == _num(v)],
        "JRNO": lambda m3, v: [inv for inv in m3.invoices.values() if inv.jrno == _num(v)],
    },
    labels={"JRNO": "Invoice journal", "CINO": "Invoice number", "CUNO": "Customer number"},
)

# -- interface messages ----------------------------------------------------------------------------


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
    fields=_fields(
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
        **_context(m3), "MSGN": msg.msgn, "E0PA": msg.partner, "E0PB": msg.partner, "E065": msg.e065,
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
    fields=_fields(
        "CONO DIVI MSGN E0PA E0PB E065 PMSN WHLO FACI RIDN RIDI PLSX CUNO CUOR STAT ORCA GEDT GETM LMTS"
    ),
    index={
        "MSGN": lambda m3, v: [m for m in [m3.warehouse_messages.get(v)] if m is not None],
        "E0PB": lambda m3, v: [m for m in m3.warehouse_messages.values() if m.partner == v],
    },
    labels={"MSGN": "Message number", "PMSN": "External message number", "E0PB": "Partner"},
)

#: Records the emulator does not keep (charges, quotations, packages, lots, code tables, ...):
#: a ``Get`` of one fails as a missing record, a ``Lst`` answers no records.
NOTHING = Family(NOT_KEPT, key=(), objects=lambda m3: (), row=lambda m3, obj: {}, fields=frozenset())

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        ITEM, WAREHOUSE, BALANCE, CUSTOMER, CUSTOMER_ADDRESS, BATCH_ORDER, BATCH_LINE, BATCH_ADDRESS,
        ORDER_ADDRESS, BATCH_ERROR, ORDER_HEAD_TEXT, ORDER_LINE_TEXT, ORDER, ORDER_LINE, DELIVERY,
        DELIVERY_ADDRESS, DELIVERY_LINE, PICKING_LIST, SHIPMENT, INVOICE, INVOICE_LINE, RECEIVABLE,
        STOCK_MESSAGE, WAREHOUSE_MESSAGE, NOTHING,
    )
}  # fmt: skip

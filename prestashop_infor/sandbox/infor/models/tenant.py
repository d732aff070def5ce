"""``M3Tenant``: one M3 company behind its ION API gateway, composed of the parts of this package.

It holds the records (``records.py``), runs the order lifecycle (``lifecycle.py``, mixed in),
the customer returns (``returns.py``, mixed in), the credit control (``credit.py``, mixed in) and the
sales price lists (``prices.py``, mixed in),
keeps the gateway (``gateway.py``) and answers MI transactions: every call is validated against the
program's spec facts, then served by the program's hand-written rule (``programs/``) or, for reads,
by the generic read engine (``reads.py``), and rendered as M3 renders records — only the spec's
output fields, every value a string within its length.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from prestashop_infor.sandbox.infor.models.clock import SimClock
from prestashop_infor.sandbox.infor.models.credit import CreditControl
from prestashop_infor.sandbox.infor.models.gateway import Gateway
from prestashop_infor.sandbox.infor.models.lifecycle import LifecycleSettings, OrderLifecycle
from prestashop_infor.sandbox.infor.models.prices import CURRENCIES, PriceLists
from prestashop_infor.sandbox.infor.models.programs import PROGRAMS, Handler, Program
from prestashop_infor.sandbox.infor.models.reads import ReadEngine, ReadPlan, ReadRule, compile_read
from prestashop_infor.sandbox.infor.models.records import (
    Balance,
    BatchOrder,
    Customer,
    CustomerOrder,
    CustomerReturn,
    Delivery,
    Invoice,
    Item,
    PaymentBatch,
    PriceList,
    Shipment,
    StockMessage,
    Warehouse,
    WarehouseMessage,
)
from prestashop_infor.sandbox.infor.models.returns import CustomerReturns
from prestashop_infor.sandbox.infor.models.values import (
    MSG_EXISTS,
    MSG_NOT_NUMERIC,
    MSG_TOO_LONG,
    MSG_UNKNOWN_FIELD,
    MSG_UNKNOWN_TRANSACTION,
    M3Failure,
    is_number,
    mandatory,
    render,
)
from prestashop_infor.sandbox.infor.specs import GENERIC_TRANSACTIONS, TransactionSpec, load_specs

INVOICE_SERIES_START = 100_000_000  # the company's division's first invoice number; an added one's 2x, 3x...


@functools.cache
def _read_plan(program: str, transaction: str, rule: ReadRule) -> ReadPlan:
    """A read transaction compiled once per process (the facts and rules never change)."""
    return compile_read(load_specs()[program][transaction], rule)


class M3Tenant(OrderLifecycle, CustomerReturns, CreditControl, PriceLists):
    """One M3 tenant (company 100, division AAA) behind its ION API gateway. More companies of the
    same tenant (``add_company``) share its gateway and clock and keep records of their own; a call
    names one with ``cono`` (none: this one, the API user's default)."""

    def __init__(
        self,
        tenant: str = "SANDBOX_TST",
        *,
        clock: SimClock | None = None,
        lifecycle: LifecycleSettings | None = None,
        token_lifetime: timedelta = timedelta(hours=2),
        cono: str = "100",
        divi: str = "AAA",
        seed: int = 42,
    ):
        self.tenant = tenant
        self.cono = cono
        self.divi = divi
        self.clock = clock or SimClock()
        self.clock.on_advance = self.tick
        self.lifecycle = lifecycle or LifecycleSettings()
        self.gateway = Gateway(tenant, self.clock, token_lifetime=token_lifetime)
        self.specs = load_specs()
        self.error_style = "results"  # "results": error in results[0]; "top": error fields at the top level
        self.default_maxrecs = 100  # server default when maxrecs is omitted (known unknown §17.2)
        self.seed = seed
        self.items: dict[str, Item] = {}
        self.warehouses: dict[str, Warehouse] = {}
        self.balances: dict[tuple[str, str], Balance] = {}  # (WHLO, ITNO)
        self.customers: dict[str, Customer] = {}
        self.batch_orders: dict[str, BatchOrder] = {}
        self.orders: dict[str, CustomerOrder] = {}
        # indexes of the orders, kept by add_order; an entry whose order was deleted is skipped
        self.order_dates: list[tuple[str, str]] = []  # (ORDT as YYYYMMDD, ORNO), sorted
        self.orders_by_cuor: dict[str, list[str]] = {}  # CUOR -> ORNO
        self.deliveries: dict[str, Delivery] = {}
        self.shipments: dict[str, Shipment] = {}
        self.invoices: dict[tuple[str, str], Invoice] = {}  # (YEA4, IVNO)
        self.payment_batches: dict[str, PaymentBatch] = {}
        self.stock_messages: dict[tuple[str, str], StockMessage] = {}  # (partner, PMSN)
        self.warehouse_messages: dict[str, WarehouseMessage] = {}  # MSGN
        self.returns: dict[str, CustomerReturn] = {}  # REPN
        self.credit_notes: dict[str, list[tuple[str, str]]] = {}  # ORNO -> its credit notes (YEA4, IVNO)
        self.price_lists: dict[tuple[str, str, str, date], PriceList] = {}  # (PRRF, CUCD, CUNO, FVDT)
        self.currencies: set[str] = set(CURRENCIES)
        self.default_warehouse = "100"
        self.customer_template = "WEBTMPL"
        self._counters = {"temp": 5000000000, "order": 1000000000, "customer": 0, "delivery": 30000000000,
                          "shipment": 7000000, "invoice": INVOICE_SERIES_START, "journal": 0, "message": 0,
                          "return": 8000000}  # fmt: skip
        self._lmts = 0
        self._schedule = []
        self._pending_batches = []
        self._return_schedule = []
        self._seq = 0
        self._step_time = None
        self._lock = threading.RLock()
        self.programs: dict[str, Program] = {cls.name: cls(self) for cls in PROGRAMS}
        self.reader = ReadEngine(self)
        self.handlers: dict[tuple[str, str], Handler] = self._handlers()
        self.companies: dict[str, M3Tenant] = {cono: self}  # shared by every company of the tenant
        self.facility_divisions: dict[str, str] = {}  # FACI -> DIVI, for the divisions added
        self.call_division = divi  # the division of the call being run (``execute``)

    # -- public API ----------------------------------------------------------------------------

    def tick(self) -> int:
        """Run every lifecycle step that is due on the tenant clock: the orders', then the returns'."""
        with self._lock:
            return super().tick() + self.credit_due_returns()

    # -- companies -----------------------------------------------------------------------------

    def add_company(self, cono: str, divi: str = "AAA") -> M3Tenant:
        """Another company of this tenant, empty: its own items, warehouses, customers, orders...
        behind the same gateway (one token serves every company) and on the same clock."""
        if not cono.isdigit() or len(cono) > 3:
            raise ValueError(f"an M3 company is 1 to 3 digits, got {cono!r}")
        if cono in self.companies:
            raise ValueError(f"company {cono} exists already")
        company = M3Tenant(self.tenant, clock=self.clock, lifecycle=self.lifecycle, cono=cono, divi=divi,
                           seed=self.seed)  # fmt: skip
        company.gateway = self.gateway
        company.companies = self.companies
        self.companies[cono] = company
        self.clock.on_advance = self._tick_companies  # the new company took the clock's callback
        return company

    # -- divisions -----------------------------------------------------------------------------

    def add_division(self, divi: str, facilities: Iterable[str]) -> None:
        """Another division of this company, owning ``facilities`` (and so their warehouses): the
        orders of those facilities, their invoices (a number series of the division's own) and
        receivables belong to it. Customers, items and warehouses stay the company's, as in M3."""
        if not divi or len(divi) > 3:
            raise ValueError(f"an M3 division is 1 to 3 characters, got {divi!r}")
        if divi == self.divi or divi in self.facility_divisions.values():
            raise ValueError(f"division {divi} exists already")
        with self._lock:
            for faci in facilities:
                self.facility_divisions[faci] = divi
            self._counters[self.invoice_series(divi)] = INVOICE_SERIES_START * len(self.divisions())

    def division_of(self, faci: str) -> str:
        """The division a facility belongs to: one added with it, else the company's own."""
        return self.facility_divisions.get(faci, self.divi)

    def divisions(self) -> list[str]:
        return [self.divi, *sorted(set(self.facility_divisions.values()))]

    def next_invoice_number(self, divi: str) -> str:
        """The next invoice number of a division: each division has its number series (M3 keeps one
        per division, CRS165); the emulator starts each added division's 100,000,000 after the last's,
        so an invoice is still found by year and number alone."""
        return str(self._next(self.invoice_series(divi)))

    def invoice_series(self, divi: str) -> str:
        """The number series (``_counters`` key) of a division's invoices."""
        return "invoice" if divi in ("", self.divi) else f"invoice:{divi}"

    def company(self, cono: str | None) -> M3Tenant:
        """The company a call runs in: ``cono``, or with none the API user's default (this one)."""
        if cono in (None, ""):
            return self
        found = self.companies.get(str(cono))
        if found is None:
            raise M3Failure("XAU0008", f"Not authorized for company {cono}", "CONO")
        return found

    def _tick_companies(self) -> int:
        return sum(company.tick() for company in list(self.companies.values()))

    def write_ionapi(self, path: str | Path, base_url: str) -> Path:
        """Write a `.ionapi` file pointing ``iu``/``pu`` at this emulator served on ``base_url``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.gateway.credentials(base_url), indent=2) + "\n", encoding="utf-8")
        return target

    def ionapi(self, base_url: str) -> dict[str, Any]:
        return self.gateway.credentials(base_url)

    def execute(
        self,
        program: str,
        transaction: str,
        fields: dict[str, str],
        *,
        dateformat: str = "YMD8",
        maxrecs: int = 0,
        divi: str | None = None,
    ) -> list[dict[str, str]]:
        """Run one MI transaction: validate against the spec, apply the rule, render at most
        ``maxrecs`` records (0 = all; every spec output field present, every value a string).
        ``divi`` is the call's division (the ``divi`` parameter; none: the API user's, this company's
        own), which division-bound reads answer in (receivables). Raises M3Failure."""
        with self._lock:
            if divi and divi not in self.divisions():
                raise M3Failure("XAU0008", f"Not authorized for division {divi}", "DIVI")
            self.call_division = divi or self.divi
            self.tick()
            spec = self.transaction_spec(program, transaction)
            clean = self.validate(spec, fields)
            if transaction in GENERIC_TRANSACTIONS and (program, transaction) not in self.handlers:
                records: Iterable[dict[str, Any]] = self._generic(transaction)
            else:
                handler = self.handlers.get((program, transaction))
                if handler is None:
                    raise M3Failure(
                        MSG_UNKNOWN_TRANSACTION,
                        f"Transaction {transaction} of {program} is not available in this emulator",
                        error_type="TransactionNotFound",
                    )
                records = handler(clean)
            if maxrecs > 0:
                records = itertools.islice(records, maxrecs)
            return [self._render(spec, record, dateformat) for record in records]

    def transaction_spec(self, program: str, transaction: str) -> TransactionSpec:
        transactions = self.specs.get(program)
        if transactions is None:
            raise M3Failure(
                MSG_UNKNOWN_TRANSACTION, f"Program {program} does not exist", error_type="TransactionNotFound"
            )
        spec = transactions.get(transaction)
        if spec is None:
            raise M3Failure(
                MSG_UNKNOWN_TRANSACTION,
                f"Transaction {transaction} does not exist in program {program}",
                error_type="TransactionNotFound",
            )
        return spec

    @staticmethod
    def validate(spec: TransactionSpec, fields: dict[str, str]) -> dict[str, str]:
        """Check inputs the way M3 does: names the spec knows, lengths, numbers, mandatory fields.
        Values are right-trimmed (M3 fields are blank-padded) and blanks dropped."""
        clean: dict[str, str] = {}
        for name, raw in fields.items():
            field_spec = spec.inputs.get(name)
            if field_spec is None:
                raise M3Failure(
                    MSG_UNKNOWN_FIELD,
                    f"Field {name} is not an input of {spec.program}/{spec.transaction}",
                    name,
                    "InputFieldNotFound",
                )
            value = str(raw).rstrip()
            if field_spec.max_length and len(value) > field_spec.max_length:
                raise M3Failure(
                    MSG_TOO_LONG,
                    f"{field_spec.description} ({name}) is too long: {len(value)} characters, "
                    f"maximum {field_spec.max_length}",
                    name,
                    "InputFieldTooLong",
                )
            if value and field_spec.numeric and not is_number(value):
                raise M3Failure(MSG_NOT_NUMERIC, f"{field_spec.description} ({name}) must be numeric", name)
            if value:
                clean[name] = value
        for name in spec.required:
            if name not in clean:
                raise mandatory(name, spec.inputs[name].description)
        return clean

    @staticmethod
    def _render(spec: TransactionSpec, record: dict[str, Any], dateformat: str) -> dict[str, str]:
        """A record as M3 answers it: every output field of the spec, a string cut to the field's
        length (a field shared by transactions of different lengths shows its first characters)."""
        rendered = dict.fromkeys(spec.outputs, "")
        for name, value in record.items():
            length = spec.outputs.get(name)
            if length is None:
                raise AssertionError(f"emulator bug: {spec.program}/{spec.transaction} has no output {name}")
            text = render(value, dateformat)
            if len(text) > length:
                if not isinstance(value, str):
                    raise AssertionError(
                        f"emulator bug: {spec.program}/{spec.transaction} {name}={text!r} too long"
                    )
                text = text[:length].rstrip()
            rendered[name] = text
        return rendered

    # -- programs ------------------------------------------------------------------------------

    def _handlers(self) -> dict[tuple[str, str], Handler]:
        """(program, transaction) -> rule: hand-written where a program defines one, else the read
        engine for every read transaction the program's table maps to a record family."""
        handlers: dict[tuple[str, str], Handler] = {}
        for name, program in self.programs.items():
            for transaction, rule in program.reads.items():
                plan = _read_plan(name, transaction, rule)
                handlers[(name, transaction)] = functools.partial(self._read, plan)
            for transaction, handler in program.rules().items():
                handlers[(name, transaction)] = handler
        return handlers

    def _read(self, plan: ReadPlan, fields: dict[str, str]) -> Iterable[dict[str, Any]]:
        return self.reader.read(plan, fields)

    def _generic(self, transaction: str) -> list[dict[str, Any]]:
        now = self.clock.now()
        match transaction:
            case "GetServerTime":
                return [{"DATE": now.date(), "TIME": now.strftime("%H%M%S"), "LMTS": self.next_lmts()}]
            case "GetUserInfo":
                return [{"ZZUSID": "MIUSER", "ZDCONO": self.cono, "ZDDIVI": self.divi, "ZDFACI": "100",
                         "ZZWHLO": self.default_warehouse, "ZDLANC": "GB", "ZDDTFM": "YMD", "DSEP": "-",
                         "TSEP": ":", "TIZO": "UTC", "USFN": "M3 emulator API user"}]  # fmt: skip
            case _:
                return [{}]

    # -- seeding -------------------------------------------------------------------------------

    @property
    def default_facility(self) -> str:
        warehouse = self.warehouses.get(self.default_warehouse)
        return warehouse.faci if warehouse else "100"

    def add_warehouse(
        self, whlo: str, whnm: str, faci: str = "100", cscd: str = "FR", town: str = ""
    ) -> Warehouse:
        with self._lock:
            warehouse = Warehouse(whlo, whnm, faci, cscd, town, self.next_lmts())
            self.warehouses[whlo] = warehouse
            return warehouse

    def add_item(self, itno: str, itds: str, price: Decimal | str | float, **extra: Any) -> Item:
        if not itno or len(itno) > 15:
            raise ValueError(f"M3 item numbers are 1 to 15 characters, got {itno!r}")
        with self._lock:
            item = Item(
                itno, itds[:60], Decimal(str(price)), lmdt=self.today(), lmts=self.next_lmts(), **extra
            )
            self.items[itno] = item
            return item

    def set_balance(self, whlo: str, itno: str, on_hand: Decimal | int) -> Balance:
        with self._lock:
            balance = self.balances.get((whlo, itno)) or Balance(whlo, itno)
            balance.on_hand = Decimal(on_hand)
            self.balances[(whlo, itno)] = balance
            self._touch_balance(balance)
            return balance

    def add_customer(self, cuno: str | None = None, cunm: str = "Customer", **extra: Any) -> Customer:
        numbered = False
        with self._lock:
            while cuno is None or (numbered and cuno in self.customers):
                numbered = True
                self._counters["customer"] += 1
                cuno = f"WEB{self._counters['customer']:07d}"
            if cuno in self.customers:
                raise M3Failure(MSG_EXISTS, f"Customer number {cuno} already exists", "CUNO")
            customer = Customer(
                cuno, cunm, rgdt=self.today(), lmdt=self.today(), lmts=self.next_lmts(), **extra
            )
            self.customers[cuno] = customer
            return customer

    # -- inspection ----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        with self._lock:
            phases: dict[str, int] = {}
            per_cuor: dict[str, int] = {}
            for order in self.orders.values():
                phases[order.phase] = phases.get(order.phase, 0) + 1
                if order.cuor:
                    per_cuor[order.cuor] = per_cuor.get(order.cuor, 0) + 1
            per_mail: dict[str, int] = {}
            for customer in self.customers.values():
                mail = customer.mail.strip().lower()
                if mail:
                    per_mail[mail] = per_mail.get(mail, 0) + 1
            return {
                "tenant": self.tenant,
                "now": self.clock.now().isoformat(),
                "items": len(self.items),
                "warehouses": sorted(self.warehouses),
                "customers": len(self.customers),
                "batch_orders": len(self.batch_orders),
                "orders": len(self.orders),
                "orders_by_phase": phases,
                # customer orders beyond the first for one customer's order number: doubles
                "duplicate_orders": sum(count - 1 for count in per_cuor.values()),
                # customers beyond the first with one e-mail (the integration makes one per e-mail)
                "duplicate_customers": sum(count - 1 for count in per_mail.values()),
                "deliveries": len(self.deliveries),
                "invoices": len(self.invoices),
                "invoices_paid": sum(1 for invoice in self.invoices.values() if invoice.reco == "9"),
            }

    def lock(self) -> threading.RLock:
        return self._lock


__all__ = ["M3Tenant"]

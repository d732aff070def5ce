"""State and business rules of the M3 emulator: one tenant's ION API gateway and M3 company.

moto style: everything M3 *does* lives here (transactions, the customer-order lifecycle, stock,
deliveries, invoices, payments, tokens, faults); ``responses.py`` only translates HTTP. Inputs are
checked against the real MI program specs in ``specs/`` (required fields, maximum lengths, field
names) and outputs use only the fields those specs list, every value a string.

The order lifecycle follows the contract (§10): a batch order (temporary number) is confirmed into a
customer order (header STAT 20), its lines are allocated from warehouse balances (22/23/33), released
for picking in a delivery (44), delivered with a shipment and tracking number (66), invoiced (77),
and paid (receivable RECO 9). Steps happen on the tenant's simulated clock after configurable
delays, or at once through the sandbox hooks and the MI transactions that drive them.
"""

from __future__ import annotations

import functools
import heapq
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

SPECS_DIR = Path(__file__).parent / "specs"
COMMON_PARAMETERS = frozenset(
    {"cono", "divi", "lanc", "locale", "timeZone", "maxrecs", "dateformat", "excludeempty", "righttrim",
     "returncols", "format", "extendedresult"}
)  # fmt: skip
_MAX_LENGTH = re.compile(r"\((\d+)\)\s*$")
GENERIC_TRANSACTIONS = frozenset(
    {"GetServerTime", "ServerTimeZone", "GetUserInfo", "GetCurrentUser", "GetMIBuild", "GetFixLevel",
     "FpwVersion", "GetFieldHeading", "GetMessageText"}
)  # fmt: skip

# Synthetic message ids (seven characters, "EM" = emulator): real M3 ids are tenant-specific.
MSG_MANDATORY = "EMI0101"
MSG_TOO_LONG = "EMI0102"
MSG_UNKNOWN_FIELD = "EMI0103"
MSG_UNKNOWN_TRANSACTION = "EMI0104"
MSG_NOT_NUMERIC = "EMI0105"
MSG_INVALID_DATE = "EMI0106"
MSG_NOT_FOUND = "EMI0201"
MSG_EXISTS = "EMI0202"
MSG_WRONG_STATE = "EMI0203"
MSG_UNKNOWN_CUSTOMER = "EMI0301"
MSG_UNKNOWN_ITEM = "EMI0302"
MSG_CREDIT_STOP = "EMI0303"
MSG_NO_LINES = "EMI0304"

# Batch order status (OIS275). "10" while a batch order is being entered or waits for the batch job:
# the real value between AddBatchHead and Confirm is a known unknown (contract §17.3).
BATCH_ENTERED = "10"
BATCH_HEAD_ERROR = "15"
BATCH_NO_LINES = "20"
BATCH_LINE_ERROR = "25"
BATCH_CREDIT_STOP = "30"
BATCH_CREATED = "90"

CUSTOMER_ORDER_RORC = "3"  # reference order category of customer orders (usual assumption, §11.6)


# --------------------------------------------------------------------------------------------------
# Specs


@dataclass(frozen=True)
class FieldSpec:
    name: str
    required: bool
    max_length: int
    numeric: bool
    description: str


@dataclass(frozen=True)
class TransactionSpec:
    program: str
    transaction: str
    inputs: dict[str, FieldSpec]
    outputs: dict[str, int]  # field -> max length, in spec order

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.inputs.values() if f.required]


@functools.cache
def load_specs(folder: Path = SPECS_DIR) -> dict[str, dict[str, TransactionSpec]]:
    """program -> transaction -> spec, read once from the Swagger files."""
    registry: dict[str, dict[str, TransactionSpec]] = {}
    for path in sorted(folder.glob("*.swagger.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        program = spec["info"]["title"].split(" - ")[0].strip()
        transactions = registry.setdefault(program, {})
        for route, operations in spec["paths"].items():
            operation = operations["get"]
            inputs = {}
            for parameter in operation["parameters"]:
                if parameter["name"] in COMMON_PARAMETERS:
                    continue
                description = parameter.get("description", "")
                match = _MAX_LENGTH.search(description)
                inputs[parameter["name"]] = FieldSpec(
                    name=parameter["name"],
                    required=bool(parameter.get("required", False)),
                    max_length=int(match.group(1)) if match else 0,
                    numeric=parameter.get("type") == "number",
                    description=_MAX_LENGTH.sub("", description).strip(),
                )
            result = operation["responses"]["200"]["schema"]["properties"]["results"]["items"]
            example = result["properties"]["records"]["items"].get("example", {})
            outputs = {name: int(_MAX_LENGTH.search(text).group(1)) for name, text in example.items()}
            name = route.strip("/")
            transactions[name] = TransactionSpec(program, name, inputs, outputs)
    return registry


# --------------------------------------------------------------------------------------------------
# Errors and values


class M3Failure(Exception):
    """An M3 business error: one failed transaction (HTTP 400 on a single call)."""

    def __init__(self, code: str, message: str, field: str = "", error_type: str = "ServerReturnedNOK"):
        self.code = code
        self.message = message
        self.field = field
        self.error_type = error_type
        super().__init__(f"{code} {field}: {message}")


def dec(value: Decimal | int | str) -> str:
    """An M3 number on the wire: plain digits, '.' as separator, no exponent, no trailing zeros."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def render_date(value: date | None, dateformat: str = "YMD8") -> str:
    if value is None:
        return "0"
    match dateformat.upper():
        case "YMD6":
            return value.strftime("%y%m%d")
        case "MDY6":
            return value.strftime("%m%d%y")
        case "DMY6":
            return value.strftime("%d%m%y")
        case "YWD5":
            iso = value.isocalendar()
            return f"{iso.year % 100:02d}{iso.week:02d}{iso.weekday}"
        case "YMD8-":
            return value.strftime("%Y-%m-%d")
        case _:
            return value.strftime("%Y%m%d")


# --------------------------------------------------------------------------------------------------
# Clock


class SimClock:
    """The tenant's clock. Manual (only ``advance`` moves it) for tests; real time plus the manual
    offset for the sandbox, so the demo moves by itself and can still be fast-forwarded."""

    def __init__(self, start: datetime | None = None, *, realtime: bool = False):
        self._start = start or datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
        self._realtime = realtime
        self._t0 = time.monotonic()
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self.on_advance: Callable[[], None] | None = None

    def now(self) -> datetime:
        with self._lock:
            elapsed = timedelta(seconds=time.monotonic() - self._t0) if self._realtime else timedelta(0)
            return self._start + elapsed + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and let the tenant run every step that fell due."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        if self.on_advance is not None:
            self.on_advance()
        return self.now()

    def millis(self) -> int:
        return int(self.now().timestamp() * 1000)


# --------------------------------------------------------------------------------------------------
# Records


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
    credit_stop: bool = False
    rgdt: date | None = None
    lmdt: date | None = None
    chno: int = 1
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


@dataclass
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


@dataclass
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


@dataclass
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


@dataclass
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


@dataclass
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

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    @property
    def remaining(self) -> Decimal:
        return self.gross - self.paid


@dataclass
class PaymentBatch:
    pbid: str
    bope: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    controlled: bool = False


@dataclass
class StockMessage:
    msnr: str
    partner: str
    pmsn: str
    whlo: str
    itno: str
    quantity: Decimal


@dataclass
class LifecycleSettings:
    """Delays between lifecycle steps on the tenant clock; ``None`` = never by itself (only through
    the MI transactions and sandbox hooks that drive the step)."""

    confirm_delay: timedelta | None = timedelta(0)  # batch order -> customer order (0 = synchronous)
    pick_after: timedelta | None = timedelta(minutes=2)  # allocated -> released for picking (44)
    ship_after: timedelta | None = timedelta(minutes=5)  # picking -> delivered (66)
    invoice_after: timedelta | None = timedelta(minutes=10)  # delivered -> invoiced (77)
    pay_after: timedelta | None = None  # invoiced -> receivable paid (RECO 9)
    vat_rate: Decimal = Decimal("0.20")
    payment_days: int = 30

    @classmethod
    def manual(cls) -> LifecycleSettings:
        """Nothing moves unless a test or a transaction moves it."""
        return cls(confirm_delay=timedelta(0), pick_after=None, ship_after=None, invoice_after=None)


# --------------------------------------------------------------------------------------------------
# Gateway: tokens, quota, faults


@dataclass
class Fault:
    """An injected gateway fault: ``status`` answered ``count`` times to calls matching ``match``
    (a substring of ``PROGRAM/Transaction`` or of the path; empty = every M3 call)."""

    status: int
    count: int = 1
    match: str = ""
    retry_after: str | None = None
    delay: float = 0.0  # seconds before answering (e.g. a slow 504)
    after_commit: bool = False  # run the transaction first, then answer the fault ("the write committed")


@dataclass
class _Grant:
    grant_id: str
    client_id: str
    refresh_token: str
    revoked: bool = False


class Gateway:
    """The ION API gateway in front of M3: the authorized app, tokens, quota and injected faults."""

    def __init__(self, tenant: str, clock: SimClock, *, token_lifetime: timedelta = timedelta(hours=2)):
        self.tenant = tenant
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.client_id = f"{tenant}~{secrets.token_urlsafe(12)}"
        self.client_secret = secrets.token_urlsafe(32)
        self.access_key = f"{tenant}#{secrets.token_urlsafe(24)}"
        self.secret_key = secrets.token_urlsafe(32)
        self.issue_refresh_tokens = True
        self._grants: dict[str, _Grant] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> grant id
        self._access: dict[str, tuple[datetime, str]] = {}  # access token -> (expiry, grant id)
        self.faults: list[Fault] = []
        self.quota: tuple[int, timedelta] | None = None  # allow N calls per period, else 429
        self._quota_window: tuple[datetime, int] | None = None
        self.tokens_issued = 0
        self._lock = threading.Lock()

    # -- OAuth 2.0 -----------------------------------------------------------------------------

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> bool:
        return secrets.compare_digest(client_id or "", self.client_id) and secrets.compare_digest(
            client_secret or "", self.client_secret
        )

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        """Handle a token request whose client is already authenticated; raise OAuthError."""
        grant_type = form.get("grant_type", "")
        with self._lock:
            if grant_type == "password":
                ok = secrets.compare_digest(
                    form.get("username", ""), self.access_key
                ) and secrets.compare_digest(form.get("password", ""), self.secret_key)
                if not ok:
                    raise OAuthError(400, "invalid_grant", "The service account credentials are not valid")
                return self._issue(self._new_grant())
            if grant_type == "client_credentials":
                return self._issue(self._new_grant())
            if grant_type == "refresh_token":
                grant_id = self._refresh.get(form.get("refresh_token", ""))
                if grant_id is None or self._grants[grant_id].revoked:
                    raise OAuthError(400, "invalid_grant", "The refresh token is not valid or was revoked")
                return self._issue(self._grants[grant_id])
            raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def revoke(self, token: str) -> None:
        """Revoking a refresh token kills its grant and every access token of it (RFC 7009: unknown
        tokens are not an error)."""
        with self._lock:
            grant_id = self._refresh.get(token)
            if grant_id is not None:
                self._grants[grant_id].revoked = True
                for access, (_, owner) in list(self._access.items()):
                    if owner == grant_id:
                        del self._access[access]
            else:
                self._access.pop(token, None)

    def check_bearer(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        with self._lock:
            entry = self._access.get(authorization[7:].strip())
            if entry is None:
                return False
            expiry, grant_id = entry
            return self.clock.now() < expiry and not self._grants[grant_id].revoked

    def expire_tokens(self) -> int:
        """Sandbox hook: every access token issued so far is expired from now on."""
        with self._lock:
            now = self.clock.now()
            for token, (_, grant_id) in self._access.items():
                self._access[token] = (now, grant_id)
            return len(self._access)

    def _new_grant(self) -> _Grant:
        grant = _Grant(secrets.token_hex(8), self.client_id, secrets.token_urlsafe(32))
        self._grants[grant.grant_id] = grant
        self._refresh[grant.refresh_token] = grant.grant_id
        return grant

    def _issue(self, grant: _Grant) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self._access[access] = (self.clock.now() + self.token_lifetime, grant.grant_id)
        self.tokens_issued += 1
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.token_lifetime.total_seconds()),
        }
        if self.issue_refresh_tokens:
            body["refresh_token"] = grant.refresh_token
        return body

    # -- quota and faults ----------------------------------------------------------------------

    def over_quota(self) -> int | None:
        """Seconds until the quota window resets when this call is over quota, else None."""
        if self.quota is None:
            return None
        allow, period = self.quota
        now = self.clock.now()
        with self._lock:
            if self._quota_window is None or now >= self._quota_window[0] + period:
                self._quota_window = (now, 0)
            start, used = self._quota_window
            if used >= allow:
                return max(1, int((start + period - now).total_seconds() + 0.999))
            self._quota_window = (start, used + 1)
            return None

    def take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.count > 0 and fault.match in target:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def credentials(self, base_url: str) -> dict[str, Any]:
        """The `.ionapi` object pointing at this gateway (extras included so loaders meet them)."""
        base = base_url.rstrip("/")
        return {
            "ti": self.tenant,
            "cn": f"prestashop-infor sandbox ({self.tenant})",
            "dt": "12",
            "ci": self.client_id,
            "cs": self.client_secret,
            "iu": base,
            "pu": f"{base}/{self.tenant}/as/",
            "oa": "authorization.oauth2",
            "ot": "token.oauth2",
            "or": "revoke_token.oauth2",
            "ev": "U000000001",
            "v": "1.0",
            "saak": self.access_key,
            "sask": self.secret_key,
        }


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str):
        self.status = status
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}")


# --------------------------------------------------------------------------------------------------
# The tenant


Handler = Callable[[dict[str, str]], list[dict[str, Any]]]


class M3Tenant:
    """One M3 tenant (company 100, division AAA) behind its ION API gateway."""

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
        self.deliveries: dict[str, Delivery] = {}
        self.shipments: dict[str, Shipment] = {}
        self.invoices: dict[tuple[str, str], Invoice] = {}  # (YEA4, IVNO)
        self.payment_batches: dict[str, PaymentBatch] = {}
        self.stock_messages: dict[tuple[str, str], StockMessage] = {}  # (partner, PMSN)
        self.default_warehouse = "100"
        self.customer_template = "WEBTMPL"
        self._counters = {"temp": 5000000000, "order": 1000000000, "customer": 0, "delivery": 30000000000,
                          "shipment": 7000000, "invoice": 100000000, "journal": 0, "message": 0}  # fmt: skip
        self._lmts = 0
        self._schedule: list[tuple[datetime, int, str, str]] = []  # (due, seq, ORNO, phase expected)
        self._pending_batches: list[tuple[datetime, int, str]] = []
        self._seq = 0
        self._step_time: datetime | None = None
        self._lock = threading.RLock()
        self.handlers: dict[tuple[str, str], Handler] = self._handlers()

    # -- public API ----------------------------------------------------------------------------

    def write_ionapi(self, path: str | Path, base_url: str) -> Path:
        """Write a `.ionapi` file pointing ``iu``/``pu`` at this emulator served on ``base_url``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.gateway.credentials(base_url), indent=2) + "\n", encoding="utf-8")
        return target

    def ionapi(self, base_url: str) -> dict[str, Any]:
        return self.gateway.credentials(base_url)

    def execute(self, program: str, transaction: str, fields: dict[str, str], *, dateformat: str = "YMD8"):
        """Run one MI transaction: validate against the spec, apply the rule, render the records
        (every spec output field present, every value a string). Raises M3Failure."""
        with self._lock:
            self.tick()
            spec = self.transaction_spec(program, transaction)
            clean = self.validate(spec, fields)
            if transaction in GENERIC_TRANSACTIONS and (program, transaction) not in self.handlers:
                records = self._generic(transaction)
            else:
                handler = self.handlers.get((program, transaction))
                if handler is None:
                    raise M3Failure(
                        MSG_UNKNOWN_TRANSACTION,
                        f"Transaction {transaction} of {program} is not available in this emulator",
                        error_type="TransactionNotFound",
                    )
                records = handler(clean)
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
            if value and field_spec.numeric and not _is_number(value):
                raise M3Failure(MSG_NOT_NUMERIC, f"{field_spec.description} ({name}) must be numeric", name)
            if value:
                clean[name] = value
        for name in spec.required:
            if name not in clean:
                description = spec.inputs[name].description
                raise M3Failure(
                    MSG_MANDATORY,
                    f"{description} ({name}) must be entered",
                    name,
                    "MandatoryInputFieldNotFound",
                )
        return clean

    def _render(self, spec: TransactionSpec, record: dict[str, Any], dateformat: str) -> dict[str, str]:
        rendered = dict.fromkeys(spec.outputs, "")
        for name, value in record.items():
            if name not in spec.outputs:
                raise AssertionError(f"emulator bug: {spec.program}/{spec.transaction} has no output {name}")
            if value is None:
                text = ""
            elif isinstance(value, bool):
                text = "1" if value else "0"
            elif isinstance(value, datetime):
                text = render_date(value.date(), dateformat)
            elif isinstance(value, date):
                text = render_date(value, dateformat)
            elif isinstance(value, Decimal | int):
                text = dec(value)
            else:
                text = str(value).rstrip()
            if len(text) > spec.outputs[name]:
                raise AssertionError(
                    f"emulator bug: {spec.program}/{spec.transaction} {name}={text!r} too long"
                )
            rendered[name] = text
        return rendered

    # -- seeding -------------------------------------------------------------------------------

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

    # -- time ----------------------------------------------------------------------------------

    def today(self) -> date:
        return self.clock.now().date()

    def next_lmts(self) -> int:
        """A change timestamp: milliseconds on the tenant clock, strictly increasing."""
        with self._lock:
            self._lmts = max(self._lmts + 1, self.clock.millis())
            return self._lmts

    def tick(self) -> int:
        """Run every lifecycle step that is due on the tenant clock; returns how many ran."""
        ran = 0
        with self._lock:
            now = self.clock.now()
            try:
                # steps are timed from when the previous step was due, so one big jump of the
                # clock runs the whole chain, not one step per jump
                while self._pending_batches and self._pending_batches[0][0] <= now:
                    due, _, orno = heapq.heappop(self._pending_batches)
                    self._step_time = due
                    self._create_customer_order(self.batch_orders[orno])
                    ran += 1
                while self._schedule and self._schedule[0][0] <= now:
                    due, _, orno, phase = heapq.heappop(self._schedule)
                    order = self.orders.get(orno)
                    if order is not None and order.phase == phase:
                        self._step_time = due
                        self._advance(order)
                        ran += 1
            finally:
                self._step_time = None
        return ran

    def _schedule_next(self, order: CustomerOrder) -> None:
        delay = {
            "allocated": self.lifecycle.pick_after,
            "picking": self.lifecycle.ship_after,
            "delivered": self.lifecycle.invoice_after,
            "invoiced": self.lifecycle.pay_after,
        }.get(order.phase)
        if delay is not None:
            self._seq += 1
            start = self._step_time or self.clock.now()
            heapq.heappush(self._schedule, (start + delay, self._seq, order.orno, order.phase))

    def _advance(self, order: CustomerOrder) -> None:
        match order.phase:
            case "allocated":
                self.release_for_picking(order)
            case "picking":
                self.confirm_picking(order)
            case "delivered":
                self.invoice_order(order)
            case "invoiced":
                invoice = self.invoices[order.invoice] if order.invoice else None
                if invoice is not None:
                    self.pay_invoice(invoice, invoice.remaining, self.today())

    # -- batch orders (OIS100MI) ---------------------------------------------------------------

    def _next(self, counter: str) -> int:
        self._counters[counter] += 1
        return self._counters[counter]

    def _batch(self, orno: str) -> BatchOrder:
        batch = self.batch_orders.get(orno)
        if batch is None:
            raise M3Failure(MSG_NOT_FOUND, f"Batch order {orno} does not exist", "ORNO")
        return batch

    def _order(self, orno: str) -> CustomerOrder:
        order = self.orders.get(orno)
        if order is None:
            raise M3Failure(MSG_NOT_FOUND, f"Order number {orno} does not exist", "ORNO")
        return order

    def add_batch_head(self, f: dict[str, str]) -> list[dict[str, Any]]:
        for name in ("ORDT", "RLDT", "CUDT"):
            _parse_date(f, name)
        orno = str(self._next("temp"))
        self.batch_orders[orno] = BatchOrder(orno, f["CUNO"], dict(f), self.clock.now())
        return [{"ORNO": orno}]

    def _open_batch(self, orno: str) -> BatchOrder:
        batch = self._batch(orno)
        if batch.confirmed and batch.stat not in (BATCH_HEAD_ERROR, BATCH_NO_LINES, BATCH_LINE_ERROR):
            raise M3Failure(MSG_WRONG_STATE, f"Batch order {orno} is already confirmed", "ORNO")
        return batch

    def add_batch_address(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._open_batch(f["ORNO"])
        if f["ADRT"].lstrip("0") not in ("1", "2", "3", "4"):
            raise M3Failure(MSG_WRONG_STATE, f"Address type {f['ADRT']} is invalid", "ADRT")
        batch.addresses[f["ADRT"].lstrip("0")] = dict(f)
        return []

    def add_batch_line(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._open_batch(f["ORNO"])
        orqt = _parse_decimal(f, "ORQT", Decimal(1))
        if orqt <= 0:
            raise M3Failure(MSG_NOT_NUMERIC, "Ordered quantity (ORQT) must be greater than zero", "ORQT")
        sapr = _parse_decimal(f, "SAPR", None)
        _parse_date(f, "DWDT")
        for n in range(1, 7):
            _parse_decimal(f, f"DIP{n}", None)
        ponr = len(batch.lines) + 1
        whlo = f.get("WHLO") or batch.head.get("WHLO") or self.default_warehouse
        batch.lines.append(BatchLine(ponr, f["ITNO"], orqt, sapr, whlo, dict(f)))
        return [{"PONR": ponr, "POSX": "0", "ATNR": "0"}]

    def add_batch_text(self, f: dict[str, str]) -> list[dict[str, Any]]:
        self._open_batch(f["ORNO"]).texts.append(dict(f))
        return []

    def confirm(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._open_batch(f["ORNO"])
        batch.confirmed = True
        batch.errors = []
        customer = self.customers.get(batch.cuno)
        if customer is None:
            batch.stat = BATCH_HEAD_ERROR
            batch.errors.append(
                ("1", MSG_UNKNOWN_CUSTOMER, batch.cuno, f"Customer {batch.cuno} does not exist")
            )
        elif not batch.lines:
            batch.stat = BATCH_NO_LINES
            batch.errors.append(("1", MSG_NO_LINES, batch.orno, "Order lines are missing"))
        else:
            unknown = [line for line in batch.lines if line.itno not in self.items]
            for line in unknown:
                batch.errors.append(
                    ("2", MSG_UNKNOWN_ITEM, line.itno, f"Item {line.itno} does not exist"[:60])
                )
            unknown_whlo = [line for line in batch.lines if line.whlo not in self.warehouses]
            for line in unknown_whlo:
                batch.errors.append(("2", MSG_NOT_FOUND, line.whlo, f"Warehouse {line.whlo} does not exist"))
            if unknown or unknown_whlo:
                batch.stat = BATCH_LINE_ERROR
            elif customer.credit_stop:
                batch.stat = BATCH_CREDIT_STOP
                batch.errors.append(
                    ("1", MSG_CREDIT_STOP, batch.cuno, f"Customer {batch.cuno} is credit-stopped")
                )
            elif self.lifecycle.confirm_delay is None or self.lifecycle.confirm_delay > timedelta(0):
                batch.stat = BATCH_ENTERED
                if self.lifecycle.confirm_delay is not None:
                    self._seq += 1
                    due = self.clock.now() + self.lifecycle.confirm_delay
                    heapq.heappush(self._pending_batches, (due, self._seq, batch.orno))
            else:
                self._create_customer_order(batch)
        return [{"ORNO": batch.orno, "STAT": batch.stat}]

    def _create_customer_order(self, batch: BatchOrder) -> CustomerOrder:
        head = batch.head
        whlo = head.get("WHLO") or self.default_warehouse
        warehouse = self.warehouses.get(whlo)
        customer = self.customers[batch.cuno]
        orno = str(self._next("order"))
        lines = []
        for b in batch.lines:
            item = self.items[b.itno]
            lines.append(
                OrderLine(
                    ponr=b.ponr,
                    itno=b.itno,
                    itds=b.fields.get("ITDS") or item.itds[:30],
                    orqt=b.orqt,
                    sapr=b.sapr if b.sapr is not None else item.price,
                    discount_pct=_parse_decimal(b.fields, "DIP1", Decimal(0)),
                    whlo=b.whlo,
                    cuor=b.fields.get("CUOR") or head.get("CUOR", ""),
                    fields=b.fields,
                )
            )
        order = CustomerOrder(
            orno=orno,
            batch_orno=batch.orno,
            cuno=batch.cuno,
            head=dict(head),
            whlo=whlo,
            faci=head.get("FACI") or (warehouse.faci if warehouse else "100"),
            cucd=head.get("CUCD") or customer.cucd,
            ordt=_parse_date(head, "ORDT") or self.today(),
            rldt=_parse_date(head, "RLDT"),
            lines=lines,
            lmts=self.next_lmts(),
        )
        self.orders[orno] = order
        batch.stat = BATCH_CREATED
        batch.ornr = orno
        self._allocate(order)
        return order

    # -- lifecycle steps -----------------------------------------------------------------------

    def _touch_balance(self, balance: Balance) -> None:
        balance.lmts = self.next_lmts()
        balance.lmdt = self.today()

    def _touch(self, order: CustomerOrder) -> None:
        order.lmts = self.next_lmts()

    def _allocate(self, order: CustomerOrder) -> None:
        """Allocate what the warehouse balances allow; a fully allocated order moves on."""
        if order.phase != "allocating":
            return
        for line in order.lines:
            missing = line.orqt - line.alqt
            if missing <= 0 or line.cancelled:
                continue
            balance = self.balances.get((line.whlo, line.itno))
            if balance is None or balance.allocatable <= 0:
                continue
            take = min(missing, balance.allocatable)
            balance.allocated += take
            line.alqt += take
            self._touch_balance(balance)
        self._touch(order)
        if all(line.alqt >= line.orqt for line in order.lines if not line.cancelled):
            order.phase = "allocated"
            self._schedule_next(order)

    def allocate_waiting(self) -> None:
        for order in self.orders.values():
            if order.phase == "allocating":
                self._allocate(order)

    def release_for_picking(self, order: CustomerOrder) -> Delivery:
        """Allocated order -> a delivery (DLIX) with picking list 01; lines 44."""
        if order.phase != "allocated":
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} is not fully allocated", "ORNO")
        dlix = str(self._next("delivery"))
        delivery = Delivery(
            dlix, order.orno, order.whlo, order.cuor, order.head.get("MODL", ""), created=self.today(),
            lmts=self.next_lmts(),
        )  # fmt: skip
        self.deliveries[dlix] = delivery
        for line in order.lines:
            if line.cancelled:
                continue
            line.plqt = line.orqt
            line.dlix = dlix
            balance = self.balances[(line.whlo, line.itno)]
            balance.picking += line.orqt
            self._touch_balance(balance)
        order.dlix = dlix
        order.phase = "picking"
        self._touch(order)
        self._schedule_next(order)
        return delivery

    def confirm_picking(self, order: CustomerOrder, tracking_number: str | None = None) -> Delivery:
        """Report the picking list: stock issued, lines 66, shipment with a tracking number."""
        if order.phase != "picking":
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} has no picking list to report", "DLIX")
        delivery = self.deliveries[order.dlix]
        for line in order.lines:
            if line.cancelled:
                continue
            balance = self.balances[(line.whlo, line.itno)]
            balance.on_hand -= line.orqt
            balance.allocated -= line.alqt
            balance.picking -= line.plqt
            self._touch_balance(balance)
            line.dlqt = line.orqt
        now = self.clock.now()
        conn = str(self._next("shipment"))
        fwno = "DHL" if int(conn) % 2 else "UPS"
        self.shipments[conn] = Shipment(
            conn, order.whlo, fwno, now.date(), now.strftime("%H%M"), [delivery.dlix], rgdt=now.date(),
            lmts=self.next_lmts(),
        )  # fmt: skip
        delivery.conn = conn
        delivery.fwno = fwno
        delivery.etrn = tracking_number or f"{fwno}{order.orno}{delivery.dlix[-4:]}"
        delivery.dsdt = now.date()
        delivery.dshm = now.strftime("%H%M")
        delivery.pgrs = "60"
        delivery.lmts = self.next_lmts()
        order.phase = "delivered"
        self._touch(order)
        self._schedule_next(order)
        return delivery

    def invoice_order(self, order: CustomerOrder) -> Invoice:
        """Delivered order -> invoice (IVNO/YEA4) and receivable (CINO/INYR); lines 77."""
        if order.phase != "delivered":
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} is not delivered", "ORNO")
        today = self.today()
        ivno = str(self._next("invoice"))
        net = money(order.net_amount)
        journal = self._next("journal")
        invoice = Invoice(
            ivno=ivno, yea4=str(today.year), orno=order.orno, cuno=order.cuno, dlix=order.dlix,
            conn=self.deliveries[order.dlix].conn, ivdt=today, dudt=today + timedelta(days=self.lifecycle.payment_days),
            net=net, vat=money(net * self.lifecycle.vat_rate), cucd=order.cucd, cino=ivno, jrno=str(journal),
            jsno="1",
        )  # fmt: skip
        self.invoices[(invoice.yea4, ivno)] = invoice
        for line in order.lines:
            if not line.cancelled:
                line.ivqt = line.orqt
        delivery = self.deliveries[order.dlix]
        delivery.pgrs = "70"
        delivery.ivno = ivno
        delivery.ivdt = today
        delivery.lmts = self.next_lmts()
        order.invoice = (invoice.yea4, ivno)
        order.phase = "invoiced"
        self._touch(order)
        self._schedule_next(order)
        return invoice

    def pay_invoice(self, invoice: Invoice, amount: Decimal, paid_on: date) -> None:
        invoice.paid += amount
        invoice.paid_on = paid_on
        if invoice.remaining <= 0:
            invoice.reco = "9"
            order = self.orders.get(invoice.orno)
            if order is not None and order.phase == "invoiced":
                order.phase = "paid"
                self._touch(order)

    def cancel_order(self, order: CustomerOrder) -> None:
        if order.phase not in ("allocating", "allocated"):
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} is already being delivered", "ORNO")
        for line in order.lines:
            if line.alqt:
                balance = self.balances[(line.whlo, line.itno)]
                balance.allocated -= line.alqt
                self._touch_balance(balance)
                line.alqt = Decimal(0)
            line.cancelled = True
        order.stat = "90"
        order.phase = "cancelled"
        self._touch(order)
        self.allocate_waiting()

    def ship_now(self, orno: str, tracking_number: str | None = None) -> Delivery:
        """Sandbox hook: take an order from wherever it is to delivered, now."""
        with self._lock:
            self.tick()
            order = self._order(orno)
            if order.phase == "allocating":
                self._allocate(order)
                if order.phase == "allocating":
                    raise M3Failure(MSG_WRONG_STATE, f"Order {orno} waits for stock and cannot ship", "ORNO")
            if order.phase == "allocated":
                self.release_for_picking(order)
            if order.phase != "picking":
                raise M3Failure(MSG_WRONG_STATE, f"Order {orno} has already shipped", "ORNO")
            return self.confirm_picking(order, tracking_number)

    def adjust_stock(self, whlo: str, itno: str, quantity: Decimal) -> Balance:
        """Add (or with a negative quantity remove) stock; waiting orders get allocated."""
        with self._lock:
            self.tick()
            if itno not in self.items:
                raise M3Failure(MSG_NOT_FOUND, f"Item number {itno} does not exist", "ITNO")
            if whlo not in self.warehouses:
                raise M3Failure(MSG_NOT_FOUND, f"Warehouse {whlo} does not exist", "WHLO")
            balance = self.balances.get((whlo, itno)) or Balance(whlo, itno)
            if balance.on_hand + quantity < balance.allocated:
                raise M3Failure(
                    MSG_WRONG_STATE,
                    f"Quantity {dec(-quantity)} exceeds the unallocated on-hand balance {dec(balance.allocatable)}",
                    "QLQT",
                )
            balance.on_hand += quantity
            self.balances[(whlo, itno)] = balance
            self._touch_balance(balance)
            self.allocate_waiting()
            return balance

    # -- MI transactions -----------------------------------------------------------------------

    def _handlers(self) -> dict[tuple[str, str], Handler]:
        return {
            ("OIS100MI", "AddBatchHead"): self.add_batch_head,
            ("OIS100MI", "AddBatchAddress"): self.add_batch_address,
            ("OIS100MI", "AddBatchLine"): self.add_batch_line,
            ("OIS100MI", "AddBatchText"): self.add_batch_text,
            ("OIS100MI", "Confirm"): self.confirm,
            ("OIS100MI", "GetOrderNo"): lambda f: [{"ORNR": self._batch(f["ORNO"]).ornr}],
            ("OIS100MI", "LstErrMsgOrder"): self._lst_err_msg_order,
            ("OIS100MI", "LstBatchHead"): self._lst_batch_head,
            ("OIS100MI", "LstBatchLine"): self._lst_batch_line,
            ("OIS100MI", "GetAddress"): self._get_batch_address,
            ("OIS100MI", "GetHead"): lambda f: [self._head_record(self._order(f["ORNO"]))],
            ("OIS100MI", "LstHead"): self._lst_head,
            ("OIS100MI", "GetLine"): self._get_line,
            ("OIS100MI", "LstLine"): self._lst_line,
            ("OIS100MI", "LstDelLineByCO"): self._lst_del_line_by_co,
            ("OIS100MI", "LstNewBalances"): self._lst_new_balances,
            ("OIS100MI", "LstWarehBalance"): self._lst_wareh_balance,
            ("OIS275MI", "GetTmpOrderStat"): self._get_tmp_order_stat,
            ("OIS275MI", "GetBatchHead"): self._get_batch_head,
            ("OIS275MI", "LstBatchLine"): self._lst_batch_line,
            ("OIS275MI", "GetAddress"): self._get_batch_address,
            ("OIS175MI", "LstHeadByRef"): self._lst_head_by_ref,
            ("OIS120MI", "LstCOStopByCUOR"): self._lst_co_stop_by_cuor,
            ("CRS610MI", "Add"): self._crs610_add,
            ("CRS610MI", "GetBasicData"): lambda f: [
                self._customer_record(self._customer(f["CUNO"]), basic=True)
            ],
            ("CRS610MI", "LstByNumber"): self._lst_customers,
            ("MMS200MI", "Get"): lambda f: [self._item_record(self._item(f["ITNO"]))],
            ("MMS200MI", "LstItmByItm"): self._lst_itm_by_itm,
            ("MMS200MI", "LstItmByChgDate"): self._lst_itm_by_chg_date,
            ("MMS200MI", "GetItmWhsBal"): self._get_itm_whs_bal,
            ("MMS005MI", "LstWarehouses"): self._lst_warehouses,
            ("MMS060MI", "LstBalID"): self._lst_bal_id,
            ("MMS850MI", "AddAdjust"): self._add_adjust,
            ("MMS850MI", "GetMvxMsg"): self._get_mvx_msg,
            ("MWS410MI", "GetHead"): self._delivery_head,
            ("MWS420MI", "Confirm"): self._confirm_pick_list,
            ("MHS850MI", "AddCfmPickList"): self._add_cfm_pick_list,
            ("DRS100MI", "GetShipment"): self._get_shipment,
            ("OIS350MI", "LstInvHeadByCo"): self._lst_inv_head_by_co,
            ("OIS350MI", "GetInvHead"): self._get_inv_head,
            ("ARS200MI", "LstInvoices"): self._lst_invoices,
            ("ARS200MI", "GetInvoice"): self._get_invoice,
            ("ARS040MI", "AddBatchHead"): self._payment_batch_head,
            ("ARS040MI", "AddBatchLine"): self._payment_batch_line,
            ("ARS040MI", "ControlBatch"): self._control_payment_batch,
        }

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

    # OIS100MI ---------------------------------------------------------------------------------

    def _lst_err_msg_order(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._batch(f["ORNO"])
        return [
            {"LEVL": levl, "MSID": msid, "MDTA": mdta[:132], "TX60": tx60[:60]}
            for levl, msid, mdta, tx60 in batch.errors
        ]

    def _batch_head_fields(self, batch: BatchOrder) -> dict[str, Any]:
        head = batch.head
        order = self.orders.get(batch.ornr)
        return {
            "ORNO": batch.orno, "ORTP": head.get("ORTP", ""), "ORDT": _parse_date(head, "ORDT") or batch.created.date(),
            "STAT": batch.stat, "FACI": head.get("FACI", ""), "CUOR": head.get("CUOR", ""), "MODL": head.get("MODL", ""),
            "TEDL": head.get("TEDL", ""), "YREF": head.get("YREF", ""), "PROJ": head.get("PROJ", ""),
            "RLDT": _parse_date(head, "RLDT"), "ORSL": order.orsl if order else "", "ORST": order.orst if order else "",
        }  # fmt: skip

    def _lst_batch_head(self, f: dict[str, str]) -> list[dict[str, Any]]:
        records = []
        for batch in self.batch_orders.values():
            if batch.cuno != f["CUNO"]:
                continue
            record = self._batch_head_fields(batch)
            record["ORNR"] = batch.ornr
            records.append(record)
        return records

    def _lst_batch_line(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._batch(f["ORNO"])
        return [
            {"ITNO": line.itno, "ORQT": line.orqt, "WHLO": line.whlo, "CUPO": line.fields.get("CUPO", ""),
             "SAPR": line.sapr, "PONR": line.ponr, "POSX": "0", "ITDS": line.fields.get("ITDS", "")}
            for line in batch.lines
        ]  # fmt: skip

    def _get_batch_address(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._batch(f["ORNO"])
        address = batch.addresses.get(f["ADRT"].lstrip("0"))
        if address is None:
            raise M3Failure(
                MSG_NOT_FOUND, f"Address type {f['ADRT']} of batch order {batch.orno} does not exist", "ADRT"
            )
        spec = self.transaction_spec("OIS275MI", "GetAddress")  # the outputs both programs share
        return [{name: value for name, value in address.items() if name in spec.outputs}]

    def _get_tmp_order_stat(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._batch(f["ORNO"])
        return [{"ORNO": batch.orno, "ORNR": batch.ornr, "STAT": batch.stat}]

    def _get_batch_head(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self._batch(f["ORNO"])
        record = self._batch_head_fields(batch)
        customer = self.customers.get(batch.cuno)
        record.update({"CUNO": batch.cuno, "CUCD": batch.head.get("CUCD") or (customer.cucd if customer else ""),
                       "OBLC": "1" if batch.stat == BATCH_CREDIT_STOP else ""})  # fmt: skip
        return [record]

    def _head_record(self, order: CustomerOrder) -> dict[str, Any]:
        head = order.head
        net = money(order.net_amount)
        vat = money(net * self.lifecycle.vat_rate)
        return {
            "ORNO": order.orno, "ORTP": head.get("ORTP", ""), "ORDT": order.ordt, "STAT": order.stat,
            "FACI": order.faci, "CUOR": order.cuor, "MODL": head.get("MODL", ""), "TEDL": head.get("TEDL", ""),
            "YREF": head.get("YREF", ""), "PROJ": head.get("PROJ", ""), "TEPY": head.get("TEPY", ""),
            "PYNO": head.get("PYNO", ""), "ADID": head.get("ADID", ""), "CUCD": order.cucd, "OREF": head.get("OREF", ""),
            "NTAM": net, "ORSL": order.orsl, "ORST": order.orst, "ONET": net, "ORVA": net, "VTAM": vat,
            "TOAM": net + vat, "TOPY": net + vat, "BRAM": net, "CUNO": order.cuno, "WHLO": order.whlo, "DIVI": self.divi,
            "RLDT": order.rldt, "ELNO": head.get("ELNO", ""), "PYCD": head.get("PYCD", ""), "OBLC": order.oblc,
            "LNCD": head.get("LNCD", ""), "CUDT": _parse_date(head, "CUDT"), "PYRE": head.get("PYRE", ""),
            "DLIX": "1" if order.dlix else "0",
        }  # fmt: skip

    def _lst_head(self, f: dict[str, str]) -> list[dict[str, Any]]:
        lo, hi = f.get("ORSL", "00"), f.get("ORST", "99")
        records = []
        for order in self.orders.values():
            if order.cuno == f["CUNO"] and lo <= order.orsl and order.orst <= hi:
                record = self._head_record(order)
                records.append({k: v for k, v in record.items() if k in _LST_HEAD_FIELDS})
        return records

    def _line_record(self, order: CustomerOrder, line: OrderLine) -> dict[str, Any]:
        return {
            "ITNO": line.itno, "ITDS": line.itds, "ORQT": line.orqt, "WHLO": line.whlo, "SAPR": line.sapr,
            "ORST": line.status, "NLAM": line.net_amount, "NEPR": line.net_price, "CUCD": order.cucd,
            "CUOR": line.cuor, "ALQT": line.alqt, "DLQT": line.dlqt, "IVQT": line.ivqt, "DIP1": line.discount_pct,
            "PROJ": line.fields.get("PROJ", ""), "ELNO": line.fields.get("ELNO", ""), "ORQA": line.orqt,
            "DWDT": _parse_date(line.fields, "DWDT") or order.rldt, "CODT": order.rldt or order.ordt,
            "CUPO": line.fields.get("CUPO", ""),
        }  # fmt: skip

    def _find_line(self, order: CustomerOrder, ponr: str) -> OrderLine:
        for line in order.lines:
            if str(line.ponr) == ponr.lstrip("0"):
                return line
        raise M3Failure(MSG_NOT_FOUND, f"Order line {order.orno}/{ponr} does not exist", "PONR")

    def _get_line(self, f: dict[str, str]) -> list[dict[str, Any]]:
        order = self._order(f["ORNO"])
        return [self._line_record(order, self._find_line(order, f["PONR"]))]

    def _lst_line(self, f: dict[str, str]) -> list[dict[str, Any]]:
        order = self._order(f["ORNO"])
        records = []
        for line in order.lines:
            if "ITNO" in f and line.itno != f["ITNO"]:
                continue
            if "ORST" in f and line.status != f["ORST"]:
                continue
            record = self._line_record(order, line)
            record.update({"PONR": line.ponr, "POSX": "0", "RIDN": order.orno, "RIDL": line.ponr})
            records.append(record)
        return records

    def _lst_del_line_by_co(self, f: dict[str, str]) -> list[dict[str, Any]]:
        order = self._order(f["ORNO"])
        line = self._find_line(order, f["PONR"])
        if not line.dlix:
            return []
        delivery = self.deliveries[line.dlix]
        return [{"DLIX": delivery.dlix, "RORC": CUSTOMER_ORDER_RORC, "RIDN": order.orno, "RIDL": line.ponr,
                 "RIDX": "0", "ITNO": line.itno, "MODL": delivery.modl, "TRQT": line.orqt,
                 "PLQT": line.plqt - line.dlqt if line.plqt > line.dlqt else 0, "PGRS": delivery.pgrs}]  # fmt: skip

    def _lst_new_balances(self, f: dict[str, str]) -> list[dict[str, Any]]:
        since = int(Decimal(f.get("LMTS", "0")))
        changed = sorted((b for b in self.balances.values() if b.lmts >= since), key=lambda b: b.lmts)
        return [{"WHLO": b.whlo, "ITNO": b.itno, "AV01": b.allocatable, "AV02": b.on_hand} for b in changed]

    def _lst_wareh_balance(self, f: dict[str, str]) -> list[dict[str, Any]]:
        self._item(f["ITNO"])
        return [
            {"WHLO": b.whlo, "AV01": b.allocatable, "AV02": b.on_hand, "LMDT": b.lmdt}
            for (_, itno), b in sorted(self.balances.items())
            if itno == f["ITNO"]
        ]

    # OIS175MI / OIS120MI -----------------------------------------------------------------------

    def _lst_head_by_ref(self, f: dict[str, str]) -> list[dict[str, Any]]:
        """Positioned, not filtered, on YREF (customer first when given): records continue past it."""
        lo, hi = f.get("ORSL", "00"), f.get("ORST", "99")
        start = (f.get("CUNO", ""), f.get("YREF", ""))
        rows = sorted(self.orders.values(), key=lambda o: (o.cuno, o.head.get("YREF", ""), o.orno))
        records = []
        for order in rows:
            if (order.cuno, order.head.get("YREF", "")) < start or not (
                lo <= order.orsl and order.orst <= hi
            ):
                continue
            record = {k: v for k, v in self._head_record(order).items() if k in _LST_HEAD_BY_REF_FIELDS}
            record["PROJ"] = order.head.get("PROJ", "")[:6]
            records.append(record)
        return records

    def _lst_co_stop_by_cuor(self, f: dict[str, str]) -> list[dict[str, Any]]:
        """Positioned on CUOR; with NFTR >= 1 only exact CUOR matches (the filter count)."""
        start = f.get("CUOR", "")
        exact = int(f.get("NFTR", "0") or 0) >= 1
        # An exact lookup (the integration's duplicate check) needs no sort of every order.
        candidates = [o for o in self.orders.values() if o.cuor == start] if exact else self.orders.values()
        rows = sorted(candidates, key=lambda o: (o.cuor, o.orno))
        records = []
        for order in rows:
            if order.cuor < start or (exact and order.cuor != start):
                continue
            if "CUNO" in f and order.cuno != f["CUNO"]:
                continue
            customer = self.customers.get(order.cuno)
            records.append({"FACI": order.faci, "CUOR": order.cuor, "CUNO": order.cuno, "ORNO": order.orno,
                            "OBLC": order.oblc, "ORSL": order.orsl, "ORDT": order.ordt,
                            "CUNM": customer.cunm[:36] if customer else ""})  # fmt: skip
        return records

    # CRS610MI ---------------------------------------------------------------------------------

    def _customer(self, cuno: str) -> Customer:
        customer = self.customers.get(cuno)
        if customer is None:
            raise M3Failure(MSG_NOT_FOUND, f"Customer number {cuno} does not exist", "CUNO")
        return customer

    def _crs610_add(self, f: dict[str, str]) -> list[dict[str, Any]]:
        names = ("CUA1", "CUA2", "CUA3", "CUA4", "PONO", "TOWN", "CSCD", "ECAR", "PHNO", "MAIL", "CUCD", "LNCD",
                 "ALCU", "YREF")  # fmt: skip
        extra = {name.lower(): f[name] for name in names if name in f}
        customer = self.add_customer(f.get("CUNO"), f["CUNM"], cutm=f["CUTM"], **extra)
        return [{"CUNO": customer.cuno, "ERRM": ""}]

    def _customer_record(self, c: Customer, basic: bool = False) -> dict[str, Any]:
        record = {
            "CONO": self.cono, "DIVI": self.divi, "LNCD": c.lncd, "CUNO": c.cuno, "CUNM": c.cunm, "CUA1": c.cua1,
            "CUA2": c.cua2, "CUA3": c.cua3, "CUA4": c.cua4, "PONO": c.pono, "PHNO": c.phno, "CUTP": c.cutp,
            "ALCU": c.alcu, "YREF": c.yref, "MAIL": c.mail, "CSCD": c.cscd, "ECAR": c.ecar, "STAT": c.stat,
            "TOWN": c.town, "CUCD": c.cucd,
        }  # fmt: skip
        if basic:
            record.update({"LMDT": c.lmdt, "RGDT": c.rgdt, "CHNO": c.chno})
        else:
            record.update({"WHLO": self.default_warehouse})
        return record

    def _lst_customers(self, f: dict[str, str]) -> list[dict[str, Any]]:
        start = f.get("CUNO", "")
        since = int(Decimal(f.get("LMTS", "0")))
        return [
            self._customer_record(c)
            for cuno, c in sorted(self.customers.items())
            if cuno >= start and c.lmts >= since
        ]

    # MMS200MI / MMS005MI / MMS060MI -------------------------------------------------------------

    def _item(self, itno: str) -> Item:
        item = self.items.get(itno)
        if item is None:
            raise M3Failure(MSG_NOT_FOUND, f"Item number {itno} does not exist", "ITNO")
        return item

    def _item_record(self, item: Item) -> dict[str, Any]:
        return {"STAT": item.stat, "ITNO": item.itno, "ITDS": item.itds, "FUDS": item.fuds, "UNMS": item.unms,
                "ITGR": item.itgr, "ITTY": item.itty, "LMDT": item.lmdt, "SPUN": item.unms, "DCCD": "0",
                "ALUN": item.unms, "PUUN": item.unms}  # fmt: skip

    def _lst_itm_by_itm(self, f: dict[str, str]) -> list[dict[str, Any]]:
        start = f["ITNO"]
        return [self._item_record(item) for itno, item in sorted(self.items.items()) if itno >= start]

    def _lst_itm_by_chg_date(self, f: dict[str, str]) -> list[dict[str, Any]]:
        lo = _parse_date(f, "FLMD") or date.min
        hi = _parse_date(f, "TLMD") or date.max
        if "CSDS" in f:
            lo = max(lo, self.today() - timedelta(days=int(Decimal(f["CSDS"]))))
        return [
            self._item_record(item)
            for _, item in sorted(self.items.items())
            if item.lmdt is not None and lo <= item.lmdt <= hi
        ]

    def _balance(self, whlo: str, itno: str) -> Balance:
        self._item(itno)
        if whlo not in self.warehouses:
            raise M3Failure(MSG_NOT_FOUND, f"Warehouse {whlo} does not exist", "WHLO")
        balance = self.balances.get((whlo, itno))
        if balance is None:
            raise M3Failure(MSG_NOT_FOUND, f"Item {itno} is not connected to warehouse {whlo}", "ITNO")
        return balance

    def _get_itm_whs_bal(self, f: dict[str, str]) -> list[dict[str, Any]]:
        b = self._balance(f["WHLO"], f["ITNO"])
        warehouse = self.warehouses[b.whlo]
        return [{"CONO": self.cono, "WHLO": b.whlo, "ITNO": b.itno, "STQT": b.on_hand, "QUQT": 0, "RJQT": 0,
                 "ALQT": b.allocated, "AV01": b.allocatable, "AVAL": b.allocatable, "PLQT": b.picking, "ORQT": 0,
                 "REQT": 0, "AV02": b.on_hand, "FACI": warehouse.faci}]  # fmt: skip

    def _lst_warehouses(self, f: dict[str, str]) -> list[dict[str, Any]]:
        lo, hi = f.get("FWHL", ""), f.get("TWHL", "~~~")
        since = int(Decimal(f.get("LMTS", "0")))
        return [
            {
                "CONO": self.cono,
                "DIVI": self.divi,
                "FACI": w.faci,
                "WHLO": w.whlo,
                "WHNM": w.whnm,
                "CSCD": w.cscd,
                "TOWN": w.town,
            }  # fmt: skip
            for whlo, w in sorted(self.warehouses.items())
            if lo <= whlo <= hi and w.lmts >= since
        ]

    def _lst_bal_id(self, f: dict[str, str]) -> list[dict[str, Any]]:
        """Positioned on ITNO within the warehouse: records continue past the item asked for."""
        whlo = f["WHLO"]
        if whlo not in self.warehouses:
            raise M3Failure(MSG_NOT_FOUND, f"Warehouse {whlo} does not exist", "WHLO")
        start = f.get("ITNO", "")
        records = []
        for (w, itno), b in sorted(self.balances.items()):
            if w != whlo or itno < start:
                continue
            item = self.items[itno]
            records.append({"CONO": self.cono, "WHLO": whlo, "WHNM": self.warehouses[whlo].whnm[:30], "ITNO": itno,
                            "ITDS": item.itds, "WHSL": b.location, "STAS": "2", "STQT": b.on_hand,
                            "ALQT": b.allocated, "MVB1": b.allocatable, "MVB2": b.on_hand - b.picking,
                            "UNMS": item.unms, "ITTY": item.itty, "STAT": item.stat, "ALOC": "1"})  # fmt: skip
        return records

    # MMS850MI ---------------------------------------------------------------------------------

    def _add_adjust(self, f: dict[str, str]) -> list[dict[str, Any]]:
        if "ITNO" not in f:
            raise M3Failure(
                MSG_MANDATORY, "Item number (ITNO) must be entered", "ITNO", "MandatoryInputFieldNotFound"
            )
        quantity = _parse_decimal(f, "QLQT", None)
        if quantity is None:
            raise M3Failure(
                MSG_MANDATORY, "Quantity (QLQT) must be entered", "QLQT", "MandatoryInputFieldNotFound"
            )
        pmsn = f.get("PMSN")
        if pmsn and (f["E0PA"], pmsn) in self.stock_messages:
            raise M3Failure(
                MSG_EXISTS, f"Message number {pmsn} of partner {f['E0PA']} was already received", "PMSN"
            )
        self.adjust_stock(f["WHLO"], f["ITNO"], quantity)
        msnr = str(self._next("message"))
        if pmsn:
            self.stock_messages[(f["E0PA"], pmsn)] = StockMessage(
                msnr, f["E0PA"], pmsn, f["WHLO"], f["ITNO"], quantity
            )
        return [{"CONO": self.cono, "MSNR": msnr, "MSLN": "1", "MSGS": "90"}]

    def _get_mvx_msg(self, f: dict[str, str]) -> list[dict[str, Any]]:
        message = self.stock_messages.get((f["E0PB"], f["PMSN"]))
        if message is None:
            raise M3Failure(
                MSG_NOT_FOUND, f"Message {f['PMSN']} of partner {f['E0PB']} does not exist", "PMSN"
            )
        return [{"CONO": self.cono, "MSGN": message.msnr}]

    # Deliveries / shipments ---------------------------------------------------------------------

    def _delivery(self, dlix: str) -> Delivery:
        delivery = self.deliveries.get(dlix.lstrip("0") or "0")
        if delivery is None:
            raise M3Failure(MSG_NOT_FOUND, f"Delivery number {dlix} does not exist", "DLIX")
        return delivery

    def _delivery_head(self, f: dict[str, str]) -> list[dict[str, Any]]:
        if "DLIX" not in f:
            raise M3Failure(
                MSG_MANDATORY, "Delivery number (DLIX) must be entered", "DLIX", "MandatoryInputFieldNotFound"
            )
        d = self._delivery(f["DLIX"])
        return [{"DLIX": d.dlix, "CONN": d.conn, "IVNO": d.ivno, "IVDT": d.ivdt, "CUOR": d.cuor, "MODL": d.modl,
                 "RORC": CUSTOMER_ORDER_RORC, "WHLO": d.whlo, "RIDN": d.orno, "PGRS": d.pgrs,
                 "PIST": "90" if d.conn else "10", "PLSX": d.plsx, "ETRN": d.etrn, "FWNO": d.fwno,
                 "MODF": d.modl, "DSDT": d.dsdt, "DSHM": d.dshm, "NBOL": d.etrn[:17] if d.etrn else ""}]  # fmt: skip

    def _pick_list_order(self, f: dict[str, str]) -> CustomerOrder:
        delivery = self._delivery(f["DLIX"])
        if f["PLSX"].lstrip("0") != delivery.plsx.lstrip("0"):
            raise M3Failure(MSG_NOT_FOUND, f"Picking list {f['DLIX']}/{f['PLSX']} does not exist", "PLSX")
        return self.orders[delivery.orno]

    def _confirm_pick_list(self, f: dict[str, str]) -> list[dict[str, Any]]:
        self.confirm_picking(self._pick_list_order(f))
        return []

    def _add_cfm_pick_list(self, f: dict[str, str]) -> list[dict[str, Any]]:
        self.confirm_picking(self._pick_list_order(f))
        return [{"MSGN": str(self._next("message"))}]

    def _get_shipment(self, f: dict[str, str]) -> list[dict[str, Any]]:
        s = self.shipments.get(f["CONN"].lstrip("0"))
        if s is None:
            raise M3Failure(MSG_NOT_FOUND, f"Shipment {f['CONN']} does not exist", "CONN")
        return [{"CONO": self.cono, "DIVI": self.divi, "CONN": s.conn, "DSDT": s.dsdt, "DSHM": s.dshm,
                 "CSTH": s.csth, "CSTL": s.cstl, "FWNO": s.fwno, "CLOS": "1" if s.closed else "0", "WHLO": s.whlo,
                 "RGDT": s.rgdt, "LMTS": s.lmts}]  # fmt: skip

    # Invoices and payments ----------------------------------------------------------------------

    def _lst_inv_head_by_co(self, f: dict[str, str]) -> list[dict[str, Any]]:
        order = self._order(f["ORNO"])
        records = []
        for inv in self.invoices.values():
            if inv.orno != order.orno or (f.get("OOIN") == "1" and inv.reco == "9"):
                continue
            customer = self.customers.get(inv.cuno)
            records.append({"ORNO": inv.orno, "WHLO": order.whlo, "DLIX": inv.dlix, "IVNO": inv.ivno,
                            "IVDT": inv.ivdt, "CUNO": inv.cuno, "CUN1": customer.cunm[:36] if customer else "",
                            "PYNO": inv.cuno, "ORST": order.orst, "CONN": inv.conn, "AMT1": inv.gross,
                            "AMT2": inv.net, "CUCD": inv.cucd, "YEA4": inv.yea4, "DUDT": inv.dudt,
                            "RAFC": inv.remaining})  # fmt: skip
        return records

    def _invoice(self, yea4: str, ivno: str) -> Invoice:
        invoice = self.invoices.get((yea4, ivno.lstrip("0")))
        if invoice is None:
            raise M3Failure(MSG_NOT_FOUND, f"Invoice {ivno} of {yea4} does not exist", "IVNO")
        return invoice

    def _get_inv_head(self, f: dict[str, str]) -> list[dict[str, Any]]:
        inv = self._invoice(f["YEA4"], f["IVNO"])
        customer = self.customers.get(inv.cuno)
        return [{"PYNO": inv.cuno, "DUDT": inv.dudt, "IDAT": inv.ivdt, "RAFC": inv.remaining, "CUCD": inv.cucd,
                 "INST": "80" if inv.reco == "9" else "70", "CUNM": customer.cunm[:36] if customer else "",
                 "AMT1": inv.gross, "AMT2": inv.net, "CUNO": inv.cuno, "RGDT": inv.ivdt}]  # fmt: skip

    def _receivable_record(self, inv: Invoice) -> dict[str, Any]:
        return {"YEA4": inv.yea4, "JRNO": inv.jrno, "JSNO": inv.jsno, "CINO": inv.cino, "TRCD": "10",
                "INYR": inv.yea4, "RECO": inv.reco, "REDE": inv.paid_on, "PYNO": inv.cuno, "IVDT": inv.ivdt,
                "DUDT": inv.dudt}  # fmt: skip

    def _lst_invoices(self, f: dict[str, str]) -> list[dict[str, Any]]:
        self._customer(f["CUNO"])
        since = _parse_date(f, "IVDT") or date.min
        only_open = f.get("AAC0") == "1"
        return [
            self._receivable_record(inv)
            for inv in self.invoices.values()
            if inv.cuno == f["CUNO"] and inv.ivdt >= since and not (only_open and inv.reco == "9")
        ]

    def _get_invoice(self, f: dict[str, str]) -> list[dict[str, Any]]:
        for inv in self.invoices.values():
            if (
                inv.yea4 == f["YEA4"]
                and inv.jrno == f["JRNO"].lstrip("0")
                and inv.jsno == f["JSNO"].lstrip("0")
            ):
                record = self._receivable_record(inv)
                record.update({"CONO": self.cono, "DIVI": self.divi, "CUNO": inv.cuno, "CUAM": inv.gross,
                               "VTAM": inv.vat, "CUCD": inv.cucd, "DTP5": inv.paid_on, "CRST": "0"})  # fmt: skip
                return [record]
        raise M3Failure(MSG_NOT_FOUND, f"Invoice journal {f['JRNO']}/{f['JSNO']} does not exist", "JRNO")

    def _payment_batch_head(self, f: dict[str, str]) -> list[dict[str, Any]]:
        _parse_date(f, "ACDT")
        if f["PBID"] in self.payment_batches:
            raise M3Failure(MSG_EXISTS, f"Payment batch {f['PBID']} already exists", "PBID")
        self.payment_batches[f["PBID"]] = PaymentBatch(f["PBID"], f["BOPE"])
        return [{"PBID": f["PBID"]}]

    def _payment_batch_line(self, f: dict[str, str]) -> list[dict[str, Any]]:
        batch = self.payment_batches.get(f["PBID"])
        if batch is None:
            raise M3Failure(MSG_NOT_FOUND, f"Payment batch {f['PBID']} does not exist", "PBID")
        if batch.controlled:
            raise M3Failure(MSG_WRONG_STATE, f"Payment batch {f['PBID']} is already controlled", "PBID")
        invoice = next(
            (i for i in self.invoices.values() if i.cino == f["CINO"].lstrip("0") and i.yea4 == f["INYR"]),
            None,
        )
        if invoice is None:
            raise M3Failure(MSG_NOT_FOUND, f"Invoice {f['CINO']} of {f['INYR']} does not exist", "CINO")
        if invoice.cuno != f["CUNO"]:
            raise M3Failure(MSG_WRONG_STATE, f"Invoice {f['CINO']} belongs to another customer", "CUNO")
        amount = _parse_decimal(f, "PYAM", None)
        paid_on = _parse_date(f, "LPDT") or self.today()
        batch.lines.append({"invoice": (invoice.yea4, invoice.ivno), "amount": amount, "paid_on": paid_on})
        return []

    def _control_payment_batch(self, f: dict[str, str]) -> list[dict[str, Any]]:
        if "PBID" not in f:
            raise M3Failure(
                MSG_MANDATORY, "Payment batch (PBID) must be entered", "PBID", "MandatoryInputFieldNotFound"
            )
        batch = self.payment_batches.get(f["PBID"])
        if batch is None:
            raise M3Failure(MSG_NOT_FOUND, f"Payment batch {f['PBID']} does not exist", "PBID")
        if not batch.controlled:
            batch.controlled = True
            for line in batch.lines:
                self.pay_invoice(self.invoices[line["invoice"]], line["amount"], line["paid_on"])
        return []

    # -- inspection ----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        with self._lock:
            phases: dict[str, int] = {}
            for order in self.orders.values():
                phases[order.phase] = phases.get(order.phase, 0) + 1
            return {
                "tenant": self.tenant,
                "now": self.clock.now().isoformat(),
                "items": len(self.items),
                "warehouses": sorted(self.warehouses),
                "customers": len(self.customers),
                "batch_orders": len(self.batch_orders),
                "orders": len(self.orders),
                "orders_by_phase": phases,
                "deliveries": len(self.deliveries),
                "invoices": len(self.invoices),
            }

    def lock(self) -> threading.RLock:
        return self._lock


_LST_HEAD_FIELDS = frozenset(
    {"ORNO", "ORTP", "RLDT", "STAT", "FACI", "CUOR", "MODL", "TEDL", "YREF", "PROJ", "ORDT", "ORSL", "ORST",
     "DLIX", "PYRE", "PYCD"}
)  # fmt: skip
_LST_HEAD_BY_REF_FIELDS = frozenset(
    {"YREF", "ORDT", "CUOR", "ORNO", "ORSL", "ORTP", "RLDT", "STAT", "FACI", "MODL", "TEDL", "ORST"}
)  # fmt: skip


def _is_number(value: str) -> bool:
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return value.strip() not in ("NaN", "Infinity", "-Infinity") and "e" not in value.lower()


def _parse_decimal(fields: dict[str, str], name: str, default: Decimal | None) -> Decimal | None:
    value = fields.get(name)
    if value is None or value == "":
        return default
    if not _is_number(value):
        raise M3Failure(MSG_NOT_NUMERIC, f"Field {name} must be numeric, got {value!r}", name)
    return Decimal(value)


def _parse_date(fields: dict[str, str], name: str) -> date | None:
    value = fields.get(name)
    if value is None or value in ("", "0"):
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise M3Failure(
            MSG_INVALID_DATE, f"Field {name} must be a date YYYYMMDD, got {value!r}", name
        ) from None


def seed_sequence(values: Iterable[str]) -> list[str]:
    """Distinct values in first-seen order (used when item numbers come from two lists)."""
    return list(dict.fromkeys(values))

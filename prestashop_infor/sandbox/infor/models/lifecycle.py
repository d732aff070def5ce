"""The customer-order lifecycle of the M3 emulator (contract §10.6), run on the tenant's clock.

A confirmed batch order becomes a customer order (header STAT 20) whose lines are allocated from the
warehouse balances (22/23/33); a fully allocated order is released for picking in a delivery with
picking list 01 (44), the picking list is reported (stock issued, shipment and tracking number, 66),
the order is invoiced (invoice and receivable, 77) and the receivable paid (RECO 9). Each step
falls due ``LifecycleSettings`` delays after the previous one on the tenant clock (``tick`` runs
what is due), or happens at once through the MI transactions and sandbox hooks that drive it.

As in M3, an order may leave in several deliveries, each with its own delivery number (DLIX),
shipment (CONN) and tracking number (ETRN), its lines at 44 and 66 with their delivery; the head's
ORSL is then its least-progressed line and ORST its most-progressed. ``split_share`` of the orders
of two lines or more go in two deliveries by themselves; the ``ship`` hook delivers any lines now.
"""

from __future__ import annotations

import heapq
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from prestashop_infor.sandbox.infor.models.clock import SimClock
from prestashop_infor.sandbox.infor.models.order_index import OrderIndex
from prestashop_infor.sandbox.infor.models.records import (
    BATCH_CREATED,
    Balance,
    BatchOrder,
    Customer,
    CustomerOrder,
    Delivery,
    Invoice,
    Item,
    OrderLine,
    Shipment,
    Warehouse,
)
from prestashop_infor.sandbox.infor.models.values import (
    MSG_NOT_FOUND,
    MSG_WRONG_STATE,
    M3Failure,
    dec,
    money,
    parse_date,
    parse_decimal,
)


@dataclass
class LifecycleSettings:
    """Delays between lifecycle steps on the tenant clock; ``None`` = never by itself (only through
    the MI transactions and sandbox hooks that drive the step).

    ``split_share`` (0 to 1) of the orders with two open lines or more are delivered in two
    deliveries: which ones is fixed by the order number (a draw from 0 to 1 seeded with it falls
    below ``split_share``), the same on every run. The first half of the lines (rounded up: lines
    1-2 of 3) is released ``pick_after`` and delivered ``ship_after`` as usual; the rest is released
    when that delivery goes and delivered ``ship_after`` later. The order is invoiced once,
    ``invoice_after`` after its last delivery (``invoice_order``)."""

    confirm_delay: timedelta | None = timedelta(0)  # batch order -> customer order (0 = synchronous)
    pick_after: timedelta | None = timedelta(minutes=2)  # allocated -> released for picking (44)
    ship_after: timedelta | None = timedelta(minutes=5)  # picking -> delivered (66)
    invoice_after: timedelta | None = timedelta(minutes=10)  # delivered -> invoiced (77)
    pay_after: timedelta | None = None  # invoiced -> receivable paid (RECO 9)
    credit_after: timedelta | None = None  # customer return's last line -> received and credited (returns.py)
    vat_rate: Decimal = Decimal("0.20")
    payment_days: int = 30
    split_share: float = 0.0  # share of the orders of 2+ lines delivered in two deliveries

    def __post_init__(self) -> None:
        if not 0.0 <= self.split_share <= 1.0:
            raise ValueError(f"split_share is a share from 0 to 1, got {self.split_share}")

    @classmethod
    def manual(cls) -> LifecycleSettings:
        """Nothing moves unless a test or a transaction moves it."""
        return cls(confirm_delay=timedelta(0), pick_after=None, ship_after=None, invoice_after=None)


class OrderLifecycle(OrderIndex):
    """The lifecycle half of ``M3Tenant`` (moto style: one backend composed of mixins)."""

    clock: SimClock
    lifecycle: LifecycleSettings
    default_warehouse: str
    items: dict[str, Item]
    warehouses: dict[str, Warehouse]
    balances: dict[tuple[str, str], Balance]
    customers: dict[str, Customer]
    batch_orders: dict[str, BatchOrder]
    deliveries: dict[str, Delivery]
    shipments: dict[str, Shipment]
    invoices: dict[tuple[str, str], Invoice]
    _counters: dict[str, int]
    _lmts: int
    _lock: threading.RLock
    _schedule: list[tuple[datetime, int, str, str, str]]  # (due, seq, ORNO, phase expected, DLIX to ship)
    _pending_batches: list[tuple[datetime, int, str]]  # (due, seq, temporary ORNO)
    _seq: int
    _step_time: datetime | None

    # -- time and numbers ----------------------------------------------------------------------

    def today(self) -> date:
        return self.clock.now().date()

    def next_lmts(self) -> int:
        """A change timestamp: milliseconds on the tenant clock, strictly increasing."""
        with self._lock:
            self._lmts = max(self._lmts + 1, self.clock.millis())
            return self._lmts

    def _next(self, counter: str) -> int:
        """The next number of one of the tenant's number series."""
        self._counters[counter] += 1
        return self._counters[counter]

    # -- steps ---------------------------------------------------------------------------------

    def submit_batch(self, batch: BatchOrder) -> None:
        """A batch order that passed the checks becomes a customer order now, or when the batch
        job runs (``confirm_delay``; ``None`` = only when a test creates it)."""
        delay = self.lifecycle.confirm_delay
        if delay is not None and delay <= timedelta(0):
            self._create_customer_order(batch)
        elif delay is not None:
            self._seq += 1
            heapq.heappush(self._pending_batches, (self.clock.now() + delay, self._seq, batch.orno))

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
                    due, _, orno, phase, dlix = heapq.heappop(self._schedule)
                    order = self.orders.get(orno)
                    if order is not None and order.phase == phase:
                        self._step_time = due
                        self._advance(order, dlix)
                        ran += 1
            finally:
                self._step_time = None
        return ran

    def _schedule_next(self, order: CustomerOrder, delivery: Delivery | None = None) -> None:
        """The order's next step, due after its delay; in picking, the ``delivery`` released (each
        delivery of an order goes ``ship_after`` after its own release)."""
        delay = {
            "allocated": self.lifecycle.pick_after,
            "picking": self.lifecycle.ship_after,
            "delivered": self.lifecycle.invoice_after,
            "invoiced": self.lifecycle.pay_after,
        }.get(order.phase)
        if delay is not None:
            self._seq += 1
            start = self._step_time or self.clock.now()
            dlix = delivery.dlix if delivery else ""
            heapq.heappush(self._schedule, (start + delay, self._seq, order.orno, order.phase, dlix))

    def _advance(self, order: CustomerOrder, dlix: str) -> None:
        match order.phase:
            case "allocated":
                self.release_for_picking(order)
            case "picking":
                delivery = self.deliveries.get(dlix)
                if delivery is not None and not delivery.conn and self._lines_of(order, delivery):
                    self.confirm_picking(order, delivery=delivery)
            case "delivered":
                self.invoice_order(order)
            case "invoiced":
                invoice = self.invoices[order.invoice] if order.invoice else None
                if invoice is not None:
                    self.pay_invoice(invoice, invoice.remaining, self.today())

    def batch_facility(self, batch: BatchOrder) -> str:
        """The facility a batch order's customer order gets: its head's, else its warehouse's."""
        warehouse = self.warehouses.get(batch.head.get("WHLO") or self.default_warehouse)
        return batch.head.get("FACI") or (warehouse.faci if warehouse else "100")

    def _create_customer_order(self, batch: BatchOrder) -> CustomerOrder:
        head = batch.head
        whlo = head.get("WHLO") or self.default_warehouse
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
                    discount_pct=parse_decimal(b.fields, "DIP1", Decimal(0)),
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
            faci=self.batch_facility(batch),
            cucd=head.get("CUCD") or customer.cucd,
            ordt=parse_date(head, "ORDT") or self.today(),
            rldt=parse_date(head, "RLDT"),
            lines=lines,
            lmts=self.next_lmts(),
        )
        self.add_order(order)
        batch.stat = BATCH_CREATED
        batch.ornr = orno
        self._allocate(order)
        return order

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

    def splits(self, order: CustomerOrder) -> bool:
        """Whether the order is one of the ``split_share`` delivered in two deliveries: a draw seeded
        with its order number falls below it (fixed by the number, the same on every run)."""
        return random.Random(order.orno).random() < self.lifecycle.split_share

    @staticmethod
    def _lines_of(order: CustomerOrder, delivery: Delivery) -> list[OrderLine]:
        return [line for line in order.lines if line.dlix == delivery.dlix]

    def release_for_picking(self, order: CustomerOrder) -> Delivery:
        """Allocated order -> a delivery (DLIX) with picking list 01; its lines 44. An order that
        splits (two open lines or more) releases the first half of them (rounded up) now, and the
        rest when this delivery goes."""
        if order.phase != "allocated":
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} is not fully allocated", "ORNO")
        lines = [line for line in order.lines if not line.cancelled]
        if len(lines) >= 2 and self.splits(order):
            lines = lines[: (len(lines) + 1) // 2]
        return self._release(order, lines)

    def _release(self, order: CustomerOrder, lines: list[OrderLine]) -> Delivery:
        """``lines`` on a new delivery with picking list 01 (44), delivered ``ship_after`` later.
        Lines already on an open delivery leave it; one left without lines is dropped (nothing of it
        left the warehouse)."""
        dlix = str(self._next("delivery"))
        delivery = Delivery(
            dlix, order.orno, order.whlo, order.cuor, order.head.get("MODL", ""), created=self.today(),
            lmts=self.next_lmts(),
        )  # fmt: skip
        self.deliveries[dlix] = delivery
        left = {line.dlix for line in lines if line.dlix}
        for line in lines:
            if not line.dlix:
                line.plqt = line.orqt
                balance = self.balances[(line.whlo, line.itno)]
                balance.picking += line.orqt
                self._touch_balance(balance)
            line.dlix = dlix
        for emptied in left - {line.dlix for line in order.lines}:
            del self.deliveries[emptied]
        order.dlix = dlix  # the order's latest delivery
        order.phase = "picking"
        self._touch(order)
        self._schedule_next(order, delivery)
        return delivery

    def confirm_picking(
        self, order: CustomerOrder, tracking_number: str | None = None, delivery: Delivery | None = None
    ) -> Delivery:
        """Report the picking list of a delivery (by default the order's first open one): its stock
        issued, its lines 66, a shipment of its own with a tracking number. Then the order moves on
        (``_after_delivery``)."""
        if delivery is None:
            open_lines = [line for line in order.lines if line.dlix and line.dlqt < line.orqt]
            delivery = self.deliveries.get(min(line.dlix for line in open_lines)) if open_lines else None
        lines = self._lines_of(order, delivery) if delivery is not None and not delivery.conn else []
        if order.phase != "picking" or delivery is None or not lines:
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} has no picking list to report", "DLIX")
        for line in lines:
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
        self._after_delivery(order)
        return delivery

    def _after_delivery(self, order: CustomerOrder) -> None:
        """After a delivery went, or lines were closed, in picking: the order is delivered (and
        invoiced ``invoice_after`` later) once its last open line is; lines on no delivery yet (the
        rest of a split order) are released for picking once none of its deliveries is open."""
        waiting = [line for line in order.lines if not line.cancelled and line.dlqt < line.orqt]
        if not waiting:
            order.phase = "delivered"
            self._schedule_next(order)
        elif not any(line.dlix for line in waiting):
            self._release(order, waiting)
        self._touch(order)

    def invoice_order(self, order: CustomerOrder) -> Invoice:
        """Delivered order -> invoice (IVNO/YEA4) and receivable (CINO/INYR); lines 77. One invoice
        for all the order's deliveries, naming the last (a simplification: M3 usually invoices each
        delivery), so an order is invoiced and paid once however it was delivered."""
        if order.phase != "delivered":
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} is not delivered", "ORNO")
        deliveries = [
            self.deliveries[dlix] for dlix in sorted({line.dlix for line in order.lines if line.dlix})
        ]
        last = deliveries[-1]
        today = self.today()
        divi = self.division_of(order.faci)
        ivno = self.next_invoice_number(divi)
        net = money(order.net_amount)
        journal = self._next("journal")
        invoice = Invoice(
            ivno=ivno, yea4=str(today.year), orno=order.orno, cuno=order.cuno, dlix=last.dlix, conn=last.conn,
            ivdt=today, dudt=today + timedelta(days=self.lifecycle.payment_days),
            net=net, vat=money(net * self.lifecycle.vat_rate), cucd=order.cucd, cino=ivno, jrno=str(journal),
            jsno="1", divi=divi,
        )  # fmt: skip
        self.invoices[(invoice.yea4, ivno)] = invoice
        for line in order.lines:
            if not line.cancelled:
                line.ivqt = line.orqt
        for delivery in deliveries:
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

    def release_line(self, line: OrderLine) -> None:
        """Give back to the warehouse balance what a line not delivered yet holds (allocated, on a
        picking list): the line is deleted or closed, and leaves its delivery."""
        if line.alqt or line.plqt:
            balance = self.balances[(line.whlo, line.itno)]
            balance.allocated -= line.alqt
            balance.picking -= line.plqt
            self._touch_balance(balance)
        line.alqt = line.plqt = Decimal(0)
        line.dlix = ""

    def lines_changed(self, order: CustomerOrder) -> None:
        """After lines were deleted or closed: an order with nothing left to deliver stops (phase
        ``cancelled``: no step runs for it any more), one that waited only for those lines moves on,
        and the stock they held goes to the orders waiting for it."""
        if all(line.cancelled for line in order.lines):
            order.phase = "cancelled"
        elif order.phase == "picking":
            self._after_delivery(order)
        self._touch(order)
        self.allocate_waiting()

    def ship_now(
        self, orno: str, tracking_number: str | None = None, *, lines: Iterable[int] | None = None
    ) -> Delivery:
        """Sandbox hook: deliver an order's ``lines`` (line numbers, PONR; by default every line not
        delivered yet) now, in one delivery: the open delivery they make up on their own, else a new
        one they are released in. The order is delivered when its last line is; until then the lines
        on no delivery are released for picking at once. A line delivered or closed is refused."""
        with self._lock:
            self.tick()
            order = self._order(orno)
            if order.phase == "allocating":
                self._allocate(order)
                if order.phase == "allocating":
                    raise M3Failure(MSG_WRONG_STATE, f"Order {orno} waits for stock and cannot ship", "ORNO")
            waiting = [line for line in order.lines if not line.cancelled and line.dlqt < line.orqt]
            if lines is not None:
                wanted = set(lines)
                unknown = sorted(wanted - {line.ponr for line in order.lines})
                if unknown:
                    message = f"Order line {unknown[0]} of order {orno} does not exist"
                    raise M3Failure(MSG_NOT_FOUND, message, "PONR")
                for line in order.lines:
                    if line.ponr in wanted and (line.cancelled or line.dlqt >= line.orqt):
                        message = f"Order line {line.ponr} has status {line.status} and cannot ship"
                        raise M3Failure(MSG_WRONG_STATE, message, "PONR")
                waiting = [line for line in waiting if line.ponr in wanted]
            if not waiting:
                raise M3Failure(MSG_WRONG_STATE, f"Order {orno} has already shipped", "ORNO")
            numbers = {line.dlix for line in waiting}
            delivery = self.deliveries.get(numbers.pop()) if len(numbers) == 1 else None
            if delivery is None or len(self._lines_of(order, delivery)) != len(waiting):
                delivery = self._release(order, waiting)
            return self.confirm_picking(order, tracking_number, delivery)

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

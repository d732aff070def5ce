"""The customer-order lifecycle of the M3 emulator (contract §10.6), run on the tenant's clock.

A confirmed batch order becomes a customer order (header STAT 20) whose lines are allocated from the
warehouse balances (22/23/33); a fully allocated order is released for picking in a delivery with
picking list 01 (44), the picking list is reported (stock issued, shipment and tracking number, 66),
the delivery is invoiced (invoice and receivable, 77) and the receivable paid (RECO 9). Each step
falls due ``LifecycleSettings`` delays after the previous one on the tenant clock (``tick`` runs
what is due), or happens at once through the MI transactions and sandbox hooks that drive it.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from prestashop_infor.sandbox.infor.models.clock import SimClock
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


class OrderLifecycle:
    """The lifecycle half of ``M3Tenant`` (moto style: one backend composed of mixins)."""

    clock: SimClock
    lifecycle: LifecycleSettings
    default_warehouse: str
    items: dict[str, Item]
    warehouses: dict[str, Warehouse]
    balances: dict[tuple[str, str], Balance]
    customers: dict[str, Customer]
    batch_orders: dict[str, BatchOrder]
    orders: dict[str, CustomerOrder]
    order_dates: list[tuple[str, str]]
    orders_by_cuor: dict[str, list[str]]
    deliveries: dict[str, Delivery]
    shipments: dict[str, Shipment]
    invoices: dict[tuple[str, str], Invoice]
    _counters: dict[str, int]
    _lmts: int
    _lock: threading.RLock
    _schedule: list[tuple[datetime, int, str, str]]  # (due, seq, ORNO, phase expected)
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

    def add_order(self, order: CustomerOrder) -> None:
        """Keep a customer order, and its place in the indexes by order date and by CUOR."""
        self.orders[order.orno] = order
        bisect.insort(self.order_dates, (order.ordt.strftime("%Y%m%d"), order.orno))
        self.orders_by_cuor.setdefault(order.cuor, []).append(order.orno)

    def remove_order(self, order: CustomerOrder) -> None:
        """Forget a deleted customer order (``OIS100MI/DelHead``), and its place in the indexes."""
        del self.orders[order.orno]
        entry = (order.ordt.strftime("%Y%m%d"), order.orno)
        index = bisect.bisect_left(self.order_dates, entry)
        if index < len(self.order_dates) and self.order_dates[index] == entry:
            del self.order_dates[index]
        same_cuor = self.orders_by_cuor.get(order.cuor, [])
        if order.orno in same_cuor:
            same_cuor.remove(order.orno)

    def orders_from_date(self, ordt: str) -> Iterator[CustomerOrder]:
        """Orders dated ``ordt`` (YYYYMMDD, compared as text like the read engine does) or later, in
        order date then order number order: ``OIS175MI/LstHeadByDate`` without a scan."""
        dates = self.order_dates
        for index in range(bisect.bisect_left(dates, (ordt, "")), len(dates)):
            order = self.orders.get(dates[index][1])
            if order is not None:
                yield order

    def orders_of_cuor(self, cuor: str) -> list[CustomerOrder]:
        return [o for o in map(self.orders.get, self.orders_by_cuor.get(cuor, ())) if o is not None]

    def _order(self, orno: str) -> CustomerOrder:
        order = self.orders.get(orno)
        if order is None:
            raise M3Failure(MSG_NOT_FOUND, f"Order number {orno} does not exist", "ORNO")
        return order

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
            faci=head.get("FACI") or (warehouse.faci if warehouse else "100"),
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

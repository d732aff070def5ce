"""Customer returns of the M3 emulator (OIS390): registered, received and credited.

A return (receiving number ``REPN``) is registered for a warehouse and a customer order
(``OIS390MI/AddHead``), its lines advise the quantities coming back, each from a delivered line of
that order (``AddLine``). Receiving it brings the goods back into the warehouse balance (status 22)
and credits the customer: a credit note, an invoice with negative amounts for the order (listed by
``OIS350MI`` with the order's invoices, ``RXIN`` naming the invoice it corrects) and its receivable
(``ARS200MI``, negative ``CUAM``), open until settled. That step falls due ``credit_after`` after
the return's last line on the tenant clock (``None``: only by the sandbox hook
``/_sandbox/returns/{REPN}/receive``).

A refund given without the goods coming back is a return whose transaction reason (``RSCD``) is
``CREDIT_ONLY``: received the same way, it credits the customer and takes nothing into stock (in M3
the reason's settings in CRS103 decide this; the emulator's tenant has this one reason set so).
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from prestashop_infor.sandbox.infor.models.clock import SimClock
from prestashop_infor.sandbox.infor.models.lifecycle import LifecycleSettings
from prestashop_infor.sandbox.infor.models.records import (
    Balance,
    Customer,
    CustomerOrder,
    CustomerReturn,
    Invoice,
    Item,
    OrderLine,
    ReturnLine,
)
from prestashop_infor.sandbox.infor.models.values import MSG_NOT_FOUND, MSG_WRONG_STATE, M3Failure, money

CREDIT_ONLY = "CRO"  # transaction reason of a credit without goods back
DELIVERED_STATUS = "66"  # an order line is returnable from here on


class CustomerReturns:
    """The customer returns of ``M3Tenant`` (a mixin; the state lives on the tenant)."""

    clock: SimClock
    lifecycle: LifecycleSettings
    items: dict[str, Item]
    customers: dict[str, Customer]
    orders: dict[str, CustomerOrder]
    balances: dict[tuple[str, str], Balance]
    invoices: dict[tuple[str, str], Invoice]
    returns: dict[str, CustomerReturn]  # REPN -> return
    credit_notes: dict[str, list[tuple[str, str]]]  # ORNO -> its credit notes (YEA4, IVNO)
    _return_schedule: list[tuple[datetime, int, str]]  # (due, seq, REPN)
    _seq: int
    _lock: threading.RLock

    def customer_return(self, whlo: str, repn: str) -> CustomerReturn:
        """The return ``REPN`` of warehouse ``WHLO``, or M3's "does not exist" naming ``REPN``."""
        found = self.returns.get(repn.lstrip("0") or "0")
        if found is None or found.whlo != whlo:
            raise M3Failure(
                MSG_NOT_FOUND, f"Receiving number {repn} does not exist in warehouse {whlo}", "REPN"
            )
        return found

    def returned_lines(self, orno: str, ponr: int) -> Iterable[ReturnLine]:
        """Every return line, in any return, that returns line ``PONR`` of order ``ORNO``."""
        for customer_return in self.returns.values():
            if customer_return.orno == orno:
                yield from (line for line in customer_return.lines if line.ponr == ponr)

    def returnable(self, order: CustomerOrder, line: OrderLine) -> Decimal:
        """What of an order line may still come back: delivered, less what returns already advise."""
        if line.cancelled or line.status < DELIVERED_STATUS:
            return Decimal(0)
        return line.dlqt - sum((r.req0 for r in self.returned_lines(order.orno, line.ponr)), Decimal(0))

    def schedule_credit(self, customer_return: CustomerReturn) -> None:
        """The return is received and credited ``credit_after`` from now (its last line added)."""
        delay = self.lifecycle.credit_after
        if delay is None:
            return
        self._seq += 1
        customer_return.due = self.clock.now() + delay
        heapq.heappush(self._return_schedule, (customer_return.due, self._seq, customer_return.repn))

    def credit_due_returns(self) -> int:
        """Receive and credit every return whose time has come; returns how many."""
        ran = 0
        with self._lock:
            now = self.clock.now()
            while self._return_schedule and self._return_schedule[0][0] <= now:
                due, _, repn = heapq.heappop(self._return_schedule)
                found = self.returns.get(repn)
                if found is not None and found.due == due and found.credit is None:  # not moved on since
                    self.receive_return(found)
                    ran += 1
        return ran

    def receive_return_now(self, repn: str) -> Invoice:
        """Sandbox hook: receive and credit one return now."""
        with self._lock:
            self.tick()
            customer_return = self.returns.get(repn.lstrip("0") or "0")
            if customer_return is None:
                raise M3Failure(MSG_NOT_FOUND, f"Receiving number {repn} does not exist", "REPN")
            return self.receive_return(customer_return)

    def receive_return(self, customer_return: CustomerReturn) -> Invoice:
        """The goods arrive (back into the warehouse balance, lines 22; nothing for a credit-only
        return) and the customer is credited: a credit note for the order and its receivable."""
        if customer_return.credit is not None:
            raise M3Failure(
                MSG_WRONG_STATE, f"Customer return {customer_return.repn} is already credited", "REPN"
            )
        if not customer_return.lines:
            raise M3Failure(MSG_WRONG_STATE, f"Customer return {customer_return.repn} has no lines", "REPN")
        whlo = customer_return.whlo
        if customer_return.rscd != CREDIT_ONLY:
            for line in customer_return.lines:
                balance = self.balances.setdefault((whlo, line.itno), Balance(whlo, line.itno))
                balance.on_hand += line.req0
                self._touch_balance(balance)
                line.req1 = line.req0
        invoice = self._credit_note(customer_return)
        for line in customer_return.lines:
            line.req7 = line.req0
        customer_return.credit = (invoice.yea4, invoice.ivno)
        customer_return.lmts = self.next_lmts()
        self.allocate_waiting()
        return invoice

    def _credit_note(self, customer_return: CustomerReturn) -> Invoice:
        today: date = self.today()
        credited = self.invoices.get(customer_return.invoice) if customer_return.invoice else None
        divi = credited.divi if credited is not None else ""  # the division of the invoice it corrects
        ivno = self.next_invoice_number(divi)
        net = -sum((money(line.sapr * line.req0) for line in customer_return.lines), Decimal(0))
        settings = self.lifecycle
        invoice = Invoice(
            ivno=ivno, yea4=str(today.year), orno=customer_return.orno, cuno=customer_return.cuno, dlix="", conn="",
            ivdt=today, dudt=today + timedelta(days=settings.payment_days),
            net=net, vat=money(net * settings.vat_rate), cucd=customer_return.cucd, cino=ivno,
            jrno=str(self._next("journal")), jsno="1", repn=customer_return.repn,
            credited=customer_return.invoice, divi=divi,
        )  # fmt: skip
        self.invoices[(invoice.yea4, ivno)] = invoice
        if customer_return.orno:
            self.credit_notes.setdefault(customer_return.orno, []).append((invoice.yea4, ivno))
        return invoice

"""Credit control of the M3 emulator: a customer's credit limit, what it owes, the credit check of
order entry, and a person releasing an order held for credit.

M3 keeps four credit limits per customer (CRS610, financial panel; their descriptions in the
CRS610MI spec): credit limit 1 ``CRLM`` the most in *overdue* invoices, 2 ``CRL2`` the most in
outstanding invoices, 3 ``CRL3`` the most in outstanding invoices *and orders not invoiced*, 4
``ODUD`` the most days an invoice may be overdue. The emulator keeps one, credit limit 3 (0 = no
limit), on ``Customer.credit_limit``: the one a web shop's orders run into. The others are 0 (no
limit) and ``CRS610MI/ChgFinancial`` refuses to set them rather than keep a limit nothing checks.

What the customer owes, its exposure, is the rule here and nowhere else (``credit_exposure``):

- the outstanding invoice amount (``TOIN`` of ``CRS610MI/GetFinancial``): the customer's open
  receivables (``ARS200MI``, ``RECO`` not 9), each what is left to pay of it, VAT included: invoices
  not settled, less the credit notes (negative) not settled;
- plus the order value not invoiced (``TBLG``): the net amount (as invoices compute it) of the
  customer's order lines neither cancelled nor invoiced, and of the batch orders confirmed that wait
  for the batch job to become customer orders (``confirm_delay``): M3 checks orders one after the
  other as it creates them, the emulator checks at ``Confirm``, so an order on its way counts.

Order entry holds an order that does not fit (``OIS100MI/Confirm``: batch status 30, the customer
stopped or its exposure plus the order's value over the limit); ``OIS100MI/CheckCredit`` asks the
same question first. A person releases a held order (the sandbox hook
``/_sandbox/batch_orders/{ORNO}/release``, ``release_credit_hold``): it becomes a customer order
whatever the limit.
"""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

from prestashop_infor.sandbox.infor.models.records import (
    BATCH_CREDIT_STOP,
    BATCH_ENTERED,
    BatchLine,
    BatchOrder,
    Customer,
    CustomerOrder,
    Invoice,
    Item,
)
from prestashop_infor.sandbox.infor.models.values import (
    MSG_NOT_FOUND,
    MSG_WRONG_STATE,
    M3Failure,
    dec,
    money,
    next_change_number,
    parse_decimal,
)

PAID = "9"  # RECO of a settled receivable


class CreditControl:
    """The credit control of ``M3Tenant`` (a mixin; the state lives on the tenant)."""

    items: dict[str, Item]
    customers: dict[str, Customer]
    batch_orders: dict[str, BatchOrder]
    orders: dict[str, CustomerOrder]
    invoices: dict[tuple[str, str], Invoice]
    divi: str
    _pending_batches: list[tuple[datetime, int, str]]  # (due, seq, temporary ORNO): for the batch job
    _lock: threading.RLock

    # -- what a customer owes ------------------------------------------------------------------

    def open_receivables(self, cuno: str, divi: str | None = None) -> Decimal:
        """``TOIN``: what is left to pay of the customer's receivables not settled (credit notes
        negative), VAT included; in division ``divi`` only when given."""
        return sum(
            (
                inv.remaining
                for inv in self.invoices.values()
                if inv.cuno == cuno and inv.reco != PAID and (divi is None or (inv.divi or self.divi) == divi)
            ),
            Decimal(0),
        )

    def order_value_not_invoiced(self, cuno: str, divi: str | None = None) -> Decimal:
        """``TBLG``: the net amount of the customer's order lines neither cancelled nor invoiced, and
        of its confirmed batch orders waiting for the batch job; of division ``divi``'s orders only
        when given (a batch order's division is its facility's)."""
        total = Decimal(0)
        for order in self.orders.values():
            if order.cuno == cuno and (divi is None or self.division_of(order.faci) == divi):
                for line in order.lines:
                    if not line.cancelled and line.ivqt < line.orqt:
                        total += money(line.net_price * (line.orqt - line.ivqt))
        for _, _, orno in self._pending_batches:
            batch = self.batch_orders[orno]
            if batch.cuno == cuno and (divi is None or self.division_of(self.batch_facility(batch)) == divi):
                total += self.batch_order_value(batch)
        return total

    def credit_exposure(self, cuno: str) -> Decimal:
        """What the customer owes, as credit limit 3 measures it: ``TOIN`` + ``TBLG``."""
        with self._lock:
            return self.open_receivables(cuno) + self.order_value_not_invoiced(cuno)

    def batch_line_value(self, line: BatchLine) -> Decimal:
        """The net amount the line will have on the customer order: its price (``SAPR``, else the
        item's sales price, as the order line gets it) less its discount ``DIP1``, times its quantity."""
        item = self.items.get(line.itno)
        price = line.sapr if line.sapr is not None else (item.price if item else Decimal(0))
        discount = parse_decimal(line.fields, "DIP1", Decimal(0)) or Decimal(0)
        return money(money(price * (1 - discount / 100)) * line.orqt)

    def batch_order_value(self, batch: BatchOrder) -> Decimal:
        return sum((self.batch_line_value(line) for line in batch.lines), Decimal(0))

    # -- the credit check ----------------------------------------------------------------------

    def over_credit_limit(self, customer: Customer, amount: Decimal) -> Decimal | None:
        """The customer's exposure when it plus ``amount`` exceeds the customer's limit; None when it
        fits (at the limit included) or the customer has no limit. The customer stop is not looked at."""
        if customer.credit_limit <= 0:
            return None
        exposure = self.credit_exposure(customer.cuno)
        return exposure if exposure + amount > customer.credit_limit else None

    # -- a person in M3 ------------------------------------------------------------------------

    def set_credit(
        self, customer: Customer, *, limit: Decimal | None = None, stop: bool | None = None
    ) -> None:
        """Set the customer's credit limit 3 (rounded to cents; 0 = no limit) and/or customer stop,
        moving its change number, ``LMDT`` and ``LMTS`` as any change of the customer does."""
        with self._lock:
            if limit is not None:
                if limit < 0:
                    raise M3Failure(
                        MSG_WRONG_STATE, f"Credit limit {dec(limit)} must not be negative", "CRL3"
                    )
                customer.credit_limit = money(limit)
            if stop is not None:
                customer.credit_stop = stop
            customer.chno = next_change_number(customer.chno)
            customer.lmdt = self.today()
            customer.lmts = self.next_lmts()

    def release_credit_hold(self, orno: str) -> BatchOrder:
        """A person releases a batch order held for credit (status 30): it goes on as ``Confirm``
        sends an order that passed, to become a customer order, whatever the limit or stop."""
        with self._lock:
            self.tick()
            batch = self.batch_orders.get(orno)
            if batch is None:
                raise M3Failure(MSG_NOT_FOUND, f"Batch order {orno} does not exist", "ORNO")
            if batch.stat != BATCH_CREDIT_STOP:
                raise M3Failure(
                    MSG_WRONG_STATE,
                    f"Batch order {orno} has status {batch.stat}, not {BATCH_CREDIT_STOP} (held for credit): "
                    "there is nothing to release",
                    "ORNO",
                )
            batch.errors = []
            batch.stat = BATCH_ENTERED
            self.submit_batch(batch)
            return batch

"""OIS390MI, customer returns: a return registered against a customer order, its lines, and reads.

``AddHead`` registers a return (receiving number ``REPN``, given or from the number series) for a
warehouse and a customer or a customer order (``RORN``; the customer is the order's), and the
invoice it corrects (``EXIN``/``YEA4``, by default the order's). ``AddLine`` advises a quantity
coming back (``REQ0``): with an order referenced, the order line it returns (``RORL``/``RORX``) must
be delivered (status 66 or further) and may not come back more than was delivered, less what
returns already advise; without one, an item. The price credited is the line's net price unless
``SAPR`` says otherwise. Receiving and crediting is a lifecycle step (``models/returns.py``).

M3 offers no list of return heads: ``GetHead`` reads one, ``LstLine``/``GetLine`` its lines with their
status (``REST`` 11 advised, 22 received), quantities (``REQ0`` advised, ``REQ1`` received, ``REQ7``
credited) and credit status (``CRES``); ``LstOpenLine`` and ``SelOpenLine`` list the lines not
credited yet, by warehouse, customer, item or order. Pick-up deliveries are not kept.
"""

from __future__ import annotations

from decimal import Decimal

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import read_table
from prestashop_infor.sandbox.infor.models.records import CustomerReturn, Invoice, ReturnLine
from prestashop_infor.sandbox.infor.models.values import (
    MSG_EXISTS,
    MSG_NOT_FOUND,
    MSG_NOT_NUMERIC,
    MSG_UNKNOWN_ITEM,
    MSG_WRONG_STATE,
    M3Failure,
    dec,
    mandatory,
    parse_date,
    parse_decimal,
)


class OIS390MI(Program):
    name = "OIS390MI"
    reads = read_table(
        customer_return=("GetHead",),
        return_line=("GetLine", "LstLine"),
        open_return_line=("LstOpenLine", "SelOpenLine"),
        not_kept=("GetHeadPickUp",),
    )

    def AddHead(self, f: Fields) -> Records:
        m3 = self.m3
        whlo = f["WHLO"]
        if whlo not in m3.warehouses:
            raise M3Failure(MSG_NOT_FOUND, f"Warehouse {whlo} does not exist", "WHLO")
        order = None
        if "RORN" in f:
            order = m3.orders.get(f["RORN"])
            if order is None:
                raise M3Failure(MSG_NOT_FOUND, f"Order number {f['RORN']} does not exist", "RORN")
        cuno = f.get("CUNO") or (order.cuno if order else "")
        if not cuno:
            raise mandatory("CUNO", "Customer")
        customer = m3.customers.get(cuno)
        if customer is None:
            raise M3Failure(MSG_NOT_FOUND, f"Customer {cuno} does not exist", "CUNO")
        if order is not None and order.cuno != cuno:
            raise M3Failure(MSG_WRONG_STATE, f"Order {order.orno} is not an order of customer {cuno}", "RORN")
        epdt = parse_date(f, "EPDT") or m3.today()
        invoice = self._invoice_corrected(f, order.orno if order else "")
        if invoice is None and order is not None and order.invoice is not None:
            invoice = m3.invoices.get(order.invoice)
        repn = self._receiving_number(f)
        m3.returns[repn] = CustomerReturn(
            repn, whlo, cuno, order.orno if order else "", order.cucd if order else customer.cucd, epdt, dict(f),
            invoice=(invoice.yea4, invoice.ivno) if invoice else None, lmts=m3.next_lmts(),
        )  # fmt: skip
        return [{"REPN": repn}]

    def AddLine(self, f: Fields) -> Records:
        m3 = self.m3
        customer_return = m3.customer_return(f["WHLO"], f["REPN"])
        if customer_return.credit is not None:
            raise M3Failure(
                MSG_WRONG_STATE, f"Customer return {customer_return.repn} is already credited", "REPN"
            )
        req0 = parse_decimal(f, "REQ0", None)
        if req0 is None or req0 <= 0:
            raise M3Failure(
                MSG_NOT_NUMERIC, "Transport notified quantity (REQ0) must be greater than zero", "REQ0"
            )
        epdt = parse_date(f, "EPDT") or customer_return.epdt
        if customer_return.orno:
            itno, ponr, price = self._order_line(customer_return, f, req0)
        else:
            if not f.get("ITNO"):
                raise mandatory("ITNO", "Item number")
            if f["ITNO"] not in m3.items:
                raise M3Failure(MSG_UNKNOWN_ITEM, f"Item {f['ITNO']} does not exist", "ITNO")
            itno, ponr, price = f["ITNO"], 0, m3.items[f["ITNO"]].price
        sapr = parse_decimal(f, "SAPR", price)
        reli = len(customer_return.lines) + 1
        line = ReturnLine(reli, itno, req0, sapr, customer_return.orno, ponr, epdt, dict(f))
        customer_return.lines.append(line)
        customer_return.lmts = m3.next_lmts()
        m3.schedule_credit(customer_return)
        return [{"RELI": reli}]

    # -- helpers -----------------------------------------------------------------------------------

    def _order_line(
        self, customer_return: CustomerReturn, f: Fields, req0: Decimal
    ) -> tuple[str, int, Decimal]:
        """The delivered line of the return's order that ``RORL``/``RORX`` name, checked for ``REQ0``."""
        if not f.get("RORL"):
            raise mandatory("RORL", "Reference order line")
        order = self.m3.orders[customer_return.orno]
        ponr = parse_decimal(f, "RORL", None)
        posx = parse_decimal(f, "RORX", Decimal(0))
        line = next((ln for ln in order.lines if ln.ponr == ponr and posx == 0), None)
        if line is None:
            raise M3Failure(
                MSG_NOT_FOUND, f"Order line {f['RORL']} of order {order.orno} does not exist", "RORL"
            )
        if line.cancelled or line.status < "66":
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Order line {line.ponr} has status {line.status} and is not delivered",
                "RORL",
            )
        if f.get("ITNO") and f["ITNO"] != line.itno:
            raise M3Failure(
                MSG_WRONG_STATE, f"Item {f['ITNO']} is not the item of order line {line.ponr}", "ITNO"
            )
        left = self.m3.returnable(order, line)
        if req0 > left:
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Order line {line.ponr} has {dec(left)} left to return, not {dec(req0)}",
                "REQ0",
            )
        return line.itno, line.ponr, line.net_price

    def _invoice_corrected(self, f: Fields, orno: str) -> Invoice | None:
        """The invoice ``EXIN`` (and ``YEA4``) names, which must be one of the order's."""
        if "EXIN" not in f:
            return None
        number = f["EXIN"].lstrip("0")
        found = [
            invoice
            for invoice in self.m3.invoices.values()
            if invoice.ivno == number and f.get("YEA4", invoice.yea4) == invoice.yea4 and not invoice.repn
        ]
        if not found or (orno and found[0].orno != orno):
            raise M3Failure(MSG_NOT_FOUND, f"Invoice {f['EXIN']} does not exist for this return", "EXIN")
        return found[0]

    def _receiving_number(self, f: Fields) -> str:
        """The ``REPN`` given (which must be new), else the next of the number series."""
        if "REPN" in f:
            repn = f["REPN"].lstrip("0") or "0"
            if repn in self.m3.returns:
                raise M3Failure(MSG_EXISTS, f"Receiving number {f['REPN']} already exists", "REPN")
            return repn
        repn = str(self.m3._next("return"))
        while repn in self.m3.returns:
            repn = str(self.m3._next("return"))
        return repn

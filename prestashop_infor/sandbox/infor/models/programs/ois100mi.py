"""OIS100MI, customer order interface: batch order entry (§10.1, §11.1), taking orders back, reads.

Orders from outside M3 enter as batch orders with a temporary number (``AddBatchHead``), get a
delivery address, lines and texts, and are released by ``Confirm``: checked like manual entry
(customer, items, warehouses, credit) and, when they pass, turned into a customer order by the
lifecycle (at once or after the batch job's delay). Rejected batch orders keep their reasons for
``LstErrMsgOrder`` and can be corrected and confirmed again. One that fails the credit check (the
customer stopped, or its credit limit exceeded: ``models/credit.py``) is held at status 30 until a
person releases it; ``CheckCredit`` asks that question before an order is entered.

Customer orders are taken back before they leave the warehouse: ``DelLine`` deletes a line not on
a picking list yet (status below 44: what it had allocated goes back to the balance; the head stays
when it was the last line), ``DelHead`` deletes an order whose lines all may be deleted, ``CloLine``
closes a line not delivered yet (status 99, the line kept with its history). The order's ORSL/ORST
follow its lines; anything further on is refused with nothing changed. Each line is judged on its
own: in an order delivered in several deliveries, a line of a later delivery may still be closed
after an earlier one left (``LstDelLineByCO`` gives each line's delivery).
"""

from __future__ import annotations

from decimal import Decimal

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import ReadRule, read_table
from prestashop_infor.sandbox.infor.models.records import (
    BATCH_CREDIT_STOP,
    BATCH_ENTERED,
    BATCH_HEAD_ERROR,
    BATCH_LINE_ERROR,
    BATCH_NO_LINES,
    BatchLine,
    BatchOrder,
    Customer,
    CustomerOrder,
    OrderLine,
)
from prestashop_infor.sandbox.infor.models.values import (
    MSG_CREDIT_LIMIT,
    MSG_CREDIT_STOP,
    MSG_NO_LINES,
    MSG_NOT_FOUND,
    MSG_NOT_NUMERIC,
    MSG_UNKNOWN_CUSTOMER,
    MSG_UNKNOWN_ITEM,
    MSG_WRONG_STATE,
    M3Failure,
    dec,
    mandatory,
    parse_date,
    parse_decimal,
)

ADDRESS_TYPES = ("1", "2", "3", "4")
LINE_NUMBER = ("ORNO", "PONR", "POSX")  # the key order lines are read by
PICKING_LIST_STATUS = "44"  # a line from here on is on a picking list: no more deleting it
DELIVERED_STATUS = "66"  # a line from here on is delivered: no more closing it


class OIS100MI(Program):
    name = "OIS100MI"
    reads = read_table(
        batch_order=("GetBatchHead", "GetOrderNo", "LstBatchHead"),
        batch_line=("GetBatchLine", "GetBatchLnInfo", "LstBatchLine"),
        batch_error=("LstErrMsgOrder",),
        order=("GetHead", "GetOrderValue", "GetLineChrgTot", "LstHead"),
        order_address=("GetAddress", "GetLineAddress"),
        order_head_text=("GetHeadText", "LstHeadText"),
        order_line_text=("GetLineText", "LstLineText"),
        order_line=(
            "GetLine", "GetLine2", "GetLnInfo", "GetNextDlyDate", "LstCOLineInfo", "LstDlyDates", "LstLinesByItem",
        ),
        delivery_line=("LstDelLineByCO",),
        balance=("GetATP", "LstNewBalances", "LstWarehBalance"),
        item=("GetConfigData",),
        not_kept=(
            # quotations, charges, documents, purchase and kit lines, agreements and code tables
            "GetAddrVreg", "GetBatchQuot", "GetDelHeadChrg", "GetDocClasses", "GetDocument", "GetLineChrg",
            "GetLineManRe", "GetLinePurch", "GetMapping", "GetOrderType", "GetPanelSeq", "GetQuot", "GetText",
            "LstBLInByPurAgr", "LstConnCOCharge", "LstDocument", "LstItmAltQty", "LstLineByKitLvl",
            "LstLineCharge", "LstLinePurch", "LstOrderCharge", "LstOrderTypes", "LstQuot",
        ),
    ) | {
        "GetOrderPromise": ReadRule("balance", params=("ORQT", "DWDT")),
        # an order's lines by line number, an item given narrows them (their key inputs in spec
        # order would list them item by item)
        "LstLine": ReadRule("order_line", index=LINE_NUMBER),
        "LstLine2": ReadRule("order_line", index=LINE_NUMBER),
        "LstLineBOD": ReadRule("order_line", index=LINE_NUMBER),
    }  # fmt: skip

    # -- batch order entry -------------------------------------------------------------------------

    def _batch(self, orno: str) -> BatchOrder:
        batch = self.m3.batch_orders.get(orno)
        if batch is None:
            raise M3Failure(MSG_NOT_FOUND, f"Batch order {orno} does not exist", "ORNO")
        return batch

    def _open_batch(self, orno: str) -> BatchOrder:
        batch = self._batch(orno)
        if batch.confirmed and batch.stat not in (BATCH_HEAD_ERROR, BATCH_NO_LINES, BATCH_LINE_ERROR):
            raise M3Failure(MSG_WRONG_STATE, f"Batch order {orno} is already confirmed", "ORNO")
        return batch

    def AddBatchHead(self, f: Fields) -> Records:
        for name in ("ORDT", "RLDT", "CUDT"):
            parse_date(f, name)
        orno = str(self.m3._next("temp"))
        self.m3.batch_orders[orno] = BatchOrder(orno, f["CUNO"], dict(f), self.m3.clock.now())
        return [{"ORNO": orno}]

    def AddBatchAddress(self, f: Fields) -> Records:
        batch = self._open_batch(f["ORNO"])
        adrt = f["ADRT"].lstrip("0")
        if adrt not in ADDRESS_TYPES:
            raise M3Failure(MSG_WRONG_STATE, f"Address type {f['ADRT']} is invalid", "ADRT")
        batch.addresses[adrt] = dict(f)
        return []

    def AddBatchLine(self, f: Fields) -> Records:
        batch = self._open_batch(f["ORNO"])
        orqt = parse_decimal(f, "ORQT", Decimal(1))
        if orqt is None or orqt <= 0:
            raise M3Failure(MSG_NOT_NUMERIC, "Ordered quantity (ORQT) must be greater than zero", "ORQT")
        sapr = parse_decimal(f, "SAPR", None)
        parse_date(f, "DWDT")
        for n in range(1, 7):
            parse_decimal(f, f"DIP{n}", None)
        ponr = len(batch.lines) + 1
        whlo = f.get("WHLO") or batch.head.get("WHLO") or self.m3.default_warehouse
        batch.lines.append(BatchLine(ponr, f["ITNO"], orqt, sapr, whlo, dict(f)))
        return [{"PONR": ponr, "POSX": "0", "ATNR": "0"}]

    def AddBatchText(self, f: Fields) -> Records:
        self._open_batch(f["ORNO"]).texts.append(dict(f))
        return []

    def Confirm(self, f: Fields) -> Records:
        """Check the batch order like manual entry; a clean one goes to the lifecycle."""
        m3 = self.m3
        batch = self._open_batch(f["ORNO"])
        batch.confirmed = True
        batch.errors = []
        customer = m3.customers.get(batch.cuno)
        if customer is None:
            batch.stat = BATCH_HEAD_ERROR
            batch.errors.append(
                ("1", MSG_UNKNOWN_CUSTOMER, batch.cuno, f"Customer {batch.cuno} does not exist")
            )
        elif not batch.lines:
            batch.stat = BATCH_NO_LINES
            batch.errors.append(("1", MSG_NO_LINES, batch.orno, "Order lines are missing"))
        else:
            unknown = [line for line in batch.lines if line.itno not in m3.items]
            for line in unknown:
                batch.errors.append(
                    ("2", MSG_UNKNOWN_ITEM, line.itno, f"Item {line.itno} does not exist"[:60])
                )
            unknown_whlo = [line for line in batch.lines if line.whlo not in m3.warehouses]
            for line in unknown_whlo:
                batch.errors.append(("2", MSG_NOT_FOUND, line.whlo, f"Warehouse {line.whlo} does not exist"))
            if unknown or unknown_whlo:
                batch.stat = BATCH_LINE_ERROR
            elif (hold := self._credit_hold(customer, batch)) is not None:
                batch.stat = BATCH_CREDIT_STOP
                batch.errors.append(hold)
            else:
                batch.stat = BATCH_ENTERED
                m3.submit_batch(batch)
        return [{"ORNO": batch.orno, "STAT": batch.stat}]

    def _credit_hold(self, customer: Customer, batch: BatchOrder) -> tuple[str, str, str, str] | None:
        """Why the credit check holds the batch order (its error: LEVL, MSID, MDTA, TX60), or None:
        the customer is stopped, or its exposure plus the order's value exceeds its credit limit."""
        if customer.credit_stop:
            return ("1", MSG_CREDIT_STOP, batch.cuno, f"Customer {batch.cuno} is credit-stopped")
        value = self.m3.batch_order_value(batch) if customer.credit_limit > 0 else Decimal(0)
        exposure = self.m3.over_credit_limit(customer, value)
        if exposure is None:
            return None
        limit = dec(customer.credit_limit)
        text = f"Credit limit {limit} exceeded: exposure {dec(exposure)}, order {dec(value)}"
        return ("1", MSG_CREDIT_LIMIT, batch.cuno, text)

    def CheckCredit(self, f: Fields) -> Records:
        """Whether an order of ``AMNT`` (in the customer's currency; none: 0) would pass the credit
        check of order entry: no records when it would, M3's error when the customer is stopped or
        its exposure plus the amount exceeds its credit limit (at the limit passes)."""
        m3 = self.m3
        cuno = f["CUNO"]
        customer = m3.customers.get(cuno)
        if customer is None:
            raise M3Failure(MSG_NOT_FOUND, f"Customer number {cuno} does not exist", "CUNO")
        cucd = f.get("CUCD")
        if cucd is not None and cucd != customer.cucd:
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Currency {cucd} is not the currency {customer.cucd} of customer {cuno}: "
                "the emulator checks amounts in the customer's currency only",
                "CUCD",
            )
        amount = parse_decimal(f, "AMNT", Decimal(0)) or Decimal(0)
        if customer.credit_stop:
            raise M3Failure(MSG_CREDIT_STOP, f"Customer {cuno} is credit-stopped", "CUNO")
        exposure = m3.over_credit_limit(customer, amount)
        if exposure is not None:
            raise M3Failure(
                MSG_CREDIT_LIMIT,
                f"Credit limit exceeded for customer {cuno}: limit {dec(customer.credit_limit)}, "
                f"exposure {dec(exposure)}, amount {dec(amount)}",
                "AMNT",
            )
        return []

    # -- taking a customer order back --------------------------------------------------------------

    def _order_line(self, f: Fields) -> tuple[CustomerOrder, OrderLine]:
        """The order line ``ORNO``/``PONR``/``POSX`` names; every line of the emulator has suffix 0."""
        for name, label in (("ORNO", "Order number"), ("PONR", "Order line")):
            if not f.get(name):
                raise mandatory(name, label)
        order = self.m3._order(f["ORNO"])
        ponr = parse_decimal(f, "PONR", None)
        posx = parse_decimal(f, "POSX", Decimal(0))
        line = next((ln for ln in order.lines if ln.ponr == ponr and posx == 0), None)
        if line is None:
            raise M3Failure(
                MSG_NOT_FOUND, f"Order line {f['PONR']} of order {order.orno} does not exist", "PONR"
            )
        return order, line

    def DelLine(self, f: Fields) -> Records:
        """Delete a line not released for picking yet; the order head stays, even without lines."""
        order, line = self._order_line(f)
        if line.status >= PICKING_LIST_STATUS:
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Order line {line.ponr} has status {line.status} and cannot be deleted",
                "PONR",
            )
        self.m3.release_line(line)
        order.lines.remove(line)
        self.m3.lines_changed(order)
        return []

    def DelHead(self, f: Fields) -> Records:
        """Delete an order and its lines, when none of them is released for picking yet."""
        order = self.m3._order(f["ORNO"])
        too_far = [line for line in order.lines if line.status >= PICKING_LIST_STATUS]
        if too_far:
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Order {order.orno} cannot be deleted: line {too_far[0].ponr} has status {too_far[0].status}",
                "ORNO",
            )
        for line in order.lines:
            self.m3.release_line(line)
        self.m3.remove_order(order)
        self.m3.allocate_waiting()
        return []

    def CloLine(self, f: Fields) -> Records:
        """Close a line not delivered yet: its remaining quantity will not be delivered (status 99)."""
        order, line = self._order_line(f)
        if line.status >= DELIVERED_STATUS:
            raise M3Failure(
                MSG_WRONG_STATE,
                f"Order line {line.ponr} has status {line.status} and cannot be closed",
                "PONR",
            )
        self.m3.release_line(line)
        line.cancelled = True
        self.m3.lines_changed(order)
        return []

"""ARS040MI, customer payment interface (§11.7): a payment batch (``AddBatchHead``) collects payment
lines against receivables (``AddBatchLine``); ``ControlBatch`` books them, and a receivable paid in
full gets ``RECO`` 9."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.records import PaymentBatch
from prestashop_infor.sandbox.infor.models.values import (
    MSG_EXISTS,
    MSG_NOT_FOUND,
    MSG_WRONG_STATE,
    M3Failure,
    mandatory,
    parse_date,
    parse_decimal,
)


class ARS040MI(Program):
    name = "ARS040MI"

    def _batch(self, pbid: str) -> PaymentBatch:
        batch = self.m3.payment_batches.get(pbid)
        if batch is None:
            raise M3Failure(MSG_NOT_FOUND, f"Payment batch {pbid} does not exist", "PBID")
        return batch

    def AddBatchHead(self, f: Fields) -> Records:
        parse_date(f, "ACDT")
        if f["PBID"] in self.m3.payment_batches:
            raise M3Failure(MSG_EXISTS, f"Payment batch {f['PBID']} already exists", "PBID")
        self.m3.payment_batches[f["PBID"]] = PaymentBatch(f["PBID"], f["BOPE"])
        return [{"PBID": f["PBID"]}]

    def AddBatchLine(self, f: Fields) -> Records:
        m3 = self.m3
        batch = self._batch(f["PBID"])
        if batch.controlled:
            raise M3Failure(MSG_WRONG_STATE, f"Payment batch {f['PBID']} is already controlled", "PBID")
        invoice = next(
            (i for i in m3.invoices.values() if i.cino == f["CINO"].lstrip("0") and i.yea4 == f["INYR"]),
            None,
        )
        if invoice is None:
            raise M3Failure(MSG_NOT_FOUND, f"Invoice {f['CINO']} of {f['INYR']} does not exist", "CINO")
        if invoice.cuno != f["CUNO"]:
            raise M3Failure(MSG_WRONG_STATE, f"Invoice {f['CINO']} belongs to another customer", "CUNO")
        amount = parse_decimal(f, "PYAM", None)
        paid_on = parse_date(f, "LPDT") or m3.today()
        batch.lines.append({"invoice": (invoice.yea4, invoice.ivno), "amount": amount, "paid_on": paid_on})
        return []

    def ControlBatch(self, f: Fields) -> Records:
        if "PBID" not in f:
            raise mandatory("PBID", "Payment batch")
        batch = self._batch(f["PBID"])
        if not batch.controlled:
            batch.controlled = True
            for line in batch.lines:
                self.m3.pay_invoice(self.m3.invoices[line["invoice"]], line["amount"], line["paid_on"])
        return []

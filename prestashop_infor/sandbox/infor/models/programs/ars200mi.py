"""ARS200MI, customer invoice interface (§11.7): receivables (``CINO``/``INYR``, journal
``JRNO``/``JSNO``) with their reconciliation code ``RECO`` (9 = paid); read only."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class ARS200MI(Program):
    name = "ARS200MI"
    reads = read_table(
        receivable=(
            "GetCashDiscInfo", "GetInvTotInfo", "GetInvoice", "GetUniqueKey", "LstInvByDivi", "LstInvoiceTrans",
            "LstInvoices",
        ),
    )  # fmt: skip

"""OIS350MI, customer order invoices (§11.7): invoice heads (``IVNO``/``YEA4``) by order, delivery,
year or payer, and their lines; read only (invoicing is a lifecycle step). Invoice line types,
extended invoice numbers and VAT texts are not kept."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class OIS350MI(Program):
    name = "OIS350MI"
    reads = read_table(
        invoice=(
            "GetCashDiscount", "GetDelHead", "GetInvHead", "LstAllInvByCO", "LstDelHeadByInv", "LstInvHead",
            "LstInvHeadByCo", "LstInvHeadByPay",
        ),
        invoice_line=("LstInvByCOLine", "LstInvHeadByDel", "LstInvLine"),
        delivery_line=("GetDelLine", "LstDelLine"),
        not_kept=("GetInvLine", "LstInvLiAdnlInf", "LstInvLineByTyp", "LstTxExmpTxtVAT"),
    )  # fmt: skip

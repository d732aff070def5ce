"""MMS850MI, internal stock transaction interface (§11.5): stock adjusted by partner messages.

``AddAdjust`` adds (or removes) a quantity and remembers the partner's external message number
``PMSN``: the same number again is refused, and ``GetMvxMsg`` finds the first, which is how a client
checks after a timeout whether its adjustment reached M3.
"""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.reads import read_table
from prestashop_infor.sandbox.infor.models.records import StockMessage
from prestashop_infor.sandbox.infor.models.values import MSG_EXISTS, M3Failure, mandatory, parse_decimal


class MMS850MI(Program):
    name = "MMS850MI"
    reads = read_table(
        stock_message=("GetMvxMsg", "GetStkHead", "GetStkId", "GetStkIns", "LstMvxMsg"),
        not_kept=("LstGrpHld", "LstGrpHldDetail", "LstSubline"),  # held messages, lot sublines
    )

    def AddAdjust(self, f: Fields) -> Records:
        m3 = self.m3
        if "ITNO" not in f:
            raise mandatory("ITNO", "Item number")
        quantity = parse_decimal(f, "QLQT", None)
        if quantity is None:
            raise mandatory("QLQT", "Quantity")
        partner, pmsn = f["E0PA"], f.get("PMSN")
        if pmsn and (partner, pmsn) in m3.stock_messages:
            raise M3Failure(
                MSG_EXISTS, f"Message number {pmsn} of partner {partner} was already received", "PMSN"
            )
        m3.adjust_stock(f["WHLO"], f["ITNO"], quantity)
        msnr = str(m3._next("message"))
        if pmsn:
            m3.stock_messages[(partner, pmsn)] = StockMessage(
                msnr, partner, pmsn, f["WHLO"], f["ITNO"], quantity, e065=f["E065"], rscd=f.get("RSCD", ""),
                created=m3.clock.now(), lmts=m3.next_lmts(),
            )  # fmt: skip
        return [{"CONO": m3.cono, "MSNR": msnr, "MSLN": "1", "MSGS": "90"}]

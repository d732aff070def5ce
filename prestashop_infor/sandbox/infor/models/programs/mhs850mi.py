"""MHS850MI, order-initiated stock transactions through the warehouse interface (§11.6).

``AddCfmPickList`` is how a warehouse system reports a picking list: the same effect as
MWS420MI/Confirm, recorded as a message (``MSGN``) that the message reads find by number, partner
and external message number. Message lines, packages and sublines are not kept.
"""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Fields, Program, Records
from prestashop_infor.sandbox.infor.models.programs.mws420mi import picking_list
from prestashop_infor.sandbox.infor.models.reads import read_table
from prestashop_infor.sandbox.infor.models.records import WarehouseMessage


class MHS850MI(Program):
    name = "MHS850MI"
    reads = read_table(
        warehouse_message=("GetMvxMsg", "GetWhsHead", "LstMvxMsg"),
        not_kept=("GetWhsLine", "GetWhsLine1", "GetWhsPack", "LstItemSubLine", "LstSubLine", "LstWhsLine"),
    )

    def AddCfmPickList(self, f: Fields) -> Records:
        m3 = self.m3
        order, delivery = picking_list(m3, f["DLIX"], f["PLSX"])
        m3.confirm_picking(order, delivery=delivery)
        msgn = str(m3._next("message"))
        m3.warehouse_messages[msgn] = WarehouseMessage(
            msgn, f["E0PA"], f["E065"], f.get("PMSN", ""), f["WHLO"], delivery.dlix, delivery.plsx, order.orno,
            order.cuno, order.cuor, m3.clock.now(), m3.next_lmts(),
        )  # fmt: skip
        return [{"CONO": m3.cono, "MSGN": msgn}]

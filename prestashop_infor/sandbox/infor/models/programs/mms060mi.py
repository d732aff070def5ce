"""MMS060MI, detailed item balances (§11.5): balance identities per warehouse, location and item,
read only. Lots, containers and allocations by order are not kept."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class MMS060MI(Program):
    name = "MMS060MI"
    reads = read_table(
        balance=("Get", "LstBalID", "LstLocation", "LstNewItemBal", "LstSumQty", "LstViaItem", "Select"),
        not_kept=("LstBalIDByOrd", "LstContainer", "LstLot"),
    )

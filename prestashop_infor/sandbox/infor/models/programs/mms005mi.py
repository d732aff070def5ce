"""MMS005MI, warehouse interface: the tenant's warehouses and their facilities, read only."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class MMS005MI(Program):
    name = "MMS005MI"
    reads = read_table(
        warehouse=("GetFaclist", "GetWarehouse", "LstFaclist", "LstWarehouses", "Select"),
        not_kept=("SelTimezone",),
    )

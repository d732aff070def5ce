"""OIS120MI, customer order stop: orders looked up by the customer's order number ``CUOR``, order
number or payer, with their order stop (§11.2). The integration's duplicate check reads
``LstCOStopByCUOR`` with ``NFTR=1``; without it the list is positioned, not filtered (§9)."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class OIS120MI(Program):
    name = "OIS120MI"
    reads = read_table(order=("GetCOStopInfo", "LstCOStopByCUOR", "LstCOStopByORNO", "LstCOStopByPYNO"))

"""OIS275MI, customer batch-order head: the state of batch orders (§10.1, §11.2).

``GetTmpOrderStat`` is how a client learns that its batch order became a customer order (STAT 90 and
the final number ``ORNR``) or was rejected (15/20/25/30). Reads only; the batch orders themselves
are entered through OIS100MI.
"""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class OIS275MI(Program):
    name = "OIS275MI"
    reads = read_table(
        batch_order=("GetBatchHead", "GetTmpOrderStat"),
        batch_line=("LstBatchLine",),
        batch_address=("GetAddress",),
    )

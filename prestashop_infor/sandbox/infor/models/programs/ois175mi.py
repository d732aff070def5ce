"""OIS175MI, customer order inquiry: order heads listed by customer, date or "your reference"
(§11.2), positioned on the keys given. Sort options are a code table the emulator does not keep.

``LstHeadByDate`` lists by order date, across customers (a customer given narrows it): the
reconciliation reads days of orders from it, restarting on the last date it got. Its key inputs in
spec order (``CONO``, ``CUNO``, ``ORDT``) would list customer by customer instead."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import ReadRule, read_table


class OIS175MI(Program):
    name = "OIS175MI"
    reads = read_table(
        order=("LstBySortOption", "LstHeadByCust", "LstHeadByRef"),
        not_kept=("LstSortOptions",),
    ) | {"LstHeadByDate": ReadRule("order", index=("ORDT",))}

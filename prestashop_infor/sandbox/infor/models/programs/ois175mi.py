"""OIS175MI, customer order inquiry: order heads listed by customer, date or "your reference"
(§11.2), positioned on the keys given. Sort options are a code table the emulator does not keep."""

from __future__ import annotations

from prestashop_infor.sandbox.infor.models.programs.base import Program
from prestashop_infor.sandbox.infor.models.reads import read_table


class OIS175MI(Program):
    name = "OIS175MI"
    reads = read_table(
        order=("LstBySortOption", "LstHeadByCust", "LstHeadByDate", "LstHeadByRef"),
        not_kept=("LstSortOptions",),
    )

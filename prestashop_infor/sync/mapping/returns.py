"""The ``returns`` section: which merchandise returns of the shop go to M3, and how M3 records them.

A return a customer asks for in the shop (PrestaShop's merchandise returns, sent by the module's
``order_return.*`` webhooks with their lines) is entered in M3 as a customer return
(``OIS390MI``, ``RSCD`` ``m3_return_reason``) once the merchant has accepted it, i.e. once it is in
one of ``shop_states`` (ids of the shop's return states; a fresh PrestaShop has 1 "Waiting for
confirmation", 2 "Waiting for package", 3 "Package received", 4 "Return denied", 5 "Return
completed"). The return's number is ``m3_return_number_base`` + the return's id, a series of its
own, so a retry finds it instead of entering it twice. When the goods arrive M3 credits the
customer, and the credit note comes back to the shop as a credit slip (``refunds``).
"""

from __future__ import annotations

from pydantic import Field

from prestashop_infor.sync.mapping.section import Section


class Returns(Section):
    # the merchant accepted it: waiting for the package, received, or completed ([] = none go to M3)
    shop_states: tuple[int, ...] = Field(default=(2, 3, 5))
    # the M3 transaction reason (CRS103) of a customer return whose goods come back
    m3_return_reason: str = Field(default="RET", min_length=1, max_length=3)
    m3_return_number_base: int = Field(default=8_000_000_000, ge=0, le=9_999_000_000)

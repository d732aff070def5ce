"""The ``cancellation`` section: which shop order states ask M3 to cancel an order it holds, and how
far M3 may have gone with it.

An order in one of ``shop_states`` that M3 holds as a customer order is cancelled there by closing
each of its lines (``OIS100MI/CloLine``, the line kept at status 99 with its history) while every
line is at ``highest_m3_status`` or below; past that (by default once the picking list is released,
44) M3 is left as it is and the order becomes a ``cancel_too_late`` dead letter, with an alert and a
private message on the shop order. ``shop_states`` left out (null) is the state
``status.prestashop_state.cancelled`` names. Every cancelling state must also be in
``status.not_exported`` (checked against the shop's states): an order cancelled before it reached M3
is never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import field_validator

from prestashop_infor.sync.mapping.section import Section
from prestashop_infor.sync.mapping.status import status_code

#: CloLine closes only lines not delivered yet: a line at 66 or beyond cannot be closed.
DELIVERED = "66"


class Cancellation(Section):
    shop_states: tuple[str | int, ...] | None = None  # None: status.prestashop_state.cancelled
    highest_m3_status: str = "33"  # every line at most allocated: before the picking list (44)
    reason_code: str | None = None  # CloLine RSCD, an M3 transaction reason (CRS103); None: none
    lost_sales: bool = False  # CloLine OT65: count the closed quantity in M3's lost-sales statistics
    shop_message: bool = True  # a private message on the shop order when it is too late

    @field_validator("highest_m3_status", mode="before")
    @classmethod
    def _before_delivery(cls, value: Any) -> str:
        code = status_code(value)
        if code >= DELIVERED:
            raise ValueError(f"M3 closes only lines not delivered yet (below {DELIVERED}), got {code}")
        return code

    @field_validator("reason_code")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        if value is not None and not 0 < len(value.strip()) <= 3:
            raise ValueError(f"an M3 transaction reason is 1 to 3 characters, got {value!r}")
        return value.strip() if value is not None else None

    def allows(self, line_statuses: Sequence[str]) -> bool:
        """M3 may cancel an order whose open lines (not closed yet, 99) are all at most
        ``highest_m3_status``."""
        return all(status <= self.highest_m3_status for status in line_statuses if status != "99")

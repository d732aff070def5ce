"""The ``refunds`` section: the shop states an order takes when M3 credits it (a return received,
or a credit without goods back): ``full_state`` once the credits cover the order's products,
``partial_state`` before that (null: the order keeps its state), names as in ``/api/order_states``
or ids, resolved against the shop's own states; and how a refund given in the shop is entered in M3
(``m3_credit_reason``, ``m3_return_number_base``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from prestashop_infor.sync.mapping.section import Section
from prestashop_infor.sync.mapping.status import find_state


class Refunds(Section):
    full_state: str | int | None = "Refunded"
    partial_state: str | int | None = None
    # A refund given in the shop becomes an M3 customer return that takes no goods back: its
    # transaction reason (set up in M3, CRS103, to credit without a receipt) and the number it gets,
    # derived from the credit slip so a retry finds it (base + slip id; a series M3 does not use).
    m3_credit_reason: str = Field(default="CRO", min_length=1, max_length=3)
    m3_return_number_base: int = Field(default=9_000_000_000, ge=0, le=9_999_000_000)

    def states(self, order_states: Sequence[Mapping[str, Any]]) -> tuple[int | None, int | None]:
        """(full, partial) as the shop's state ids; MappingError naming the key for a state the shop
        does not have."""
        full = (
            None
            if self.full_state is None
            else find_state(order_states, "refunds.full_state", self.full_state)
        )
        partial = (
            None
            if self.partial_state is None
            else find_state(order_states, "refunds.partial_state", self.partial_state)
        )
        return full, partial

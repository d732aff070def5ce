"""The ``credit`` section: the credit gate for business customers.

The orders of customers in one of ``customer_groups`` (ids of PrestaShop customer groups; empty: no
gate, every customer is treated as a consumer) pass M3's credit check before they are confirmed:
the integration reads the customer's credit limit (``CRS610MI/GetFinancial``, ``CRL3``) and, when there is
one, asks M3 whether the order fits it (``OIS100MI/CheckCredit``). An order over the limit is still
entered; M3 holds it (its credit stop, batch order status 30) and the integration does not treat
that as a failure: the shop order moves to ``awaiting_state`` (null: it keeps its state), gets a
private message saying why (``shop_message``) and an alert goes out (a ``credit_hold`` finding).
Each cycle looks again; once a person releases the stop in M3, the order goes through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prestashop_infor.sync.mapping.section import Section
from prestashop_infor.sync.mapping.status import find_state


class CreditGate(Section):
    customer_groups: tuple[int, ...] = ()  # PrestaShop customer group ids (Customers > Groups)
    awaiting_state: str | int | None = None  # the shop state of an order M3 holds for credit
    shop_message: bool = True  # a private message on the shop order saying why

    def gated(self, group_id: int | None) -> bool:
        return group_id is not None and int(group_id) in self.customer_groups

    def awaiting(self, order_states: Sequence[Mapping[str, Any]]) -> int | None:
        """The shop's id of ``awaiting_state`` (None when not set); MappingError naming the key for a
        state the shop does not have."""
        if self.awaiting_state is None:
            return None
        return find_state(order_states, "credit.awaiting_state", self.awaiting_state)

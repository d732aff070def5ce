"""The milestone ladder of the status lane (``sync.status``): how the shop's states sit on M3's
milestones, and the state an order is moved to next, never backwards."""

from __future__ import annotations

from prestashop_infor.sync.m3_order_states import CANCELLED, PAID, SHIPPED, milestone_rank, reached
from prestashop_infor.sync.mapping import MILESTONES, ResolvedStatusMap


class Ladder:
    """The milestones in order and how the shop's states sit on them (``ResolvedStatusMap``).

    Payment is a dimension of its own in PrestaShop (a state *flag*), fulfilment is a ladder: an
    order paid at checkout ("Payment accepted", ranked before confirmation) still moves to Shipped,
    and a shipped order paid later is not moved "back" to Payment accepted. So the fulfilment step
    compares ranks, and the paid state is set only when the shop's state is not already flagged
    paid and the paid state does not rank below it. The milestones' ranks are the one fulfilment
    ladder's (``m3_order_states.milestone_rank``), the one the reconciliation compares by too.
    """

    def __init__(self, resolved: ResolvedStatusMap):
        self.resolved = resolved

    def rank(self, milestone: str) -> int:
        rank = milestone_rank(milestone)
        if rank is None:
            raise ValueError(f"{milestone!r} is not on the fulfilment ladder")
        return rank

    def has(self, milestone: str) -> bool:
        return milestone_rank(milestone) is not None

    def reached(self, milestone: str | None, at_least: str) -> bool:
        return reached(milestone, at_least)

    def state_for(self, milestone: str) -> int | None:
        return self.resolved.state_for(milestone)

    def state_rank(self, state_id: int) -> int | None:
        """Where a shop state sits on the fulfilment ladder; None when off it (cancelled, refunded,
        payment error: a person decided, the sync does not override)."""
        return self.resolved.rank_of_state(int(state_id))

    def is_paid(self, state_id: int) -> bool:
        return self.resolved.is_paid(int(state_id))

    def fulfilment_target(self, milestone: str) -> tuple[str, int] | None:
        """The furthest milestone up to ``milestone`` (``paid`` excluded) that sets a shop state."""
        if not self.has(milestone):
            return None
        for candidate in reversed(MILESTONES[: self.rank(milestone) + 1]):
            if candidate == PAID:
                continue
            state = self.state_for(candidate)
            if state is not None:
                return candidate, state
        return None

    def next_state(self, milestone: str | None, paid: bool, current: int) -> int | str | None:
        """The state to set next: a state id, None when the shop is already right, or a note saying why
        the order is left alone. Never backwards, never the state the order already has."""
        if milestone is None:
            return None
        current_rank = self.state_rank(current)
        if milestone == CANCELLED:
            target = self.state_for(CANCELLED)
            if target is None or target == current:
                return None
            if current_rank is None:
                return f"M3 cancelled the order; shop state {current} is off the ladder: left alone"
            if self.has(SHIPPED) and current_rank >= self.rank(SHIPPED):
                return f"M3 cancelled the order but the shop shows it shipped (state {current}): left alone"
            return target
        if current_rank is None:
            return f"shop state {current} is off the milestone ladder (cancelled, refunded...): left alone"
        goal = self.fulfilment_target(milestone)
        if goal is not None:
            goal_milestone, goal_state = goal
            if goal_state != current and self.rank(goal_milestone) > current_rank:
                return goal_state
        if paid and self.has(PAID) and not self.is_paid(current):
            paid_state = self.state_for(PAID)
            if paid_state is not None and paid_state != current:
                paid_rank = self.state_rank(paid_state)
                if paid_rank is not None and paid_rank >= current_rank:
                    return paid_state
        return None

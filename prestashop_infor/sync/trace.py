"""Where is order N? One shop order's story in time order, from what the store holds: the webhooks
received for it, its extraction, its M3 customer and customer order, the M3 states read, what was
written back to the shop, and its dead letters (``prestashop-infor trace ORDER_ID``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store import Store, id_map, tables


@dataclass(frozen=True)
class Step:
    """One thing that happened to the order."""

    at: datetime
    what: str
    detail: str
    inbox_id: int | None = None  # for a webhook: its inbox id (the sensor's runs name id ranges)

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "what": self.what, "detail": self.detail}


def trace_order(store: Store, order_id: int) -> list[Step]:
    """Every step the store knows of for shop order ``order_id``, oldest first; empty when it knows
    nothing of it."""
    steps: list[Step] = []
    key = str(int(order_id))
    with store.engine.connect() as connection:
        inbox = tables.webhook_inbox
        for row in connection.execute(
            sa.select(inbox).where(inbox.c.resource_type == "orders", inbox.c.resource_id == int(order_id))
        ).mappings():
            steps.append(Step(row["received_at"], "webhook received",
                              f"{row['event']} (attempt {row['attempt'] or '?'}, inbox id {row['id']}, {row['status']})",
                              inbox_id=row["id"]))  # fmt: skip
        orders = tables.ps_orders
        order = connection.execute(sa.select(orders).where(orders.c.id == int(order_id))).mappings().first()
        if order is not None:
            steps.append(Step(order["loaded_at"], "extracted from the shop",
                              f"reference {order['reference']}, state {order['current_state']}, "
                              f"{order['row_count']} lines, total {order['total_paid_tax_incl']}"))  # fmt: skip
        states = tables.m3_order_states
        state = (
            connection.execute(sa.select(states).where(states.c.order_id == int(order_id))).mappings().first()
        )
        if state is not None:
            details = json.loads(state["details"] or "{}")
            tracking = [d.get("ETRN") for d in details.get("deliveries", []) if d.get("ETRN")]
            error = json.loads(state["error"]) if state["error"] else None
            steps.append(Step(state["read_at"], "M3 state read",
                              f"order {state['orno']}: {state['milestone'] or 'not confirmed yet'} "
                              f"({state['fingerprint']})" + (f", tracking {', '.join(tracking)}" if tracking else "")
                              + (f"; M3 refused: {error['message']}" if error else "")))  # fmt: skip
        pushes = tables.backoffice_order_pushes
        push = (
            connection.execute(sa.select(pushes).where(pushes.c.order_id == int(order_id))).mappings().first()
        )
        if push is not None:
            written = [f"state {push['state_id']}"] if push["state_id"] else []
            written += [f"tracking {push['tracking_number']}"] if push["tracking_number"] else []
            written += [f"payment {push['payment_key']}"] if push["payment_key"] else []
            steps.append(Step(push["updated_at"], "written back to the shop",
                              (", ".join(written) or "nothing yet") + (" (closed)" if push["closed"] else "")))  # fmt: skip
        letters = tables.dead_letters
        for row in connection.execute(
            sa.select(letters).where(
                letters.c.entity.in_(["sales_order", "order_status", "orders"]), letters.c.key == key
            )
        ).mappings():
            steps.append(Step(row["first_seen"], f"dead letter {row['id']} ({row['entity']}, {row['stage']})",
                              f"{row['error_code']}: {row['message'][:200]} [{row['state']}, "
                              f"{row['attempts']} attempt(s), last {row['last_seen'].isoformat()}]"))  # fmt: skip
    binding = id_map.binding(store, "sales_order", key)
    if binding is not None and binding.created_at is not None:
        customer = binding.data.get("cuno") or "?"
        steps.append(Step(binding.created_at, "in M3",
                          f"customer order {binding.target_key} (CUOR {binding.data.get('cuor', '?')}, "
                          f"batch order {binding.data.get('temp_orno', '?')}, customer {customer})"))  # fmt: skip
    return sorted(steps, key=lambda step: step.at)

"""Where is order N? One shop order's story in time order, from what the store holds: the webhooks
received for it, its extraction, its M3 customer and customer order, the M3 states read, what was
written back to the shop, its cancellation in M3 (or the private message saying why it was too
late), its returns and refunds, and its dead letters (``prestashop-infor trace ORDER_ID``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prestashop_infor.store import (
    Store,
    backoffice,
    credit_notes,
    id_map,
    inbox,
    order_returns,
    order_states,
    tables,
)


@dataclass(frozen=True)
class Step:
    """One thing that happened to the order."""

    at: datetime
    what: str
    detail: str
    inbox_id: int | None = None  # for a webhook: its inbox id (the sensor's runs name id ranges)

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "what": self.what, "detail": self.detail}


def note_time(note: credit_notes.CreditNote, slip: id_map.Binding | None) -> datetime:
    """When a credit note shows in the story: its slip's, else its invoice date's start (UTC)."""
    if slip is not None and slip.created_at is not None:
        return slip.created_at
    day = note.invoice_date or datetime.now(UTC).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def trace_order(store: Store, order_id: int) -> list[Step]:
    """Every step the store knows of for shop order ``order_id``, oldest first; empty when it knows
    nothing of it."""
    steps: list[Step] = []
    order_id = int(order_id)
    key = str(order_id)
    for event in inbox.events_about(store, "orders", order_id):
        steps.append(Step(event.received_at, "webhook received",
                          f"{event.event} (attempt {event.attempt or '?'}, inbox id {event.id}, {event.status})",
                          inbox_id=event.id))  # fmt: skip
    for order in store.rows_by_id(tables.ps_orders, [order_id]):
        steps.append(Step(order["loaded_at"], "extracted from the shop",
                          f"reference {order['reference']}, state {order['current_state']}, "
                          f"{order['row_count']} lines, total {order['total_paid_tax_incl']}"))  # fmt: skip
    state = order_states.load(store, [order_id]).get(order_id)
    if state is not None:
        deliveries = state["details"].get("deliveries", [])
        error = state["error"]
        steps.append(Step(state["read_at"], "M3 state read",
                          f"order {state['orno']}: {state['milestone'] or 'not confirmed yet'} "
                          f"({state['fingerprint']}), {len(deliveries)} deliver{'y' if len(deliveries) == 1 else 'ies'}"
                          + (f"; M3 refused: {error['message']}" if error else "")))  # fmt: skip
        for delivery in sorted(deliveries, key=lambda d: d.get("DLIX", "")):
            steps.append(Step(state["read_at"], "M3 delivery",
                              f"delivery {delivery.get('DLIX', '?')}: "
                              + (f"tracking {delivery['ETRN']}" if delivery.get("ETRN") else "not shipped yet")))  # fmt: skip
    push = backoffice.order_pushes_for(store, [order_id]).get(order_id)
    if push is not None:
        written = [f"state {push.state_id}"] if push.state_id else []
        written += [f"tracking {push.tracking_number}"] if push.tracking_number else []
        written += [f"payment {push.payment_key}"] if push.payment_key else []
        steps.append(Step(push.updated_at, "written back to the shop",
                          (", ".join(written) or "nothing yet") + (" (closed)" if push.closed else "")))  # fmt: skip
    for letter in store.dead_letters_of(
        ["sales_order", "order_status", "orders", "order_cancellation", "credit_hold"], key
    ):
        steps.append(Step(letter.first_seen, f"dead letter {letter.id} ({letter.entity}, {letter.stage})",
                          f"{letter.error_code}: {letter.message[:200]} [{letter.state}, "
                          f"{letter.attempts} attempt(s), last {letter.last_seen.isoformat()}]"))  # fmt: skip
    binding = id_map.binding(store, "sales_order", key)
    if binding is not None and binding.created_at is not None:
        customer = binding.data.get("cuno") or "?"
        steps.append(Step(binding.created_at, "in M3",
                          f"customer order {binding.target_key} (CUOR {binding.data.get('cuor', '?')}, "
                          f"batch order {binding.data.get('temp_orno', '?')}, customer {customer})"))  # fmt: skip
    cancelled = id_map.binding(store, "order_cancellation", key)
    if cancelled is not None and cancelled.created_at is not None:
        by = "by the integration" if cancelled.data.get("closed_by") == "integration" else "found cancelled"
        steps.append(Step(cancelled.created_at, "cancelled in M3",
                          f"customer order {cancelled.target_key}: lines {', '.join(cancelled.data.get('lines', []))} "
                          f"closed (CloLine, status 99), {by}"))  # fmt: skip
    if binding is not None:
        notes = credit_notes.credit_notes_of(store, [binding.target_key])[binding.target_key]
        slips = id_map.bindings_for(store, "credit_slip", [note.key for note in notes])
        for note in notes:
            slip = slips.get(note.key)
            steps.append(Step(note_time(note, slip), "credited in M3",
                              f"credit note {note.key} of {note.amount} {note.currency}"
                              + (f": credit slip {slip.target_key} in the shop" if slip else ": no credit slip yet")))  # fmt: skip
    for refund in id_map.bindings_for(
        store, "shop_refund", credit_notes.slip_ids_of(store, order_id)
    ).values():
        if refund.created_at is not None:
            steps.append(Step(refund.created_at, "refund entered in M3",
                              f"credit slip {refund.source_key} as M3 return {refund.target_key} (credit without goods)"))  # fmt: skip
    shop_returns = order_returns.returns_of_order(store, order_id)
    sent = id_map.bindings_for(store, "shop_return", [r.id for r, _ in shop_returns])
    for shop_return, loaded_at in shop_returns:
        for event in inbox.events_about(store, "order_returns", shop_return.id):
            steps.append(Step(event.received_at, "webhook received",
                              f"{event.event} (return {shop_return.id}, attempt {event.attempt or '?'}, "
                              f"inbox id {event.id}, {event.status})", inbox_id=event.id))  # fmt: skip
        lines = ", ".join(f"{quantity} of row {detail}" for detail, quantity in shop_return.lines)
        steps.append(Step(loaded_at, "return requested in the shop",
                          f"merchandise return {shop_return.id} (state {shop_return.state}): {lines}"))  # fmt: skip
        entered = sent.get(str(shop_return.id))
        if entered is not None and entered.created_at is not None:
            steps.append(Step(entered.created_at, "return entered in M3",
                              f"merchandise return {shop_return.id} as M3 return {entered.target_key} (goods back)"))  # fmt: skip
        for letter in store.dead_letters_of(["shop_return"], shop_return.id):
            steps.append(Step(letter.first_seen, f"dead letter {letter.id} ({letter.entity}, {letter.stage})",
                              f"{letter.error_code}: {letter.message[:200]} [{letter.state}]"))  # fmt: skip
    message = id_map.binding(store, "cancel_message", key)
    if message is not None and message.created_at is not None:
        steps.append(Step(message.created_at, "private message on the shop order",
                          f"customer message {message.target_key}: why the cancellation did not reach M3"))  # fmt: skip
    return sorted(steps, key=lambda step: step.at)

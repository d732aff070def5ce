"""Shop -> M3 cancellation: an order cancelled in the shop after it reached M3 is cancelled in M3
while M3 allows it, and told to a person when it is too late.

Which orders: those whose stored shop snapshot (``ps_orders``) is in a state of
``mapping.cancellation.shop_states``, that M3 holds as a customer order (id map ``sales_order``) and
that are not cancelled there yet (``store.backlog.orders_to_cancel``). An order cancelled before it
reached M3 is never sent (its state is in ``status.not_exported``, which the mapping checks).

Each order goes through the one synchronizer shape (``sync.synchronizer``):

1. **claim** it (entity ``order_cancellation``), so two runs never close the same lines;
2. **read** its lines in M3 (``OIS100MI/LstLine``, their status ``ORST``) just before writing;
3. **decide**: every line closed already (99) or none left: M3 holds it cancelled, record that; a
   line past ``cancellation.highest_m3_status`` (default 33: the picking list is released at 44):
   too late, nothing is changed in M3 and the order becomes a ``cancel_too_late`` dead letter with
   M3's status; otherwise close the open lines;
4. **write** ``OIS100MI/CloLine`` for each open line (``RSCD``/``OT65`` from the mapping). M3 keeps
   the order and its closed lines with their history (``DelLine``/``DelHead`` would erase them, and
   the id map would name an order M3 no longer holds); when every line is closed its status is
   99/99, which the status lane reads as ``cancelled``;
5. **bind** the order in the id map (``order_cancellation`` -> the M3 order number) only when M3
   answered OK for every line. A timeout or a gateway error may hide a commit: nothing is recorded,
   and the next run reads the lines again (closed ones are not closed twice). M3 refusing a line is a
   dead letter with M3's message.

Then, for every ``cancel_too_late`` letter whose order has no message yet, a private message on the
shop order says why (``customer_threads`` + ``customer_messages`` with ``private=1``, as the back
office's order page writes them), once: the shop is read for the message before it is written, and
the message is recorded in the id map (``cancel_message``) only once the shop holds it.
``defs.alerts.finding_alert_sensor`` raises the alert. A too-late letter, open or resolved, is a
person's: the order is not tried again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prestashop_infor.infor import M3Client, M3GatewayError, M3TransactionError
from prestashop_infor.prestashop import PrestashopClient
from prestashop_infor.store import Store, backlog, id_map
from prestashop_infor.sync.errors import LoadError, SyncError
from prestashop_infor.sync.mapping import Mapping as SyncMapping
from prestashop_infor.sync.mapping import MappingError, find_state
from prestashop_infor.sync.mapping.cancellation import Cancellation
from prestashop_infor.sync.shop_messages import private_message
from prestashop_infor.sync.synchronizer import Bind, DeadLetter, Decision, Leave, Outcome, Write, synchronize

ENTITY = "order_cancellation"
SENT = "sales_order"  # the order sync's id map entity: orders M3 holds
MESSAGE_ENTITY = "cancel_message"  # the private messages written on too-late shop orders
TOO_LATE = backlog.TOO_LATE
CLOSED = "99"
STALE_CLAIM = timedelta(minutes=10)
MARK = "[prestashop-infor]"  # starts every message written on a shop order, so it is found again


@dataclass(frozen=True)
class ToCancel:
    order_id: int
    customer_id: int
    orno: str  # the M3 customer order


@dataclass
class CancelReport:
    cancelled: list[int] = field(default_factory=list)  # lines closed by this run
    already: list[int] = field(default_factory=list)  # M3 held them cancelled already
    too_late: dict[int, str] = field(default_factory=dict)  # order -> M3's highest open line status
    dead_lettered: dict[int, SyncError] = field(default_factory=dict)  # too late, or M3 refused
    busy: list[int] = field(default_factory=list)
    left: dict[int, str] = field(default_factory=dict)  # outcome unknown: read again next run
    messages: list[int] = field(default_factory=list)  # orders given a private message this run

    def counts(self) -> dict[str, int]:
        return {
            "cancelled": len(self.cancelled),
            "already_cancelled": len(self.already),
            "cancel_too_late": len(self.too_late),
            "dead_lettered": len(self.dead_lettered),
            "busy": len(self.busy),
            "left": len(self.left),
            "shop_messages": len(self.messages),
        }


def cancel_orders(
    *, m3: M3Client, store: Store, mapping: SyncMapping, cancel_states: Iterable[int], limit: int = 500
) -> CancelReport:
    """Cancel in M3 the orders cancelled in the shop (module docstring); returns what happened."""
    rows = backlog.orders_to_cancel(store, set(cancel_states), sent=SENT, entity=ENTITY, limit=limit)
    work = {str(order_id): ToCancel(order_id, customer, orno) for order_id, customer, orno in rows}
    report = CancelReport()
    run = synchronize(work, _Cancellation(m3, store, mapping, report), store, stale_after=STALE_CLAIM)
    report.busy = [int(key) for key in run.busy]
    report.left = {int(key): why for key, why in run.left.items()}
    return report


class _Cancellation:
    claims = ENTITY

    def __init__(self, m3: M3Client, store: Store, mapping: SyncMapping, report: CancelReport):
        self.m3, self.store, self.report = m3, store, report
        self.rules: Cancellation = mapping.cancellation
        self.bulk_size = mapping.orders.bulk_size

    def planned(self, key: str, item: ToCancel) -> str | None:
        return item.orno

    def read_current(self, work: Mapping[str, ToCancel]) -> Mapping[str, Any]:
        """Per order, its lines as (PONR, ORST), or the SyncError M3 answered for the order."""
        keys = list(work)
        results = self.m3.bulk([("OIS100MI", "LstLine", {"ORNO": work[k].orno}) for k in keys], max_records=0)
        current: dict[str, Any] = {}
        for key, result in zip(keys, results, strict=True):
            if isinstance(result.error, M3GatewayError):
                raise result.error  # M3 is down: nothing is decided
            if not result.ok:
                current[key] = LoadError.from_m3(
                    result.error, context=f"listing the lines of {work[key].orno}"
                )
            else:
                current[key] = [
                    (r.get("PONR", "").strip(), r.get("ORST", "").strip()) for r in result.records
                ]
        return current

    def decide(self, key: str, item: ToCancel, current: Any) -> Decision:
        if isinstance(current, SyncError):
            return DeadLetter(current)
        open_lines = [(ponr, status) for ponr, status in current if status != CLOSED]
        if not open_lines:
            return Bind({"lines": [ponr for ponr, _ in current], "closed_by": "m3"})
        if not self.rules.allows([status for _, status in open_lines]):
            ponr, status = max(open_lines, key=lambda line: line[1])
            self.report.too_late[item.order_id] = status
            return DeadLetter(
                LoadError(
                    TOO_LATE,
                    "ORST",
                    f"cancelled in the shop, but M3 order {item.orno} is already at status {status} (line "
                    f"{ponr}); orders are cancelled up to status {self.rules.highest_m3_status}. Nothing "
                    "was changed in M3: stop the delivery there, or take the goods back as a return",
                )
            )
        return Write([ponr for ponr, _ in open_lines])

    def write(self, sends: Mapping[str, tuple[ToCancel, Any]]) -> Iterable[tuple[str, Outcome]]:
        calls, owners = [], []
        for key, (item, lines) in sends.items():
            for ponr in lines:
                fields = {"ORNO": item.orno, "PONR": ponr}
                if self.rules.reason_code:
                    fields["RSCD"] = self.rules.reason_code
                if self.rules.lost_sales:
                    fields["OT65"] = "1"
                calls.append(("OIS100MI", "CloLine", fields))
                owners.append(key)
        results = self.m3.bulk(calls, max_per_request=self.bulk_size)
        by_key: dict[str, list[Any]] = {}
        for key, result in zip(owners, results, strict=True):
            by_key.setdefault(key, []).append(result)
        for key, answers in by_key.items():
            item, lines = sends[key]
            refused = [a.error for a in answers if isinstance(a.error, M3TransactionError)]
            if refused:
                yield key, DeadLetter(LoadError.from_m3(refused[0], context=f"closing a line of {item.orno}"))
            elif all(a.ok for a in answers):
                yield key, Bind({"lines": list(lines), "closed_by": "integration"})
            else:
                yield key, Leave(f"M3 did not answer for every line of {item.orno}: read again next run")

    def bind(self, bound: Mapping[str, tuple[ToCancel, Any]]) -> None:
        id_map.bind_many(
            self.store, ENTITY, [(item.order_id, item.orno, None, data) for item, data in bound.values()]
        )
        for item, data in bound.values():
            (self.report.cancelled if data["closed_by"] == "integration" else self.report.already).append(
                item.order_id
            )

    def dead_letter(self, failed: Mapping[str, tuple[ToCancel, SyncError]]) -> None:
        letters = []
        for item, error in failed.values():
            self.report.dead_lettered[item.order_id] = error
            payload = {"order_id": item.order_id, "customer_id": item.customer_id, "orno": item.orno}
            letters.append(error.dead_letter(ENTITY, item.order_id, payload))
        self.store.quarantine_many(letters)


# -- the private message on a too-late shop order -------------------------------------------------------


def too_late_message(reason: str) -> str:
    """The private message on a too-late shop order: the mark, then the dead letter's reason."""
    return f"{MARK} The cancellation was not passed on to Infor M3: {reason}"


def write_too_late_messages(
    *, prestashop: PrestashopClient, store: Store, mapping: SyncMapping, report: CancelReport | None = None
) -> list[int]:
    """A private message on each shop order with a ``cancel_too_late`` letter and no message yet
    (``mapping.cancellation.shop_message``); the orders written to. A shop that refuses or does not
    answer stops nothing: the message is written by a later run."""
    if not mapping.cancellation.shop_message:
        return []
    letters = [letter for letter in store.dead_letters(entity=ENTITY) if letter.error_code == TOO_LATE]
    written = id_map.bindings_for(store, MESSAGE_ENTITY, [letter.key for letter in letters])
    done: list[int] = []
    for letter in letters:
        if letter.key in written:
            continue
        order_id, payload = int(letter.key), letter.payload or {}
        text = too_late_message(letter.message)
        message_id = private_message(prestashop, order_id, int(payload.get("customer_id") or 0), text)
        id_map.bind(store, MESSAGE_ENTITY, order_id, str(message_id))
        done.append(order_id)
    if report is not None:
        report.messages.extend(done)
    return done


def cancellation_states(mapping: SyncMapping, order_states: Sequence[Mapping[str, Any]]) -> frozenset[int]:
    """The shop's ids of the cancelling states (``cancellation.shop_states``; left out: the state
    ``status.prestashop_state.cancelled`` names, none if that is null). MappingError naming the key
    for a state the shop does not have, or one that is not in ``status.not_exported`` (an order in
    it would be sent to M3 and then cancelled)."""
    refs = mapping.cancellation.shop_states
    if refs is None:
        cancelled = mapping.status.prestashop_state.get("cancelled")
        named = [("status.prestashop_state.cancelled", cancelled)] if cancelled is not None else []
    else:
        named = [(f"cancellation.shop_states[{i}]", ref) for i, ref in enumerate(refs)]
    not_exported = mapping.status.resolve(order_states).not_exported
    states = set()
    for path, ref in named:
        state_id = find_state(order_states, path, ref)
        if state_id not in not_exported:
            raise MappingError(
                path,
                f"order state {ref!r} cancels orders in M3, so it must also be in status.not_exported: an "
                "order cancelled before it reached M3 would be sent there and then cancelled",
            )
        states.add(state_id)
    return frozenset(states)


__all__ = [
    "ENTITY",
    "MESSAGE_ENTITY",
    "TOO_LATE",
    "CancelReport",
    "cancel_orders",
    "cancellation_states",
    "too_late_message",
    "write_too_late_messages",
]

"""Merchandise returns asked for in the shop -> M3 customer returns.

PrestaShop's Webservice never shows a merchandise return's lines (``order_return_detail``; 1.7 and 8
do not serve ``order_returns`` at all), so the module sends them in its ``order_return.created``
and ``order_return.updated`` webhooks, and the receiver's inbox is their source:

1. ``read_shop_returns`` takes the inbox's return events after its cursor, checks each event's
   ``data`` (a malformed one becomes a dead letter of entity ``order_return_event`` naming what is
   wrong; the others go on) and keeps each return's newest version in ``ps_order_returns`` (the
   module's ``resource_version``, then ``date_upd``, then the inbox id). The
   cursor stays ``SETTLE`` behind the newest events: on PostgreSQL two receiver transactions may
   commit their inbox ids out of order, so the events of the last moments are read again next time
   (storing a version twice changes nothing) and none is passed over;
2. ``send_returns`` enters in M3 (``sync.m3_returns``, entity ``shop_return``) each stored return the
   merchant has accepted (``returns.shop_states``) on an order bound to an M3 order: ``AddHead``
   with ``RSCD`` ``returns.m3_return_reason``, ``YREF`` the return, an ``AddLine`` per line; the
   number is ``returns.m3_return_number_base`` + the return's id, so a write that committed unheard
   is found on the next run, never entered twice.

When the goods arrive M3 credits the customer; the credit note comes back to the shop as a credit
slip through ``sync.credit_notes``. A slip the merchant makes in the shop for the same lines is that
return's refund and is not sent to M3 again (``sync.refunds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prestashop_infor import names
from prestashop_infor.infor import M3Client
from prestashop_infor.store import Store, inbox
from prestashop_infor.store.order_returns import ShopReturn, returns_to_send, store_returns
from prestashop_infor.sync.errors import ValidationError as InvalidRecord
from prestashop_infor.sync.errors import first_problem
from prestashop_infor.sync.m3_returns import ReturnReport, ReturnRequest, enter_returns
from prestashop_infor.sync.mapping import Mapping as SyncMapping

ENTITY = "shop_return"
EVENT_ENTITY = "order_return_event"  # dead letters of malformed return events, keyed by inbox id
SENT = "sales_order"
EVENTS = frozenset({names.ORDER_RETURN_CREATED, names.ORDER_RETURN_UPDATED})
INBOX_CURSOR = "order_returns:inbox"
SETTLE = timedelta(minutes=1)
PAGE = 1000

Id = Annotated[int, Field(gt=0, strict=True)]


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id_order_detail: Id
    product_quantity: Id


class _ReturnData(BaseModel):
    """The ``data`` of an ``order_return.*`` event (prestashop-module/README.md)."""

    model_config = ConfigDict(extra="ignore")
    id_order_return: Id
    id_order: Id
    id_customer: Annotated[int, Field(ge=0, strict=True)]
    state: Id
    date_upd: Annotated[str, Field(pattern=r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")]
    lines: list[_Line]


@dataclass
class ReturnsRead:
    events: int = 0  # return events read
    stored: int = 0  # returns whose stored version changed
    invalid: dict[int, str] = field(default_factory=dict)  # inbox id -> what is wrong
    returns: list[int] = field(default_factory=list)  # the returns the events were about


def read_shop_returns(store: Store, *, now: datetime | None = None) -> ReturnsRead:
    """Store the returns the inbox's new return events carry (module docstring, step 1)."""
    read = ReturnsRead()
    settled_before = (now or datetime.now(UTC)) - SETTLE
    after = int(store.get_cursor(INBOX_CURSOR) or 0)
    for _ in range(100_000):  # bounded: pages of the inbox's return events
        events = inbox.events_after(store, after, limit=PAGE, events=EVENTS)
        if not events:
            break
        found: list[ShopReturn] = []
        letters = []
        for event in events:
            try:
                data = _ReturnData.model_validate(event.body.get("data"))
            except ValidationError as exc:
                problem, _ = first_problem(exc)
                where = f"data.{problem.path}" if problem.path else "data"
                error = InvalidRecord("invalid_return_event", where,
                                      f"{event.event} {event.event_id}: {where}: {problem.reason}")  # fmt: skip
                read.invalid[event.id] = error.message
                letters.append(error.dead_letter(EVENT_ENTITY, str(event.id), {"event_id": event.event_id,
                                                                              "event": event.event}))  # fmt: skip
                continue
            lines: dict[int, int] = {}
            for line in data.lines:
                lines[line.id_order_detail] = lines.get(line.id_order_detail, 0) + line.product_quantity
            version = event.body.get("resource_version")
            version = (
                version if isinstance(version, int) and not isinstance(version, bool) and version > 0 else 0
            )
            found.append(ShopReturn(data.id_order_return, data.id_order, data.id_customer, data.state,
                                    tuple(sorted(lines.items())), data.date_upd, event.id, version))  # fmt: skip
            read.returns.append(data.id_order_return)
        read.events += len(events)
        read.stored += store_returns(store, found)
        if letters:
            store.quarantine_many(letters)
        settled = [e.id for e in events if e.received_at <= settled_before]
        if len(settled) == len(events):
            after = events[-1].id
            store.set_cursor(INBOX_CURSOR, str(after))
        else:  # the newest events are read again next run
            keep = next(i for i, e in enumerate(events) if e.received_at > settled_before)
            if keep:
                store.set_cursor(INBOX_CURSOR, str(events[keep - 1].id))
            break
        if len(events) < PAGE:
            break
    return read


def send_returns(*, m3: M3Client, store: Store, mapping: SyncMapping, limit: int = 200) -> ReturnReport:
    """Enter in M3 the accepted shop returns it does not hold yet (module docstring, step 2)."""
    report = ReturnReport()
    rules = mapping.returns
    if not rules.shop_states:
        return report
    requests = []
    for found in returns_to_send(store, rules.shop_states, sent=SENT, entity=ENTITY, limit=limit):
        shop_return = found.shop_return
        rows = tuple(int(r["id"]) for r in (found.order.get("associations") or {}).get("order_rows") or [])
        requests.append(
            ReturnRequest(
                source_id=shop_return.id,
                what=f"merchandise return {shop_return.id}",
                order_id=shop_return.id_order,
                orno=found.orno,
                repn=return_number(mapping, shop_return.id),
                reason=rules.m3_return_reason,
                lines=shop_return.lines,
                order_rows=rows,
                context={"return_id": shop_return.id, "state": shop_return.state},
            )
        )
    return enter_returns(requests, m3=m3, store=store, entity=ENTITY, report=report)


def return_number(mapping: SyncMapping, return_id: int) -> str:
    return str(mapping.returns.m3_return_number_base + return_id)


__all__ = ["ENTITY", "EVENTS", "ReturnsRead", "read_shop_returns", "return_number", "send_returns"]

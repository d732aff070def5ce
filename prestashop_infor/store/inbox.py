"""The webhook inbox (table ``webhook_inbox``): events accepted by the receiver, stored once per
event id before the receiver answers, read by the sensors in id order."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import webhook_inbox

PENDING = "pending"
IGNORED = "ignored"  # a valid event of a type this release does not handle


@dataclass(frozen=True)
class InboxEvent:
    id: int
    event_id: str
    event: str
    status: str
    resource_type: str | None
    resource_id: int | None
    body: dict[str, Any]
    received_at: datetime
    attempt: int | None = None  # the sender's delivery attempt, when it said


def enqueue_many(store: Store, events: Sequence[tuple[Mapping[str, Any], str, int | None]]) -> list[bool]:
    """Store accepted events (``(envelope, status, attempt)``) in one transaction (the receiver's
    group commit); for each, True if it is new, False if its id was already stored (a retried or
    duplicated delivery: stored once, whichever of two simultaneous deliveries commits first). An id
    twice in ``events`` is new once."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for envelope, status, attempt in events:
        row = _row(envelope, status, attempt)
        if row["event_id"] not in seen:
            seen.add(row["event_id"])
            rows.append(row)
    # One statement over the rows (SQLAlchemy's "insertmanyvalues": compiled once and cached, sent as
    # multi-row INSERTs): a statement built with the rows' values was compiled anew for every batch,
    # 7-9 ms of the receiver's GIL per 50 events against under 1 ms (benchmarks/receiver.py).
    statement = (
        store._insert(webhook_inbox)
        .on_conflict_do_nothing(index_elements=[webhook_inbox.c.event_id])
        .returning(webhook_inbox.c.event_id)
    )
    with store.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # The store opens SQLite in WAL mode with synchronous=NORMAL: a commit then survives a
            # crash of the process but not of the machine (power loss, kernel panic) until the next
            # checkpoint. The receiver's 202 tells the sender never to send this event again, so the
            # inbox commit syncs the WAL to disk (FULL). With group commit that is one fsync per
            # batch, not per event; the setting stays on this connection, which only makes it safer.
            connection.exec_driver_sql("PRAGMA synchronous=FULL")
            connection.commit()
        with connection.begin():
            inserted = set(connection.execute(statement, rows).scalars())
    answers = []
    for envelope, _status, _attempt in events:
        event_id = str(envelope["id"])
        answers.append(event_id in inserted)
        inserted.discard(event_id)  # a second copy in the same batch is a duplicate
    return answers


def _row(envelope: Mapping[str, Any], status: str, attempt: int | None) -> dict[str, Any]:
    resource = envelope.get("resource") if isinstance(envelope.get("resource"), dict) else {}
    shop = envelope.get("shop") if isinstance(envelope.get("shop"), dict) else {}
    resource_id = resource.get("id")
    return {
        "event_id": str(envelope["id"]),
        "event": str(envelope["event"]),
        "status": status,
        "resource_type": str(resource["type"])[:50] if resource.get("type") else None,
        "resource_id": resource_id
        if isinstance(resource_id, int) and not isinstance(resource_id, bool)
        else None,
        "shop_url": str(shop.get("url"))[:255] if shop.get("url") else None,
        "attempt": attempt,
        "occurred_at": str(envelope.get("occurred_at"))[:40] if envelope.get("occurred_at") else None,
        "body": json.dumps(envelope, sort_keys=True),
        "received_at": datetime.now(UTC),
    }


def events_after(
    store: Store, after_id: int, *, limit: int = 1000, events: Collection[str] | None = None
) -> list[InboxEvent]:
    """The stored events with an id above ``after_id``, oldest first (the sensors' read); of the
    types ``events`` only, when given."""
    query = (
        sa.select(webhook_inbox)
        .where(webhook_inbox.c.id > after_id)
        .where(webhook_inbox.c.event.in_(sorted(events)) if events is not None else sa.true())
        .order_by(webhook_inbox.c.id)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [_event(row) for row in connection.execute(query).mappings()]


def events_about(store: Store, resource_type: str, resource_id: int) -> list[InboxEvent]:
    """The stored events about one shop record (``orders``, 12), in id order (``trace``'s webhooks)."""
    query = (
        sa.select(webhook_inbox)
        .where(webhook_inbox.c.resource_type == resource_type, webhook_inbox.c.resource_id == resource_id)
        .order_by(webhook_inbox.c.id)
    )
    with store.engine.connect() as connection:
        return [_event(row) for row in connection.execute(query).mappings()]


def _event(row: Mapping[str, Any]) -> InboxEvent:
    return InboxEvent(
        id=row["id"],
        event_id=row["event_id"],
        event=row["event"],
        status=row["status"],
        resource_type=row["resource_type"],
        resource_id=row["resource_id"],
        body=json.loads(row["body"]),
        received_at=row["received_at"],
        attempt=row["attempt"],
    )

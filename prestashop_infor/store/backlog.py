"""What is waiting: the shop orders not yet in M3 and the webhook events no run has taken yet, as
the order sync takes its next batch and the stall checks and ``lane_stall_alert_sensor`` read them
(read only), and the orders cancelled in the shop that M3 has not cancelled yet.

An order waits for M3 when its snapshot (``ps_orders``) is in a state the mapping exports, the id
map holds no M3 order for it and it has no open dead letter of the order sync (those wait for
``prestashop-infor dlq replay`` and are counted apart). It has waited since its last change in the
shop (``date_upd``, stored in UTC): its placement for an order nobody touched since, the moment it
became exportable for one whose payment came later, so a late payment is not a stall from its
first minute.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.inbox import PENDING
from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import dead_letters, id_claims, id_map, ps_orders, webhook_inbox

#: The dead-letter code of an order cancelled in the shop after M3 had gone too far with it.
TOO_LATE = "cancel_too_late"


@dataclass(frozen=True)
class WaitingOrder:
    """The shop order that has waited longest for M3, and who claimed it if anyone did."""

    order_id: int
    placed_at: datetime  # date_add
    waiting_since: datetime  # date_upd: placed, or last changed in the shop (e.g. paid)
    claimed_by: str | None  # the claim's owner (host:pid:thread) when a run took it and never bound it
    claimed_at: datetime | None


@dataclass(frozen=True)
class OrderBacklog:
    oldest: WaitingOrder | None
    waiting: int  # exportable orders not in M3 and not dead-lettered
    dead_lettered: int  # orders with an open dead letter of the order sync (they wait for a replay)


@dataclass(frozen=True)
class UntakenEvents:
    """Webhook events for one job that arrived after its last run was created."""

    oldest_id: int
    event: str
    received_at: datetime
    count: int


def still_to_do(key: Any, entity: str, *, final_codes: Collection[str] = ()) -> Any:
    """The condition that ``key`` (a source key expression) is work a lane of ``entity`` still has:
    not bound to ``entity`` in the id map, and no open dead letter of it (a letter waits for a
    replay); a letter whose code is in ``final_codes`` ends the work even once resolved."""
    bound = sa.select(id_map.c.source_key).where(id_map.c.entity == entity)
    held = dead_letters.c.state == "open"
    if final_codes:
        held = sa.or_(held, dead_letters.c.error_code.in_(sorted(final_codes)))
    lettered = sa.select(dead_letters.c.key).where(dead_letters.c.entity == entity, held)
    return sa.and_(key.not_in(bound), key.not_in(lettered))


def pending_orders_query(exportable_states: Collection[int], entity: str) -> Any:
    """The ``ps_orders`` rows waiting for M3 (exportable, not bound to an ``entity`` of the id map,
    no open dead letter of it), as a select of the whole rows."""
    order_key = sa.cast(ps_orders.c.id, sa.String)
    return sa.select(ps_orders).where(
        ps_orders.c.current_state.in_(sorted(exportable_states)), still_to_do(order_key, entity)
    )


def pending_orders(
    store: Store, exportable_states: Collection[int], entity: str, *, limit: int
) -> list[dict[str, Any]]:
    """The shop order records (``ps_orders.record``, parsed) waiting for M3, oldest id first, ``limit``
    at most: the order sync's next batch.

    Orders with an open dead letter wait for ``prestashop-infor dlq replay`` instead of failing again
    on every run.
    """
    waiting = pending_orders_query(exportable_states, entity).subquery()
    query = sa.select(waiting.c.record).order_by(waiting.c.id).limit(limit)
    with store.engine.connect() as connection:
        return [json.loads(record) for record in connection.execute(query).scalars()]


def orders_to_cancel(
    store: Store, cancel_states: Collection[int], *, sent: str, entity: str, limit: int
) -> list[tuple[int, int, str]]:
    """Shop orders (``ps_orders``) in a state that cancels them, that M3 holds (bound to a ``sent``
    entity of the id map) and that are not cancelled there yet (not bound to ``entity``, no open dead
    letter of it); a ``cancel_too_late`` letter, open or resolved, is a person's to handle and is
    never tried again. (order id, customer id, the bound M3 order's key), oldest id first, ``limit``
    at most."""
    order_key = sa.cast(ps_orders.c.id, sa.String)
    query = (
        sa.select(ps_orders.c.id, ps_orders.c.id_customer, id_map.c.target_key)
        .join(id_map, sa.and_(id_map.c.entity == sent, id_map.c.source_key == order_key))
        .where(
            ps_orders.c.current_state.in_(sorted(cancel_states)),
            still_to_do(order_key, entity, final_codes=(TOO_LATE,)),
        )
        .order_by(ps_orders.c.id)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [(int(i), int(c), str(k)) for i, c, k in connection.execute(query)]


def count_pending_orders(store: Store, exportable_states: Collection[int], entity: str) -> int:
    """How many orders ``pending_orders`` would return without a limit (the true backlog)."""
    query = sa.select(sa.func.count()).select_from(pending_orders_query(exportable_states, entity).subquery())
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def order_backlog(store: Store, exportable_states: Collection[int], entity: str) -> OrderBacklog:
    """How many exportable shop orders wait for M3, which has waited longest (and its claim), and
    how many sit in the dead-letter queue instead."""
    waiting = pending_orders_query(exportable_states, entity).subquery()
    oldest = (
        sa.select(
            waiting.c.id, waiting.c.date_add, waiting.c.date_upd, id_claims.c.owner, id_claims.c.claimed_at
        )
        .select_from(
            waiting.outerjoin(
                id_claims,
                sa.and_(
                    id_claims.c.entity == entity, id_claims.c.source_key == sa.cast(waiting.c.id, sa.String)
                ),
            )
        )
        .order_by(waiting.c.date_upd, waiting.c.id)
        .limit(1)
    )
    lettered = sa.select(sa.func.count(sa.distinct(dead_letters.c.key))).where(
        dead_letters.c.entity == entity, dead_letters.c.state == "open"
    )
    with store.engine.connect() as connection:
        count = int(connection.execute(sa.select(sa.func.count()).select_from(waiting)).scalar_one())
        row = connection.execute(oldest).first() if count else None
        dead = int(connection.execute(lettered).scalar_one())
    first = (
        WaitingOrder(
            order_id=row.id,
            placed_at=row.date_add,
            waiting_since=row.date_upd,
            claimed_by=row.owner,
            claimed_at=row.claimed_at,
        )
        if row is not None
        else None
    )
    return OrderBacklog(oldest=first, waiting=count, dead_lettered=dead)


def untaken_events(
    store: Store, event_types: Collection[str], *, after_id: int = 0, received_after: datetime | None = None
) -> UntakenEvents | None:
    """The pending inbox events of these types (``order`` covers ``order.created``, ...) with an id
    above ``after_id`` received after ``received_after``: the oldest and how many; None if none."""
    if not event_types:
        return None
    of_type = sa.or_(
        *(
            sa.or_(
                webhook_inbox.c.event == kind, webhook_inbox.c.event.startswith(f"{kind}.", autoescape=True)
            )
            for kind in sorted(event_types)
        )
    )
    conditions = [webhook_inbox.c.id > after_id, webhook_inbox.c.status == PENDING, of_type]
    if received_after is not None:
        conditions.append(webhook_inbox.c.received_at > received_after)
    summary = sa.select(sa.func.min(webhook_inbox.c.id), sa.func.count()).where(*conditions)
    with store.engine.connect() as connection:
        first_id, count = connection.execute(summary).one()
        if not count:
            return None
        row = connection.execute(
            sa.select(webhook_inbox.c.event, webhook_inbox.c.received_at).where(
                webhook_inbox.c.id == first_id
            )
        ).one()
    return UntakenEvents(
        oldest_id=int(first_id), event=row.event, received_at=row.received_at, count=int(count)
    )

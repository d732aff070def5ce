"""What the back-office lane last pushed to PrestaShop, per order (M3 -> PrestaShop direction).

One row per PrestaShop order the status sync has looked at: the M3 order it follows, the last M3
state seen (a fingerprint of the order head, so polling skips orders M3 did not touch), the
milestone and shop state last set, the tracking number last written and the payment recorded.
It is a memory for skipping work, never the authority: before every write the sync re-reads
PrestaShop, so a lost or stale row can cost a few reads but never a duplicate write.

The table, ``backoffice_order_pushes``, is defined with the others in ``store/tables.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import backoffice_order_pushes as order_pushes


@dataclass(frozen=True)
class OrderPush:
    order_id: int
    orno: str
    m3_fingerprint: str | None
    milestone: str | None
    state_id: int | None
    tracking_number: str | None
    payment_key: str | None
    closed: bool
    updated_at: datetime | None = field(default=None, compare=False)  # when saved; read back only


def order_pushes_for(store: Store, order_ids: Iterable[int]) -> dict[int, OrderPush]:
    """The rows of these orders, by order id (orders never pushed are absent)."""
    ids = sorted({int(i) for i in order_ids})
    found: dict[int, OrderPush] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(ids), 500):
            query = sa.select(order_pushes).where(order_pushes.c.order_id.in_(ids[start : start + 500]))
            for row in connection.execute(query).mappings():
                found[row["order_id"]] = _push(row)
    return found


def closed_order_ids(store: Store) -> set[int]:
    """Orders with nothing more to push (paid or cancelled in the shop)."""
    with store.engine.connect() as connection:
        query = sa.select(order_pushes.c.order_id).where(order_pushes.c.closed.is_(True))
        return set(connection.execute(query).scalars())


def save_order_push(store: Store, push: OrderPush) -> None:
    """Insert or replace the row of one order."""
    values = {
        "order_id": push.order_id,
        "orno": push.orno,
        "m3_fingerprint": push.m3_fingerprint,
        "milestone": push.milestone,
        "state_id": push.state_id,
        "tracking_number": push.tracking_number,
        "payment_key": push.payment_key,
        "closed": push.closed,
        "updated_at": datetime.now(UTC),
    }
    insert = store._insert(order_pushes)
    statement = insert.values(values).on_conflict_do_update(
        index_elements=[order_pushes.c.order_id],
        set_={name: insert.excluded[name] for name in values if name != "order_id"},
    )
    with store.engine.begin() as connection:
        connection.execute(statement)


def _push(row: sa.RowMapping) -> OrderPush:
    return OrderPush(
        order_id=row["order_id"],
        orno=row["orno"],
        m3_fingerprint=row["m3_fingerprint"],
        milestone=row["milestone"],
        state_id=row["state_id"],
        tracking_number=row["tracking_number"],
        payment_key=row["payment_key"],
        closed=bool(row["closed"]),
        updated_at=row["updated_at"],
    )

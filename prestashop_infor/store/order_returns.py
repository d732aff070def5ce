"""The shop's merchandise returns (table ``ps_order_returns``), as the module's ``order_return.*``
webhooks carry them: PrestaShop's Webservice never shows a return's lines, so the events are their
only source. Each return keeps its newest version: the module's per-resource ``resource_version``
(it counts every event of one return), then the shop's ``date_upd`` (verbatim, shop-local; two
events of one second are common: a request and the merchant's acceptance), then the inbox id,
decide, so an event delivered late never overwrites a newer one."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from prestashop_infor.store.backlog import still_to_do
from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import id_map, ps_order_returns, ps_orders


@dataclass(frozen=True)
class ShopReturn:
    id: int
    id_order: int
    id_customer: int
    state: int
    lines: tuple[tuple[int, int], ...]  # (order detail id, quantity)
    date_upd: str  # shop-local, verbatim
    inbox_id: int  # the inbox event that brought this version
    version: int = 0  # the module's resource_version (0: the event had none)

    def order(self) -> tuple[int, str, int]:
        """What decides which of two versions of a return is the newer."""
        return self.version, self.date_upd, self.inbox_id


@dataclass(frozen=True)
class ReturnToSend:
    shop_return: ShopReturn
    orno: str  # the M3 order its order is bound to
    order: dict  # the stored shop order (its order_rows give the lines' positions)


def store_returns(store: Store, returns: Iterable[ShopReturn]) -> int:
    """Keep each return's newest version (module docstring); returns how many rows changed."""
    newest: dict[int, ShopReturn] = {}
    for found in returns:
        kept = newest.get(found.id)
        if kept is None or found.order() > kept.order():
            newest[found.id] = found
    if not newest:
        return 0
    now = datetime.now(UTC)
    insert = store._insert(ps_order_returns)
    new, old = insert.excluded, ps_order_returns.c
    newer = sa.or_(
        new.version > old.version,
        sa.and_(new.version == old.version, new.date_upd > old.date_upd),
        sa.and_(new.version == old.version, new.date_upd == old.date_upd, new.inbox_id > old.inbox_id),
    )
    columns = ("id_order", "id_customer", "state", "lines", "date_upd", "version", "inbox_id", "loaded_at")
    statement = insert.on_conflict_do_update(
        index_elements=[ps_order_returns.c.id],
        set_={name: insert.excluded[name] for name in columns},
        where=newer,
    )
    rows = [
        {"id": r.id, "id_order": r.id_order, "id_customer": r.id_customer, "state": r.state,
         "lines": json.dumps([list(line) for line in r.lines]), "date_upd": r.date_upd,
         "version": r.version, "inbox_id": r.inbox_id, "loaded_at": now}
        for r in newest.values()
    ]  # fmt: skip
    with store.engine.begin() as connection:
        return sum(connection.execute(statement, [row]).rowcount for row in rows)


def _return(row: sa.Row) -> ShopReturn:
    return ShopReturn(int(row.id), int(row.id_order), int(row.id_customer), int(row.state),
                      tuple((int(d), int(q)) for d, q in json.loads(row.lines)), row.date_upd, int(row.inbox_id),
                      int(row.version))  # fmt: skip


def returns_of(store: Store, ids: Iterable[int]) -> dict[int, ShopReturn]:
    """The stored returns of these ids."""
    wanted = sorted({int(i) for i in ids})
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(ps_order_returns).where(ps_order_returns.c.id.in_(wanted)))
        return {int(row.id): _return(row) for row in rows}


def returns_of_order(store: Store, order_id: int) -> list[tuple[ShopReturn, datetime]]:
    """The stored returns of one shop order, with when each was last stored, oldest first."""
    query = (
        sa.select(ps_order_returns)
        .where(ps_order_returns.c.id_order == int(order_id))
        .order_by(ps_order_returns.c.id)
    )
    with store.engine.connect() as connection:
        return [(_return(row), row.loaded_at) for row in connection.execute(query)]


def returns_to_send(
    store: Store, states: Collection[int], *, sent: str, entity: str, limit: int
) -> list[ReturnToSend]:
    """The stored returns in one of ``states`` whose order is bound to an M3 order (``sent``) and
    that are not sent yet (not bound to ``entity``, no open dead letter of it), oldest first."""
    return_key = sa.cast(ps_order_returns.c.id, sa.String)
    order_key = sa.cast(ps_order_returns.c.id_order, sa.String)
    query = (
        sa.select(ps_order_returns, id_map.c.target_key, ps_orders.c.record.label("order_record"))
        .join(id_map, sa.and_(id_map.c.entity == sent, id_map.c.source_key == order_key))
        .join(ps_orders, ps_orders.c.id == ps_order_returns.c.id_order)
        .where(ps_order_returns.c.state.in_(sorted(states)), still_to_do(return_key, entity))
        .order_by(ps_order_returns.c.id)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [ReturnToSend(_return(row), str(row.target_key), json.loads(row.order_record))
                for row in connection.execute(query)]  # fmt: skip


def returned_quantities(store: Store, order_ids: Iterable[int], *, entity: str) -> dict[int, dict[int, int]]:
    """Per order, per order detail: the quantities of its returns bound to ``entity`` (entered in
    M3), summed."""
    wanted = sorted({int(i) for i in order_ids})
    query = (
        sa.select(ps_order_returns)
        .join(
            id_map,
            sa.and_(
                id_map.c.entity == entity, id_map.c.source_key == sa.cast(ps_order_returns.c.id, sa.String)
            ),
        )  # fmt: skip
        .where(ps_order_returns.c.id_order.in_(wanted))
    )
    found: dict[int, dict[int, int]] = {}
    with store.engine.connect() as connection:
        for row in connection.execute(query):
            per_line = found.setdefault(int(row.id_order), {})
            for detail, quantity in json.loads(row.lines):
                per_line[int(detail)] = per_line.get(int(detail), 0) + int(quantity)
    return found


__all__ = [
    "ReturnToSend",
    "ShopReturn",
    "returned_quantities",
    "returns_of",
    "returns_to_send",
    "store_returns",
]

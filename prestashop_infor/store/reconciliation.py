"""What the reconciliation lane keeps (tables ``recon_shop_orders``, ``recon_m3_orders``,
``recon_findings``): each side's orders per day, reduced to what is compared, and what the
comparison found; and M3's availability per item at the last two stock reconciliations (cursors).

A snapshot of some days is replaced, not merged: the days are deleted, then their rows inserted
page by page (``sync/reconcile/`` reads the pages), so an order gone from a side leaves its
snapshot too. The same holds for the findings of a scope and days.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import recon_findings, recon_m3_orders, recon_shop_orders

WRITE_CHUNK = 1_000  # rows per insert

#: M3's availability per item as the last stock reconciliation saw it, and as the one before saw it
#: (JSON objects, item -> units): the stock-drop check compares the two and writes nothing.
STOCK_AVAILABLE = "reconciliation.stock.available"
STOCK_AVAILABLE_BEFORE = "reconciliation.stock.available_before"


# -- the shop's orders per day ------------------------------------------------------------------------


def delete_shop_orders(store: Store, first: date, last: date) -> None:
    """Forget the shop orders placed from ``first`` to ``last`` (before those days are read again)."""
    _delete_days(store, recon_shop_orders, first, last)


def insert_shop_orders(store: Store, rows: Sequence[Mapping[str, Any]]) -> None:
    _insert(store, recon_shop_orders, rows)


def shop_orders(store: Store, first: date, last: date) -> list[dict[str, Any]]:
    """The stored shop orders placed from ``first`` to ``last``."""
    return _days(store, recon_shop_orders, first, last)


def shop_orders_per_day(store: Store, first: date, last: date) -> dict[date, tuple[int, Decimal]]:
    """Per day from ``first`` to ``last`` with shop orders: how many, and their amount (an order
    without one counts for 0)."""
    table = recon_shop_orders
    query = (
        sa.select(table.c.day, sa.func.count(), sa.func.coalesce(sa.func.sum(table.c.amount), 0))
        .where(table.c.day.between(first, last))
        .group_by(table.c.day)
    )
    with store.engine.connect() as connection:
        return {day: (int(count), total) for day, count, total in connection.execute(query)}


def shop_order_amounts(store: Store, first: date, last: date) -> list[tuple[int, date, Decimal]]:
    """(order id, day, amount) of the shop orders placed from ``first`` to ``last`` that have an amount."""
    table = recon_shop_orders
    query = sa.select(table.c.order_id, table.c.day, table.c.amount).where(
        table.c.day.between(first, last), table.c.amount.is_not(None)
    )
    with store.engine.connect() as connection:
        return [(order_id, day, amount) for order_id, day, amount in connection.execute(query)]


def newest_shop_day(store: Store) -> date | None:
    """The newest day the shop's snapshot holds orders of, None when it holds none."""
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(recon_shop_orders.c.day))).scalar()


# -- M3's orders per day ------------------------------------------------------------------------------


def delete_m3_orders(store: Store, first: date, last: date) -> None:
    """Forget M3's orders dated ``first`` to ``last`` (before those days are read again)."""
    _delete_days(store, recon_m3_orders, first, last)


def insert_m3_orders(store: Store, rows: Sequence[Mapping[str, Any]]) -> None:
    _insert(store, recon_m3_orders, rows)


def m3_orders(store: Store, first: date, last: date) -> list[dict[str, Any]]:
    """The stored M3 orders dated ``first`` to ``last``."""
    return _days(store, recon_m3_orders, first, last)


def m3_order_numbers(store: Store, cuors: Iterable[str]) -> list[tuple[str, str]]:
    """(CUOR, ORNO) of the stored M3 orders with these customer order numbers (several ORNO for a
    CUOR M3 holds twice)."""
    table = recon_m3_orders
    query = sa.select(table.c.cuor, table.c.orno).where(table.c.cuor.in_(list(cuors)))
    with store.engine.connect() as connection:
        return [(cuor, orno) for cuor, orno in connection.execute(query)]


# -- findings -----------------------------------------------------------------------------------------


def delete_findings(store: Store, scope: str, first: date, last: date) -> None:
    """Forget what was found in ``scope`` (``orders``, ``stock``) from ``first`` to ``last``, before
    a reconciliation of those days stores what it finds now."""
    with store.engine.begin() as connection:
        connection.execute(
            sa.delete(recon_findings).where(
                recon_findings.c.scope == scope, recon_findings.c.day.between(first, last)
            )
        )


def insert_findings(store: Store, rows: Sequence[Mapping[str, Any]]) -> None:
    _insert(store, recon_findings, rows)


def findings(
    store: Store, scope: str, first: date, last: date, kinds: Collection[str]
) -> list[dict[str, Any]]:
    """The findings of ``scope`` from ``first`` to ``last`` of these kinds, in the order found."""
    query = (
        sa.select(recon_findings)
        .where(
            recon_findings.c.scope == scope,
            recon_findings.c.day.between(first, last),
            recon_findings.c.kind.in_(list(kinds)),
        )
        .order_by(recon_findings.c.id)
    )
    with store.engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


# -- stock availability -------------------------------------------------------------------------------


def save_stock_availability(store: Store, available: Mapping[str, int]) -> None:
    """Keep ``available`` (item -> units M3 makes available) as the newest stock reconciliation saw
    it, the one it replaces as the availability before. Written by the stock reconciliation's own
    step, so the check that compares the two only reads and answers the same however often it runs."""
    store.set_cursor(STOCK_AVAILABLE_BEFORE, store.get_cursor(STOCK_AVAILABLE) or "{}")
    store.set_cursor(STOCK_AVAILABLE, json.dumps(dict(available), sort_keys=True))


def stock_availability(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    """M3's availability per item at the stock reconciliation before the last, and at the last one
    (empty before the first)."""
    before = store.get_cursor(STOCK_AVAILABLE_BEFORE)
    now = store.get_cursor(STOCK_AVAILABLE)
    return json.loads(before or "{}"), json.loads(now or "{}")


# -- helpers ------------------------------------------------------------------------------------------


def _delete_days(store: Store, table: sa.Table, first: date, last: date) -> None:
    with store.engine.begin() as connection:
        connection.execute(sa.delete(table).where(table.c.day.between(first, last)))


def _days(store: Store, table: sa.Table, first: date, last: date) -> list[dict[str, Any]]:
    """The rows of the days, as dicts, without ``loaded_at`` (nothing compares it): a year is 100,000
    rows a side, and SQLAlchemy's mapping rows and the timestamp's conversion took longer than
    the comparison itself."""
    columns = [column for column in table.c if column.name != "loaded_at"]
    names = [column.name for column in columns]
    query = sa.select(*columns).where(table.c.day.between(first, last))
    with store.engine.connect() as connection:
        return [dict(zip(names, row, strict=True)) for row in connection.execute(query)]


def _insert(store: Store, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    with store.engine.begin() as connection:
        for start in range(0, len(rows), WRITE_CHUNK):
            connection.execute(sa.insert(table), list(rows[start : start + WRITE_CHUNK]))

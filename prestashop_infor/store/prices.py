"""M3's sales prices (table ``m3_prices``) and its customers' price terms (``m3_customer_prices``),
as ``infor_price_lists`` reads them: the price push and the price reconciliation read them here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import m3_customer_prices, m3_prices, ps_specific_prices


def replace_m3_prices(store: Store, prices: Iterable[Mapping[str, Any]]) -> int:
    """Keep exactly ``prices`` (``prrf``, ``cucd``, ``cuno``, ``itno``, ``from_quantity``, ``price``,
    ``valid_from``, ``valid_to``): one transaction, so a reader sees the old prices or the new ones."""
    loaded_at = datetime.now(UTC)
    rows = [{**dict(price), "loaded_at": loaded_at} for price in prices]
    with store.engine.begin() as connection:
        connection.execute(sa.delete(m3_prices))
        for start in range(0, len(rows), 5_000):
            connection.execute(sa.insert(m3_prices), rows[start : start + 5_000])
    return len(rows)


def replace_customer_prices(store: Store, terms: Iterable[Mapping[str, Any]]) -> int:
    """Keep exactly ``terms`` (``cuno``, ``price_list``, ``discount``), in one transaction."""
    loaded_at = datetime.now(UTC)
    rows = [{**dict(term), "loaded_at": loaded_at} for term in terms]
    with store.engine.begin() as connection:
        connection.execute(sa.delete(m3_customer_prices))
        if rows:
            connection.execute(sa.insert(m3_customer_prices), rows)
    return len(rows)


def stored_customer_prices(store: Store) -> dict[str, tuple[str, Any]]:
    """M3 customer -> (the price list they buy by, "" none; their discount percentage)."""
    return {
        r["cuno"]: (r["price_list"], r["discount"]) for r in store.rows(m3_customer_prices, order_by="cuno")
    }


def m3_prices_on(store: Store, day: date) -> list[dict[str, Any]]:
    """The stored prices valid on ``day`` (the list of each key that ran that day)."""
    return m3_prices_between(store, day, day)


def m3_prices_between(store: Store, first: date, last: date) -> list[dict[str, Any]]:
    """The stored prices valid some day from ``first`` to ``last``."""
    query = sa.select(m3_prices).where(
        m3_prices.c.valid_from <= last, sa.or_(m3_prices.c.valid_to.is_(None), m3_prices.c.valid_to >= first)
    )
    with store.engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def forget_specific_prices(store: Store, ids: Iterable[int]) -> int:
    """Leave these shop specific prices out of the stored snapshot (the push deleted them)."""
    wanted = sorted(set(ids))
    with store.engine.begin() as connection:
        for start in range(0, len(wanted), 500):
            connection.execute(
                sa.delete(ps_specific_prices).where(ps_specific_prices.c.id.in_(wanted[start : start + 500]))
            )
    return len(wanted)


def stored_m3_prices(store: Store) -> list[dict[str, Any]]:
    """Every stored price, by list, currency, customer, item and from-quantity."""
    return store.rows(m3_prices, order_by="prrf")


__all__ = [
    "m3_prices_between",
    "forget_specific_prices",
    "m3_prices_on",
    "replace_customer_prices",
    "replace_m3_prices",
    "stored_customer_prices",
    "stored_m3_prices",
]

"""The shop's customers, addresses and products as the master-data sync reads them (the snapshots
``ps_customers``, ``ps_addresses`` and ``ps_products`` that ``prestashop_customers`` and
``prestashop_products`` keep): only the columns it decides on, so a run never loads every record."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import ps_addresses, ps_customers, ps_products

CHUNK = 500  # ids per IN (...) list


def live_customers(store: Store) -> list[sa.Row[Any]]:
    """``id``, ``email`` and ``date_upd`` of every shop customer not deleted."""
    query = sa.select(ps_customers.c.id, ps_customers.c.email, ps_customers.c.date_upd).where(
        ps_customers.c.deleted.is_(False)
    )
    with store.engine.connect() as connection:
        return list(connection.execute(query))


def addresses_of(store: Store, customer_ids: Iterable[int]) -> list[sa.Row[Any]]:
    """``id``, ``id_customer``, ``deleted`` and ``date_upd`` of the addresses of these customers
    (deleted ones too: the sync tells live from deleted)."""
    wanted = sorted(customer_ids)
    found: list[sa.Row[Any]] = []
    with store.engine.connect() as connection:
        for start in range(0, len(wanted), CHUNK):
            query = sa.select(
                ps_addresses.c.id, ps_addresses.c.id_customer, ps_addresses.c.deleted, ps_addresses.c.date_upd
            ).where(ps_addresses.c.id_customer.in_(wanted[start : start + CHUNK]))
            found += connection.execute(query).all()
    return found


def product_records(store: Store) -> Iterator[sa.Row[Any]]:
    """``id``, ``reference`` and ``record`` (the shop's JSON) of every product, by id, one at a time:
    the catalogue is read while it is used, never held whole."""
    query = sa.select(ps_products.c.id, ps_products.c.reference, ps_products.c.record).order_by(
        ps_products.c.id
    )
    with store.engine.connect() as connection:
        yield from connection.execute(query)

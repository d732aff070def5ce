"""M3's sales prices valid today (table ``m3_prices``), as ``infor_price_lists`` reads them: the
price push and the price reconciliation read them here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import m3_prices


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


def stored_m3_prices(store: Store) -> list[dict[str, Any]]:
    """Every stored price, by list, currency, customer, item and from-quantity."""
    return store.rows(m3_prices, order_by="prrf")


__all__ = ["replace_m3_prices", "stored_m3_prices"]

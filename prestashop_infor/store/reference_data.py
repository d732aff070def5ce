"""What the extraction assets store for the steps after them to read, rather than each step asking
the other system again: the shop's order states (``ps_order_states``, kept by ``prestashop_reference_data``) and M3's items (``m3_items``, kept by ``infor_items``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import m3_items, ps_order_states

CHUNK = 500  # keys per IN (...) list


class NotExtractedYet(LookupError):
    """A step needs what an extraction asset stores, and that asset has not run yet."""


def stored_order_states(store: Store) -> list[dict[str, Any]]:
    """The shop's order states as ``prestashop_reference_data`` last read them, by id; raises
    ``NotExtractedYet`` when it never ran (a shop always has order states)."""
    with store.engine.connect() as connection:
        records = connection.execute(sa.select(ps_order_states.c.record).order_by(ps_order_states.c.id))
        states = [json.loads(record) for record in records.scalars()]
    if not states:
        raise NotExtractedYet(
            "no shop order states stored yet: materialize prestashop_reference_data (order_sync_job "
            "does, and so does prestashop_extract_job)"
        )
    return states


def replace_m3_items(store: Store, items: Iterable[Mapping[str, Any]]) -> int:
    """Keep exactly ``items`` (M3 records with ``ITNO``, ``STAT``, ``UNMS``, ``ITDS``) as the items
    M3 holds: one transaction, so a reader sees the old list or the new one. Returns how many."""
    loaded_at = datetime.now(UTC)
    rows = [
        {"itno": str(item["ITNO"]), "stat": str(item["STAT"]), "unms": str(item["UNMS"]),
         "itds": str(item["ITDS"]), "loaded_at": loaded_at}
        for item in items
    ]  # fmt: skip
    with store.engine.begin() as connection:
        connection.execute(sa.delete(m3_items))
        if rows:
            connection.execute(sa.insert(m3_items), rows)
    return len(rows)


def known_m3_items(store: Store, itnos: Iterable[str]) -> set[str]:
    """Those of ``itnos`` that ``infor_items`` last found in M3."""
    wanted = sorted({str(itno) for itno in itnos})
    found: set[str] = set()
    with store.engine.connect() as connection:
        for start in range(0, len(wanted), CHUNK):
            query = sa.select(m3_items.c.itno).where(m3_items.c.itno.in_(wanted[start : start + CHUNK]))
            found.update(connection.execute(query).scalars())
    return found

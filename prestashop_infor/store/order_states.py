"""What M3 says about each order the back-office lane follows (table ``m3_order_states``): written
by the M3 half of the status lane (``infor_order_statuses``), read by the shop half
(``prestashop_order_status_updates``). One row per PrestaShop order: the M3 order, the head as
read, its milestone, the deliveries/invoices/receivables records, or the error M3 answered."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from prestashop_infor.store.store import Store
from prestashop_infor.store.tables import m3_order_states

CHUNK = 500


def save(store: Store, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert or replace the rows (``order_id``, ``orno``, ``fingerprint``, ``milestone``, ``head``,
    ``details``, ``error``; the dicts are kept as JSON)."""
    if not rows:
        return 0
    now = datetime.now(UTC)
    values = [
        {
            "order_id": int(row["order_id"]),
            "orno": str(row["orno"]),
            "fingerprint": row.get("fingerprint"),
            "milestone": row.get("milestone"),
            "head": json.dumps(row.get("head") or {}, sort_keys=True),
            "details": json.dumps(row.get("details") or {}, sort_keys=True),
            "error": json.dumps(row["error"], sort_keys=True) if row.get("error") else None,
            "read_at": now,
        }
        for row in rows
    ]
    insert = store._insert(m3_order_states)
    statement = insert.on_conflict_do_update(
        index_elements=[m3_order_states.c.order_id],
        set_={name: insert.excluded[name] for name in values[0] if name != "order_id"},
    )
    with store.engine.begin() as connection:
        for row in values:
            connection.execute(statement, row)
    return len(values)


def load(store: Store, order_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The stored rows of these orders, the JSON parsed again (absent orders left out)."""
    ids = sorted({int(i) for i in order_ids})
    found: dict[int, dict[str, Any]] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(ids), CHUNK):
            query = sa.select(m3_order_states).where(
                m3_order_states.c.order_id.in_(ids[start : start + CHUNK])
            )
            for row in connection.execute(query).mappings():
                found[row["order_id"]] = {
                    "order_id": row["order_id"],
                    "orno": row["orno"],
                    "fingerprint": row["fingerprint"],
                    "milestone": row["milestone"],
                    "head": json.loads(row["head"] or "{}"),
                    "details": json.loads(row["details"] or "{}"),
                    "error": json.loads(row["error"]) if row["error"] else None,
                    "read_at": row["read_at"],
                }
    return found

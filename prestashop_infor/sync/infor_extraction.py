"""M3 extraction: items and inventory balances (incremental by LMTS), each read through the MI
client and passed through its pandera gate (no Dagster; the assets in ``prestashop_infor.defs.infor``
run it and turn the results into metadata). Order statuses are read by the status lane's M3 half,
``sync.status.read_order_states``, for the orders the id map follows.

The failing records go to the dead-letter table (stage ``validate``, entity ``m3_items`` or
``m3_balances``). The inventory cursor is M3's own clock:
``GetServerTime`` is read *before* ``LstNewBalances`` and stored only after the batch was
processed, so a failed run re-reads everything it did not finish (with an overlap; duplicates are
harmless).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from prestashop_infor.infor import M3Client, M3TransactionError
from prestashop_infor.infor.models import m3_decimal
from prestashop_infor.store import Store, tables
from prestashop_infor.store.reference_data import replace_m3_items
from prestashop_infor.sync.gates import gate
from prestashop_infor.sync.infor_schemas import BalanceSchema, ItemSchema

INVENTORY_CURSOR = "infor.inventory.lmts"
INVENTORY_OVERLAP_MS = 60_000  # re-read one minute before the cursor: late commits, clock skew
INVENTORY_STQT_CURSOR = "infor.inventory.stqt_warehouses"  # whose STQT m3_balances holds (JSON list)


@dataclass
class M3Extraction:
    """What one run read from M3, the records that passed the gate (as received) and how many were
    quarantined."""

    records: list[dict[str, str]]
    valid: pd.DataFrame
    quarantined: int


@dataclass
class InventoryExtraction(M3Extraction):
    previous_cursor: str | None  # None on the first run (a full read)
    cursor: str
    warehouses: list[str]  # of the balances read, sorted
    # warehouses whose STQT the stored balances did not hold: this run read every balance again
    newly_on_hand: list[str]


def extract_items(client: M3Client, store: Store, *, page_size: int) -> M3Extraction:
    """Every M3 item (``MMS200MI/LstItmByItm``, paged by ``ITNO``), gated; the valid ones replace
    the stored list (``m3_items``), which the order step checks its lines' items against."""
    records = client.list_all("MMS200MI", "LstItmByItm", "ITNO", page_size=page_size)
    valid, quarantined = gate(ItemSchema, records, store, "m3_items", key_field="ITNO")
    replace_m3_items(store, valid.to_dict("records"))
    return M3Extraction(records, valid, quarantined)


def extract_inventory(
    client: M3Client, store: Store, *, stqt_warehouses: Sequence[str] = ()
) -> InventoryExtraction:
    """The balances changed since the durable LMTS cursor (``OIS100MI/LstNewBalances``), gated and
    kept in ``m3_balances`` (with the on-hand ``STQT`` of ``MMS200MI/GetItmWhsBal`` for the
    balances of ``stqt_warehouses``, when the stock mapping asks for it); the cursor moves to the
    M3 time read before the list, once the batch is stored. A warehouse whose STQT the stored
    balances do not hold yet (the mapping now asks for it) makes it a full read: its balances that
    did not change since would otherwise never get one."""
    previous = store.get_cursor(INVENTORY_CURSOR)
    held = set(json.loads(store.get_cursor(INVENTORY_STQT_CURSOR) or "[]"))
    newly_on_hand = sorted(set(stqt_warehouses) - held)
    next_cursor = client.server_time().lmts  # before the list call: nothing falls between
    full = not previous or bool(newly_on_hand)
    since = 0 if full else max(0, int(previous) - INVENTORY_OVERLAP_MS)
    records = client.execute("OIS100MI", "LstNewBalances", LMTS=str(since), maxrecs=0)
    valid, quarantined = gate(BalanceSchema, records, store, "m3_balances", key_field="ITNO")
    rows = [
        {"itno": r["ITNO"], "whlo": r["WHLO"], "av01": m3_decimal(r, "AV01"), "av02": m3_decimal(r, "AV02"),
         "stqt": None, "loaded_at": datetime.now(UTC)}  # every row every column: one insert for all
        for r in valid.to_dict("records")
    ]  # fmt: skip
    if stqt_warehouses:
        _add_on_hand(client, rows, set(stqt_warehouses))
    store.upsert(tables.m3_balances, rows, key=("itno", "whlo"))
    store.set_cursor(INVENTORY_CURSOR, str(next_cursor))
    store.set_cursor(INVENTORY_STQT_CURSOR, json.dumps(sorted(stqt_warehouses)))
    warehouses = sorted({r["WHLO"] for r in records})
    return InventoryExtraction(
        records, valid, quarantined, previous, str(next_cursor), warehouses, newly_on_hand if previous else []
    )


def _add_on_hand(client: M3Client, rows: list[dict[str, Any]], warehouses: set[str]) -> None:
    """``STQT`` for the rows of ``warehouses`` (one bulk ``GetItmWhsBal``); a read M3 cannot answer
    raises, a balance M3 no longer has stays without it."""
    wanted = [row for row in rows if row["whlo"] in warehouses]
    results = client.bulk(
        [("MMS200MI", "GetItmWhsBal", {"WHLO": r["whlo"], "ITNO": r["itno"]}) for r in wanted]
    )
    for row, result in zip(wanted, results, strict=True):
        if result.ok and result.records:
            row["stqt"] = m3_decimal(result.records[0], "STQT")
        elif not isinstance(result.error, M3TransactionError):
            raise result.error or RuntimeError("MMS200MI/GetItmWhsBal failed")

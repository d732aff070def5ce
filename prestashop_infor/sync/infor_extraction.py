"""M3 extraction: items, inventory balances (incremental by LMTS) and order statuses, each read
through the MI client and passed through its pandera gate (no Dagster; the assets in
``prestashop_infor.defs.infor`` run it and turn the results into metadata).

The failing records go to the dead-letter table (stage ``validate``, entity ``m3_items``,
``m3_balances`` or ``m3_order_statuses``). The inventory cursor is M3's own clock:
``GetServerTime`` is read *before* ``LstNewBalances`` and stored only after the batch was
processed, so a failed run re-reads everything it did not finish (with an overlap; duplicates are
harmless).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from prestashop_infor.infor import M3Client
from prestashop_infor.infor.models import OrderHead
from prestashop_infor.store import Store
from prestashop_infor.sync.gates import gate
from prestashop_infor.sync.infor_schemas import BalanceSchema, ItemSchema, OrderStatusSchema

INVENTORY_CURSOR = "infor.inventory.lmts"
INVENTORY_OVERLAP_MS = 60_000  # re-read one minute before the cursor: late commits, clock skew


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


@dataclass
class OrderStatusExtraction(M3Extraction):
    customers: int  # M3 customers whose orders were listed
    orders_by_state: dict[str, int]  # the shop-facing state proposed for the valid orders


def extract_items(client: M3Client, store: Store, *, page_size: int) -> M3Extraction:
    """Every M3 item (``MMS200MI/LstItmByItm``, paged by ``ITNO``), gated."""
    records = client.list_all("MMS200MI", "LstItmByItm", "ITNO", page_size=page_size)
    valid, quarantined = gate(ItemSchema, records, store, "m3_items", key_field="ITNO")
    return M3Extraction(records, valid, quarantined)


def extract_inventory(client: M3Client, store: Store) -> InventoryExtraction:
    """The balances changed since the durable LMTS cursor (``OIS100MI/LstNewBalances``), gated; the
    cursor moves to the M3 time read before the list, once the batch is processed."""
    previous = store.get_cursor(INVENTORY_CURSOR)
    next_cursor = client.server_time().lmts  # before the list call: nothing falls between
    since = max(0, int(previous) - INVENTORY_OVERLAP_MS) if previous else 0
    records = client.execute("OIS100MI", "LstNewBalances", LMTS=str(since), maxrecs=0)
    valid, quarantined = gate(BalanceSchema, records, store, "m3_balances", key_field="ITNO")
    store.set_cursor(INVENTORY_CURSOR, str(next_cursor))
    warehouses = sorted({r["WHLO"] for r in records})
    return InventoryExtraction(records, valid, quarantined, previous, str(next_cursor), warehouses)


def extract_order_statuses(client: M3Client, store: Store, *, page_size: int) -> OrderStatusExtraction:
    """The status of every M3 customer order (``OIS100MI/LstHead`` per customer, in bulk), gated.

    A failed bulk transaction is never swallowed: the first one is raised (program, transaction,
    field, message) and nothing is quarantined."""
    customers = client.list_all("CRS610MI", "LstByNumber", "CUNO", page_size=page_size)
    results = client.bulk(
        [("OIS100MI", "LstHead", {"CUNO": c["CUNO"]}) for c in customers],
        max_records=0,
        max_per_request=50,
    )
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise failed[0]
    records = [record for r in results for record in r.records]
    valid, quarantined = gate(OrderStatusSchema, records, store, "m3_order_statuses", key_field="ORNO")
    states: dict[str, int] = {}
    for record in valid.to_dict("records"):
        state = OrderHead.from_record({k: str(v) for k, v in record.items()}).shop_state
        states[state] = states.get(state, 0) + 1
    return OrderStatusExtraction(records, valid, quarantined, len(customers), states)

"""Infor M3 extraction assets: items, inventory balances (incremental by LMTS) and order statuses.

Each run reads from M3 through the MI client, passes the records through its pandera gate,
quarantines the failing ones to the dead-letter table (stage ``validate``) and reports counts and a
preview as ``MaterializeResult`` metadata. The inventory cursor is M3's own clock: ``GetServerTime``
is read *before* ``LstNewBalances`` and stored only after the batch was processed, so a failed run
re-reads everything it did not finish (with an overlap; duplicates are harmless).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.infor.schemas import BalanceSchema, ItemSchema, OrderStatusSchema
from prestashop_infor.defs.prestashop.schemas import frame_of, validate_frame
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.infor.models import OrderHead
from prestashop_infor.store import Store

GROUP = "infor"
PREVIEW_ROWS = 5
INVENTORY_CURSOR = "infor.inventory.lmts"
INVENTORY_OVERLAP_MS = 60_000  # re-read one minute before the cursor: late commits, clock skew


def gate(
    schema: type[pa.DataFrameModel], records: Sequence[dict[str, str]], store: Store, entity: str, key: str
) -> tuple[pd.DataFrame, int]:
    """Validate ``records``; quarantine the failures; return the valid frame and the failure count."""
    frame = frame_of(schema, records)
    outcome = validate_frame(schema, frame)
    letters = []
    for label, found in sorted(outcome.failures.items()):
        record = records[label]
        fields = list(dict.fromkeys(f.field for f in found if f.field))
        letters.append({
            "entity": entity, "key": str(record.get(key) or label), "stage": "validate",
            "error_code": found[0].check, "field": ",".join(fields) or None,
            "message": "; ".join(f.describe() for f in found), "payload": dict(record),
            "failures": [f.as_dict() for f in found],
        })  # fmt: skip
    if letters:
        store.quarantine_many(letters)
    valid = frame.drop(index=list(outcome.failures))
    return valid, len(letters)


def _metadata(extracted: int, valid: pd.DataFrame, quarantined: int, **extra: Any) -> dict[str, Any]:
    return {
        "extracted": dg.MetadataValue.int(extracted),
        "valid": dg.MetadataValue.int(len(valid)),
        "quarantined": dg.MetadataValue.int(quarantined),
        "failure_share": dg.MetadataValue.float(quarantined / extracted if extracted else 0.0),
        "preview": dg.MetadataValue.md(
            valid.head(PREVIEW_ROWS).to_markdown(index=False) if len(valid) else "(none)"
        ),
        **extra,
    }


@dg.asset(group_name=GROUP, kinds={"infor"}, description="M3 items (MMS200MI/LstItmByItm), gated.")
def infor_items(infor: InforResource, store: StoreResource) -> dg.MaterializeResult:
    with infor.get_client() as client, store.open() as db:
        records = client.list_all("MMS200MI", "LstItmByItm", "ITNO", page_size=infor.page_size)
        valid, quarantined = gate(ItemSchema, records, db, "m3_items", "ITNO")
    return dg.MaterializeResult(metadata=_metadata(len(records), valid, quarantined))


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    description="M3 inventory balances per item and warehouse changed since the last run "
    "(OIS100MI/LstNewBalances with an LMTS cursor taken from GetServerTime), gated.",
)
def infor_inventory(infor: InforResource, store: StoreResource) -> dg.MaterializeResult:
    with infor.get_client() as client, store.open() as db:
        previous = db.get_cursor(INVENTORY_CURSOR)
        next_cursor = client.server_time().lmts  # before the list call: nothing falls between
        since = max(0, int(previous) - INVENTORY_OVERLAP_MS) if previous else 0
        records = client.execute("OIS100MI", "LstNewBalances", LMTS=str(since), maxrecs=0)
        valid, quarantined = gate(BalanceSchema, records, db, "m3_balances", "ITNO")
        db.set_cursor(INVENTORY_CURSOR, str(next_cursor))
    warehouses = sorted({r["WHLO"] for r in records})
    return dg.MaterializeResult(
        metadata=_metadata(
            len(records),
            valid,
            quarantined,
            previous_cursor=dg.MetadataValue.text(previous or "(first run: full read)"),
            cursor=dg.MetadataValue.text(str(next_cursor)),
            warehouses=dg.MetadataValue.text(", ".join(warehouses) or "(none)"),
        )  # fmt: skip
    )


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    description="Status of every M3 customer order (OIS100MI/LstHead per customer, in bulk), gated, "
    "with the proposed shop-facing state.",
)
def infor_order_statuses(infor: InforResource, store: StoreResource) -> dg.MaterializeResult:
    with infor.get_client() as client, store.open() as db:
        customers = client.list_all("CRS610MI", "LstByNumber", "CUNO", page_size=infor.page_size)
        results = client.bulk(
            [("OIS100MI", "LstHead", {"CUNO": c["CUNO"]}) for c in customers],
            max_records=0,
            max_per_request=50,
        )
        failed = [r.error for r in results if not r.ok]
        if failed:
            raise failed[0]  # never swallowed: the run fails with program, transaction, field, message
        records = [record for r in results for record in r.records]
        valid, quarantined = gate(OrderStatusSchema, records, db, "m3_order_statuses", "ORNO")
    states: dict[str, int] = {}
    for record in valid.to_dict("records"):
        state = OrderHead.from_record({k: str(v) for k, v in record.items()}).shop_state
        states[state] = states.get(state, 0) + 1
    return dg.MaterializeResult(
        metadata=_metadata(
            len(records),
            valid,
            quarantined,
            customers=dg.MetadataValue.int(len(customers)),
            orders_by_state=dg.MetadataValue.json(states),
        )  # fmt: skip
    )


ASSETS = [infor_items, infor_inventory, infor_order_statuses]

"""Infor M3 extraction assets: items, inventory balances (incremental by LMTS) and order statuses.

Each asset opens the M3 client and the store, runs its extraction from
``prestashop_infor.sync.infor_extraction`` (read, pandera gate, failures to the dead-letter table,
inventory cursor) and reports counts and a preview as ``MaterializeResult`` metadata.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.schemas import gate_metadata
from prestashop_infor.sync.infor_extraction import (
    M3Extraction,
    extract_inventory,
    extract_items,
    extract_order_statuses,
)
from prestashop_infor.sync.infor_schemas import BalanceSchema, ItemSchema, OrderStatusSchema

GROUP = "infor"
PREVIEW_ROWS = 5


def _metadata(extraction: M3Extraction, **extra: Any) -> dict[str, Any]:
    extracted, valid, quarantined = len(extraction.records), extraction.valid, extraction.quarantined
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


@dg.asset(
    group_name=GROUP,
    kinds={"infor", "pandera"},
    metadata=gate_metadata(ItemSchema),
    description="M3 items (MMS200MI/LstItmByItm), gated.",
)
def infor_items(infor: InforResource, store: StoreResource) -> dg.MaterializeResult:
    with infor.get_client() as client, store.open() as db:
        extraction = extract_items(client, db, page_size=infor.page_size)
    return dg.MaterializeResult(metadata=_metadata(extraction))


@dg.asset(
    group_name=GROUP,
    kinds={"infor", "pandera"},
    metadata=gate_metadata(BalanceSchema),
    description="M3 inventory balances per item and warehouse changed since the last run "
    "(OIS100MI/LstNewBalances with an LMTS cursor taken from GetServerTime), gated.",
)
def infor_inventory(infor: InforResource, store: StoreResource) -> dg.MaterializeResult:
    with infor.get_client() as client, store.open() as db:
        extraction = extract_inventory(client, db)
    return dg.MaterializeResult(
        metadata=_metadata(
            extraction,
            previous_cursor=dg.MetadataValue.text(extraction.previous_cursor or "(first run: full read)"),
            cursor=dg.MetadataValue.text(extraction.cursor),
            warehouses=dg.MetadataValue.text(", ".join(extraction.warehouses) or "(none)"),
        )
    )


@dg.asset(
    group_name=GROUP,
    kinds={"infor", "pandera"},
    metadata=gate_metadata(OrderStatusSchema),
    description="Status of every M3 customer order (OIS100MI/LstHead per customer, in bulk), gated, "
    "with the proposed shop-facing state.",
)
def infor_order_statuses(infor: InforResource, store: StoreResource) -> dg.MaterializeResult:
    with infor.get_client() as client, store.open() as db:
        extraction = extract_order_statuses(client, db, page_size=infor.page_size)
    return dg.MaterializeResult(
        metadata=_metadata(
            extraction,
            customers=dg.MetadataValue.int(extraction.customers),
            orders_by_state=dg.MetadataValue.json(extraction.orders_by_state),
        )
    )


ASSETS = [infor_items, infor_inventory, infor_order_statuses]

"""Infor M3 assets: items, inventory balances (incremental by LMTS) and the states of the orders
the id map follows (the status lane's M3 half).

Each asset opens the M3 client and the store, runs its extraction from
``prestashop_infor.sync.infor_extraction`` (read, pandera gate, failures to the dead-letter table,
inventory cursor) and reports counts and a preview as ``MaterializeResult`` metadata, with the
verdict of the blocking failure-share check declared on the asset, judged in the same step on
those numbers (this run's own batch; the rule is ``prestashop_infor.defs.prestashop.checks``).
"""

from datetime import UTC, datetime
from typing import Any

import dagster as dg

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.metadata import frame_table, table
from prestashop_infor.defs.prestashop.checks import failure_share_spec, gated_result
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.schemas import gate_metadata
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.sync.infor_extraction import M3Extraction, extract_inventory, extract_items
from prestashop_infor.sync.infor_schemas import BalanceSchema, ItemSchema, OrderStatusSchema, PriceSchema
from prestashop_infor.sync.m3_order_states import read_order_states
from prestashop_infor.sync.price_lists import read_price_lists

GROUP = "infor"
PREVIEW_ROWS = 5


class OrderStatusReadConfig(dg.Config):
    """Which orders ``infor_order_statuses`` reads: every open order the id map follows (the
    schedule), or only ``order_ids``, the ones ``infor_order_status_sensor`` found moved in M3
    (it passes them in the run's config, so the run does not ask M3 for every head again)."""

    order_ids: list[int] | None = None


def _metadata(extraction: M3Extraction, **extra: Any) -> dict[str, Any]:
    extracted, valid, quarantined = len(extraction.records), extraction.valid, extraction.quarantined
    return {
        "dagster/row_count": dg.MetadataValue.int(len(valid)),  # the records that passed the gate
        "extracted": dg.MetadataValue.int(extracted),
        "valid": dg.MetadataValue.int(len(valid)),
        "quarantined": dg.MetadataValue.int(quarantined),
        "failure_share": dg.MetadataValue.float(quarantined / extracted if extracted else 0.0),
        "preview": frame_table(valid.head(PREVIEW_ROWS)),
        **extra,
    }


@dg.asset(
    group_name=GROUP,
    kinds={"infor", "pandera"},
    metadata=gate_metadata(ItemSchema),
    check_specs=[failure_share_spec("infor_items")],
    description="M3 items (MMS200MI/LstItmByItm), gated.",
)
def infor_items(
    infor: InforResource,
    store: StoreResource,
    mapping: MappingResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    with infor.get_client(mapping.load().erp) as client, store.open() as db:
        extraction = extract_items(client, db, page_size=infor.page_size)
    return gated_result(_metadata(extraction), validation_gate)


@dg.asset(
    group_name=GROUP,
    kinds={"infor", "pandera"},
    metadata=gate_metadata(BalanceSchema),
    check_specs=[failure_share_spec("infor_inventory")],
    description="M3 inventory balances per item and warehouse changed since the last run "
    "(OIS100MI/LstNewBalances with an LMTS cursor taken from GetServerTime), gated, kept in m3_balances.",
)
def infor_inventory(
    infor: InforResource,
    store: StoreResource,
    mapping: MappingResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    # the warehouses whose on-hand quantity the stock rules read, the mapping's and each shop's
    rules = mapping.load()
    on_hand = sorted({w for stock in rules.all_stock_rules() for w in stock.on_hand_warehouses()})
    with infor.get_client(rules.erp) as client, store.open() as db:
        extraction = extract_inventory(client, db, stqt_warehouses=on_hand)
    return gated_result(
        _metadata(
            extraction,
            previous_cursor=dg.MetadataValue.text(extraction.previous_cursor or "(first run: full read)"),
            cursor=dg.MetadataValue.text(extraction.cursor),
            warehouses=dg.MetadataValue.text(", ".join(extraction.warehouses) or "(none)"),
            # the mapping newly asks for these warehouses' STQT: every balance was read again
            stqt_now_read=dg.MetadataValue.text(", ".join(extraction.newly_on_hand) or "(none new)"),
        ),
        validation_gate,
    )


@dg.asset(
    group_name=GROUP,
    kinds={"infor", "pandera"},
    metadata=gate_metadata(OrderStatusSchema),
    check_specs=[failure_share_spec("infor_order_statuses")],
    description="What M3 did with each order the id map follows and that is not closed (or only the "
    "orders infor_order_status_sensor found moved, passed in the run's config): the head "
    "(OIS100MI/GetHead, gated), and for orders that moved or wait for tracking or payment their "
    "deliveries, invoices and receivables; stored in m3_order_states for the status push.",
)
def infor_order_statuses(
    config: OrderStatusReadConfig,
    infor: InforResource,
    store: StoreResource,
    mapping: MappingResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    rules = mapping.load()
    with infor.get_client(rules.erp) as client, store.open() as db:
        read = read_order_states(m3=client, store=db, mapping=rules, order_ids=config.order_ids)
    extracted = len(read.read) + read.quarantined
    return gated_result(
        {
            "dagster/row_count": dg.MetadataValue.int(len(read.read)),  # rows stored in m3_order_states
            "extracted": dg.MetadataValue.int(extracted),
            "valid": dg.MetadataValue.int(len(read.read) - len(read.failed)),
            "quarantined": dg.MetadataValue.int(read.quarantined),
            "failure_share": dg.MetadataValue.float(read.quarantined / extracted if extracted else 0.0),
            "moved": dg.MetadataValue.int(len(read.moved)),
            "m3_refused": dg.MetadataValue.int(len(read.failed)),
            "orders_by_milestone": dg.MetadataValue.json(read.by_milestone),
            "store_table": dg.MetadataValue.text("m3_order_states"),
        },
        validation_gate,
    )


@dg.asset(
    group_name=GROUP,
    kinds={"infor", "pandera"},
    metadata=gate_metadata(PriceSchema),
    check_specs=[failure_share_spec("infor_price_lists")],
    deps=["prestashop_customers"],
    description="M3 sales prices (OIS017MI: the price lists, chosen per list, currency and customer by the latest "
    "from-date not after today, never the first list, with the lists of the last 400 days for the reconciliation; "
    "their base prices and quantity breaks), gated, replacing m3_prices; with prices pushed to the shop, the price "
    "list and discount (CRS610MI PLTB, DIPC) of the M3 customers of the mapped groups, replacing m3_customer_prices. "
    "OIS017MI has no change stamp: every run reads every list.",
)
def infor_price_lists(
    infor: InforResource,
    store: StoreResource,
    mapping: MappingResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    rules = mapping.load()
    with infor.get_client(rules.erp) as client, store.open() as db:
        read = read_price_lists(
            client, db, today=client.server_time().date or datetime.now(UTC).date(), mapping=rules
        )
    lists = [
        {"list": p, "currency": c, "customer": u or "(any)", "valid_from": f} for p, c, u, f in read.chosen
    ]
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(read.prices),
        "extracted": dg.MetadataValue.int(read.extracted),
        "valid": dg.MetadataValue.int(read.extracted - read.quarantined),
        "quarantined": dg.MetadataValue.int(read.quarantined),
        "failure_share": dg.MetadataValue.float(read.quarantined / read.extracted if read.extracted else 0.0),
        "price_lists_in_m3": dg.MetadataValue.int(read.lists),
        "customers_with_price_terms": dg.MetadataValue.int(read.customers),
        "lists_valid_today": table(lists, ["list", "currency", "customer", "valid_from"]),
    }
    return gated_result(metadata, validation_gate)


ASSETS = [infor_items, infor_inventory, infor_order_statuses, infor_price_lists]

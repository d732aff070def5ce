"""PrestaShop extraction assets: orders, customers, products (incremental), stock and the shop's
reference data (order states, countries, currencies) (full scans).

Each asset opens the shop client and the store, runs its extraction from
``prestashop_infor.sync.prestashop_extraction`` (pages through the pandera gate, failures to the
dead-letter table, the rest into the snapshot table, then the durable cursor) and reports counts,
cursors and a preview as ``MaterializeResult`` metadata, with the verdict of the blocking
failure-share check declared on the asset, judged in the same step on those numbers (this run's
own batch; see ``prestashop_infor.defs.prestashop.checks``).
"""

from typing import Any

import dagster as dg

from prestashop_infor.defs.metadata import frame_table, table
from prestashop_infor.defs.prestashop.checks import failure_share_spec, gated_result
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.schemas import gate_metadata
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.sync.prestashop_extraction import (
    ADDRESSES,
    COMBINATIONS,
    COUNTRIES,
    CURRENCIES,
    CUSTOMERS,
    ORDER_SLIPS,
    ORDER_STATES,
    ORDERS,
    PRODUCTS,
    SPECIFIC_PRICES,
    SPECIFIC_PRICES_BATCH,
    STOCK,
    Entity,
    ExtractionSummary,
    extract_all,
    extract_changed,
)
from prestashop_infor.sync.returns import read_shop_returns

GROUP = "prestashop"
REFERENCE_DATA = (ORDER_STATES, COUNTRIES, CURRENCIES)  # prestashop_reference_data
# The order job's reads that the entry into M3 does not wait for (credit slips, returns): a lower
# priority (Dagster's executors take the ready step of highest ``dagster/priority`` first), so
# `order_to_m3` runs as soon as its own reads are done and an order reaches M3 sooner
# (benchmarks/latency.py, burst.py); they run right after it, in the same run.
AFTER_THE_ORDERS = {"dagster/priority": "-1"}


def _metadata(summary: ExtractionSummary) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(summary.valid),  # the records stored by this run
        "extracted": dg.MetadataValue.int(summary.extracted),
        "valid": dg.MetadataValue.int(summary.valid),
        "quarantined": dg.MetadataValue.int(summary.quarantined),
        "failure_share": dg.MetadataValue.float(summary.failure_share),
        "pages": dg.MetadataValue.int(summary.pages),
        "store_table": dg.MetadataValue.text(summary.table),
        "preview": frame_table(summary.preview),
    }
    if summary.removed is not None:
        metadata["removed"] = dg.MetadataValue.int(summary.removed)
    else:
        metadata["cursor"] = dg.MetadataValue.text(summary.cursor or "")
        metadata["previous_cursor"] = dg.MetadataValue.text(summary.previous_cursor or "")
    return metadata


# -- the assets ----------------------------------------------------------------------------------


def _incremental(
    context: dg.AssetExecutionContext, entity: Entity, prestashop: PrestashopResource, store: StoreResource
) -> dict[str, Any]:
    client = prestashop.get_client()
    try:
        with store.open() as opened:
            summary = extract_changed(
                client,
                opened,
                entity,
                time_zone=prestashop.shop_time_zone(),
                overlap=prestashop.overlap,
                log=context.log,
            )
    finally:
        client.close()
    return _metadata(summary)


def _in_full(
    context: dg.AssetExecutionContext,
    entity: Entity,
    prestashop: PrestashopResource,
    store: StoreResource,
    *,
    batch_size: int | None = None,
) -> ExtractionSummary:
    """``batch_size`` (default: the page size): records per request and per gated write."""
    size = batch_size or prestashop.page_size
    with prestashop.get_client() as client, store.open() as opened:
        return extract_all(
            client,
            opened,
            entity,
            time_zone=prestashop.shop_time_zone(),
            batch_size=size,
            page_size=size,
            log=context.log,
        )


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop", "pandera"},
    metadata=gate_metadata(ORDERS.schema),
    check_specs=[failure_share_spec("prestashop_orders")],
    description="PrestaShop orders and their order rows, read incrementally by date_upd, validated, "
    "upserted into ps_orders / ps_order_rows. Failing orders go to the dead-letter table.",
)
def prestashop_orders(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    return gated_result(_incremental(context, ORDERS, prestashop, store), validation_gate)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop", "pandera"},
    metadata=gate_metadata(CUSTOMERS.schema),
    check_specs=[failure_share_spec("prestashop_customers")],
    description="PrestaShop customers and their addresses, read incrementally by date_upd, validated, "
    "upserted into ps_customers and ps_addresses.",
)
def prestashop_customers(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    metadata = _incremental(context, CUSTOMERS, prestashop, store)
    addresses = _incremental(context, ADDRESSES, prestashop, store)
    metadata.update({"addresses": addresses["valid"], "addresses_quarantined": addresses["quarantined"]})
    return gated_result(metadata, validation_gate)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop", "pandera"},
    metadata=gate_metadata(ORDER_STATES.schema),
    check_specs=[failure_share_spec("prestashop_reference_data")],
    description="The shop's reference data, read in full every run (a few records; they carry no "
    "date_upd), validated, kept in ps_order_states, ps_countries and ps_currencies: what the order "
    "sync, the status push and the reconciliation resolve states, countries and currencies against.",
)
def prestashop_reference_data(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    read = {entity.resource: _in_full(context, entity, prestashop, store) for entity in REFERENCE_DATA}
    extracted = sum(summary.extracted for summary in read.values())
    quarantined = sum(summary.quarantined for summary in read.values())
    metadata: dict[str, Any] = {
        "extracted": dg.MetadataValue.int(extracted),
        "valid": dg.MetadataValue.int(extracted - quarantined),
        "quarantined": dg.MetadataValue.int(quarantined),
        "failure_share": dg.MetadataValue.float(quarantined / extracted if extracted else 0.0),
        "dagster/row_count": dg.MetadataValue.int(extracted - quarantined),
        **{resource: dg.MetadataValue.int(summary.valid) for resource, summary in read.items()},
    }
    return gated_result(metadata, validation_gate)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop", "pandera"},
    metadata=gate_metadata(PRODUCTS.schema),
    check_specs=[failure_share_spec("prestashop_products")],
    description="PrestaShop products, read incrementally by date_upd, validated, upserted into ps_products; "
    "their combinations read in full (they carry no date_upd), validated, kept in ps_combinations.",
)
def prestashop_products(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    metadata = _incremental(context, PRODUCTS, prestashop, store)
    combinations = _in_full(context, COMBINATIONS, prestashop, store)
    metadata.update(
        {
            "combinations": dg.MetadataValue.int(combinations.valid),
            "combinations_quarantined": dg.MetadataValue.int(combinations.quarantined),
            "combinations_removed": dg.MetadataValue.int(combinations.removed or 0),
        }
    )
    return gated_result(metadata, validation_gate)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop", "pandera"},
    metadata=gate_metadata(STOCK.schema),
    check_specs=[failure_share_spec("prestashop_stock")],
    description="PrestaShop stock_availables, read in full every run (they carry no date_upd), validated, "
    "written to ps_stock; rows the shop no longer has are removed.",
)
def prestashop_stock(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    return gated_result(_metadata(_in_full(context, STOCK, prestashop, store)), validation_gate)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop", "pandera"},
    metadata=gate_metadata(ORDER_SLIPS.schema),
    check_specs=[failure_share_spec("prestashop_order_slips")],
    op_tags=AFTER_THE_ORDERS,
    description="PrestaShop credit slips (order_slip: refunds given in the shop, and the slips written for "
    "M3's credit notes), read incrementally by date_upd, validated, upserted into ps_order_slips.",
)
def prestashop_order_slips(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    return gated_result(_incremental(context, ORDER_SLIPS, prestashop, store), validation_gate)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop", "pandera"},
    metadata=gate_metadata(SPECIFIC_PRICES.schema),
    check_specs=[failure_share_spec("prestashop_specific_prices")],
    description="PrestaShop specific prices (customer and group prices, catalogue reductions), read in full "
    "every run (they carry no date_upd), validated, written to ps_specific_prices; rows the shop no longer "
    "has are removed. What the price push compares M3's prices with: read only when the mapping pushes "
    "prices (prices.groups).",
)
def prestashop_specific_prices(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    mapping: MappingResource,
    validation_gate: ValidationGateResource,
) -> dg.MaterializeResult:
    pushed = mapping.load().prices.pushed  # no M3 prices go to the shop: nothing compares with them
    read = (
        _in_full(context, SPECIFIC_PRICES, prestashop, store, batch_size=SPECIFIC_PRICES_BATCH)
        if pushed
        else ExtractionSummary(SPECIFIC_PRICES.resource, SPECIFIC_PRICES.table, removed=0)
    )
    return gated_result({**_metadata(read), "read": dg.MetadataValue.bool(pushed)}, validation_gate)


#: The receiver's inbox (``prestashop-infor webhooks serve`` writes it, no run does): drawn so the
#: graph shows where the merchandise returns come from.
WEBHOOK_INBOX = dg.AssetSpec(
    "prestashop_webhook_inbox",
    group_name=GROUP,
    kinds={"prestashop"},
    description="The webhook events the receiver accepted (table webhook_inbox): signed, stored once per "
    "event id. Written by `prestashop-infor webhooks serve`, not by a run; the sensors start runs from it.",
)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop"},
    deps=[WEBHOOK_INBOX],
    op_tags=AFTER_THE_ORDERS,
    description="PrestaShop merchandise returns with their lines, as the module's order_return.created and "
    "order_return.updated webhooks carry them (the Webservice never shows a return's lines): read from the "
    "inbox after this asset's cursor, checked (a malformed event becomes a dead letter naming the field), "
    "the newest version of each return upserted into ps_order_returns.",
)
def prestashop_order_returns(store: StoreResource) -> dg.MaterializeResult:
    with store.open() as db:
        read = read_shop_returns(db)
    letters = [{"inbox_id": k, "problem": v} for k, v in read.invalid.items()]
    return dg.MaterializeResult(
        metadata={
            "events": dg.MetadataValue.int(read.events),
            "stored": dg.MetadataValue.int(read.stored),
            "invalid": dg.MetadataValue.int(len(read.invalid)),
            "return_ids": dg.MetadataValue.text(", ".join(str(i) for i in sorted(set(read.returns))[:50])),
            "dead_letters": table(letters, ["inbox_id", "problem"]),
        }
    )


ASSETS = [
    prestashop_orders,
    prestashop_order_slips,
    prestashop_order_returns,
    prestashop_customers,
    prestashop_reference_data,
    prestashop_products,
    prestashop_stock,
    prestashop_specific_prices,
]

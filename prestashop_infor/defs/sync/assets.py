"""Order-to-cash assets: shop orders become M3 sales orders, shop customer and product changes
reach M3; M3 fulfilment and stock flow back.

Thin wrappers over ``prestashop_infor.sync`` (plain Python, the same code the DLQ replay runs):
each materialization syncs one batch and reports what it did as metadata, reading what its upstream
assets stored. ``infor_customers`` and ``infor_sales_orders`` are one step (customer changes first,
then each pending order read and mapped once, its customer first) in the ``infor_erp`` pool, as is
``infor_item_descriptions``. The two steps that write to the shop touch different records and have a
pool each: ``prestashop_order_writes`` (status, tracking, payment) and ``prestashop_stock_writes``
(stock), so a long stock push never holds the orders' fulfilment back, nor the other way round.
Every pool takes one step at a time (``dagster.yaml``), so two runs never write the same records at
once; the id map's claims keep every write exactly-once even without the pools.
"""

import json
from collections.abc import Iterable
from typing import Any

import dagster as dg
from pydantic import Field

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.metadata import table
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.store import Store
from prestashop_infor.store.backlog import count_pending_orders, pending_orders
from prestashop_infor.store.reference_data import stored_order_states
from prestashop_infor.sync.cancellation import cancel_orders, cancellation_states, write_too_late_messages
from prestashop_infor.sync.credit_gate import notify_credit_holds
from prestashop_infor.sync.master_data import (
    CustomerUpdateReport,
    ItemUpdateReport,
    push_customer_updates,
    push_item_updates,
)
from prestashop_infor.sync.orders import ENTITY as SALES_ORDER
from prestashop_infor.sync.orders import ShopLookups, SyncReport, sync_orders
from prestashop_infor.sync.status import push_stored_statuses
from prestashop_infor.sync.stock import push_stock_levels, warehouse_quantities

GROUP = "order_to_cash"
ERP_POOL = "infor_erp"
SHOP_ORDERS_POOL = "prestashop_order_writes"
SHOP_STOCK_POOL = "prestashop_stock_writes"
LISTED_IDS = 50  # ids listed in metadata per outcome; counts are always complete


PUSH_SECONDS = (
    "Seconds after which the push starts no new write to the shop (those under way finish); what is "
    "left goes to the next run, a minute later at most. A push under a slow shop still ends, frees its "
    "pool and reports, and a killed run loses little."
)


class StatusPushConfig(dg.Config):
    max_seconds: float = Field(default=45.0, gt=0, le=3600, description=PUSH_SECONDS)


class StockPushConfig(dg.Config):
    """Short: every run compares all the stock again, so many small pushes keep the shop fresh."""

    max_seconds: float = Field(default=15.0, gt=0, le=3600, description=PUSH_SECONDS)
    request_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds a stock row's read or write may take before it is asked again (the "
        "shop's resource timeouts, if shorter, stand): a row is written with its absolute quantity, so "
        "a write asked again, or compared again by the next run, is harmless, and one request that "
        "hangs holds the push that much past max_seconds, not the whole write timeout.",
    )


class OrderBatchConfig(dg.Config):
    """How many pending shop orders one materialization takes."""

    max_orders: int = Field(default=2000, gt=0, description="Orders synced per materialization at most.")


#: The store's cursor holding the exportable order states the last order sync used (a JSON list):
#: the order lane's stall check reads it there instead of asking the shop again.
EXPORTABLE_STATES_CURSOR = "order_sync:exportable_states"


def stored_exportable_states(store: Store) -> list[int] | None:
    """The exportable order states the last order sync stored, None before the first one."""
    value = store.get_cursor(EXPORTABLE_STATES_CURSOR)
    return [int(state) for state in json.loads(value)] if value else None


def listed_ids(values: Iterable[Any]) -> dg.MetadataValue:
    listed = list(values)
    shown = ", ".join(str(value) for value in listed[:LISTED_IDS])
    return dg.MetadataValue.text(
        shown + (f" … (+{len(listed) - LISTED_IDS})" if len(listed) > LISTED_IDS else "")
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "infor_customers",
            group_name=GROUP,
            kinds={"infor"},
            deps=["prestashop_orders", "prestashop_customers", "prestashop_reference_data"],
            description="M3 customers (CRS610MI) for the shop customers of orders not yet in M3, matched "
            "on normalized e-mail through the id map; created once, whatever runs concurrently. Bound "
            "customers changed in the shop get their name, address and e-mail (CRS610MI/ChgBasicData, "
            "field by field: an edit made in M3 is kept); a changed e-mail joins the same M3 customer.",
        ),
        dg.AssetSpec(
            "infor_sales_orders",
            group_name=GROUP,
            kinds={"infor"},
            deps=[
                "prestashop_orders",
                "prestashop_customers",
                "prestashop_reference_data",
                "prestashop_products",
                "infor_customers",
                "infor_items",  # the items it found in M3 are not asked for again
                "infor_inventory",  # enrichment warehouse "stock": the warehouse that holds the lines
            ],
            description="Shop orders as confirmed M3 sales orders (OIS100MI batch: head, address, lines, "
            "confirm), exactly once: id map, then an M3 lookup by the customer order number; bound only "
            "once M3 holds the customer order.",
        ),
    ],
    pool=ERP_POOL,
    can_subset=False,
)
def order_to_m3(
    context: dg.AssetExecutionContext,
    config: OrderBatchConfig,
    prestashop: PrestashopResource,
    infor: InforResource,
    store: StoreResource,
    mapping: MappingResource,
):
    """Customer changes first (so an order placed with a changed e-mail finds its M3 customer), then
    one pass over the pending orders: each is read, mapped and sent once; its customer first
    (``infor_customers``), then the order (``infor_sales_orders``)."""
    rules = mapping.load()
    with prestashop.get_client() as shop, infor.get_client(rules.erp) as m3, store.open() as db:
        updates = push_customer_updates(m3=m3, store=db, mapping=rules)
        states = ShopLookups(None, order_states=stored_order_states(db))
        exportable = states.status_map(rules).exportable_states()
        db.set_cursor(EXPORTABLE_STATES_CURSOR, json.dumps(exportable))
        orders = pending_orders(db, exportable, SALES_ORDER, limit=config.max_orders)
        lookups = ShopLookups.from_store(shop, db, orders, order_states=states.order_states(),
                                         stock=lambda items, stock: warehouse_quantities(db, stock, items)[0])  # fmt: skip
        report = sync_orders(orders, shop_lookups=lookups, m3=m3, store=db, mapping=rules)
        remaining = count_pending_orders(db, exportable, SALES_ORDER)
    # each installation's keys (prestashop_infor.defs.sources): the output names are the same
    yield dg.MaterializeResult(
        asset_key=context.asset_key_for_output("infor_customers"),
        metadata=_customer_metadata(report, updates, len(orders)),
    )
    letters = [
        {"order": order_id, "stage": e.stage, "code": e.code, "field": e.field, "message": e.message}
        for order_id, e in report.errors.items()
    ]
    warnings = [
        {"order": order_id, **warning} for order_id, found in report.warnings.items() for warning in found
    ]
    yield dg.MaterializeResult(
        asset_key=context.asset_key_for_output("infor_sales_orders"),
        metadata={
            **{name: dg.MetadataValue.int(count) for name, count in report.counts().items()},
            "created_ids": listed_ids(report.created),
            "updated_ids": listed_ids(report.updated),
            "skipped_ids": listed_ids(report.skipped),
            "dead_lettered_ids": listed_ids(report.dead_lettered),
            "dead_letters": table(letters, ["order", "stage", "code", "field", "message"]),
            # sent, but with a warning: e.g. address_overflow (the full address is in the order text)
            "warnings": table(warnings, ["order", "code", "field", "message"]),
            "waiting": table([{"order": k, "why": v} for k, v in report.waiting.items()], ["order", "why"]),
            "still_pending": dg.MetadataValue.int(remaining),
        },
    )


def _customer_metadata(
    report: SyncReport, updates: CustomerUpdateReport, orders_considered: int
) -> dict[str, Any]:
    errors = [
        {"email": email, "code": e.code, "field": e.field, "message": e.message}
        for email, e in report.customer_errors.items()
    ]
    created = set(report.customers_created)
    skipped = [number for email, number in report.customer_numbers.items() if email not in created]
    return {
        "orders_considered": dg.MetadataValue.int(orders_considered),
        "created": dg.MetadataValue.int(len(created)),
        **{name: dg.MetadataValue.int(count) for name, count in updates.counts().items()},
        "updated_ids": listed_ids(updates.updated),
        "kept_m3_edit_fields": table(
            [{"customer": c, "fields": ", ".join(f)} for c, f in updates.kept_m3_edits.items()],
            ["customer", "fields"],
        ),
        "emails_bound_to": table(
            [{"email": e, "customer": c} for e, c in updates.emails_bound.items()], ["email", "customer"]
        ),
        "update_error_details": table(
            [
                {"customer": c, "code": e.code, "field": e.field, "message": e.message}
                for c, e in updates.errors.items()
            ],
            ["customer", "code", "field", "message"],
        ),  # fmt: skip
        "skipped": dg.MetadataValue.int(len(skipped)),
        "found_in_m3": dg.MetadataValue.int(len(report.customers_found)),
        # a failed customer's orders are dead letters of infor_sales_orders (same error)
        "dead_lettered": dg.MetadataValue.int(len(errors)),
        "created_ids": listed_ids(report.customer_numbers[email] for email in report.customers_created),
        "skipped_ids": listed_ids(skipped),
        "dead_letters": table(errors, ["email", "code", "field", "message"]),
    }


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop"},
    pool=SHOP_ORDERS_POOL,
    deps=["infor_order_statuses", "prestashop_reference_data"],
    description="M3 fulfilment back to the shop, from the states infor_order_statuses stored: order "
    "state (never backwards), tracking number on order_carriers, invoice payment on order_payments "
    "and the paid state.",
)
def prestashop_order_status_updates(
    config: StatusPushConfig, prestashop: PrestashopResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with prestashop.get_client() as shop, store.open() as db:
        report = push_stored_statuses(
            prestashop=shop,
            store=db,
            mapping=rules,
            max_seconds=config.max_seconds,
            order_states=stored_order_states(db),
        )
    return dg.MaterializeResult(
        metadata={
            "state_changes": dg.MetadataValue.int(len(report.updated)),
            "tracking_numbers": dg.MetadataValue.int(len(report.tracking)),
            "payments": dg.MetadataValue.int(len(report.payments)),
            "skipped": dg.MetadataValue.int(len(report.skipped)),
            "dead_lettered": dg.MetadataValue.int(len(report.dead_lettered)),
            "left_for_next_run": dg.MetadataValue.int(len(report.left_for_next_run)),
            "state_change_ids": listed_ids(report.updated),
            "tracking_ids": listed_ids(report.tracking),
            "payment_ids": listed_ids(report.payments),
            "dead_lettered_ids": listed_ids(report.dead_lettered),
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop"},
    pool=SHOP_STOCK_POOL,
    deps=["infor_inventory", "prestashop_products", "prestashop_stock"],
    description="M3 available quantities (m3_balances) written to the shop's stock_availables where "
    "the shop's rows (ps_stock) differ, combinations included; M3 items the shop does not sell are "
    "reported, not fatal.",
)
def prestashop_stock_levels(
    config: StockPushConfig, prestashop: PrestashopResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    short = prestashop.model_copy(
        update={
            "timeout": min(prestashop.timeout, config.request_seconds),
            "read_timeout": min(prestashop.read_timeout, config.request_seconds),
        }
    )
    with short.get_client() as shop, store.open() as db:
        report = push_stock_levels(prestashop=shop, store=db, mapping=rules, max_seconds=config.max_seconds)
    changes = [
        {
            "item": c.item_number,
            "product": c.product_id,
            "combination": c.combination_id,
            "old": c.old,
            "new": c.new,
        }
        for c in report.changed
    ]
    return dg.MaterializeResult(
        metadata={
            "changed": dg.MetadataValue.int(len(report.changed)),
            "unchanged": dg.MetadataValue.int(len(report.unchanged)),
            "unknown_items": dg.MetadataValue.int(len(report.unknown_items)),
            "not_in_m3": dg.MetadataValue.int(len(report.not_in_m3)),
            "dead_lettered": dg.MetadataValue.int(len(report.dead_lettered)),
            "left_for_next_run": dg.MetadataValue.int(len(report.left_for_next_run)),
            "changes": table(changes, ["item", "product", "combination", "old", "new"]),
            "unknown_item_numbers": listed_ids(report.unknown_items),
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    pool=ERP_POOL,
    # after the stock push, not before it: a run in process that asks for a pool it cannot have yet is
    # queued for it while it does its other steps, and the slot freed meanwhile is kept for it, idle; the
    # ERP's slot kept through a stock push (20 s under a slow shop) held every order's entry back
    op_tags={"dagster/priority": "-1"},
    deps=["prestashop_products"],
    description="The descriptions of the M3 items the shop's products and combinations map to "
    "(mapping.items): ITDS from the product name, FUDS from its short description without HTML, sent "
    "with MMS200MI/UpdItmBasic when the product changed, field by field (an edit made in M3 is kept). "
    "Never creates an item: items M3 does not hold are reported. Units, weights, prices, status and "
    "groups stay M3's.",
)
def infor_item_descriptions(
    infor: InforResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with infor.get_client(rules.erp) as m3, store.open() as db:
        report = push_item_updates(m3=m3, store=db, mapping=rules)
    return dg.MaterializeResult(metadata=_item_metadata(report))


def _item_metadata(report: ItemUpdateReport) -> dict[str, Any]:
    return {
        **{name: dg.MetadataValue.int(count) for name, count in report.counts().items()},
        "updated_ids": listed_ids(report.updated),
        "kept_m3_edit_fields": table(
            [{"item": i, "fields": ", ".join(f)} for i, f in report.kept_m3_edits.items()], ["item", "fields"]
        ),
        "unknown_item_numbers": table(
            [{"item": i, "shop": ", ".join(k)} for i, k in report.unknown_items.items()], ["item", "shop"]
        ),
        "ambiguous_items": table(
            [{"item": i, "shop": ", ".join(k)} for i, k in report.ambiguous.items()], ["item", "shop"]
        ),
        "unresolved_ids": listed_ids(report.unresolved),
        "error_details": table(
            [
                {"key": k, "code": e.code, "field": e.field, "message": e.message}
                for k, e in report.errors.items()
            ],
            ["key", "code", "field", "message"],
        ),
    }


infor_customers = dg.AssetKey("infor_customers")
infor_sales_orders = dg.AssetKey("infor_sales_orders")


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    pool=ERP_POOL,
    deps=["prestashop_orders", "prestashop_reference_data", "infor_sales_orders"],
    description="Orders cancelled in the shop after they reached M3, cancelled in M3 (OIS100MI/CloLine on "
    "every line) while M3 allows it (mapping cancellation.highest_m3_status, default before the picking "
    "list); too late: nothing changes in M3, a cancel_too_late dead letter, an alert and a private message "
    "on the shop order.",
)
def infor_order_cancellations(
    config: OrderBatchConfig,
    prestashop: PrestashopResource,
    infor: InforResource,
    store: StoreResource,
    mapping: MappingResource,
) -> dg.MaterializeResult:
    rules = mapping.load()
    with prestashop.get_client() as shop, infor.get_client(rules.erp) as m3, store.open() as db:
        states = cancellation_states(rules, stored_order_states(db))
        report = cancel_orders(m3=m3, store=db, mapping=rules, cancel_states=states, limit=config.max_orders)
        write_too_late_messages(prestashop=shop, store=db, mapping=rules, report=report)
    too_late = [
        {"order": order_id, "m3_status": status, "message": report.dead_lettered[order_id].message}
        for order_id, status in report.too_late.items()
    ]
    return dg.MaterializeResult(
        metadata={
            **{name: dg.MetadataValue.int(count) for name, count in report.counts().items()},
            "cancelled_ids": listed_ids(report.cancelled),
            "too_late": table(too_late, ["order", "m3_status", "message"]),
            "left": table([{"order": k, "why": v} for k, v in report.left.items()], ["order", "why"]),
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop"},
    pool=SHOP_ORDERS_POOL,
    deps=["infor_sales_orders", "prestashop_reference_data"],
    description="Orders of business customers M3 holds for credit (mapping credit; the credit_hold findings "
    "infor_sales_orders records): the shop order takes credit.awaiting_state and gets a private message "
    "saying why, once per hold. Runs in order_status_job (the status lane's minute), beside the other "
    "writes to shop orders.",
)
def prestashop_credit_holds(
    prestashop: PrestashopResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with prestashop.get_client() as shop, store.open() as db:
        notice = notify_credit_holds(
            prestashop=shop, store=db, mapping=rules, order_states=stored_order_states(db)
        )
    return dg.MaterializeResult(
        metadata={
            "held_for_credit": dg.MetadataValue.int(notice.held),
            "told": dg.MetadataValue.int(len(notice.told)),
            "told_order_ids": listed_ids(notice.told),
        }  # fmt: skip
    )


ASSETS = [
    order_to_m3,
    prestashop_credit_holds,
    infor_order_cancellations,
    infor_item_descriptions,
    prestashop_order_status_updates,
    prestashop_stock_levels,
]

"""The names the project gives things that other code finds by name: the webhook event types, the
Dagster job names and the run tags. Constants only (no Dagster): the webhook receiver, the sandbox's
shop, the definitions and the command line read them here, so each name is spelled once."""

from __future__ import annotations

#: The webhook event types this release handles (contract ``webhooks.md`` §6): the receiver stores
#: them as pending, any other well-formed type as ignored. The part before the dot is the resource
#: the sensor routes on (``order``, ``customer``, ``address``, ``product``, ``combination``, ``stock``,
#: ``order_return``). The ``order_return`` events are this project's addition to the contract (its
#: §6 lets a sender add names): PrestaShop's Webservice never shows a merchandise return's lines, so
#: the module sends them in the event's ``data`` (``prestashop-module/``, docs/order-to-cash.md).
ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"
ORDER_UPDATED = "order.updated"
ORDER_TRACKING_UPDATED = "order.tracking_updated"
ORDER_PAYMENT_CONFIRMED = "order.payment_confirmed"
CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_DELETED = "customer.deleted"
ADDRESS_CREATED = "address.created"
ADDRESS_UPDATED = "address.updated"
ADDRESS_DELETED = "address.deleted"
PRODUCT_CREATED = "product.created"
PRODUCT_UPDATED = "product.updated"
PRODUCT_DELETED = "product.deleted"
COMBINATION_CREATED = "combination.created"
COMBINATION_UPDATED = "combination.updated"
COMBINATION_DELETED = "combination.deleted"
STOCK_UPDATED = "stock.updated"
ORDER_RETURN_CREATED = "order_return.created"
ORDER_RETURN_UPDATED = "order_return.updated"
EVENT_TYPES = frozenset(
    {
        ORDER_CREATED, ORDER_STATUS_CHANGED, ORDER_UPDATED, ORDER_TRACKING_UPDATED, ORDER_PAYMENT_CONFIRMED,
        CUSTOMER_CREATED, CUSTOMER_UPDATED, CUSTOMER_DELETED,
        ADDRESS_CREATED, ADDRESS_UPDATED, ADDRESS_DELETED,
        PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_DELETED,
        COMBINATION_CREATED, COMBINATION_UPDATED, COMBINATION_DELETED,
        STOCK_UPDATED,
        ORDER_RETURN_CREATED, ORDER_RETURN_UPDATED,
    }
)  # fmt: skip

#: The Dagster jobs, by name: the order-to-cash lanes (``defs/sync``), the shop's extraction
#: (``defs/prestashop``) and the nightly reconciliations (``defs/reconciliation``).
ORDER_SYNC_JOB = "order_sync_job"
ORDER_STATUS_JOB = "order_status_job"
STOCK_SYNC_JOB = "stock_sync_job"
PRICE_SYNC_JOB = "price_sync_job"
PRESTASHOP_EXTRACT_JOB = "prestashop_extract_job"
ORDER_RECONCILIATION_JOB = "order_reconciliation_job"
STOCK_RECONCILIATION_JOB = "stock_reconciliation_job"
#: ``stock_sync_job``'s former name, still read from the webhook sensor's older cursors.
FORMER_STOCK_SYNC_JOB = "backoffice_sync_job"
#: Dagster's own job of every asset: what a launch of assets outside any job runs.
ASSET_JOB = "__ASSET_JOB"

#: The run tags the project sets and reads. ``LANE_TAG``: the lane a job's runs belong to, which the
#: run queue limits by (``dagster.yaml``). ``TRIGGER_TAG``: what asked for a sensor's run
#: (``WEBHOOK_TRIGGER`` or ``M3_STATUS_TRIGGER``); a webhook run also carries the range of inbox ids
#: it was asked for (``INBOX_IDS_TAG``: ``"<first>-<last>"``) and how many events (``EVENTS_TAG``),
#: an M3 status run how many orders moved (``ORDERS_TAG``). A run that had not started when new
#: webhooks arrived takes them (the sensor starts no second run): the sensor widens its
#: ``INBOX_IDS_TAG`` and marks it ``TAKES_WEBHOOKS_TAG``, so an order's story names the run that read
#: its webhooks whatever started it. ``DEMO_TAG``: which of the demo's own runs a run is.
LANE_TAG = "prestashop_infor/lane"
TRIGGER_TAG = "prestashop_infor/trigger"
INBOX_IDS_TAG = "prestashop_infor/inbox_ids"
TAKES_WEBHOOKS_TAG = "prestashop_infor/takes_webhooks"
EVENTS_TAG = "prestashop_infor/events"
ORDERS_TAG = "prestashop_infor/orders"
DEMO_TAG = "prestashop_infor/demo"
WEBHOOK_TRIGGER = "webhook"
M3_STATUS_TRIGGER = "m3_status"
#: The run tag naming the further PrestaShop installation (``PRESTASHOP_INFOR_SOURCES``) a run works
#: for; a run without it works for the main one (or for the source its assets' keys start with).
SOURCE_TAG = "prestashop_infor/source"
#: The run tag naming the warm worker (its process id) that forked a run's process
#: (``prestashop_infor.run_launcher``); a run without it was launched by Dagster's default launcher.
WARM_WORKER_TAG = "prestashop_infor/warm_worker"


def source_named_by(job_name: str, tags: dict[str, str] | None = None) -> str | None:
    """The further installation a run works for, by its ``SOURCE_TAG``, else by its job's name
    (``outlet__order_sync_job``: ``outlet``); None for the main one (and Dagster's ``__ASSET_JOB``)."""
    tagged = (tags or {}).get(SOURCE_TAG)
    if tagged:
        return tagged
    prefix, named, _ = job_name.partition("__")
    return prefix if prefix and named else None

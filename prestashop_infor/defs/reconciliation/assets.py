"""The reconciliation assets: each side's orders per day, what differs, and the stock drift.

The order assets are partitioned by day in the shop's time zone (``PRESTASHOP_TIME_ZONE``, from
``PRESTASHOP_INFOR_RECONCILIATION_START``) with a single-run backfill policy: a backfill over a year
is one run, and each asset handles its whole range in one pass of chunked reads, writing per day.
``order_reconciliation`` reads only what the two snapshot assets stored; in a backfill, each day's
partition is materialized with that day's findings (the Partitions tab shows each day's result).

The partitions are part of the definitions, so their start and time zone are read when the code
location loads, leniently (a bad value is a warning and the default, ``2024-01-01`` / ``UTC``,
stands in: the code location still loads); each partitioned asset reads the settings strictly when
its run starts, so a bad value fails the run with a message naming the variable.
"""

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import dagster as dg

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.metadata import table
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.settings import Settings
from prestashop_infor.store import reconciliation
from prestashop_infor.sync import reconcile
from prestashop_infor.sync.mapping import Mapping

GROUP = "reconciliation"


def _daily_partitions() -> dg.DailyPartitionsDefinition:
    """The days, from ``PRESTASHOP_INFOR_RECONCILIATION_START`` in ``PRESTASHOP_TIME_ZONE``, read
    leniently when the code location loads (the runs read them strictly: :func:`partition_days`)."""
    settings = Settings.read_leniently()
    return dg.DailyPartitionsDefinition(
        start_date=settings.reconciliation_start.isoformat(), timezone=settings.prestashop_time_zone
    )


DAILY = _daily_partitions()
SINGLE_RUN = dg.BackfillPolicy.single_run()


def partition_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The first and last day of the run's partition range (one day for a nightly run). Reads the
    settings first: a bad ``PRESTASHOP_TIME_ZONE`` or ``PRESTASHOP_INFOR_RECONCILIATION_START`` (the
    days would not be the shop's) fails the run with the ``SettingsError`` naming it."""
    Settings.read()
    keys = context.partition_key_range
    return date.fromisoformat(keys.start), date.fromisoformat(keys.end)


def _snapshot_metadata(report: reconcile.SnapshotReport, first: date, last: date) -> dict[str, Any]:
    return {
        "dagster/row_count": dg.MetadataValue.int(report.orders),  # the orders stored for those days
        "days": dg.MetadataValue.int((last - first).days + 1),
        "orders": dg.MetadataValue.int(report.orders),
        "requests": dg.MetadataValue.int(report.requests),
        "first_day": dg.MetadataValue.text(first.isoformat()),
        "last_day": dg.MetadataValue.text(last.isoformat()),
    }


def _snapshot_result(
    context: dg.AssetExecutionContext, report: reconcile.SnapshotReport, first: date, last: date
) -> dg.MaterializeResult:
    """The run's figures; in a backfill, each day's partition has its own row count besides."""
    if first != last:
        for day in reconcile.days(first, last):
            context.add_asset_metadata(
                {"dagster/row_count": dg.MetadataValue.int(report.per_day[day])},
                partition_key=day.isoformat(),
            )
    return dg.MaterializeResult(metadata=_snapshot_metadata(report, first, last))


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop"},
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    deps=["prestashop_products"],  # the stored products and combinations name each line's M3 item
    description="The shop's orders placed each day (shop time), read page by page from the Webservice and "
    "reduced to what reconciliation compares: CUOR, state on the fulfilment ladder, lines as M3 items, "
    "amount in the ERP currency (by the order sync's own line rule, the items from the stored products "
    "and combinations).",
)
def prestashop_orders_daily(
    context: dg.AssetExecutionContext,
    prestashop: PrestashopResource,
    store: StoreResource,
    mapping: MappingResource,
) -> dg.MaterializeResult:
    first, last = partition_days(context)
    with prestashop.get_client() as shop, store.open() as db:
        report = reconcile.snapshot_shop_orders(shop, db, mapping.load(), first, last)
    return _snapshot_result(context, report, first, last)


@dg.asset(
    group_name=GROUP,
    kinds={"infor"},
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    description="M3's customer orders of each day (OIS175MI/LstHeadByDate in chunks, their lines with "
    "OIS100MI/LstLine in bulk), reduced to CUOR, milestone (the mapping's status rule), lines and amount.",
)
def infor_orders_daily(
    context: dg.AssetExecutionContext, infor: InforResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    first, last = partition_days(context)
    rules = mapping.load()
    with infor.get_client(rules.erp) as m3, store.open() as db:
        report = reconcile.snapshot_m3_orders(m3, db, rules, first, last)
    return _snapshot_result(context, report, first, last)


class ReconciliationConfig(dg.Config):
    heal: bool = False  # re-drive what is missing (order sync) or behind (status push)
    amount_tolerance: float = 0.01  # in the ERP currency, per order


@dg.asset(
    group_name=GROUP,
    kinds={"python"},
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    # M3's prices and the customers they apply to: the price check, with prices pushed (mapping prices)
    deps=[prestashop_orders_daily, infor_orders_daily, "infor_price_lists", "prestashop_customers"],
    description="Per day: shop orders missing in M3, M3 orders missing in the shop, line, amount and status "
    "mismatches, and with M3's prices pushed to the shop line prices that differ from M3's for that customer "
    "and day (price_mismatch), stored in recon_findings. With heal: true, what is missing is sent again through the "
    "order sync and statuses M3 moved on are pushed; running it twice changes nothing the second time.",
)
def order_reconciliation(
    context: dg.AssetExecutionContext,
    config: ReconciliationConfig,
    prestashop: PrestashopResource,
    infor: InforResource,
    store: StoreResource,
    mapping: MappingResource,
) -> dg.MaterializeResult:
    first, last = partition_days(context)
    rules = mapping.load()
    with store.open() as db:
        report = reconcile.reconcile_orders(
            db, rules, first, last, tolerance=Decimal(str(config.amount_tolerance))
        )
        healed = None
        if config.heal and report.findings:
            with prestashop.get_client() as shop, infor.get_client(rules.erp) as m3:
                healed = reconcile.heal(db, shop, m3, rules, reconcile.open_findings(db, first, last))
    metadata: dict[str, Any] = {
        "shop_orders": dg.MetadataValue.int(report.shop_orders),
        "m3_orders": dg.MetadataValue.int(report.m3_orders),
        "findings": dg.MetadataValue.int(report.findings),
        **{kind: dg.MetadataValue.int(report.counts[kind]) for kind in reconcile.KINDS},
        "amount_difference": dg.MetadataValue.float(float(report.amount_difference)),
        "worst": _findings_table(report.worst),
    }
    if len(report.per_shop) > 1 or rules.shops:  # a multistore: each shop's findings apart
        metadata["per_shop"] = _per_shop(report, rules)
    if first != last:  # a backfill: each day's partition shows that day's result, the run's totals aside
        metadata |= _range_metadata(first, last) | {"per_day": _per_day(report)}
        by_day: dict[date, list[reconcile.Finding]] = {day: [] for day in reconcile.days(first, last)}
        with store.open() as db:
            for finding in reconcile.open_findings(db, first, last):
                by_day[finding.day].append(finding)
        for day, findings in by_day.items():
            context.add_asset_metadata(_day_metadata(findings), partition_key=day.isoformat())
    if healed is not None:
        metadata |= {
            "healed_resent": dg.MetadataValue.int(len(healed.resent)),
            "healed_unbound": dg.MetadataValue.int(len(healed.unbound)),
            "healed_statuses": dg.MetadataValue.int(len(healed.statuses_pushed)),
            "healed_credit_slips": dg.MetadataValue.int(len(healed.credit_slips)),
            "healed_refunds_to_m3": dg.MetadataValue.int(len(healed.refunds_sent)),
            "heal_failed": dg.MetadataValue.json({str(k): v for k, v in healed.failed.items()}),
            "left_to_people": dg.MetadataValue.int(healed.left_to_people),
        }
    return dg.MaterializeResult(metadata=metadata)


def _range_metadata(first: date, last: date) -> dict[str, Any]:
    return {
        "days": dg.MetadataValue.int((last - first).days + 1),
        "first_day": dg.MetadataValue.text(first.isoformat()),
        "last_day": dg.MetadataValue.text(last.isoformat()),
    }


def _day_metadata(findings: list[reconcile.Finding], worst: int = 20) -> dict[str, Any]:
    """One day's result in a backfill: its findings by kind, its amount difference and its worst
    rows, in place of the run's figures of the same names (``shop_orders`` and ``m3_orders`` stay the
    run's, beside ``first_day`` and ``last_day``)."""
    counts = Counter(f.kind for f in findings)
    sizes = [(_amount_size(f), f) for f in findings]
    ranked = [f for _, f in sorted(sizes, key=lambda pair: (-pair[0], pair[1].key))[:worst]]
    return {
        "findings": dg.MetadataValue.int(len(findings)),
        **{kind: dg.MetadataValue.int(counts[kind]) for kind in reconcile.KINDS},
        "amount_difference": dg.MetadataValue.float(float(sum(size for size, _ in sizes))),
        "worst": _findings_table(ranked),
    }


def _amount_size(finding: reconcile.Finding) -> Decimal:
    if finding.kind != "amount_mismatch":
        return Decimal(0)
    return abs(Decimal(finding.expected or 0) - Decimal(finding.actual or 0))


def _findings_table(findings: list[reconcile.Finding]) -> dg.TableMetadataValue:
    rows = [
        {"day": f.day, "kind": f.kind, "order": f.key, "shop": f.expected, "M3": f.actual, "detail": f.detail}
        for f in findings
    ]
    return table(rows, ["day", "kind", "order", "shop", "M3", "detail"])


def _per_day(report: reconcile.ReconciliationReport) -> dg.TableMetadataValue:
    """The days with findings, every one, their findings by kind."""
    rows = [
        {"day": day, **{kind: counts[kind] for kind in reconcile.KINDS}}
        for day, counts in sorted(report.per_day.items())
        if sum(counts.values())
    ]
    return table(rows, ["day", *reconcile.KINDS], limit=None)


def _per_shop(report: reconcile.ReconciliationReport, rules: Mapping) -> dg.TableMetadataValue:
    """Each shop's findings by kind (shop 0: M3 orders with no shop order)."""
    rows = [
        {"shop": shop_id, "name": rules.shop_name(shop_id) if shop_id else "(M3 only)",
         **{kind: counts[kind] for kind in reconcile.KINDS}}
        for shop_id, counts in sorted(report.per_shop.items())
    ]  # fmt: skip
    return table(rows, ["shop", "name", *reconcile.KINDS], limit=None)


class StockReconciliationConfig(dg.Config):
    heal: bool = False  # write M3's availability to the rows that drifted (the stock push)


@dg.asset(
    group_name=GROUP,
    kinds={"python"},
    deps=["prestashop_products", "prestashop_stock", "infor_inventory"],
    description="The shop's stock against M3's availability after mapping (what the stock push would "
    "write): one stock_drift finding per product or combination that differs. With heal: true, the "
    "stock push writes them. Keeps M3's availability per item beside the last run's, for the stock-drop check.",
)
def stock_reconciliation(
    config: StockReconciliationConfig,
    prestashop: PrestashopResource,
    store: StoreResource,
    mapping: MappingResource,
) -> dg.MaterializeResult:
    from prestashop_infor.sync.stock import planned_shop_quantities, push_stock_levels

    rules = mapping.load()
    with store.open() as db:
        found = reconcile.reconcile_stock(db, rules)
        available = {item: m3 for item, _, m3 in planned_shop_quantities(db, rules).values()}
        reconciliation.save_stock_availability(db, available)  # what stock_drops_usual compares
        written = 0
        if config.heal and found:
            with prestashop.get_client() as shop:
                pushed = push_stock_levels(
                    prestashop=shop,
                    store=db,
                    mapping=rules,
                    rows_only={f.key.split("@")[0] for f in found},  # "product:combination[@shop]"
                )
            written = len(pushed.changed)
    drifts = [
        {"product:combination": f.key, "shop": f.actual, "M3 available": f.expected, "detail": f.detail}
        for f in found
    ]
    return dg.MaterializeResult(
        metadata={
            "drifts": dg.MetadataValue.int(len(found)),
            "healed": dg.MetadataValue.int(written),
            "worst": table(drifts, ["product:combination", "shop", "M3 available", "detail"], limit=20),
        }
    )


ASSETS = [prestashop_orders_daily, infor_orders_daily, order_reconciliation, stock_reconciliation]

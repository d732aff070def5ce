"""M3's prices in the shop: the push asset over ``sync.price_push``, and the job and schedule that
read M3's price lists and the shop's specific prices and push what differs."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from prestashop_infor import names
from prestashop_infor.defs.metadata import table
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.runtime import lane_tags, max_runtime_tags
from prestashop_infor.defs.sources import MAIN, Source
from prestashop_infor.defs.sync.assets import GROUP, PUSH_SECONDS, listed_ids
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.defs.sync.schedules import default_schedule_status, lanes_note, run_unless_in_flight
from prestashop_infor.sync.price_push import push_specific_prices

if TYPE_CHECKING:
    from prestashop_infor.defs.sources import AssetJob


class PricePushConfig(dg.Config):
    max_seconds: float = Field(default=240.0, gt=0, le=3600, description=PUSH_SECONDS)


@dg.asset(
    group_name=GROUP,
    kinds={"prestashop"},
    deps=[
        "infor_price_lists",
        "prestashop_specific_prices",
        "prestashop_products",
        "prestashop_customers",
        "prestashop_reference_data",
    ],  # fmt: skip
    description="M3's prices valid today (m3_prices, m3_customer_prices) as the shop's specific prices: per "
    "mapped price list its customer groups (mapping prices.groups), and customers with prices of their own, "
    "per currency, item and quantity break; only rows that differ from the shop's (ps_specific_prices) are "
    "written, and rows of ours no longer planned are deleted. The merchant's own specific prices are left alone.",
)
def prestashop_customer_prices(
    config: PricePushConfig, prestashop: PrestashopResource, store: StoreResource, mapping: MappingResource
) -> dg.MaterializeResult:
    rules = mapping.load()
    with prestashop.get_client() as shop, store.open() as db:
        today = shop.shop_time().date() if rules.prices.pushed else datetime.now(UTC).date()
        report = push_specific_prices(prestashop=shop, store=db, mapping=rules, today=today,
                                      max_seconds=config.max_seconds)  # fmt: skip
    counts = {"planned": report.planned, "unchanged": report.unchanged, "created": report.created,
              "updated": report.updated, "deleted": report.deleted, "adopted": report.adopted,
              "forgotten": report.forgotten, "rows_written": report.rows_written,
              "dead_lettered": len(report.dead_lettered), "left_for_next_run": len(report.left_for_next_run)}  # fmt: skip
    return dg.MaterializeResult(
        metadata={
            **{name: dg.MetadataValue.int(count) for name, count in counts.items()},
            "price_lists": table(
                [{"list": p, "groups": ", ".join(map(str, g))} for p, g in rules.prices.groups.items()],
                ["list", "groups"],
            ),  # fmt: skip
            "dead_lettered_keys": listed_ids(report.dead_lettered),
        }
    )


price_sync_job = dg.define_asset_job(
    names.PRICE_SYNC_JOB,
    selection=dg.AssetSelection.assets(
        "prestashop_customers",
        "prestashop_products",
        "prestashop_reference_data",
        "prestashop_specific_prices",
        "infor_price_lists",
        prestashop_customer_prices,
    ),
    executor_def=dg.in_process_executor,
    tags={**max_runtime_tags(names.PRICE_SYNC_JOB), **lane_tags("prices")},
    description="Read M3's price lists and the shop's specific prices, and write the M3 prices that differ "
    "(mapping prices).",
)


def price_sync_schedule_of(source: Source, job: "AssetJob") -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=source.named("price_sync_schedule"),
        job=job,
        cron_schedule="*/5 * * * *",
        execution_fn=run_unless_in_flight(job.name, source),
        default_status=default_schedule_status(source),
        description=f"Every five minutes, unless a run of {job.name} has not ended: M3's prices to the shop "
        "(OIS017MI has no change stamp: each run reads every list)." + lanes_note(source),
    )


price_sync_schedule = price_sync_schedule_of(MAIN, price_sync_job)

ASSETS = [prestashop_customer_prices]

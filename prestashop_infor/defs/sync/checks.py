"""Checks on the order-to-cash assets that look at M3 itself, not at our own bookkeeping."""

import dagster as dg

from prestashop_infor.defs.infor.resources import InforResource
from prestashop_infor.defs.metadata import table
from prestashop_infor.defs.resources import StoreResource
from prestashop_infor.defs.sync.assets import infor_sales_orders
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.sync.orders import bound_orders_missing_in_m3


@dg.asset_check(
    asset=infor_sales_orders,
    description="Samples orders the id map says are in M3 (the newest 50 and 50 at random) and asks "
    "M3 for each customer order (OIS100MI/GetHead): fails when M3 does not hold one.",
)
def bound_orders_exist_in_m3(
    infor: InforResource, store: StoreResource, mapping: MappingResource
) -> dg.AssetCheckResult:
    rules = mapping.load()
    with infor.get_client(rules.erp) as m3, store.open() as db:
        checked, problems = bound_orders_missing_in_m3(db, m3, rules)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "checked": dg.MetadataValue.int(checked),
            "not_in_m3": dg.MetadataValue.int(len(problems)),
            "problems": table([{"problem": problem} for problem in problems], ["problem"]),
        },
    )


CHECKS = [bound_orders_exist_in_m3]

"""The order-to-cash assets through real Dagster runs against both emulators over sockets: shop
orders become M3 sales orders exactly once, M3 fulfilment and stock come back to the shop."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
import yaml

from prestashop_infor.defs import prestashop as prestashop_defs
from prestashop_infor.defs.infor import InforResource, infor_inventory, infor_items, infor_order_statuses
from prestashop_infor.defs.prestashop.resources import PrestashopResource
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.runtime import LANE_TAG
from prestashop_infor.defs.sync import (
    MappingResource,
    bound_orders_exist_in_m3,
    infor_credit_notes,
    infor_customers,
    infor_item_descriptions,
    infor_order_cancellations,
    infor_sales_orders,
    infor_shop_refunds,
    infor_shop_returns,
    order_to_m3,
    prestashop_credit_slips,
    prestashop_order_status_updates,
    prestashop_stock_levels,
)
from prestashop_infor.defs.sync.assets import stored_exportable_states
from prestashop_infor.infor import M3Client
from prestashop_infor.prestashop.transport import Transport
from prestashop_infor.sandbox.infor import LifecycleSettings, M3Tenant, seed_tenant_from_shop
from prestashop_infor.sandbox.infor import create_app as create_m3_app
from prestashop_infor.sandbox.prestashop import DEFAULT_API_KEY, Shop, seed_shop
from prestashop_infor.sandbox.prestashop import create_app as create_shop_app
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.store import Store, id_map
from prestashop_infor.sync.customers import customer_number
from prestashop_infor.sync.mapping import load_mapping

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ORDER_SYNC = [*prestashop_defs.ASSETS, order_to_m3]
ROOT = Path(__file__).resolve().parents[1]
STOCK_SYNC = [
    infor_inventory,
    prestashop_defs.prestashop_products,
    prestashop_defs.prestashop_stock,
    prestashop_stock_levels,
]


class World:
    def __init__(self, shop: Shop, tenant: M3Tenant, shop_url: str, m3_url: str, tmp_path: Path):
        self.shop, self.tenant, self.m3_url = shop, tenant, m3_url
        self.database_url = f"sqlite:///{tmp_path / 'store.db'}"
        ionapi = tenant.write_ionapi(tmp_path / "sandbox.ionapi", m3_url)
        self.resources = {
            "prestashop": PrestashopResource(url=shop_url, api_key=DEFAULT_API_KEY, time_zone="Europe/Paris"),
            "infor": InforResource(ionapi_file=str(ionapi)),
            "store": StoreResource(database_url=self.database_url),
            "validation_gate": ValidationGateResource(),
            "mapping": MappingResource(),
        }

    def materialize(self, assets: list[Any], **kwargs: Any) -> dg.ExecuteInProcessResult:
        result = dg.materialize(assets, resources=self.resources, **kwargs)
        assert result.success
        return result

    def store(self) -> Store:
        return Store.from_url(self.database_url)

    def sandbox(self, orno: str, action: str) -> dict[str, Any]:
        answer = httpx.post(f"{self.m3_url}/_sandbox/orders/{orno}/{action}", json={})
        answer.raise_for_status()
        return answer.json()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    shop = seed_shop(seed=11, orders=30, now=NOW)
    tenant = seed_tenant_from_shop(shop, seed=11, lifecycle=LifecycleSettings.manual())
    with (
        BackgroundServer(create_shop_app(shop)) as shop_server,
        BackgroundServer(create_m3_app(tenant)) as m3,
    ):
        yield World(shop, tenant, shop_server.url, m3.url, tmp_path)


def metadata(result: dg.ExecuteInProcessResult, asset: dg.AssetsDefinition | dg.AssetKey) -> dict[str, Any]:
    key = asset if isinstance(asset, dg.AssetKey) else asset.key
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {name: value.value for name, value in events[-1].materialization.metadata.items()}


def test_shop_orders_become_m3_sales_orders_exactly_once(world: World) -> None:
    status = load_mapping().status.resolve(world.shop.records("order_states"))
    exported = [o for o in world.shop.records("orders") if status.exportable(int(o["current_state"]))]
    assert 0 < len(exported) < 30  # the seed has cancelled and refunded orders, which stay in the shop

    seeded_customers = len(world.tenant.customers)
    first_run = world.materialize(ORDER_SYNC)
    first, customers_first = metadata(first_run, infor_sales_orders), metadata(first_run, infor_customers)
    assert first["created"] > 0
    # The customers were created ahead of their orders in the same pass, once per e-mail.
    assert customers_first["created"] == len(world.tenant.customers) - seeded_customers > 0
    assert first["customers_created"] == customers_first["created"]
    assert customers_first["orders_considered"] == len(exported)
    assert first["created"] + first["dead_lettered"] == len(exported)
    assert first["still_pending"] == 0
    orders_in_m3 = len(world.tenant.orders) + len(world.tenant.batch_orders)
    with world.store() as store:
        bound = id_map.bindings(store, "sales_order")
    assert len(bound) == first["created"]
    assert {b.target_key for b in bound} <= set(world.tenant.orders) | set(world.tenant.batch_orders)
    with world.store() as store:  # the states it sent by, for the order lane's stall check
        stored = stored_exportable_states(store)
    assert stored and {int(o["current_state"]) for o in exported} <= set(stored)
    assert all(status.exportable(state) for state in stored)

    customers = world.tenant.customers.copy()

    second = world.materialize(ORDER_SYNC)
    assert metadata(second, infor_sales_orders)["created"] == 0
    customers_second = metadata(second, infor_customers)
    assert (customers_second["created"], customers_second["skipped"]) == (0, 0)  # nothing left pending
    assert len(world.tenant.orders) + len(world.tenant.batch_orders) == orders_in_m3
    assert world.tenant.customers.keys() == customers.keys()


def test_an_order_placed_later_is_synced_by_the_next_run(world: World) -> None:
    world.materialize(ORDER_SYNC)
    order_id = world.shop.place_order(1, [(1, 0, 2)])
    result = metadata(world.materialize(ORDER_SYNC), infor_sales_orders)
    assert result["created"] == 1 and result["created_ids"] == str(order_id)


def test_fulfilment_in_m3_reaches_the_shop(world: World) -> None:
    world.materialize(ORDER_SYNC)
    with world.store() as store:
        binding = id_map.bindings(store, "sales_order")[0]
    order_id, orno = int(binding.source_key), binding.target_key
    before = [c for c in world.shop.records("order_carriers") if int(c["id_order"]) == order_id]
    shipped = world.sandbox(orno, "ship")

    result = world.materialize([infor_order_statuses, prestashop_order_status_updates])
    updates = metadata(result, prestashop_order_status_updates)
    assert str(order_id) in updates["tracking_ids"]
    assert world.shop.record("orders", order_id)["shipping_number"] == shipped["ETRN"]
    carriers = [c for c in world.shop.records("order_carriers") if int(c["id_order"]) == order_id]
    # M3's delivery on a carrier row of its own: a row without a number, else a new one; a number the
    # shop held already (the seeded history ships some orders in the shop) is kept
    held = [c["tracking_number"] for c in before if c["tracking_number"]]
    assert [c["tracking_number"] for c in carriers] == [*held, shipped["ETRN"]]

    again = metadata(world.materialize([prestashop_order_status_updates]), prestashop_order_status_updates)
    assert (again["state_changes"], again["tracking_numbers"], again["payments"]) == (0, 0, 0)


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Every request to the shop (method, resource) and every M3 transaction (program, transaction),
    single or in a bulk request, from here on."""
    shop: list[tuple[str, str]] = []
    m3: list[tuple[str, str]] = []
    request, execute, bulk = Transport._request, M3Client.execute, M3Client.bulk

    def counted_request(self, method, path, **options):
        shop.append((method, options.get("resource") or path.split("/")[0]))
        return request(self, method, path, **options)

    def counted_execute(self, program, transaction, **options):
        m3.append((program, transaction))
        return execute(self, program, transaction, **options)

    def counted_bulk(self, calls, **options):
        calls = list(calls)
        m3.extend((program, transaction) for program, transaction, _ in calls)
        return bulk(self, calls, **options)

    monkeypatch.setattr(Transport, "_request", counted_request)
    monkeypatch.setattr(M3Client, "execute", counted_execute)
    monkeypatch.setattr(M3Client, "bulk", counted_bulk)
    return shop, m3


def test_each_write_step_reads_only_what_its_upstream_assets_stored(world: World, monkeypatch) -> None:
    """The lineage the README states, counted: once the extraction assets have run, the order step
    asks the shop nothing (order states, customers, addresses, countries, currencies, products
    are stored) and M3 for no item (infor_items stored them); the status push reads from the shop
    only the orders it is about to change, and asks M3 nothing (infor_order_statuses stored it)."""
    world.materialize([*ORDER_SYNC, infor_items])
    customer = next(c for c in world.shop.records("customers") if c["id"] > 10)
    world.shop.place_order(customer["id"], [(1, 1, 2), (29, 0, 1)])
    world.materialize([*prestashop_defs.ASSETS, infor_items])  # the extractions see the new order
    shop, m3 = _count_calls(monkeypatch)
    placed = metadata(world.materialize([order_to_m3]), dg.AssetKey("infor_sales_orders"))
    assert placed["created"] == 1
    assert shop == []
    assert ("MMS200MI", "Get") not in m3 and ("OIS100MI", "Confirm") in m3

    with world.store() as store:
        binding = id_map.bindings(store, "sales_order")[0]
    world.sandbox(binding.target_key, "ship")
    world.materialize([infor_order_statuses])
    shop.clear()
    m3.clear()
    pushed = metadata(world.materialize([prestashop_order_status_updates]), prestashop_order_status_updates)
    assert pushed["tracking_numbers"] == 1
    assert m3 == []
    assert {resource for _, resource in shop} <= {
        "orders",
        "order_carriers",
        "order_payments",
        "order_histories",
    }
    assert ("GET", "order_states") not in shop


def test_the_entry_into_m3_runs_before_the_reads_it_does_not_wait_for(world: World) -> None:
    """Credit slips and returns are read after ``order_to_m3`` (a lower ``dagster/priority``), so an
    order reaches M3 without waiting for them; they still run in the same run."""
    result = world.materialize(ORDER_SYNC)
    started = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START]
    assert {"prestashop_order_slips", "prestashop_order_returns", "order_to_m3"} <= set(started)
    entry = started.index("order_to_m3")
    assert started.index("prestashop_order_slips") > entry
    assert started.index("prestashop_order_returns") > entry
    assert started.index("prestashop_orders") < entry  # what it reads still comes first


def test_the_stock_and_item_pushes_read_only_what_their_upstream_assets_stored(
    world: World, monkeypatch
) -> None:
    """The lineage, counted for the other two write steps: the stock push asks M3 nothing and the
    shop only for the stock rows it writes; the item push asks the shop nothing and M3 only for the
    items it is about to change (read just before the write, with their change number)."""
    world.materialize([*STOCK_SYNC, infor_item_descriptions])
    stock = next(s for s in world.shop.records("stock_availables") if int(s["id_product_attribute"]) > 0)
    combination = world.shop.record("combinations", int(stock["id_product_attribute"]))
    world.tenant.adjust_stock(world.tenant.default_warehouse, combination["reference"], Decimal(25))
    combined = {int(c["id_product"]) for c in world.shop.records("combinations")}
    product = next(p for p in world.shop.records("products") if int(p["id"]) not in combined)
    world.shop.clock.advance(timedelta(minutes=1))
    with world.resources["prestashop"].get_client() as shop:
        record = shop.get("products", int(product["id"]), fmt="xml")
        shop.update("products", {**record, "name": [{"id": "1", "value": "Renamed in the shop"}]})
    world.materialize(
        [infor_inventory, prestashop_defs.prestashop_products, prestashop_defs.prestashop_stock]
    )
    shop, m3 = _count_calls(monkeypatch)
    pushed = metadata(world.materialize([prestashop_stock_levels]), prestashop_stock_levels)
    assert pushed["changed"] >= 1
    assert m3 == [] and shop and {resource for _, resource in shop} == {"stock_availables"}
    shop.clear()
    renamed = metadata(world.materialize([infor_item_descriptions]), infor_item_descriptions)
    assert renamed["updated"] == 1
    assert shop == [] and m3 and {program for program, _ in m3} == {"MMS200MI"}


def test_m3_stock_reaches_the_shop_and_only_changes_are_written(world: World) -> None:
    first = metadata(world.materialize(STOCK_SYNC), prestashop_stock_levels)
    assert first["changed"] > 0

    stock = next(s for s in world.shop.records("stock_availables") if int(s["id_product_attribute"]) > 0)
    combination = world.shop.record("combinations", int(stock["id_product_attribute"]))
    warehouse = world.tenant.default_warehouse
    balance = world.tenant.adjust_stock(warehouse, combination["reference"], Decimal(25))
    second = metadata(world.materialize(STOCK_SYNC), prestashop_stock_levels)
    changes = [record.data for record in second["changes"].records]
    written = [c for c in changes if c["combination"] == int(stock["id_product_attribute"])]
    assert second["changed"] >= 1 and [(c["item"], c["new"]) for c in written] == [
        (combination["reference"], int(balance.allocatable))
    ]
    updated = world.shop.record("stock_availables", int(stock["id"]))
    assert int(updated["quantity"]) == int(balance.allocatable)

    third = metadata(world.materialize(STOCK_SYNC), prestashop_stock_levels)
    assert third["changed"] == 0


def test_a_stock_request_that_hangs_is_given_up_after_request_seconds(world: World) -> None:
    """The stock push asks the shop with its own short timeouts (``request_seconds``): a shop taking
    3 s for every request is given up on after 1 s (the shop's resource timeouts are 30 and 15 s), so
    one hanging row holds the push that long, not half a minute; once the shop answers, it writes."""
    world.materialize(STOCK_SYNC)
    stock = next(s for s in world.shop.records("stock_availables") if int(s["id_product_attribute"]) > 0)
    combination = world.shop.record("combinations", int(stock["id_product_attribute"]))
    balance = world.tenant.adjust_stock(world.tenant.default_warehouse, combination["reference"], Decimal(25))
    world.materialize([infor_inventory])
    # (a new resource: Dagster builds a resource from its fields as given, and model_copy's update is
    # not among them; the shop would be asked 5 times a row)
    shop = world.resources["prestashop"]
    resources = {
        **world.resources,
        "prestashop": PrestashopResource(
            url=shop.url, api_key=shop.api_key, time_zone=shop.time_zone, max_attempts=2
        ),
    }
    config = {"ops": {"prestashop_stock_levels": {"config": {"request_seconds": 1.0}}}}
    world.shop.faults.latency = 3.0
    try:
        slow = dg.materialize(
            [prestashop_stock_levels], resources=resources, run_config=config, raise_on_error=False
        )
    finally:
        world.shop.faults.latency = 0.0
    (failure,) = [e for e in slow.all_events if e.is_step_failure]
    assert not slow.success and "timed out" in str(failure.step_failure_data.error)
    assert int(world.shop.record("stock_availables", int(stock["id"]))["quantity"]) != int(
        balance.allocatable
    )
    world.materialize([prestashop_stock_levels], run_config=config)
    assert int(world.shop.record("stock_availables", int(stock["id"]))["quantity"]) == int(
        balance.allocatable
    )


def test_writes_have_pools_and_each_job_selects_only_its_purpose() -> None:
    from prestashop_infor.defs import defs

    assert order_to_m3.op.pool == "infor_erp"  # customers then orders, one step
    assert infor_item_descriptions.op.pool == "infor_erp"
    # the shop's two write lanes touch different records: a long stock push never holds statuses back
    assert prestashop_order_status_updates.op.pool == "prestashop_order_writes"
    assert prestashop_stock_levels.op.pool == "prestashop_stock_writes"
    jobs = {
        name: defs.resolve_job_def(name) for name in ("order_sync_job", "order_status_job", "stock_sync_job")
    }
    assert all(job.executor_def is dg.in_process_executor for job in jobs.values())
    # the order lane takes two run slots at most, in both instances: the back-office lanes find one
    assert {name: job.tags[LANE_TAG] for name, job in jobs.items()} == {
        "order_sync_job": "orders", "order_status_job": "order_status", "stock_sync_job": "stock"
    }  # fmt: skip
    for instance_yaml in (ROOT / "dagster.yaml", ROOT / "docker" / "dagster.yaml"):
        runs = yaml.safe_load(instance_yaml.read_text(encoding="utf-8"))["concurrency"]["runs"]
        assert {"key": LANE_TAG, "value": "orders", "limit": 2} in runs["tag_concurrency_limits"]
    selected = {
        name: {k.to_user_string() for k in job.asset_layer.selected_asset_keys} for name, job in jobs.items()
    }
    assert selected["order_sync_job"] == {
        "prestashop_orders", "prestashop_customers", "prestashop_reference_data", "prestashop_products",
        "infor_customers", "infor_sales_orders", "infor_order_cancellations", "prestashop_order_slips",
        "infor_shop_refunds", "prestashop_order_returns", "infor_shop_returns",
    }  # fmt: skip
    # an order run never waits for the shop's order-writes pool, which a status push under a slow shop
    # holds for minutes: its run slot (two for the lane) would hold the next orders back meanwhile
    order_pools = {node.definition.pool for node in jobs["order_sync_job"].graph.node_dict.values()}
    assert "prestashop_order_writes" not in order_pools and "infor_erp" in order_pools, order_pools
    # the stock job takes its ready steps by priority: the shop's stock push before the item texts to M3,
    # so the run is never queued for the ERP's pool (kept for it, idle) while it pushes stock
    from dagster._core.execution.api import create_execution_plan  # the executor's own order (pinned)
    from dagster._core.execution.plan.outputs import StepOutputHandle
    from dagster._core.execution.retries import RetryMode

    stock_plan = create_execution_plan(jobs["stock_sync_job"])
    with stock_plan.start(retry_mode=RetryMode.DISABLED) as active:
        ready: list[str] = []
        while not active.is_complete:
            step = active.get_next_step()
            assert step is not None, ready
            ready.append(step.key)
            for output in step.step_outputs:  # nothing is run: only the order the executor takes them in
                active.mark_step_produced_output(StepOutputHandle(step.key, output.name))
            active.mark_success(step.key)
    assert ready.index("prestashop_stock_levels") < ready.index("infor_item_descriptions"), ready
    assert infor_shop_refunds.op.pool == "infor_erp"
    assert infor_shop_returns.op.pool == "infor_erp"
    assert infor_order_cancellations.op.pool == "infor_erp"
    assert selected["order_status_job"] == {
        "infor_order_statuses", "prestashop_order_status_updates", "infor_credit_notes", "prestashop_credit_slips",
        "prestashop_credit_holds",
    }  # fmt: skip
    assert prestashop_credit_slips.op.pool == "prestashop_order_writes"
    assert selected["stock_sync_job"] == {
        "infor_inventory", "prestashop_products", "prestashop_stock", "prestashop_stock_levels",
        "infor_item_descriptions",
    }  # fmt: skip
    # the graph is the data path: each push reads what its upstream assets stored
    graph = defs.resolve_asset_graph()
    parents = {key: {p.to_user_string() for p in graph.get(dg.AssetKey(key)).parent_keys}
               for key in ("prestashop_order_status_updates", "prestashop_stock_levels", "infor_sales_orders",
                           "infor_item_descriptions", "infor_order_cancellations", "prestashop_credit_slips",
                           "infor_credit_notes", "infor_shop_refunds")}  # fmt: skip
    assert parents == {
        "infor_item_descriptions": {"prestashop_products"},
        "prestashop_order_status_updates": {"infor_order_statuses", "prestashop_reference_data"},
        "prestashop_stock_levels": {"infor_inventory", "prestashop_products", "prestashop_stock"},
        "infor_order_cancellations": {"prestashop_orders", "prestashop_reference_data", "infor_sales_orders"},
        "infor_credit_notes": set(),  # M3's invoice list, from the store's cursor
        "prestashop_credit_slips": {"infor_credit_notes", "infor_sales_orders", "prestashop_reference_data"},
        "infor_shop_refunds": {
            "prestashop_order_slips",
            "prestashop_orders",
            "infor_sales_orders",
            "infor_credit_notes",
        },
        "infor_sales_orders": {
            "prestashop_orders",
            "prestashop_customers",
            "prestashop_reference_data",
            "prestashop_products",
            "infor_customers",
            "infor_items",
            "infor_inventory",  # enrichment warehouse "stock"
        },
    }


def test_customer_and_product_changes_reach_m3_and_the_assets_say_so(world: World) -> None:
    world.materialize(ORDER_SYNC)
    with world.store() as store:
        state = id_map.bindings(store, "customer")[0]
    cuno, address_id = state.target_key, state.data["address_id"]
    combined = {int(c["id_product"]) for c in world.shop.records("combinations")}
    product = next(p for p in world.shop.records("products") if int(p["id"]) not in combined)
    items = [infor_item_descriptions, prestashop_defs.prestashop_products]
    first = metadata(world.materialize(items), infor_item_descriptions)
    assert first["errors"] == 0 and first["unknown_items"] == 0  # every sandbox product has its item

    world.shop.clock.advance(timedelta(minutes=1))
    with world.resources["prestashop"].get_client() as shop:
        address = shop.get("addresses", address_id, fmt="xml")
        shop.update("addresses", {**address, "address1": "1 Place Bellecour"})
        record = shop.get("products", int(product["id"]), fmt="xml")
        shop.update("products", {**record, "name": [{"id": "1", "value": "Renamed in the shop"}]})

    customers = metadata(world.materialize(ORDER_SYNC), infor_customers)
    assert (customers["updated"], customers["updated_ids"], customers["created"]) == (1, cuno, 0)
    assert customers["kept_m3_edits"] == 0 and customers["update_errors"] == 0
    assert world.tenant.customers[cuno].cua1 == "1 Place Bellecour"
    renamed = metadata(world.materialize(items), infor_item_descriptions)
    assert (renamed["updated"], renamed["updated_ids"]) == (1, product["reference"])
    assert world.tenant.items[product["reference"]].itds == "Renamed in the shop"
    quiet = metadata(world.materialize(ORDER_SYNC), infor_customers)
    assert (quiet["updated"], quiet["checked_in_m3"]) == (0, 0)


def test_a_bad_mapping_file_fails_the_run_naming_the_key(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "mapping.yaml"
    bad.write_text("status:\n  prestashop_state:\n    shipped: Shiped\n")
    world.resources["mapping"] = MappingResource(mapping_file=str(bad))
    world.materialize(prestashop_defs.ASSETS)
    result = dg.materialize([order_to_m3], resources=world.resources, raise_on_error=False)
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    cause = error.cause
    assert cause.cls_name == "MappingError"
    assert cause.message.startswith(
        "prestashop_infor.sync.mapping.MappingError: status.prestashop_state.shipped:"
    )
    assert "'Shiped'" in cause.message


def test_the_mappings_m3_company_is_where_every_call_goes(world: World, tmp_path: Path) -> None:
    """erp.company / erp.division are the context of every M3 call. A company the API user may not
    use (XAU0008) fails the run naming erp.company, with nothing entered, bound or dead-lettered;
    the tenant's own company and division then take the same orders through."""
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text("erp:\n  company: 300\n  division: AAA\n")
    world.resources["mapping"] = MappingResource(mapping_file=str(elsewhere))
    world.materialize(prestashop_defs.ASSETS)
    customers = dict(world.tenant.customers)
    for assets in ([order_to_m3], [infor_inventory]):
        result = dg.materialize(assets, resources=world.resources, raise_on_error=False)
        assert not result.success
        cause = result.get_step_failure_events()[0].step_failure_data.error.cause
        assert cause.cls_name == "M3CompanyError"
        assert "company 300" in cause.message and "erp.company" in cause.message
    assert not world.tenant.batch_orders and not world.tenant.orders and world.tenant.customers == customers
    with world.store() as store:
        assert not id_map.bindings(store, "sales_order") and not id_map.bindings(store, "customer")
        assert not store.dead_letters()

    own = tmp_path / "own.yaml"
    own.write_text(f"erp:\n  company: {world.tenant.cono}\n  division: {world.tenant.divi}\n")
    world.resources["mapping"] = MappingResource(mapping_file=str(own))
    result = world.materialize(ORDER_SYNC)
    created = metadata(result, infor_sales_orders)["created"]
    with world.store() as store:
        assert created > 0 and len(id_map.bindings(store, "sales_order")) == created


def bound_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "bound_orders_exist_in_m3"]
    return check


def test_an_orphan_batch_head_left_by_an_interrupted_run_becomes_the_customer_order(world: World) -> None:
    """Issue 7's reproduction through the assets: a batch head carrying the first exported order's
    CUOR and nothing else (what a run killed after AddBatchHead leaves) is finished and confirmed;
    the check that asks M3 about bound orders passes, and fails loudly once M3 loses one."""
    status = load_mapping().status.resolve(world.shop.records("order_states"))
    first = min(
        (o for o in world.shop.records("orders") if status.exportable(int(o["current_state"]))),
        key=lambda o: int(o["id"]),
    )
    email = world.shop.record("customers", int(first["id_customer"]))["email"].strip().lower()
    m3 = InforResource(ionapi_file=world.resources["infor"].ionapi_file).get_client(load_mapping().erp)
    with m3:
        orphan = m3.execute_one(
            "OIS100MI", "AddBatchHead", CUNO=customer_number(email), CUOR=f"PS{first['id']}"
        )
    result = world.materialize([*ORDER_SYNC, bound_orders_exist_in_m3])
    assert f"{first['id']}" in metadata(result, infor_sales_orders)["created_ids"]
    assert metadata(result, infor_sales_orders)["finished"] == 1
    held = [o for o in world.tenant.orders.values() if o.cuor == f"PS{first['id']}"]
    assert len(held) == 1 and held[0].batch_orno == orphan["ORNO"] and held[0].lines
    check = bound_check(result)
    assert check.passed and check.metadata["not_in_m3"].value == 0 and check.metadata["checked"].value > 0

    del world.tenant.orders[held[0].orno]  # M3 loses an order the id map holds
    again = world.materialize([*ORDER_SYNC, bound_orders_exist_in_m3])
    check = bound_check(again)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["not_in_m3"].value == 1
    assert any(held[0].orno in row.data["problem"] for row in check.metadata["problems"].records)


def test_the_status_sensor_runs_the_push_only_when_m3_moved_an_order(world: World) -> None:
    from prestashop_infor.defs.sync.sensors import infor_order_status_sensor

    world.materialize(ORDER_SYNC)
    every = world.materialize([infor_order_statuses])  # the M3 states, stored
    assert metadata(every, infor_order_statuses)["extracted"] > 1  # every open order's head
    resources = {name: world.resources[name] for name in ("infor", "store", "mapping")}

    def evaluate() -> dg.SensorResult:
        with (
            dg.DagsterInstance.ephemeral() as instance,
            dg.build_sensor_context(resources=resources, instance=instance) as context,
        ):
            return infor_order_status_sensor(context)

    quiet = evaluate()
    assert quiet.run_requests == [] and "no order moved" in quiet.skip_reason.skip_message
    with world.store() as store:
        binding = id_map.bindings(store, "sales_order")[0]
    world.sandbox(binding.target_key, "ship")
    moved = evaluate()
    (request,) = moved.run_requests
    assert request.job_name == "order_status_job" and request.tags["prestashop_infor/orders"] == "1"
    assert evaluate().run_requests[0].run_key == request.run_key  # seen again before the run: no new run
    # what the run does first: the movement is stored, reading only the order that moved
    assert request.run_config == {
        "ops": {"infor_order_statuses": {"config": {"order_ids": [int(binding.source_key)]}}}
    }
    only = world.materialize([infor_order_statuses], run_config=request.run_config)
    assert metadata(only, infor_order_statuses)["extracted"] == 1
    assert evaluate().run_requests == []


def test_back_office_runs_one_at_a_time(world: World) -> None:
    """The status sensor and the back-office schedules start no run while one of the same job has not
    ended: runs queued behind it would each hold a run slot waiting for its pool."""
    from prestashop_infor.defs import defs
    from prestashop_infor.defs.sync.sensors import infor_order_status_sensor

    world.materialize(ORDER_SYNC)
    world.materialize([infor_order_statuses])
    with world.store() as store:
        binding = id_map.bindings(store, "sales_order")[0]
    world.sandbox(binding.target_key, "ship")
    resources = {name: world.resources[name] for name in ("infor", "store", "mapping")}
    repository = defs.get_repository_def()
    with dg.instance_for_test() as instance:  # persistent: a schedule's context opens it by reference

        def sensor() -> dg.SensorResult:
            with dg.build_sensor_context(resources=resources, instance=instance) as context:
                return infor_order_status_sensor(context)

        def tick(schedule: str) -> int:
            """How many runs a tick of the schedule asks for."""
            with dg.build_schedule_context(instance=instance) as context:
                return len(repository.get_schedule_def(schedule).evaluate_tick(context).run_requests or [])

        first = sensor().run_requests
        assert first and tick("order_status_schedule") == 1
        runs = {job: dg.DagsterRun(job_name=job, run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
                for job in ("order_status_job", "stock_sync_job")}  # fmt: skip
        for run in runs.values():
            instance.add_run(run)
        skipped = sensor()
        assert (
            skipped.run_requests == [] and runs["order_status_job"].run_id in skipped.skip_reason.skip_message
        )
        assert tick("order_status_schedule") == tick("stock_sync_schedule") == 0
        assert tick("order_sync_schedule") == 1  # the order lane never waits on them
        for run in runs.values():
            instance.report_run_failed(run)
        again = sensor().run_requests  # the same movement: the failed run stored nothing of it
        assert again and tick("stock_sync_schedule") == 1
        assert again[0].run_key != first[0].run_key  # a run key Dagster has seen would launch nothing


def test_orders_cancelled_in_the_shop_are_cancelled_in_m3_or_alerted_by_the_order_sync(
    world: World, monkeypatch
) -> None:
    """Issue 19 §1 through real runs: one order cancelled in the shop while M3 may still cancel it is
    cancelled there; one M3 has shipped is a cancel_too_late finding with a private message on the
    shop order, and finding_alert_sensor posts one alert for it."""
    from prestashop_infor.defs.alerts import finding_alert_sensor
    from prestashop_infor.prestashop import PrestashopClient
    from prestashop_infor.sync.mapping import find_state
    from prestashop_infor_tests.test_alerts import alert_receiver

    assets = [*ORDER_SYNC, infor_order_cancellations]
    world.materialize(assets)
    with world.store() as store:
        early, late = (int(b.source_key) for b in id_map.bindings(store, "sales_order")[:2])
        orno = {key: id_map.binding(store, "sales_order", key).target_key for key in (early, late)}
    world.sandbox(orno[late], "ship")
    canceled = find_state(world.shop.records("order_states"), "test", "Canceled")
    with PrestashopClient(world.resources["prestashop"].url, DEFAULT_API_KEY) as shop:
        for order_id in (early, late):
            shop.add_order_history(order_id, canceled)
        result = metadata(world.materialize(assets), infor_order_cancellations)
        assert (result["cancelled"], result["cancel_too_late"], result["shop_messages"]) == (1, 1, 1)
        assert world.tenant.orders[orno[early]].orsl == "99"
        assert world.tenant.orders[orno[late]].orsl == "66"  # shipped: nothing changed in M3
        threads = shop.list("customer_threads", filters={"id_order": f"[{late}]"})
        [message] = shop.list("customer_messages", filters={"id_customer_thread": f"[{threads[0]['id']}]"})
        assert message["private"] == "1" and orno[late] in message["message"]
    # the next run has nothing to do
    again = metadata(world.materialize(assets), infor_order_cancellations)
    assert (again["cancelled"], again["cancel_too_late"], again["shop_messages"]) == (0, 0, 0)

    with alert_receiver() as (url, received), dg.instance_for_test() as instance:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
        resources = {"store": world.resources["store"]}
        with dg.build_sensor_context(resources=resources, instance=instance) as context:
            finding_alert_sensor(context)
            cursor = context.cursor
        with dg.build_sensor_context(resources=resources, instance=instance, cursor=cursor) as context:
            finding_alert_sensor(context)  # seen already: no second alert
    [(_, alert)] = received
    assert (alert["kind"], alert["finding"], alert["order"]) == ("finding", "cancel_too_late", str(late))
    assert "status 66" in alert["text"]


def test_a_return_m3_credited_becomes_a_credit_slip_in_the_shop(world: World) -> None:
    """Issue 19 §3 through real runs: M3 receives a return and credits it; the order status job's
    credit-note assets put a credit slip on the shop order, once."""
    world.materialize(ORDER_SYNC)
    with world.store() as store:
        binding = id_map.bindings(store, "sales_order")[0]
    order_id, orno = int(binding.source_key), binding.target_key
    world.sandbox(orno, "ship")
    world.sandbox(orno, "invoice")
    with world.resources["infor"].get_client(load_mapping().erp) as m3:
        repn = m3.execute_one("OIS390MI", "AddHead", WHLO="100", RORN=orno, RSCD="RET")["REPN"]
        m3.execute("OIS390MI", "AddLine", WHLO="100", REPN=repn, RORL="1", REQ0="1")
    httpx.post(f"{world.m3_url}/_sandbox/returns/{repn}/receive").raise_for_status()

    credit_jobs = [infor_credit_notes, prestashop_credit_slips]
    result = world.materialize(credit_jobs)
    assert metadata(result, infor_credit_notes)["credit_notes"] == 1
    slips = metadata(result, prestashop_credit_slips)
    assert slips["credit_slips"] == 1 and slips["dead_lettered"] == 0
    assert [int(s["id_order"]) for s in world.shop.records("order_slip")].count(order_id) == 1
    again = world.materialize(credit_jobs)
    assert metadata(again, infor_credit_notes)["credit_notes"] == 0
    assert metadata(again, prestashop_credit_slips)["credit_slips"] == 0

"""The Infor Dagster assets against the emulator over a real socket, with a SQLite store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from prestashop_infor.defs.infor import (
    InforResource,
    infor_assets,
    infor_inventory,
    infor_items,
    infor_order_statuses,
    infor_price_lists,
)
from prestashop_infor.defs.resources import StoreResource, ValidationGateResource
from prestashop_infor.defs.sync.resources import MappingResource
from prestashop_infor.infor import IonApiCredentials, IonApiFileError, M3Client
from prestashop_infor.sandbox.infor import LifecycleSettings, create_app, seed_tenant
from prestashop_infor.serving import BackgroundServer
from prestashop_infor.settings import SettingsError
from prestashop_infor.store import Store, id_map, order_states
from prestashop_infor.store.prices import stored_m3_prices
from prestashop_infor.store.reference_data import known_m3_items

ITEMS = [(f"SKU-{n}", f"Item {n}", "3.50") for n in range(12)]


@pytest.fixture
def world(tmp_path: Path):
    tenant = seed_tenant(ITEMS, seed=9, lifecycle=LifecycleSettings.manual())
    with BackgroundServer(create_app(tenant)) as server:
        ionapi = tenant.write_ionapi(tmp_path / "t.ionapi", server.url)
        resources = {
            "infor": InforResource(ionapi_file=str(ionapi), page_size=5),
            "store": StoreResource(database_url=f"sqlite:///{tmp_path / 'store.db'}"),
            "validation_gate": ValidationGateResource(max_failure_share=0.05, min_quarantined=1),
            "mapping": MappingResource(),
        }
        yield tenant, server, resources, tmp_path / "store.db"


def meta(result: dg.ExecuteInProcessResult, asset: dg.AssetsDefinition) -> dict:
    events = result.asset_materializations_for_node(asset.op.name)
    return {k: v.value for k, v in events[-1].metadata.items()}


def test_items_paged_through_a_positioned_list_and_gated(world):
    tenant, _, resources, db = world
    tenant.items["SKU-3"].stat = "X"  # not two digits: quarantined, the rest flows
    # 1 of 12 (8 %) is within a 10 % gate: the blocking check the asset carries passes.
    gate = ValidationGateResource(max_failure_share=0.1, min_quarantined=1)
    result = dg.materialize([infor_items], resources={**resources, "validation_gate": gate})
    assert result.success
    m = meta(result, infor_items)
    assert (m["extracted"], m["valid"], m["quarantined"], m["dagster/row_count"]) == (12, 11, 1, 11)
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed and evaluation.metadata["quarantined"].value == 1
    store = Store.from_url(f"sqlite:///{db}")
    letters = store.dead_letters(entity="m3_items")
    assert [(d.key, d.field) for d in letters] == [("SKU-3", "STAT")]
    # the valid items are stored for the order step; the quarantined one is not among them
    everything = [itno for itno, *_ in ITEMS] + ["NOT-IN-M3"]
    assert known_m3_items(store, everything) == {itno for itno, *_ in ITEMS} - {"SKU-3"}
    del tenant.items["SKU-5"]  # gone from M3: gone from the stored list at the next run
    tenant.items["SKU-3"].stat = "20"
    assert dg.materialize([infor_items], resources={**resources, "validation_gate": gate}).success
    assert known_m3_items(store, everything) == {itno for itno, *_ in ITEMS} - {"SKU-5"}
    store.dispose()


def test_blocking_check_fails_when_too_many_records_fail(world):
    tenant, _, resources, _ = world
    for n in range(4):
        tenant.items[f"SKU-{n}"].stat = "X"
    result = dg.materialize([infor_items], resources=resources, selection=[infor_items], raise_on_error=False)
    checks = result.get_asset_check_evaluations()
    assert checks and not checks[0].passed


def test_inventory_is_incremental_by_change_time(world):
    tenant, _, resources, _ = world
    tenant.clock.advance(timedelta(minutes=5))  # past the cursor overlap of the seeded balances
    first = dg.materialize([infor_inventory], resources=resources)
    assert meta(first, infor_inventory)["extracted"] == 24  # every balance, both warehouses
    tenant.clock.advance(timedelta(minutes=5))
    tenant.adjust_stock("200", "SKU-7", 3)
    second = dg.materialize([infor_inventory], resources=resources)
    m = meta(second, infor_inventory)
    assert m["extracted"] == m["dagster/row_count"] == 1 and m["warehouses"] == "200"
    (preview,) = m["preview"].records
    assert (preview.data["ITNO"], preview.data["WHLO"]) == ("SKU-7", "200")


def test_order_statuses_are_read_for_the_orders_the_id_map_follows(world):
    """infor_order_statuses reads the M3 state of bound orders (not every customer's orders) and
    stores it, gated, for the status push; M3 orders the id map does not know are not read."""
    tenant, server, resources, store_path = world
    client = M3Client(IonApiCredentials.from_file(resources["infor"].ionapi_file))
    ornos = []
    for cuor in ("PS-1", "PS-2", "PS-3"):
        orno = client.execute_one("OIS100MI", "AddBatchHead", CUNO="WEB0000002", CUOR=cuor)["ORNO"]
        client.execute("OIS100MI", "AddBatchLine", ORNO=orno, ITNO="SKU-1", ORQT="1")
        client.execute("OIS100MI", "Confirm", ORNO=orno)
        ornos.append(client.execute_one("OIS100MI", "GetOrderNo", ORNO=orno)["ORNR"])
    tenant.ship_now(ornos[0])
    with Store.from_url(f"sqlite:///{store_path}") as store:
        for order_id, orno in ((1, ornos[0]), (2, ornos[1])):  # PS-3 is not ours
            id_map.bind(store, "sales_order", order_id, orno, data={"ornr": orno, "cuor": f"PS-{order_id}"})
    result = dg.materialize([infor_order_statuses], resources=resources)
    m = meta(result, infor_order_statuses)
    assert m["extracted"] == m["dagster/row_count"] == 2 and m["quarantined"] == 0 and m["m3_refused"] == 0
    assert m["orders_by_milestone"] == {"shipped": 1, "allocated": 1}
    with Store.from_url(f"sqlite:///{store_path}") as store:
        stored = order_states.load(store, [1, 2, 3])
    assert sorted(stored) == [1, 2] and stored[1]["milestone"] == "shipped"
    assert stored[1]["details"]["deliveries"][0]["ETRN"]  # the tracking number is read for the shipped one


def test_todays_prices_are_read_gated_and_stored(world):
    """infor_price_lists: the seeded tenant's lists valid today, their base prices and breaks."""
    tenant, _, resources, store_path = world
    result = dg.materialize([infor_price_lists], resources=resources)
    assert result.success
    m = meta(result, infor_price_lists)
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed and m["quarantined"] == 0
    today = tenant.clock.now().date()
    valid = [pl for pl in tenant.price_lists.values() if pl.fvdt <= today <= pl.lvdt]
    expected = sum(1 + len(line.breaks) for pl in valid for line in pl.lines.values())
    assert m["extracted"] == m["dagster/row_count"] == expected > 0
    assert m["price_lists_in_m3"] == len(tenant.price_lists) > len(valid)
    with Store.from_url(f"sqlite:///{store_path}") as store:
        assert len(stored_m3_prices(store)) == expected


def test_definitions_load_and_resource_config(monkeypatch, tmp_path: Path):
    defs = dg.Definitions(
        assets=infor_assets,
        resources={
            "infor": InforResource(ionapi_file="x"),
            "store": StoreResource(database_url="sqlite://"),
            "validation_gate": ValidationGateResource(),
            "mapping": MappingResource(),
        },  # fmt: skip
    )
    assert {key.to_user_string() for key in defs.resolve_asset_graph().materializable_asset_keys} == {
        "infor_items", "infor_inventory", "infor_order_statuses", "infor_price_lists"}  # fmt: skip
    monkeypatch.setenv("INFOR_IONAPI_CS", "s3cr3t-value")
    monkeypatch.delenv("INFOR_IONAPI_FILE", raising=False)
    resource = InforResource()  # reads the environment when a run starts, holds nothing itself
    assert "s3cr3t-value" not in repr(resource)
    with pytest.raises(SettingsError, match="INFOR_IONAPI_<KEY>") as caught:
        resource.credentials()
    assert "s3cr3t-value" not in str(caught.value)
    with pytest.raises(IonApiFileError, match="missing key 'tenant'"):
        InforResource(client_secret="x").credentials()


def test_secrets_never_reach_dagster_events_or_logs(world, caplog):
    tenant, _, resources, _ = world
    credentials = IonApiCredentials.from_file(resources["infor"].ionapi_file)
    secrets = [credentials.client_secret, credentials.service_account_secret_key]
    assert all(secrets)
    result = dg.materialize(infor_assets, resources=resources)
    assert result.success
    events = "\n".join(repr(event) for event in result.all_events)
    assert "infor_items" in events  # the events were looked at
    for secret in secrets:
        assert secret not in events
        assert secret not in caplog.text
